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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice

from sitegen.errors import InputError, Problem
from sitegen.frontmatter import MAX_TITLE_CHARS
from sitegen.importers.base import Parsed, make_links, source_name
from sitegen.importers.limits import MAX_FIELD_CHARS, check_lines
from sitegen.model import Organization, Paper, Source

KIND = "hf-daily-listing"
# Page chrome: header, navigation and footer lines of huggingface.co pages, skipped anywhere.
CHROME = frozenset({
    "new", "get trending papers in your email inbox!", "subscribe", "daily papers",
    "byak and the research community", "by ak and the research community", "trending papers",
    "upvoted", "submitted by", "load more", "previous", "next", "search", "sign up", "log in",
    "hugging face", "models", "datasets", "spaces", "community", "docs", "enterprise",
    "pricing", "papers", "collections", "posts", "system theme", "company", "tos", "privacy",
    "about", "jobs", "careers", "website", "blog", "learn", "status", "changelog",
})
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_MON = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
DATE_LINE = re.compile(rf"^(?:(?:published|submitted)(?:\s+on)?\s+)?{_MON}\s+(\d{{1,2}}),\s*"
                       rf"(\d{{4}})(?:\s+(\d{{1,9}})(?:\s+comments?)?)?$", re.IGNORECASE)
HEADER_DATE = re.compile(rf"^{_MON}\s+(\d{{1,2}})$", re.IGNORECASE)
AUTHORS = re.compile(r"^[•·*\-]?\s*(\d{1,6})\s+authors?$", re.IGNORECASE)
# An organization line: an HF org id, then its display name (which may contain spaces).
ORG_LINE = re.compile(r"^[A-Za-z0-9][\w.\-]{0,95}(?: [^\s].{0,99})?$")
DOTS = frozenset({"·", "•", "⋅"})
# Longer than this, a multi-line first block is a title followed by an abstract.
_WRAPPED_TITLE_CHARS = 300


# Longer than this, a line is no date, dot or author-count line (only its end may hold one).
_ANCHOR_CHARS = 200
# A run of blank lines: read as one blank line. (One greedy class, not a repeated group:
# the regular expression engine runs it as a tight loop, 50 MB of newlines in 0.1 s.)
_BLANK_RUN = re.compile(r"\s*\n")


@dataclass(slots=True)
class _Line:
    number: int
    text: str


def _month(name: str) -> int:
    return _MONTHS[name[:3].lower()]


def _raw_lines(text: str) -> Iterator[tuple[int, str]]:
    """(number, line) one at a time, a run of blank lines given once.

    Lazily, so that memory does not grow with the number of lines, and a run of a
    million blank lines costs one step (blank lines only separate blocks).
    """
    number, start, size = 1, 0, len(text)
    while start <= size:
        end = text.find("\n", start)
        end = size if end < 0 else end
        yield number, text[start:end]
        start = end + 1
        run = _BLANK_RUN.match(text, start)
        if run and run.end() > start:
            yield number + 1, ""
            number += text.count("\n", start, run.end())
            start = run.end()
        number += 1


def _lines(text: str) -> Iterator[_Line]:
    """Input lines, whitespace squeezed; ``meta · date`` on one line is split in three."""
    for number, raw in _raw_lines(text):
        line = " ".join(raw.split())
        head, dot, tail = line.rpartition(" · ")
        if dot and DATE_LINE.match(tail):
            yield from (_Line(number, head), _Line(number, "·"), _Line(number, tail))
        else:
            yield _Line(number, line)


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


def _split_meta(segment: list[_Line]) -> tuple[list[list[_Line]], _Line | None]:
    """Separate the ``• N authors`` / organization line from the title and abstract blocks."""
    lines = list(segment)
    while lines and not lines[-1].text:
        lines.pop()
    had_dot = bool(lines) and lines[-1].text in DOTS
    blocks = _blocks([ln for ln in lines if ln.text not in DOTS])
    if not blocks:
        return [], None
    last = blocks[-1][-1]
    is_org = (had_dot and len(blocks) >= 2 and len(blocks[-1]) == 1
              and "://" not in last.text and ORG_LINE.match(last.text) is not None
              and not last.text.endswith((".", ",", ";", ":", "!", "?")))
    if not (AUTHORS.match(last.text) or is_org):
        return blocks, None
    rest = blocks[-1][:-1]
    return blocks[:-1] + ([rest] if rest else []), last


def _meta(line: _Line | None) -> tuple[int | None, Organization | None]:
    """Read ``• N authors`` or ``<org id> <org display name>``."""
    if line is None:
        return None, None
    match = AUTHORS.match(line.text)
    if match:
        return int(match.group(1)), None
    org_id, _, name = line.text.partition(" ")
    return None, Organization(org_id, name.strip() or org_id)


def _paper_from(segment: list[_Line], when: date, comments: int, label: str
                ) -> tuple[Paper | None, Problem | None]:
    """Build one paper from the lines between two date lines."""
    blocks, meta = _split_meta(segment)
    if not blocks:
        if meta is None:
            return None, None
        return None, Problem(label, meta.number, "paper block has no title; skipped")
    first = blocks[0]
    start = first[0].number
    if len(first) > 1 and sum(len(ln.text) for ln in first) > _WRAPPED_TITLE_CHARS:
        blocks = [first[:1], first[1:]] + blocks[1:]
    title = " ".join(ln.text for ln in blocks[0])
    if len(title) > MAX_TITLE_CHARS:
        return None, Problem(label, start, f"paper title is longer than {MAX_TITLE_CHARS} "
                                           "characters (is a blank line missing?); skipped")
    abstract = "\n\n".join(" ".join(ln.text for ln in block) for block in blocks[1:])
    author_count, org = _meta(meta)
    paper = Paper(title=title, date=when, body=abstract, author_count=author_count,
                  organization=org, comments=comments, links=make_links([], abstract))
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


@dataclass
class _State:
    """What the line loop has seen so far."""

    header: tuple[int, int] | None = None
    full_header: date | None = None
    started: bool = False  # a paper date line has been read: no page header can follow


def parse_listing(text: str, label: str, listed: date | None = None) -> Parsed:
    """Every paper in a Daily Papers page text; unreadable blocks become warnings."""
    check_lines(text, label, "a Daily Papers listing")
    result = Parsed()
    state = _State()
    segment: list[_Line] = []
    size = 0  # characters in the segment: a paper block is held to MAX_FIELD_CHARS
    for line in _lines(text):
        if line.text.casefold() in CHROME:
            continue
        head = HEADER_DATE.match(line.text)
        if head and _on_header_line(line, head, segment, state, result, label):
            segment, size = [], 0  # whatever came before the page's date was page chrome
            continue
        found = DATE_LINE.match(line.text)
        if not found:
            segment.append(line)
            size += len(line.text) + 1
            if size > MAX_FIELD_CHARS:
                raise _block_too_long(segment, label)
            continue
        state.started = _on_date_line(line, found, segment, state, result, label) or state.started
        segment, size = [], 0
    leftover = [ln for ln in segment if ln.text]
    if leftover:
        result.warnings.append(Problem(label, leftover[0].number,
                                       "incomplete paper at the end of the input (no date line); "
                                       "skipped"))
    newest = max((p.date for p in result.papers), default=None)
    when_listed = listed or state.full_header or _resolve_listed(state.header, newest)
    for paper in result.papers:
        paper.listed = when_listed
        paper.source = [Source(KIND, source_name(label), when_listed)]
    return result


def _block_too_long(segment: list[_Line], label: str) -> InputError:
    first = next((ln for ln in segment if ln.text), segment[0])
    return InputError(Problem(label, first.number, (
        f"no date line in the {MAX_FIELD_CHARS:,} characters from here (a paper's title and "
        "abstract are at most that long); not imported (is this a Daily Papers listing?)")))


def _on_header_line(line: _Line, head: re.Match[str], segment: list[_Line], state: _State,
                    result: Parsed, label: str) -> bool:
    """True when a ``Mon D`` line is the page header (or a repeat of it between papers).

    Only the first one before any paper is the header; the text it ends is page chrome,
    reported if it is not known chrome, since it may be a paper whose header is missing.
    Later ones inside a paper block are ordinary text of that block (False).
    """
    if any(ln.text for ln in segment) and (state.started or state.header is not None):
        return False
    if state.header is None and not state.started:
        state.header = (_month(head.group(1)), int(head.group(2)))
        _unknown_chrome(segment, line, result, label)
    return True


def _unknown_chrome(segment: list[_Line], header: _Line, result: Parsed, label: str) -> None:
    """Warn about text before the page header that is not known chrome: it may be a paper."""
    text = [ln for ln in segment if ln.text]
    if text:
        result.warnings.append(Problem(
            label, text[0].number, f"{len(text)} line(s) before the page date '{header.text}' "
            f"(line {header.number}) are not known page chrome; ignored"))


def _on_date_line(line: _Line, found: re.Match[str], segment: list[_Line], state: _State,
                  result: Parsed, label: str) -> bool:
    """A date line ends a paper: build it, or explain why there is none.

    True when it was a paper's date line (even a broken one), False for the page header.
    """
    try:
        when = date(int(found.group(3)), _month(found.group(1)), int(found.group(2)))
    except ValueError:
        result.warnings.append(Problem(label, line.number, f"'{line.text}' is not a valid date; "
                                                           "paper skipped"))
        return True
    card = any(ln.text in DOTS or AUTHORS.match(ln.text) for ln in segment)
    if not card and not result.papers and state.header is None and found.group(4) is None:
        state.full_header = when  # a page header that carries its year ("Jan 9, 2026")
        state.header = (when.month, when.day)
        _unknown_chrome(segment, line, result, label)
        return False
    if not card and any(ln.text for ln in segment):
        first = next(ln for ln in segment if ln.text)
        result.warnings.append(Problem(label, first.number, "paper block has no '·' line or "
                                                            "author count before its date line "
                                                            f"(line {line.number}); skipped"))
        return True
    paper, problem = _paper_from(segment, when, int(found.group(4) or 0), label)
    if problem:
        result.warnings.append(problem)
    if paper:
        result.papers.append(paper)
    elif not problem:
        result.warnings.append(Problem(label, line.number, f"date line '{line.text}' has no "
                                                           "paper before it; skipped"))
    return True


def looks_like_listing(text: str) -> bool:
    """True when the text has the date-line anchors of a listing page.

    Anchors are short: of a long line only its end is looked at (it may end in
    ``· Jan 5, 2026``), so that telling formats apart never splits a huge line into words.
    """
    dated = carded = False
    for _, raw in islice(_raw_lines(text), 4000):
        line = " ".join(raw[-_ANCHOR_CHARS:].split())
        head, dot, tail = line.rpartition(" · ")
        if dot and DATE_LINE.match(tail):
            return True
        dated = dated or DATE_LINE.match(line) is not None
        carded = carded or line in DOTS or AUTHORS.match(line) is not None
        if dated and carded:
            return True
    return False
