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

from sitegen.errors import InputError, Problem
from sitegen.importers.base import (
    Parsed,
    Skip,
    collapse_ws,
    iso_date,
    make_links,
    source_name,
    tex_to_text,
)
from sitegen.importers.bibmacros import Macros
from sitegen.importers.limits import (
    MAX_FIELD_CHARS,
    LineCounter,
    Warnings,
    check_lines,
    too_long,
)
from sitegen.model import ARXIV_CATEGORY, Paper, Source, When, classify_link, normalize_arxiv

KIND = "bibtex"
_ENTRY_START = re.compile(r"(?m)^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(]")
# Where bibtexparser starts a block (its own pattern), and a line that starts with '@'.
_BLOCK_START = re.compile(r"@\w*[ \t]*(?=[{(])")
_AT_LINE = re.compile(r"(?m)^[^\S\n]*@")
_CHUNK_CHARS = 256_000
_CHUNK_BLOCKS = 500
_MAX_INLINE_BLOCKS = 10_000
_NOT_ENTRIES = frozenset({"comment", "string", "preamble"})
_ARXIV_IN_TEXT = re.compile(
    r"arxiv(?:\.org/(?:abs|pdf)/|(?=[:\s])\s*+:?\s*+)((?:\d{4}\.\d{4,5}|[a-z][a-z.\-]*/\d{7})(?:v\d+)?)",
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
    kind: str = "misc"  # the entry type, lower case


def parse(text: str, label: str) -> Parsed:
    """Every entry of a BibTeX file; entries that cannot be read become warnings."""
    check_lines(text, label, "BibTeX")
    reader = _Reader(label)
    with _quiet():
        for line, chunk in _chunks(text, label):
            reader.read(chunk, line)
    result = Parsed(warnings=reader.warnings)
    for entry in reader.entries:
        try:
            paper = _paper(entry.fields, entry.key, label, entry.kind)
        except Skip as exc:
            result.warnings.append(Problem(label, entry.line, f"entry '{entry.key}' {exc}; "
                                                              "skipped"))
            continue
        paper.lines = {"title": entry.line}
        result.papers.append(paper)
    result.warnings.sort(key=lambda p: p.line)
    return result


def _chunks(text: str, label: str) -> Iterator[tuple[int, str]]:
    """The text in pieces of about :data:`_CHUNK_CHARS`, each with its first line.

    Pieces start where bibtexparser starts a new block anyway (``@name{`` at the start of a
    line: inside an unclosed entry it aborts that entry there), so reading them one by one
    reads the same blocks, while bibtexparser only ever holds one piece's blocks (a block
    it fails on keeps its exception and frames, about 1.6 KB). Entries that start in the
    middle of a line cannot be split off safely; more than :data:`_MAX_INLINE_BLOCKS` in
    one piece are refused.
    """
    lines = LineCounter(text)
    start, starts, inline = 0, 0, 0
    previous, line_start = -1, 0
    for match in _BLOCK_START.finditer(text):
        at = match.start()
        newline = text.rfind("\n", max(previous, 0), at)  # only since the previous mark
        if newline >= 0:
            line_start = newline + 1
        mid_line = (newline < 0 and previous >= 0) or bool(text[line_start:at].strip())
        previous = at
        if mid_line:
            inline += 1
            if inline > _MAX_INLINE_BLOCKS:
                raise InputError(Problem(label, lines.at(at), (
                    f"more than {_MAX_INLINE_BLOCKS:,} entries start in the middle of a line "
                    "before this one; not imported (put each entry on a line of its own)")))
            continue
        starts += 1
        if line_start - start >= _CHUNK_CHARS or starts > _CHUNK_BLOCKS:
            yield lines.at(start), text[start:line_start]
            start, starts, inline = line_start, 1, 0
    yield lines.at(start), text[start:]


class _Reader:
    """Blocks of one input read in order: @string macros, entries and warnings."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.macros = Macros(label)
        self.entries: list[_Entry] = []
        self.warnings = Warnings()

    def read(self, chunk: str, first_line: int) -> None:
        """Read the blocks of one piece of the input, which starts at ``first_line``."""
        import bibtexparser
        from bibtexparser.model import Entry, ImplicitComment, String

        for block in bibtexparser.parse_string(chunk, parse_stack=[]).blocks:
            line = first_line + int(block.start_line or 0)
            error = getattr(block, "error", None)
            if error is not None:
                self.warnings.append(Problem(self.label, line, "BibTeX entry cannot be read "
                                                               f"({_reason(error)}); skipped"))
            elif isinstance(block, String):
                self.macros.define(str(block.key), str(block.value), line)
            elif isinstance(block, Entry):
                self._entry(block, line, first_line)
            elif isinstance(block, ImplicitComment):
                self._comment(str(block.comment), line)

    def _entry(self, block: Any, line: int, first_line: int) -> None:
        key = str(block.key or "") or f"#{len(self.entries) + 1}"
        fields: dict[str, str] = {}
        for fld in block.fields:
            where = first_line + int(fld.start_line or 0) if fld.start_line else line
            raw = str(fld.value)
            name = str(fld.key).lower()
            if len(raw) > MAX_FIELD_CHARS:
                raise too_long(self.label, where, f"field '{name}' of entry '{key}'")
            fields[name] = self.macros.expand(raw, where, f"field '{name}' of entry '{key}'")
        kind = re.sub(r"[^a-z]", "", str(block.entry_type or "misc").lower())[:40] or "misc"
        self.entries.append(_Entry(line, key, fields, kind))

    def _comment(self, text: str, line: int) -> None:
        """Text between entries is a comment to BibTeX, but lines starting with '@' were
        meant as entries: say that they were not read."""
        found = _AT_LINE.search(text)
        if found:
            count = len(_AT_LINE.findall(text))
            where = line + text.count("\n", 0, found.start())
            self.warnings.append(Problem(self.label, where, (
                f"{count:,} line(s) starting with '@' are not BibTeX entries "
                "(@type{key, field = value, ...}); ignored")))


def _reason(error: object) -> str:
    text = collapse_ws(str(error)).split(" Note:")[0]
    if not text or "BlockAborted" in type(error).__name__:
        return "syntax error: an unclosed brace or quote, or a missing comma"
    return text.rstrip(".")


def _paper(fields: dict[str, str], key: str, label: str, kind: str = "misc") -> Paper:
    title = tex_to_text(fields.get("title", ""))
    if not title:
        raise Skip("has no title")
    arxiv = _arxiv_id(fields)
    when = _date(fields, arxiv)
    if when is None:
        raise Skip("has no year (or date)")
    abstract = tex_to_text(fields["abstract"]) if fields.get("abstract") else ""
    doi = re.sub(r"(?i)^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", fields.get("doi", "")).strip()
    authors, complete = split_author_list(fields.get("author", ""))
    paper = Paper(title=title, date=when.day, precision=when.precision, body=abstract,
                  authors=authors, authors_complete=complete, arxiv=arxiv, doi=doi or None,
                  links=make_links([(classify_link(url), url)
                                    for url in [fields.get("url", "")] if url], abstract),
                  source=[Source(KIND, source_name(label))], entry_type=kind, bibtex_key=key)
    venue = (fields.get("journal") or fields.get("journaltitle") or fields.get("booktitle")
             or "")
    if venue and not _ARXIV_IN_TEXT.search(venue) and "arxiv" not in venue.lower():
        paper.venue = tex_to_text(venue) or None
    for name, value in (("event", fields.get("eventtitle")), ("volume", fields.get("volume")),
                        ("number", fields.get("number") or fields.get("issue")),
                        ("pages", fields.get("pages")), ("publisher", fields.get("publisher"))):
        text = tex_to_text(value) if value and not _ARXIV_IN_TEXT.search(value) else ""
        setattr(paper, name, text or None)
    if arxiv:
        category = tex_to_text(fields.get("primaryclass", ""))
        paper.primary_category = category if ARXIV_CATEGORY.fullmatch(category) else None
    return paper


def _arxiv_id(fields: dict[str, str]) -> str | None:
    """The arXiv id from ``eprint`` (when it is one) or ``arXiv:ID`` in other fields."""
    eprint = (fields.get("eprint") or fields.get("arxiv", "")).strip()  # al-folio: arxiv=
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "arxiv").lower()
    if eprint and prefix == "arxiv" and normalize_arxiv(eprint):
        return normalize_arxiv(eprint)
    for name in _ARXIV_FIELDS:
        match = _ARXIV_IN_TEXT.search(fields.get(name, ""))
        if match:
            return normalize_arxiv(match.group(1))
    return None


def _date(fields: dict[str, str], arxiv: str | None) -> When | None:
    """``date`` (biblatex: ``2023``, ``2023-12`` or ``2023-12-12``), else year/month/day,
    else the month an arXiv id was issued; each as precise as the entry is."""
    raw = fields.get("date", "").strip()
    exact = iso_date(raw)
    if exact:
        return When(exact)
    year = re.search(r"\d{4}", fields.get("year", "") or raw)
    if year:
        month = _month(fields.get("month", "")) or _month(raw[5:7] if raw[4:5] == "-" else "")
        day = fields.get("day", "").strip()
        if month is None:
            return When(date(int(year.group()), 1, 1), "year")
        try:
            return When(date(int(year.group()), month, int(day)) if day.isdigit() else
                        date(int(year.group()), month, 1), "day" if day.isdigit() else "month")
        except ValueError:
            return When(date(int(year.group()), month, 1), "month")
    ids = re.match(r"(?:.*/)?(\d{2})(\d{2})", arxiv or "")
    if ids and 1 <= int(ids.group(2)) <= 12:
        century = 1900 if int(ids.group(1)) >= 91 else 2000
        return When(date(century + int(ids.group(1)), int(ids.group(2)), 1), "month")
    return None


def _month(text: str) -> int | None:
    value = text.strip().strip("{}").lower()
    if value.isdigit() and 1 <= int(value) <= 12:
        return int(value)
    return _MONTHS.get(value[:3])


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
    return split_author_list(value)[0]


def split_author_list(value: str) -> tuple[list[str], bool]:
    """BibTeX author list -> (["First Last", ...], complete): ``and others`` means the list
    was cut short, and is not a name."""
    names = []
    complete = True
    for raw in _split_top(collapse_ws(value), re.compile(r"\s+and\s+", re.IGNORECASE)):
        if raw.lower() == "others":
            complete = False
            continue
        if not raw:
            continue
        parts = _split_top(raw, re.compile(r",\s*"))
        if len(parts) == 2:  # Last, First
            raw = f"{parts[1]} {parts[0]}"
        elif len(parts) >= 3:  # Last, Jr, First
            raw = f"{parts[2]} {parts[0]} {parts[1]}"
        name = tex_to_text(raw)
        if name:
            names.append(name)
    return names, complete
