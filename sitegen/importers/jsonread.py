"""Read JSON inputs record by record: an array, a single value, or JSON lines.

A record that is not valid JSON is a located warning and the rest is still
read. Reading is linear on any text: each value is decoded from a window not
much larger than itself (json's error message counts the lines before the
error), line numbers are counted incrementally, and the end of a broken item
is found by a tokenizing regular expression rather than character by
character. Nesting and string length are held to :mod:`sitegen.importers.limits`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from sitegen.errors import InputError, Problem
from sitegen.importers.base import Parsed, Skip
from sitegen.importers.limits import (
    MAX_FIELD_CHARS,
    MAX_JSON_CONTAINERS,
    MAX_NESTING,
    LineCounter,
    Warnings,
    check_value,
    too_deep,
)
from sitegen.model import Paper

Record = tuple[int, int, Any]  # (index, line, value)

_WS = re.compile(r"[ \t\r\n]*")
_FIRST_WINDOW = 4096
# An error this close to the end of the window may come from a token the window cut
# ("-Infinity", a "\\uXXXX" escape): look further before calling the value broken.
_LONGEST_TOKEN = 16
# Where JSON lines resume after a broken one: a line that starts an object or an array.
_NEXT_VALUE = re.compile(r"\n[{\[]")
# What matters when skipping a broken array item: strings (which may hold brackets and
# commas; one cut short ends at its line's end), brackets and commas.
_TOKEN = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"?|[\[\]{},]')


def json_records(text: str, label: str) -> tuple[list[Record], Warnings]:
    """The values of a JSON array, a single JSON value or JSON lines, as (index, line, value).

    A value that is not valid JSON becomes a located warning and the rest is still read;
    text that is not JSON at all is an :class:`InputError`. Text after a top-level array
    (two saved answers pasted together, or JSON lines) is read as more values, so that
    nothing after the ``]`` is lost without a word.
    """
    containers = text.count("[") + text.count("{")  # an upper bound: strings are counted too
    if containers > MAX_JSON_CONTAINERS:
        raise InputError(Problem(label, 0, (
            f"has more than {MAX_JSON_CONTAINERS:,} JSON arrays and objects; not imported")))
    reader = _Reader(text, label)
    start = reader.skip_ws(0)
    if start < len(text) and text[start] == "[":
        end, count = reader.array_items(start + 1)
        reader.values(reader.skip_ws(end), count)
    else:
        reader.values(start, None)
    return reader.records, reader.warnings


class _Broken(Exception):
    """A value that is not valid JSON: json's message, its line and offset in the input."""

    def __init__(self, msg: str, line: int, pos: int) -> None:
        super().__init__(msg)
        self.msg, self.lineno, self.pos = msg, line, pos


class _Reader:
    """The state of reading one input: its records, warnings and line counter."""

    def __init__(self, text: str, label: str) -> None:
        self.text = text
        self.label = label
        self.lines = LineCounter(text)
        self.records: list[Record] = []
        self.warnings = Warnings()
        self.decoder = json.JSONDecoder()
        self.window = _FIRST_WINDOW

    def skip_ws(self, pos: int) -> int:
        match = _WS.match(self.text, pos)
        return match.end() if match else pos

    def decode(self, pos: int) -> tuple[Any, int]:
        """The value at ``pos`` and the offset after it, within the limits.

        Decoded from a window of the text, twice as large as the last value and doubled
        while the value runs past its end: json's error for a broken value counts the lines
        from the start of the text it was given, which from the whole input would make
        every broken record cost the size of everything before it.
        """
        text, line = self.text, self.lines.at(pos)
        while True:
            stop = min(len(text), pos + self.window)
            piece = text[pos:stop]
            try:
                value, used = self.decoder.raw_decode(piece)
            except json.JSONDecodeError as exc:
                if stop < len(text) and (exc.pos >= len(piece) - _LONGEST_TOKEN
                                         or exc.msg.startswith("Unterminated string")):
                    self.window *= 2  # cut off by the window, not broken: look further
                    continue
                self.window = _FIRST_WINDOW
                raise _Broken(exc.msg, line + exc.lineno - 1, pos + exc.pos) from None
            except RecursionError:  # deeper than the interpreter allows: far past the limit
                raise too_deep(self.label, line) from None
            if stop < len(text) and used > len(piece) - _LONGEST_TOKEN:  # "1.5e" of "1.5e10"
                self.window *= 2
                continue
            self.window = max(_FIRST_WINDOW, 2 * used)
            # No string is longer than the text, no nesting deeper than its brackets: most
            # values need no walk.
            if used > MAX_FIELD_CHARS or (piece.count("[", 0, used) + piece.count("{", 0, used)
                                          > MAX_NESTING):
                check_value(value, self.label, line)
            return value, pos + used

    def values(self, pos: int, after_array: int | None) -> None:
        """JSON values one after another from ``pos``.

        ``after_array`` is the item count of the array they follow: the input is then JSON
        already, so text that does not parse is a warning, never "is not JSON".
        """
        text = self.text
        index = after_array or 0
        while pos < len(text):
            index += 1
            try:
                value, end = self.decode(pos)
                self.records.append((index, self.lines.at(pos), value))
            except _Broken as exc:
                if after_array is None and index == 1 and text[pos] not in "{[":
                    raise InputError(Problem(self.label, exc.lineno,
                                             f"is not JSON: {exc.msg}")) from None
                what = ("text after the JSON array" if after_array is not None
                        and index == after_array + 1 else f"record {index}")
                self.warnings.append(Problem(self.label, exc.lineno, f"{what} is not valid JSON "
                                                                     f"({exc.msg}); skipped"))
                nxt = _NEXT_VALUE.search(text, exc.pos)
                end = nxt.start() + 1 if nxt else len(text)
            pos = self.skip_ws(end)

    def array_items(self, pos: int) -> tuple[int, int]:
        """Read a JSON array item by item so that one broken item does not lose the others.

        Returns the offset just after the closing ``]``, where more values may follow,
        and the number of items, so that what follows is numbered after them.
        """
        text = self.text
        index = 0
        while True:
            pos = self.skip_ws(pos)
            if pos >= len(text):
                self.warnings.append(Problem(self.label, self.lines.at(len(text)),
                                             "the JSON array is not closed with ']'; the input "
                                             "may be cut short"))
                return len(text), index
            if text[pos] == "]":
                return pos + 1, index
            index += 1
            try:
                value, end = self.decode(pos)
                self.records.append((index, self.lines.at(pos), value))
            except _Broken as exc:
                self.warnings.append(Problem(self.label, exc.lineno, f"item {index} is not "
                                                                     f"valid JSON ({exc.msg}); "
                                                                     "skipped"))
                end = _value_end(text, pos)
            pos = self.skip_ws(end)
            if pos < len(text) and text[pos] == ",":
                pos += 1
            elif pos < len(text) and text[pos] != "]":
                self.warnings.append(Problem(self.label, self.lines.at(pos),
                                             "expected ',' or ']' between JSON items; "
                                             "skipped to the next"))
                pos = _value_end(text, pos) + 1


def _value_end(text: str, pos: int) -> int:
    """The offset of the ``,`` or ``]`` that ends the array item starting at ``pos``."""
    depth = 0
    for token in _TOKEN.finditer(text, pos):
        char = token.group()
        if char in "[{":
            depth += 1
        elif char in "]}":
            if depth == 0:
                return token.start()
            depth -= 1
        elif char == "," and depth == 0:
            return token.start()
    return len(text)


def parse_items(text: str, label: str, build: Callable[[Any, str], Paper],
                list_keys: tuple[str, ...] = ()) -> Parsed:
    """A paper from every item of the JSON (a line holding an array gives each of its items;
    an object with one of ``list_keys`` holding an array, each of those); an item
    ``build`` refuses is a warning at its line."""
    result = Parsed()
    records, result.warnings = json_records(text, label)
    for index, line, value in records:
        items: list[tuple[str, Any]] = [(str(index), value)]
        if isinstance(value, list):
            items = [(f"{index}.{n}", item) for n, item in enumerate(value, 1)]
        elif isinstance(value, dict):
            for key in list_keys:
                if isinstance(value.get(key), list):
                    items = [(f"{index}.{n}", item) for n, item in enumerate(value[key], 1)]
                    break
        for name, item in items:
            try:
                paper = build(item, label)
            except Skip as exc:
                result.warnings.append(Problem(label, line, f"item {name}: {exc}; skipped"))
                continue
            paper.lines = {"title": line}
            result.papers.append(paper)
    return result
