"""Read arXiv metadata: API Atom responses and the metadata snapshot's JSON lines.

Both give the id with its version (``2102.03929v1``, ``quant-ph/0210005v1``):
the bare id goes into ``arxiv``, the version number into ``extra["arxiv_version"]``.
``date`` is the first version's date. The author's free-text comment goes into
``extra["arxiv_comment"]``, never into ``comments`` (the Hugging Face comment
count). Each Atom entry is parsed on its own, so one broken entry is a warning
at its line and the others are still read.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any

from sitegen.errors import InputError, Problem
from sitegen.importers.base import (
    Parsed,
    Skip,
    as_text,
    collapse_ws,
    iso_date,
    make_links,
    source_name,
    tex_to_text,
    unwrap_paragraphs,
)
from sitegen.importers.jsonread import json_records
from sitegen.importers.limits import MAX_FIELD_CHARS, MAX_XML_TAGS, LineCounter, too_long
from sitegen.model import ARXIV_CATEGORY, Paper, Source, normalize_arxiv

ATOM_KIND = "arxiv-atom"
JSONL_KIND = "arxiv-jsonl"
_A = "{http://www.w3.org/2005/Atom}"
_X = "{http://arxiv.org/schemas/atom}"
_DEFAULT_NS = ' xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"'
_VERSION = re.compile(r"v(\d+)$")
# The feed's start tag (its prefix, if any, and its attributes) and each entry's start tag,
# unprefixed or with the prefix a feed may bind to Atom (``<atom:entry>``).
# (Attributes stop at the next "<" too: on text of many "<feed" without a ">", each try
# then ends at the next one instead of at the end of the text.)
_FEED = re.compile(r"<(?:([\w.\-]+):)?feed\b([^<>]*)>")
_ENTRY = re.compile(r"<((?:[\w.\-]+:)?)entry[\s>]")
# The head of a summary in the feeds of rss.arxiv.org: "arXiv:2509.13332v1 Announce Type: new
# Abstract: ...". The announcement type goes into extra, the rest is the abstract.
_ANNOUNCED = re.compile(r"\s*arXiv:\S+\s+Announce Type:\s*([\w-]+)\s*(?:Abstract:\s*)?",
                        re.IGNORECASE)
_DC = "{http://purl.org/dc/elements/1.1/}"
_SNAPSHOT_KEYS = re.compile(r'"(?:authors_parsed|versions|journal-ref|update_date)"\s*:')


def looks_like_atom(text: str) -> bool:
    """An Atom feed (the arXiv API answers with one)."""
    head = text[:5000]
    return "<feed" in head and "http://www.w3.org/2005/Atom" in head


def looks_like_jsonl(text: str) -> bool:
    """JSON objects with the keys of the arXiv metadata snapshot."""
    return text.lstrip().startswith("{") and _SNAPSHOT_KEYS.search(text[:50_000]) is not None


def announcement(summary: str) -> tuple[str | None, str]:
    """The announcement type of a feed summary and the abstract after it."""
    found = _ANNOUNCED.match(summary)
    if not found:
        return None, summary
    return found.group(1).lower(), summary[found.end():]


def creators(value: str) -> list[str]:
    """``dc:creator`` of the arXiv feeds, "A, B and C", as names."""
    names = re.split(r",\s*(?:and\s+)?|\s+and\s+", collapse_ws(value))
    return [name for name in (n.strip() for n in names) if name]


def split_id(raw: str) -> tuple[str, int | None]:
    """``http://arxiv.org/abs/2102.03929v2`` or ``oai:arXiv.org:2102.03929v2`` ->
    (``2102.03929``, 2)."""
    raw = re.sub(r"(?i)^\s*oai:arxiv\.org:", "", raw)
    arxiv_id = normalize_arxiv(raw)
    if arxiv_id is None:
        raise Skip(f"'{collapse_ws(raw)[:80]}' is not an arXiv id")
    version = _VERSION.search(raw.strip())
    return arxiv_id, int(version.group(1)) if version else None


def fill_arxiv(paper: Paper, version: int | None, categories: list[str], primary: str,
          journal_ref: str, comment: str) -> None:
    """The arXiv-only fields: arXiv categories (primary first) apart from MSC and ACM codes."""
    paper.arxiv_version = version
    codes = list(dict.fromkeys(c for c in categories if c))
    arxiv = [c for c in codes if ARXIV_CATEGORY.fullmatch(c)]
    paper.primary_category = primary if ARXIV_CATEGORY.fullmatch(primary) else (
        arxiv[0] if arxiv else None)
    if paper.primary_category:
        arxiv = [paper.primary_category] + [c for c in arxiv if c != paper.primary_category]
    paper.categories = arxiv
    paper.classes = [c for c in codes if not ARXIV_CATEGORY.fullmatch(c)]
    paper.journal_ref = journal_ref or None
    paper.arxiv_comment = comment or None


def tex_quotes(text: str) -> str:
    """TeX quotes (two backquotes ... two apostrophes) as typographic double quotes."""
    if "``" not in text:
        return text
    return re.sub(r"``(.*?)''", "\u201c\\1\u201d", text, flags=re.DOTALL)


# --- Atom ---------------------------------------------------------------------------------


def parse_atom(text: str, label: str) -> Parsed:
    """Every entry of an arXiv API response; entries that cannot be read become warnings."""
    result = Parsed()
    feed = _FEED.search(text)
    namespaces = feed.group(2) if feed and "xmlns" in feed.group(2) else _DEFAULT_NS
    starts = list(_ENTRY.finditer(text))
    lines = LineCounter(text)
    for number, found in enumerate(starts, 1):
        start = found.start()
        line = lines.at(start)
        closing = f"</{found.group(1)}entry>"
        following = starts[number].start() if number < len(starts) else len(text)
        end = text.find(closing, start, following)  # never past the next entry: linear
        if end < 0:
            result.warnings.append(Problem(label, line, f"entry {number} has no closing "
                                                        f"{closing} (input cut short?); skipped"))
            continue
        chunk = text[start:end + len(closing)]
        if chunk.count("<") > MAX_XML_TAGS:
            raise InputError(Problem(label, line, f"entry {number} has more than "
                                                  f"{MAX_XML_TAGS:,} XML tags; not imported"))
        try:
            element = _atom_entry(ET.fromstring(f"<feed{namespaces}>{chunk}</feed>"), namespaces)
            _check_lengths(element, label, line, number)
            paper = _atom_paper(element, label)
        except ET.ParseError as exc:
            where = line + exc.position[0] - 1
            result.warnings.append(Problem(label, where, f"entry {number} is not well-formed "
                                                         f"XML ({exc}); skipped"))
            continue
        except Skip as exc:
            result.warnings.append(Problem(label, line, f"entry {number} {exc}; skipped"))
            continue
        paper.lines = {"title": line}
        result.papers.append(paper)
    if not starts:
        result.warnings.append(Problem(label, 0, "the feed has no <entry>; nothing to import"))
    return result


def _check_lengths(entry: ET.Element, label: str, line: int, number: int) -> None:
    """Refuse an element whose text is longer than one field may be."""
    for node in entry.iter():
        if len(node.text or "") > MAX_FIELD_CHARS or len(node.tail or "") > MAX_FIELD_CHARS:
            name = str(node.tag).rsplit("}", 1)[-1]
            raise too_long(label, line, f"<{name}> of entry {number}")


def _atom_entry(wrapper: ET.Element, namespaces: str) -> ET.Element:
    """The one entry parsed inside ``wrapper``, if it is in the Atom namespace.

    An ``<entry>`` whose feed binds Atom only to a prefix (``xmlns:atom=``) is in no
    namespace at all; reading it anyway could take any XML for a feed, so it is skipped.
    """
    element = next(iter(wrapper), None)
    if element is not None and element.tag == f"{_A}entry":
        return element
    if f'xmlns="{_A[1:-1]}"' not in namespaces:
        raise Skip(f'is not an Atom <entry> (the <feed> does not declare xmlns="{_A[1:-1]}")')
    tag = element.tag if element is not None else "nothing"
    raise Skip(f"is not an Atom <entry> (it is {tag})")


def _atom_text(element: ET.Element, tag: str) -> str:
    found = element.find(tag)
    return found.text or "" if found is not None else ""


def _atom_paper(entry: ET.Element, label: str) -> Paper:
    raw_id = _atom_text(entry, f"{_A}id").strip()
    if not raw_id:
        raise Skip("has no <id>")
    if "/api/errors" in raw_id:
        message = collapse_ws(_atom_text(entry, f"{_A}summary")) or raw_id
        raise Skip(f"is an arXiv API error: {message}")
    arxiv_id, version = split_id(raw_id)
    title = collapse_ws(_atom_text(entry, f"{_A}title"))
    if not title:
        raise Skip(f"({arxiv_id}) has no <title>")
    when = iso_date(_atom_text(entry, f"{_A}published")) or iso_date(
        _atom_text(entry, f"{_A}updated"))
    if when is None:
        raise Skip(f"({arxiv_id}) has no valid <published> date")
    announced, raw_summary = announcement(_atom_text(entry, f"{_A}summary"))
    summary = unwrap_paragraphs(raw_summary)
    authors = [collapse_ws(_atom_text(a, f"{_A}name")) for a in entry.findall(f"{_A}author")]
    if not any(authors):  # the feeds of rss.arxiv.org name authors in one dc:creator
        authors = creators(_atom_text(entry, f"{_DC}creator"))
    doi = collapse_ws(_atom_text(entry, f"{_X}doi") or _atom_text(entry, f"{_X}DOI")) or None
    categories = [c.get("term", "") for c in entry.findall(f"{_A}category") if c.get("term")]
    primary = entry.find(f"{_X}primary_category")
    paper = Paper(title=tex_quotes(title), date=when, body=tex_quotes(summary),
                  authors=[a for a in authors if a], arxiv=arxiv_id, doi=doi,
                  links=make_links([], summary), source=[Source(ATOM_KIND, source_name(label))])
    fill_arxiv(paper, version, categories, primary.get("term", "") if primary is not None else "",
               collapse_ws(_atom_text(entry, f"{_X}journal_ref")),
               collapse_ws(_atom_text(entry, f"{_X}comment")))
    if announced:
        paper.extra["announce_type"] = announced
    return paper


# --- metadata snapshot (JSON lines) -------------------------------------------------------


def parse_jsonl(text: str, label: str) -> Parsed:
    """Every record of the arXiv metadata snapshot; broken lines become warnings."""
    result = Parsed()
    records, result.warnings = json_records(text, label)
    for index, line, value in records:
        try:
            paper = _snapshot_paper(value, label)
        except Skip as exc:
            result.warnings.append(Problem(label, line, f"record {index}: {exc}; skipped"))
            continue
        paper.lines = {"title": line}
        result.papers.append(paper)
    return result


def _snapshot_paper(record: Any, label: str) -> Paper:
    if not isinstance(record, dict):
        raise Skip(f"expected a JSON object, got {type(record).__name__}")
    raw_id = as_text(record.get("id"))
    if not raw_id:
        raise Skip("has no 'id'")
    arxiv_id, _ = split_id(raw_id)
    title = as_text(record.get("title"))
    if not title:
        raise Skip(f"({arxiv_id}) has no 'title'")
    first, version = _versions(record.get("versions"))
    when = first or iso_date(record.get("update_date"))
    if when is None:
        raise Skip(f"({arxiv_id}) has no version dates")
    abstract = record.get("abstract")
    summary = unwrap_paragraphs(abstract) if isinstance(abstract, str) else ""
    categories = as_text(record.get("categories")).split()
    paper = Paper(title=tex_quotes(title), date=when, body=tex_quotes(summary),
                  authors=_snapshot_authors(record), arxiv=arxiv_id,
                  doi=as_text(record.get("doi")) or None, links=make_links([], summary),
                  source=[Source(JSONL_KIND, source_name(label))])
    fill_arxiv(paper, version, categories, "", as_text(record.get("journal-ref")),
               as_text(record.get("comments")))
    return paper


def _versions(value: Any) -> tuple[date | None, int | None]:
    """The first version's date and the latest version number."""
    if not isinstance(value, list):
        return None, None
    dated: list[tuple[int, date | None]] = []
    for item in value:
        if not isinstance(item, dict):
            continue
        number = _VERSION.search(as_text(item.get("version")))
        try:
            when: date | None = parsedate_to_datetime(as_text(item.get("created"))).date()
        except (TypeError, ValueError, IndexError):
            when = None
        dated.append((int(number.group(1)) if number else 0, when))
    if not dated:
        return None, None
    dated.sort(key=lambda pair: pair[0])
    return dated[0][1], dated[-1][0] or None


def _snapshot_authors(record: dict[str, Any]) -> list[str]:
    """``authors_parsed`` rows ``[last, first, suffix, affiliation...]`` as "First Last"."""
    rows = record.get("authors_parsed")
    names: list[str] = []
    if isinstance(rows, list) and rows:
        for row in rows:
            if isinstance(row, list) and row:
                parts = [as_text(p) for p in row[:3]] + ["", ""]
                last, first, suffix = parts[0], parts[1], parts[2]
                names.append(tex_to_text(" ".join(p for p in (first, last, suffix) if p)))
        return [name for name in names if name]
    text = re.sub(r"\([^()]*\)", "", as_text(record.get("authors")))
    parts = re.split(r",\s*|\s+and\s+", text)
    return [tex_to_text(part) for part in parts if part.strip()]
