"""Parse the text of a Hugging Face "Daily Papers" page.

Layout (see docs/content-format.md): page chrome, the date the page was
viewed (``Jan 9``, no year), then for every paper a title block, an abstract,
``• N authors`` or ``<org id> <org name>``, a ``·`` line and ``Mon D, YYYY``
optionally followed by the comment count. The parser anchors on the date
lines, so chrome that is missing, repeated or out of place does not matter,
and a block it cannot read becomes a warning with its line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sitegen.errors import Problem
from sitegen.importers.base import Parsed, find_urls
from sitegen.model import Link, Organization, Paper, Source, classify_link

KIND = "hf-daily-listing"
CHROME = frozenset({
    "new", "get trending papers in your email inbox!", "subscribe", "daily papers",
    "byak and the research community", "trending papers", "upvoted", "submitted by",
})
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_MON = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
DATE_LINE = re.compile(rf"^{_MON}\s+(\d{{1,2}}),\s*(\d{{4}})(?:\s+(\d{{1,9}}))?$", re.IGNORECASE)
HEADER_DATE = re.compile(rf"^{_MON}\s+(\d{{1,2}})$", re.IGNORECASE)
AUTHORS = re.compile(r"^[•·*\-]?\s*(\d{1,6})\s+authors?$", re.IGNORECASE)
DOT = "·"


@dataclass
class _Line:
    number: int
    text: str


def _month(name: str) -> int:
    return _MONTHS[name[:3].lower()]


def _blocks(lines: list[_Line]) -> list[list[_Line]]:
    """Group lines into blank-line separated blocks."""
    blocks: list[list[_Line]] = []
    current: list[_Line] = []
    for line in lines:
        if line.text:
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _meta(line: str) -> tuple[int | None, Organization | None]:
    """Read ``• N authors`` or ``<org id> <org display name>``."""
    match = AUTHORS.match(line)
    if match:
        return int(match.group(1)), None
    org_id, _, name = line.partition(" ")
    return None, Organization(org_id, name.strip() or org_id)


def _paper_from(segment: list[_Line], when: date, comments: int, label: str
                ) -> tuple[Paper | None, Problem | None]:
    """Build one paper from the lines between two date lines."""
    body_lines = [ln for ln in segment if ln.text != DOT]
    blocks = _blocks(body_lines)
    if not blocks:
        return None, None
    start = blocks[0][0].number
    meta_block = blocks[-1]
    meta_line = meta_block[-1]
    looks_meta = AUTHORS.match(meta_line.text) or (len(blocks) >= 3 and len(meta_block) == 1)
    if not looks_meta:
        return None, Problem(label, start, "paper block has no author count or organization line "
                                           "before its date; skipped")
    rest = meta_block[:-1]
    blocks = blocks[:-1] + ([rest] if rest else [])
    if not blocks:
        return None, Problem(label, meta_line.number, "paper block has no title; skipped")
    title = " ".join(ln.text for ln in blocks[0])
    abstract = "\n\n".join(" ".join(ln.text for ln in block) for block in blocks[1:])
    author_count, org = _meta(meta_line.text)
    links = [Link(classify_link(url), url) for url in find_urls(abstract)]
    paper = Paper(title=title, date=when, body=abstract, author_count=author_count,
                  organization=org, comments=comments, links=links)
    paper.lines = {"title": start}
    return paper, None


def _resolve_listed(header: tuple[int, int] | None, newest: date | None) -> date | None:
    """The first ``month day`` on or after the newest paper's date."""
    if header is None:
        return None
    month, day = header
    year = newest.year if newest else date.today().year
    for offset in range(9):
        try:
            candidate = date(year + offset, month, day)
        except ValueError:
            continue
        if newest is None or candidate >= newest:
            return candidate
    return None


def parse_listing(text: str, label: str, listed: date | None = None) -> Parsed:
    """Every paper in a Daily Papers page text; unreadable blocks become warnings."""
    result = Parsed()
    header: tuple[int, int] | None = None
    segment: list[_Line] = []
    for number, raw in enumerate(text.split("\n"), 1):
        line = " ".join(raw.split())
        if line.casefold() in CHROME:
            continue
        head = HEADER_DATE.match(line)
        if head:
            if header is None:
                header = (_month(head.group(1)), int(head.group(2)))
            continue
        found = DATE_LINE.match(line)
        if not found:
            segment.append(_Line(number, line))
            continue
        try:
            when = date(int(found.group(3)), _month(found.group(1)), int(found.group(2)))
        except ValueError:
            result.warnings.append(Problem(label, number, f"'{line}' is not a valid date; "
                                                          "paper skipped"))
            segment = []
            continue
        paper, problem = _paper_from(segment, when, int(found.group(4) or 0), label)
        if problem:
            result.warnings.append(problem)
        if paper:
            result.papers.append(paper)
        elif not problem and not any(ln.text for ln in segment):
            result.warnings.append(Problem(label, number, f"date line '{line}' has no paper "
                                                          "before it; skipped"))
        segment = []
    leftover = [ln for ln in segment if ln.text]
    if leftover:
        result.warnings.append(Problem(label, leftover[0].number,
                                       "incomplete paper at the end of the input (no date line); "
                                       "skipped"))
    newest = max((p.date for p in result.papers), default=None)
    when_listed = listed or _resolve_listed(header, newest)
    for paper in result.papers:
        paper.listed = when_listed
        paper.source = [Source(KIND, label.rsplit("/", 1)[-1], when_listed)]
    return result


def looks_like_listing(text: str) -> bool:
    """True when the text has the date-line anchors of a listing page."""
    lines = [" ".join(line.split()) for line in text.split("\n")[:4000]]
    return any(DATE_LINE.match(line) for line in lines) and any(
        line == DOT or AUTHORS.match(line) for line in lines)
