"""Compose sitegen's own front-matter dialect without libyaml.

Nearly every content file is written by :func:`sitegen.store.dumps`: plain keys,
double-quoted strings, plain numbers and dates, block lists and mappings at
fixed indents, one value per line. Composing that with libyaml is about a third
of the time spent parsing a file. :meth:`FastComposer.compose` recognises
exactly that dialect line by line and builds the node tree libyaml would build (same tags,
values, styles and key lines); for any other text it returns None, so libyaml
still reads every other file and words every error.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import yaml

#: Plain scalar text -> the tag the safe loader's resolver gives it.
PlainTag = Callable[[str], str]

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
# libyaml reports the plain style as "", PyYAML's own parser as None.
_PLAIN_STYLE = "" if hasattr(yaml, "CSafeLoader") else None
_MAX_DEPTH = 32
_MARK_NAME = "<unicode string>"

# Anything but LF and the characters YAML's reader accepts, less those YAML reads
# as more than a character: tab, CR, NEL, LS, PS (line breaks) and the BOM.
_ODD_CHAR = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
                       "\U00010000-\U0010ffff]")
_QUOTED_RE = r'"([^"\\]*(?:\\.[^"\\]*)*)"'  # one line, any escapes (checked apart)
# One plain word that cannot start an indicator ("- ", "? ", ": ", "...", "#").
_PLAIN_RE = r"(?:-\.?|\.)?[A-Za-z0-9_+][A-Za-z0-9_.+-]*"
# A plain key (short: libyaml refuses simple keys over 1024 characters), then
# nothing, or one space and a quoted string or a plain word.
_ENTRY = re.compile(rf"([A-Za-z_][A-Za-z0-9_]{{0,127}}):(?: (?:{_QUOTED_RE}|({_PLAIN_RE})))?")
_ITEM = re.compile(rf"- (?:{_QUOTED_RE}|({_PLAIN_RE}))")
# Numbers and dates vary from file to file, too many to remember each; but the safe
# resolver's regular expressions look at their form, not their digits: one example of
# a whole number without a leading zero, and one of a YYYY-MM-DD date, stands for all.
_SHAPES = ((re.compile(r"[1-9][0-9]{0,17}"), "1"),
           (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"), "2000-01-01"))
_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
# The escapes PyYAML's emitter writes, read as YAML reads them.
_ESCAPES = {"0": "\x00", "a": "\x07", "b": "\x08", "t": "\t", "n": "\n", "v": "\x0b",
            "f": "\x0c", "r": "\r", "e": "\x1b", '"': '"', "\\": "\\", "N": "\x85",
            "_": "\xa0", "L": "\u2028", "P": "\u2029"}


class _NotCanonical(Exception):
    """The text leaves the dialect: libyaml must read it."""


class FastComposer:
    """Composes the canonical dialect, with the tags of plain words from ``resolve``."""

    def __init__(self, resolve: PlainTag, tags: dict[str, str]) -> None:
        """``tags`` is the cache of tags that ``resolve`` fills (short words: keys repeat
        in every file); it is read here first."""
        self.resolve = resolve
        self.tags = tags
        self.shapes = [(shape, resolve(example)) for shape, example in _SHAPES]
        # Shared marks, one per 0-based line: only the line of a key is ever read. The
        # list is replaced, never changed, so a parse in another thread keeps its own.
        self.marks: list[yaml.Mark] = []

    def tag(self, text: str) -> str:
        """The tag of a plain word."""
        tag = self.tags.get(text)
        if tag is not None:
            return tag
        for shape, shape_tag in self.shapes:
            if shape.fullmatch(text):
                return shape_tag
        return self.resolve(text)

    def compose(self, front: str) -> yaml.MappingNode | None:
        """The node tree of ``front`` (ending in a newline), or None if it is not canonical."""
        if not front.endswith("\n") or "\n\n" in front or _ODD_CHAR.search(front):
            return None
        lines = front[:-1].split("\n")
        marks = self.marks
        if len(lines) > len(marks):
            marks = self.marks = marks + [yaml.Mark(_MARK_NAME, 0, n, 0, None, 0)
                                          for n in range(len(marks), len(lines))]
        try:
            root, end = _Scan(lines, marks, self).mapping(0, 0, None, 0)
        except _NotCanonical:
            return None
        return root if end == len(lines) else None


class _Scan:
    """One front matter's lines; each method reads a block and returns it and the next line."""

    __slots__ = ("lines", "marks", "composer")

    def __init__(self, lines: list[str], marks: list[yaml.Mark], composer: FastComposer) -> None:
        self.lines = lines
        self.marks = marks
        self.composer = composer

    def mapping(self, i: int, indent: int, first: str | None,
                depth: int) -> tuple[yaml.MappingNode, int]:
        """Keys at column ``indent``; ``first`` is the text after a sequence item's "- "."""
        if depth > _MAX_DEPTH:
            raise _NotCanonical
        lines, marks, tags, pad = self.lines, self.marks, self.composer.tags, " " * indent
        pairs: list[tuple[yaml.Node, yaml.Node]] = []
        node = yaml.MappingNode(_MAP, pairs, marks[i], marks[i], False)
        entry, scalar = _ENTRY.fullmatch, yaml.ScalarNode
        while i < len(lines):
            if first is None:
                line = lines[i]
                if indent and not line.startswith(pad):
                    break  # a shallower line: the enclosing block goes on
                match = entry(line, indent)
            else:
                match, first = entry(first), None
            if match is None:
                raise _NotCanonical
            key, quoted, plain = match.groups()
            mark = marks[i]
            key_node = scalar(tags.get(key) or self.composer.tag(key), key, mark, mark,
                              _PLAIN_STYLE)
            i += 1
            value: yaml.Node
            if quoted is not None:
                value = scalar(_STR, _unescape(quoted) if "\\" in quoted else quoted,
                               mark, mark, '"')
            elif plain is not None:
                value = scalar(tags.get(plain) or self.composer.tag(plain), plain, mark, mark,
                               _PLAIN_STYLE)
            else:
                value, i = self.block(i, indent, depth, mark)
            pairs.append((key_node, value))
        return node, i

    def block(self, i: int, indent: int, depth: int,
              mark: yaml.Mark) -> tuple[yaml.Node, int]:
        """The value of a ``key:`` line: an indentless list, a mapping two columns in, or null."""
        lines = self.lines
        if i < len(lines):
            line = lines[i]
            if line.startswith("-", indent) and line.startswith(" " * indent):
                return self.sequence(i, indent, depth + 1)
            if line.startswith(" " * (indent + 2)):
                return self.mapping(i, indent + 2, None, depth + 1)
        return yaml.ScalarNode(self.composer.tag(""), "", mark, mark, _PLAIN_STYLE), i

    def sequence(self, i: int, indent: int, depth: int) -> tuple[yaml.SequenceNode, int]:
        """``- item`` lines at column ``indent``; an item is a scalar or a mapping."""
        lines, marks, tags, pad = self.lines, self.marks, self.composer.tags, " " * indent
        items: list[yaml.Node] = []
        node = yaml.SequenceNode(_SEQ, items, marks[i], marks[i], False)
        item, scalar = _ITEM.fullmatch, yaml.ScalarNode
        while i < len(lines):
            line = lines[i]
            if indent and not line.startswith(pad):
                break
            match = item(line, indent)
            if match is not None:
                quoted, plain = match.groups()
                mark = marks[i]
                if quoted is not None:
                    items.append(scalar(_STR, _unescape(quoted) if "\\" in quoted else quoted,
                                        mark, mark, '"'))
                else:
                    items.append(scalar(tags.get(plain) or self.composer.tag(plain), plain,
                                        mark, mark, _PLAIN_STYLE))
                i += 1
            elif line.startswith("- ", indent):
                mapping, i = self.mapping(i, indent + 2, line[indent + 2:], depth + 1)
                items.append(mapping)
            else:
                break
        if not items:
            raise _NotCanonical
        return node, i


def _unescape(text: str) -> str:
    """The value of a double-quoted string's text (between the quotes)."""
    return _ESCAPE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    """One escape; an escape YAML refuses or PyYAML never writes is not canonical."""
    digits = match.group(1) or match.group(2) or match.group(3)
    if digits is None:
        try:
            return _ESCAPES[match.group(4)]
        except KeyError:
            raise _NotCanonical from None
    code = int(digits, 16)
    if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        raise _NotCanonical  # libyaml: "found invalid Unicode character escape code"
    return chr(code)
