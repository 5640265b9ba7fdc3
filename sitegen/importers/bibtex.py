"""Read BibTeX with bibtexparser (version 2 API, ``bibtexparser.parse_string``).

Values are turned from TeX into display text: accents and escapes become
Unicode (``{\\"o}`` -> ``ö``, ``\\&`` -> ``&``, ``--`` -> ``–``), case-protecting
braces go and ``$math$`` stays as written. Authors (``Last, First`` or
``First Last``, split on ``and``) become "First Last". An arXiv id is taken
from ``eprint`` or from ``arXiv:NNNN.NNNNN`` in ``journal``, ``note`` and
similar fields. An entry bibtexparser cannot read is a warning at its line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from sitegen.errors import Problem
from sitegen.importers.base import (
    Parsed,
    Skip,
    collapse_ws,
    iso_date,
    line_at,
    make_links,
    source_name,
    tex_to_text,
)
from sitegen.model import Paper, Source, classify_link, normalize_arxiv

KIND = "bibtex"
_ENTRY_START = re.compile(r"(?m)^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(]")
_NOT_ENTRIES = frozenset({"comment", "string", "preamble"})
_ARXIV_IN_TEXT = re.compile(
    r"arxiv(?:\.org/(?:abs|pdf)/|\s*[:\s]\s*)((?:\d{4}\.\d{4,5}|[a-z][a-z.\-]*/\d{7})(?:v\d+)?)",
    re.IGNORECASE)
_ARXIV_FIELDS = ("journal", "note", "howpublished", "url", "volume", "booktitle")
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


def looks_like(text: str) -> bool:
    """Text with at least one ``@type{`` entry that is not a comment or macro."""
    return any(m.group(1).lower() not in _NOT_ENTRIES
               for m in _ENTRY_START.finditer(text[:1_000_000]))


@contextmanager
def _quiet() -> Iterator[None]:
    """bibtexparser logs each parsing failure; they are reported as warnings instead."""
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


@dataclass
class _Entry:
    """One entry as read: its line, citation key and fields (names lower-cased)."""

    line: int
    key: str
    fields: dict[str, str]


def parse(text: str, label: str) -> Parsed:
    """Every entry of a BibTeX file; entries that cannot be read become warnings."""
    import bibtexparser

    result = Parsed()
    with _quiet():
        if hasattr(bibtexparser, "parse_string"):
            entries, result.warnings = _read_v2(bibtexparser.parse_string(text), label)
        else:  # pragma: no cover - bibtexparser 1.x, which has no parse_string
            loads = getattr(bibtexparser, "loads")  # noqa: B009 - absent from version 2
            entries, result.warnings = _read_v1(loads(text).entries, text, label)
    for entry in entries:
        try:
            paper = _paper(entry.fields, entry.key, label)
        except Skip as exc:
            result.warnings.append(Problem(label, entry.line, f"entry '{entry.key}' {exc}; "
                                                              "skipped"))
            continue
        paper.lines = {"title": entry.line}
        result.papers.append(paper)
    result.warnings.sort(key=lambda p: p.line)
    return result


def _read_v2(library: Any, label: str) -> tuple[list[_Entry], list[Problem]]:
    """Entries and failed blocks of a bibtexparser 2 library, with their lines."""
    entries: list[_Entry] = []
    problems: list[Problem] = []
    for block in library.blocks:
        line = int(getattr(block, "start_line", -1) or 0) + 1
        error = getattr(block, "error", None)
        if error is not None:
            problems.append(Problem(label, line, f"BibTeX entry cannot be read "
                                                 f"({_reason(error)}); skipped"))
        elif hasattr(block, "fields_dict"):  # not a comment, @string or @preamble
            fields = {str(name).lower(): str(getattr(fld, "value", fld))
                      for name, fld in block.fields_dict.items()}
            key = str(getattr(block, "key", "") or f"#{len(entries) + 1}")
            entries.append(_Entry(line, key, fields))
    return entries, problems


def _read_v1(items: list[dict[str, str]], text: str,
             label: str) -> tuple[list[_Entry], list[Problem]]:  # pragma: no cover
    """Entries of a bibtexparser 1 database; entries it dropped are found in the text."""
    starts = [(m, line_at(text, m.start())) for m in _ENTRY_START.finditer(text)
              if m.group(1).lower() not in _NOT_ENTRIES]
    keys = {str(item.get("ID", "")) for item in items}
    entries, problems = [], []
    for match, line in starts:
        key = re.match(r"\s*([^\s,{}()]+)\s*,", text[match.end():])
        found = [item for item in items if key and item.get("ID") == key.group(1)]
        if found:
            fields = {k.lower(): str(v) for k, v in found[0].items()
                      if k not in ("ID", "ENTRYTYPE")}
            entries.append(_Entry(line, str(found[0]["ID"]), fields))
            keys.discard(str(found[0]["ID"]))
        else:
            problems.append(Problem(label, line, "BibTeX entry cannot be read (syntax error: an "
                                                 "unclosed brace or quote, or a missing comma); "
                                                 "skipped"))
    return entries, problems


def _reason(error: object) -> str:
    text = collapse_ws(str(error)).split(" Note:")[0]
    if not text or "BlockAborted" in type(error).__name__:
        return "syntax error: an unclosed brace or quote, or a missing comma"
    return text.rstrip(".")


def _paper(fields: dict[str, str], key: str, label: str) -> Paper:
    title = tex_to_text(fields.get("title", ""))
    if not title:
        raise Skip("has no title")
    arxiv = _arxiv_id(fields)
    when = _date(fields, arxiv)
    if when is None:
        raise Skip("has no year (or date)")
    abstract = tex_to_text(fields["abstract"]) if fields.get("abstract") else ""
    doi = re.sub(r"(?i)^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", fields.get("doi", "")).strip()
    paper = Paper(title=title, date=when, body=abstract, authors=split_authors(
        fields.get("author", "")), arxiv=arxiv, doi=doi or None,
        links=make_links([(classify_link(url), url) for url in [fields.get("url", "")] if url],
                         abstract),
        source=[Source(KIND, source_name(label))])
    paper.extra = {"bibtex_key": key}
    venue = fields.get("journal") or fields.get("booktitle") or ""
    if venue and not _ARXIV_IN_TEXT.search(venue) and "arxiv" not in venue.lower():
        paper.extra["venue"] = tex_to_text(venue)
    return paper


def _arxiv_id(fields: dict[str, str]) -> str | None:
    """The arXiv id from ``eprint`` (when it is one) or ``arXiv:ID`` in other fields."""
    eprint = fields.get("eprint", "").strip()
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "arxiv").lower()
    if eprint and prefix == "arxiv" and normalize_arxiv(eprint):
        return normalize_arxiv(eprint)
    for name in _ARXIV_FIELDS:
        match = _ARXIV_IN_TEXT.search(fields.get(name, ""))
        if match:
            return normalize_arxiv(match.group(1))
    return None


def _date(fields: dict[str, str], arxiv: str | None) -> date | None:
    """``date`` (biblatex), else year/month/day (month 1 and day 1 when missing),
    else the month an arXiv id was issued."""
    exact = iso_date(fields.get("date"))
    if exact:
        return exact
    year = re.search(r"\d{4}", fields.get("year", "") or fields.get("date", ""))
    if year:
        month = _month(fields.get("month", ""))
        day = fields.get("day", "").strip()
        try:
            return date(int(year.group()), month, int(day) if day.isdigit() else 1)
        except ValueError:
            return date(int(year.group()), month, 1)
    ids = re.match(r"(?:.*/)?(\d{2})(\d{2})", arxiv or "")
    if ids and 1 <= int(ids.group(2)) <= 12:
        century = 1900 if int(ids.group(1)) >= 91 else 2000
        return date(century + int(ids.group(1)), int(ids.group(2)), 1)
    return None


def _month(text: str) -> int:
    value = text.strip().strip("{}").lower()
    if value.isdigit() and 1 <= int(value) <= 12:
        return int(value)
    return _MONTHS.get(value[:3], 1)


def _split_top(text: str, separator: re.Pattern[str]) -> list[str]:
    """Split ``text`` where ``separator`` matches outside braces."""
    parts, depth, start, pos = [], 0, 0, 0
    while pos < len(text):
        char = text[pos]
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            match = separator.match(text, pos)
            if match:
                parts.append(text[start:pos])
                start = pos = match.end()
                continue
        pos += 1
    parts.append(text[start:])
    return [part.strip() for part in parts]


def split_authors(value: str) -> list[str]:
    """BibTeX author list -> ["First Last", ...]; ``others`` is left out."""
    names = []
    for raw in _split_top(collapse_ws(value), re.compile(r"\s+and\s+", re.IGNORECASE)):
        if not raw or raw.lower() == "others":
            continue
        parts = _split_top(raw, re.compile(r",\s*"))
        if len(parts) == 2:  # Last, First
            raw = f"{parts[1]} {parts[0]}"
        elif len(parts) >= 3:  # Last, Jr, First
            raw = f"{parts[2]} {parts[0]} {parts[1]}"
        name = tex_to_text(raw)
        if name:
            names.append(name)
    return names
