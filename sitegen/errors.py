"""The few exception types sitegen raises for user mistakes.

Every user-facing problem is a :class:`Problem` (``path:line: message``); an
error carries one or more of them so that all problems are reported at once.
The CLI prints them, one per line, and exits with code 1; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters a terminal acts on (C0 and C1 controls, DEL, line and paragraph separators),
# and ones that are no text at all (noncharacters, lone surrogates).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def visible(text: str) -> str:
    """``text`` with every control character written as an escape (``\\n``, ``\\x1b``).

    Paths and messages quote imported titles and file names; a newline there
    would forge a second problem line, an ESC would drive the terminal.
    """
    if not _UNPRINTABLE.search(text):
        return text
    return _UNPRINTABLE.sub(lambda m: _NAMED.get(m.group()) or (
        f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"),
        text)


@dataclass(frozen=True, order=True)
class Problem:
    """One located message: a file (may be empty), a 1-based line (0 = none).

    Path and message are kept with control characters escaped (:func:`visible`),
    so every way of printing a problem — ``str()``, or its fields one by one as
    warnings are printed — shows one line and no terminal escape.
    """

    path: str
    line: int
    message: str

    def __post_init__(self) -> None:
        for name in ("path", "message"):
            value = getattr(self, name)
            if isinstance(value, str) and _UNPRINTABLE.search(value):
                object.__setattr__(self, name, visible(value))

    def __str__(self) -> str:
        if self.path and self.line:
            return f"{self.path}:{self.line}: {self.message}"
        if self.path:
            return f"{self.path}: {self.message}"
        return self.message


class SitegenError(Exception):
    """Base class: a user-facing failure made of one or more problems."""

    def __init__(self, *problems: Problem | str) -> None:
        self.problems = [p if isinstance(p, Problem) else Problem("", 0, p) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(SitegenError):
    """``sitegen.toml`` or a command-line option is wrong."""


class ContentError(SitegenError):
    """One or more content files are invalid."""


class InputError(SitegenError):
    """An input to ``sitegen import`` cannot be read at all."""


class BuildError(SitegenError):
    """Rendering or writing the site failed (template error, refused output)."""


class StrictError(SitegenError):
    """Warnings were raised and ``--strict`` turns them into a failure."""


class CheckError(SitegenError):
    """The built site has problems (``sitegen check`` failed)."""


class InitError(SitegenError):
    """``sitegen init`` cannot create the site (files in the way)."""


class LockError(SitegenError):
    """Another sitegen process holds the site's lock (see :mod:`sitegen.lock`)."""


class WorkerError(BuildError):
    """A forked worker died (killed, out of memory) before it finished its share."""
