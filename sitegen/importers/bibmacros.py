"""BibTeX field values: ``{...}``, ``"..."``, numbers and ``@string`` macros joined by ``#``.

bibtexparser leaves values as written; they are resolved here so that
concatenation (``"Proc. of " # acl``) works and, above all, so that expansion is
bounded: a macro defined as ten copies of the previous one, a few levels deep,
is a few hundred bytes of input and gigabytes of output. Every value is held
to :data:`MAX_FIELD_CHARS` once expanded, and all of them together to
:data:`MAX_EXPANSION_CHARS`; past either the input is refused.
"""

from __future__ import annotations

import re

from sitegen.errors import InputError, Problem
from sitegen.importers.limits import MAX_EXPANSION_CHARS, MAX_FIELD_CHARS

# One piece of a value: an opening brace, an opening quote, or a bare word (number or macro).
_PIECE = re.compile(r'\s*(?:(\{)|(")|([^\s#{}"]+))')
_JOIN = re.compile(r"\s*(#|$)")
_BRACES = re.compile(r"[{}]")
_BRACES_QUOTES = re.compile(r'[{}"]')


class Macros:
    """The ``@string`` macros of one input, expanded when defined."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.values: dict[str, str] = {}  # BibTeX macro names ignore case
        self.spent = 0

    def define(self, name: str, raw: str, line: int) -> None:
        """Record ``@string{name = raw}``; later definitions win, as in BibTeX."""
        self.values[name.strip().lower()] = self.expand(raw, line, f"@string '{name.strip()}'")

    def expand(self, raw: str, line: int, what: str) -> str:
        """The text of a raw value, macros replaced; an unknown macro name stays as written
        (``month = jan`` is read as the month)."""
        pieces = _pieces(raw)
        if pieces is None:  # not a well-formed value: keep it, minus one enclosing pair
            pieces = [(False, raw[1:-1] if raw[:1] + raw[-1:] in ("{}", '""') else raw)]
        out: list[str] = []
        length = 0
        for is_word, text in pieces:
            piece = self.values.get(text.lower(), text) if is_word else text
            length += len(piece)
            if length > MAX_FIELD_CHARS:
                raise InputError(Problem(self.label, line, (
                    f"{what} expands to more than {MAX_FIELD_CHARS:,} characters; not imported "
                    "(are @string macros repeating each other?)")))
            out.append(piece)
        self.spent += length
        if self.spent > MAX_EXPANSION_CHARS:
            raise InputError(Problem(self.label, line, (
                f"BibTeX values expand to more than {MAX_EXPANSION_CHARS:,} characters in all; "
                "not imported (are @string macros repeating each other?)")))
        return "".join(out)


def _pieces(raw: str) -> list[tuple[bool, str]] | None:
    """``raw`` split into (is a bare word, text) pieces, or None when it is malformed."""
    value = raw.strip()
    if "#" not in value:  # the common case: one piece
        if len(value) >= 2 and value[0] + value[-1] in ("{}", '""'):
            return [(False, value[1:-1])]
        if value and not any(c in value for c in ' \t\n{}"'):
            return [(True, value)]
    pieces: list[tuple[bool, str]] = []
    pos = 0
    while True:
        match = _PIECE.match(value, pos)
        if match is None:
            return None
        if match.group(3) is not None:
            pieces.append((True, match.group(3)))
            pos = match.end()
        else:
            end = _closing(value, match.end(), match.group(1) is not None)
            if end < 0:
                return None
            pieces.append((False, value[match.end():end]))
            pos = end + 1
        join = _JOIN.match(value, pos)
        if join is None:
            return None
        if join.group(1) != "#":
            return pieces
        pos = join.end()


def _closing(value: str, start: int, brace: bool) -> int:
    """The offset of the ``}`` (``brace``) or ``"`` that closes the piece opened before
    ``start``; a quote only closes outside braces. -1 when there is none."""
    depth = 0
    for match in (_BRACES if brace else _BRACES_QUOTES).finditer(value, start):
        char = match.group()
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return match.start() if brace else -1
            depth -= 1
        elif depth == 0:
            return match.start()
    return -1
