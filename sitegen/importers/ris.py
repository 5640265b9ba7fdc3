"""Read RIS (``TY  - JOUR`` ... ``ER  -``) with rispy.

The text is cut into records at their ``TY`` and ``ER`` lines first, so that
each record is read by rispy on its own: a broken one is a warning at its line,
and a line that is not a ``XX  - value`` tag (nor the continuation of one) is
counted and reported. ``PY``/``Y1``/``DA`` give the date (``2012/09/01/``, or a
year alone, taken as 1 January); an arXiv id comes from ``UR``, ``DO`` (the
arXiv DOI ``10.48550/arXiv.N``), ``N1`` or ``M1``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import rispy

from sitegen.errors import Problem
from sitegen.importers.base import (
    Parsed,
    Skip,
    collapse_ws,
    make_links,
    set_extra,
    source_name,
    unwrap_paragraphs,
)
from sitegen.importers.limits import MAX_FIELD_CHARS, check_lines, too_long
from sitegen.model import Paper, Source, normalize_arxiv

KIND = "ris"
_TAG = re.compile(r"^([A-Z][A-Z0-9])  - ?(.*)$")
_START = re.compile(r"(?m)^\ufeff?TY  - ")
_NEXT_TAG = re.compile(r"(?m)^[A-Z][A-Z0-9]  -")
_DATE = re.compile(r"(\d{4})(?:[/-](\d{1,2})?(?:[/-](\d{1,2})?)?)?")
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(\S+)", re.IGNORECASE)


def looks_like(text: str) -> bool:
    """A ``TY  - `` line near the start followed by another tag line (a file cut short
    before its ``ER  -`` line is still RIS, and is reported as cut short)."""
    start = _START.search(text[:20_000])
    return start is not None and _NEXT_TAG.search(text, start.end(), start.end() + 20_000) \
        is not None


def parse(text: str, label: str) -> Parsed:
    """Every RIS record; unreadable records and stray lines become warnings."""
    check_lines(text, label, "an RIS file")
    result = Parsed()
    stray: list[int] = []
    record: list[str] = []
    first = size = 0  # the record's first line and its characters so far
    for number, raw in enumerate(text.split("\n"), 1):  # not splitlines: \f is no line end
        line = raw.lstrip("\ufeff").rstrip()
        tag = _TAG.match(line)
        if tag and tag.group(1) == "TY":
            if record:
                result.warnings.append(Problem(label, first, "record has no 'ER  -' line before "
                                                             "the next 'TY'; skipped"))
            record, first, size = [line], number, len(line)
        elif tag and tag.group(1) == "ER":
            if record:
                _read(record + ["ER  - "], first, label, result)
            else:
                stray.append(number)
            record = []
        elif record:
            record.append(line)
            size += len(line) + 1
            if size > MAX_FIELD_CHARS:
                raise too_long(label, first, "an RIS record")
        elif line:
            stray.append(number)
    if record:
        result.warnings.append(Problem(label, first, "the last record has no 'ER  -' line "
                                                     "(input cut short?); skipped"))
    if stray:
        where = ", ".join(f"{label}:{n}" for n in stray[:3])
        result.warnings.append(Problem(label, stray[0], (
            f"{len(stray)} line(s) outside any TY ... ER record were not understood "
            f"(first: {where}); ignored")))
    return result


def _read(lines: list[str], first: int, label: str, result: Parsed) -> None:
    try:
        entries = rispy.loads("\n".join(lines))
    except Exception as exc:  # rispy raises plain exceptions of several kinds
        result.warnings.append(Problem(label, first, f"record is not valid RIS ({exc}); skipped"))
        return
    for entry in entries:
        try:
            paper = _paper(entry, label)
        except Skip as exc:
            result.warnings.append(Problem(label, first, f"record {exc}; skipped"))
            continue
        paper.lines = {"title": first}
        result.papers.append(paper)


def _one(entry: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, list):
            value = value[0] if value else ""
        if isinstance(value, str) and value.strip():
            return collapse_ws(value)
    return ""


def _date(entry: dict[str, Any], extra: dict[str, Any]) -> date | None:
    for key in ("date", "year", "publication_year"):
        found = _DATE.match(_one(entry, key))
        if not found:
            continue
        year, month, day = (int(g) if g else 0 for g in found.groups())
        if not month:
            extra["date_precision"] = "year"
        try:
            return date(year, month or 1, day or 1)
        except ValueError:
            continue
    return None


def _paper(entry: dict[str, Any], label: str) -> Paper:
    title = _one(entry, "title", "primary_title", "translated_title")
    if not title:
        raise Skip("has no title (TI or T1)")
    extra: dict[str, Any] = {}
    when = _date(entry, extra)
    if when is None:
        raise Skip(f"({title[:60]}) has no date (PY, Y1 or DA)")
    authors: list[str] = []
    for key in ("authors", "first_authors"):
        for name in entry.get(key) or []:
            last, comma, first = collapse_ws(str(name)).partition(", ")
            full = f"{first} {last}" if comma else last
            if full and full not in authors:
                authors.append(full)
    urls = [u for u in entry.get("urls") or [] if isinstance(u, str)]
    doi = _one(entry, "doi") or None
    arxiv = None
    for candidate in [*urls, doi or "", _one(entry, "notes"), _one(entry, "note")]:
        found = _ARXIV_DOI.search(candidate)
        arxiv = normalize_arxiv(found.group(1) if found else candidate)
        if arxiv:
            break
    summary = unwrap_paragraphs(_one(entry, "abstract", "notes_abstract"))
    venue = _one(entry, "journal_name", "secondary_title", "alternate_title3")
    if venue:
        extra["venue"] = venue
    paper = Paper(title=title, date=when, body=summary, authors=authors, arxiv=arxiv, doi=doi,
                  links=make_links([("paper", u) for u in urls], summary),
                  source=[Source(KIND, source_name(label))])
    set_extra(paper, extra)
    return paper
