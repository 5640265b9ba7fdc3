"""Read XML feeds one record at a time: an RSS ``<item>``, an OAI-PMH ``<record>``.

Each record is cut out of the text and parsed on its own inside a wrapper that
carries the root element's namespace declarations, as the Atom reader does: one
broken record is a warning at its line and the others are still read; a
``<!DOCTYPE>`` or entity declaration at the top is never part of what is parsed,
so no entity can be expanded; a record has at most :data:`MAX_XML_TAGS` tags and
no text longer than :data:`MAX_FIELD_CHARS`. Finding the end of a record never
looks past the start of the next one, so the cost is linear in the input.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

from sitegen.errors import InputError, Problem
from sitegen.importers.base import Parsed, collapse_ws
from sitegen.importers.limits import MAX_FIELD_CHARS, MAX_XML_TAGS, LineCounter, too_long


@dataclass
class Record:
    """One record: its number, first line and parsed element."""

    number: int
    line: int
    element: ET.Element


def local(tag: object) -> str:
    """The tag name without its namespace (``{http://...}title`` -> ``title``)."""
    return str(tag).rsplit("}", 1)[-1]


def records(text: str, label: str, root: str, tag: str, result: Parsed) -> Iterator[Record]:
    """Every ``<tag>`` element of the document whose root element is ``<root>``.

    ``root`` and ``tag`` are local names; a prefix on either (``<atom:entry>``) is kept.
    Records that are cut short or not well-formed become warnings in ``result``.
    """
    found = re.search(rf"<((?:[\w.\-]+:)?){re.escape(root)}\b([^<>]*)>", text)
    namespaces = found.group(2) if found else ""
    wrapper = f"{found.group(1)}{root}" if found else root
    namespaces = re.sub(r"/\s*$", "", namespaces)
    starts = list(re.finditer(rf"<((?:[\w.\-]+:)?){re.escape(tag)}[\s>]", text))
    lines = LineCounter(text)
    for number, start in enumerate(starts, 1):
        line = lines.at(start.start())
        closing = f"</{start.group(1)}{tag}>"
        following = starts[number].start() if number < len(starts) else len(text)
        end = text.find(closing, start.start(), following)
        if end < 0:
            result.warnings.append(Problem(label, line, f"{tag} {number} has no closing "
                                                        f"{closing} (input cut short?); skipped"))
            continue
        chunk = text[start.start():end + len(closing)]
        if chunk.count("<") > MAX_XML_TAGS:
            raise InputError(Problem(label, line, f"{tag} {number} has more than "
                                                  f"{MAX_XML_TAGS:,} XML tags; not imported"))
        try:
            outer = ET.fromstring(f"<{wrapper}{namespaces}>{chunk}</{wrapper}>")
        except ET.ParseError as exc:
            result.warnings.append(Problem(label, line + exc.position[0] - 1, (
                f"{tag} {number} is not well-formed XML ({exc}); skipped")))
            continue
        element = next(iter(outer), None)
        if element is None:  # pragma: no cover - the chunk always holds one element
            continue
        for node in element.iter():
            if len(node.text or "") > MAX_FIELD_CHARS or len(node.tail or "") > MAX_FIELD_CHARS:
                raise too_long(label, line, f"<{local(node.tag)}> of {tag} {number}")
        yield Record(number, line, element)


def children(element: ET.Element, name: str) -> list[ET.Element]:
    """Direct children with local name ``name``, whatever their namespace."""
    return [child for child in element if local(child.tag) == name]


def text_of(element: ET.Element | None, name: str) -> str:
    """The collapsed text of the first child called ``name`` ('' if none)."""
    if element is None:
        return ""
    for child in element:
        if local(child.tag) == name:
            return collapse_ws("".join(child.itertext()))
    return ""


def texts_of(element: ET.Element, name: str) -> list[str]:
    """The collapsed texts of every child called ``name``, empty ones left out."""
    found = [collapse_ws("".join(child.itertext())) for child in children(element, name)]
    return [value for value in found if value]
