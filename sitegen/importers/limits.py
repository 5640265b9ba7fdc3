"""The limits every import input is held to, and the checks that enforce them.

Imported text is untrusted: without limits a single input can take hours of
CPU or gigabytes of memory. Each limit, when hit, is an :class:`InputError`
naming the input and line, raised before anything is written. The numbers
are stated in docs/content-format.md ("Limits").
"""

from __future__ import annotations

from typing import Any

from sitegen.errors import InputError, Problem

# One input, read from a file, standard input or the network.
MAX_INPUT_BYTES = 50_000_000
# One line of a text format (a listing, BibTeX): an abstract may be one line, and a body
# may be at most 1,000,000 bytes, so a longer line can never become a paper.
MAX_LINE_CHARS = 2_000_000
# One field value (a JSON string, an XML element's text, a BibTeX field after @string
# macros are expanded), and one paper block of a listing.
MAX_FIELD_CHARS = 2_000_000
# All BibTeX @string macros and the fields that use them, expanded, together.
MAX_EXPANSION_CHARS = MAX_INPUT_BYTES
# Arrays and objects inside one another in a JSON record.
MAX_NESTING = 100
# Arrays and objects in one JSON input, and tags in one Atom entry: each costs memory far
# beyond its few bytes of text (an empty list is 56 bytes, an XML element some 300).
MAX_JSON_CONTAINERS = 1_000_000
MAX_XML_TAGS = 10_000
# Located warnings about one input; past this it is not the kind of file it looks like.
MAX_WARNINGS = 1_000


class Warnings(list[Problem]):
    """A list of warnings about one input that stops the import past :data:`MAX_WARNINGS`.

    Without a cap a hostile input of short broken records makes millions of warnings:
    memory grows with each, and nobody reads them.
    """

    def append(self, problem: Problem) -> None:
        if len(self) >= MAX_WARNINGS:
            raise InputError(Problem(problem.path, problem.line, (
                f"more than {MAX_WARNINGS:,} problems in this input; stopped reading it "
                "(is it the right file?)")))
        super().append(problem)

    def extend(self, problems: Any) -> None:
        for problem in problems:
            self.append(problem)


class LineCounter:
    """Line numbers of offsets in one text, counted incrementally.

    Counting from the start for every record is quadratic on inputs of many short
    records; offsets asked for in increasing order cost one pass in total.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._offset = 0
        self._line = 1

    def at(self, offset: int) -> int:
        """The 1-based line of ``offset``."""
        if offset < self._offset:  # rare: an earlier offset, count it from the start
            return self.text.count("\n", 0, offset) + 1
        self._line += self.text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line


def check_lines(text: str, label: str, what: str) -> None:
    """Refuse a line longer than :data:`MAX_LINE_CHARS`.

    Looks at one window of the limit's size at a time (``rfind`` of the last newline in
    it), so the check is linear whatever the line lengths.
    """
    pos, size = 0, len(text)
    while size - pos > MAX_LINE_CHARS:
        last = text.rfind("\n", pos, pos + MAX_LINE_CHARS + 1)
        if last < 0:
            line = text.count("\n", 0, pos) + 1
            raise InputError(Problem(label, line, (
                f"line is longer than {MAX_LINE_CHARS:,} characters; not imported "
                f"(is this {what}?)")))
        pos = last + 1


def too_long(label: str, line: int, what: str) -> InputError:
    """The error for a field value past :data:`MAX_FIELD_CHARS`."""
    return InputError(Problem(label, line, f"{what} is longer than {MAX_FIELD_CHARS:,} "
                                           "characters; not imported"))


def too_deep(label: str, line: int) -> InputError:
    """The error for JSON nested past :data:`MAX_NESTING`."""
    return InputError(Problem(label, line, f"JSON nested more than {MAX_NESTING} levels deep; "
                                           "not imported"))


def check_value(value: Any, label: str, line: int) -> None:
    """Refuse a decoded JSON value nested too deep or holding a string that is too long.

    Walks the value without recursion, so that the check cannot itself overflow.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if len(item) > MAX_FIELD_CHARS:
                raise too_long(label, line, "a JSON string")
            continue
        if not isinstance(item, list | dict):
            continue
        if depth > MAX_NESTING:
            raise too_deep(label, line)
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)
        if isinstance(item, dict):
            stack.extend((key, depth + 1) for key in item)
