"""Read scholarly JSON: CSL-JSON (Zotero, Pandoc), Semantic Scholar and OpenAlex.

- CSL-JSON: an array of items (or one item) with ``type``, ``title``,
  ``author`` ``[{family, given}]`` and ``issued`` ``{"date-parts": [[y, m, d]]}``.
- Semantic Scholar Graph API: a paper object (``paperId``), a list of them
  (``/paper/batch``) or a page whose ``data`` holds them (search); the arXiv id
  and DOI come from ``externalIds``.
- OpenAlex: a work (``"id": "https://openalex.org/W..."``) or a page whose
  ``results`` holds works; the abstract is rebuilt from ``abstract_inverted_index``
  (word -> positions), the arXiv id from an arxiv.org location or the arXiv DOI.

A date given only as a year keeps that precision (``precision: year``, never shown
as 1 January). Counts (citations) stay in ``extra``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sitegen.importers.base import (
    Parsed,
    Skip,
    as_int,
    as_text,
    iso_date,
    make_links,
    safe_url,
    set_extra,
    source_name,
    unwrap_paragraphs,
)
from sitegen.importers.jsonread import parse_items
from sitegen.importers.limits import MAX_FIELD_CHARS
from sitegen.model import Paper, Source, normalize_arxiv

CSL_KIND = "csl-json"
S2_KIND = "semantic-scholar"
OPENALEX_KIND = "openalex"
_CSL_KEYS = re.compile(r'"(?:container-title|date-parts|citation-key|citation-label|'
                       r'collection-title|title-short|original-date)"\s*:')
_S2_KEYS = re.compile(r'"(?:paperId|externalIds|citationCount|corpusId|publicationDate)"\s*:')
_OPENALEX = re.compile(r'"id"\s*:\s*"https://openalex\.org/W\d+"|"abstract_inverted_index"\s*:')
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(.+)$", re.IGNORECASE)


def _json_head(text: str, keys: re.Pattern[str]) -> bool:
    stripped = text.lstrip()
    return stripped.startswith(("[", "{")) and keys.search(text[:50_000]) is not None


def looks_like_csl(text: str) -> bool:
    """JSON with the keys of CSL-JSON items."""
    return _json_head(text, _CSL_KEYS)


def looks_like_s2(text: str) -> bool:
    """JSON with the keys of Semantic Scholar paper objects."""
    return _json_head(text, _S2_KEYS)


def looks_like_openalex(text: str) -> bool:
    """JSON with OpenAlex work ids or inverted-index abstracts."""
    return _json_head(text, _OPENALEX)




def _object(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise Skip(f"expected a JSON object, got {type(item).__name__}")
    return item


def _year_date(year: Any, extra: dict[str, Any]) -> date | None:
    value = as_int(year)
    if value is None or not 1000 <= value <= 9999:
        return None
    extra["date_precision"] = "year"
    return date(value, 1, 1)


def _arxiv_from_doi(doi: str) -> str | None:
    found = _ARXIV_DOI.search(doi)
    return normalize_arxiv(found.group(1)) if found else None


# --- CSL-JSON -----------------------------------------------------------------------------


def parse_csl(text: str, label: str) -> Parsed:
    """Every CSL-JSON item; one without a title or date becomes a warning."""
    return parse_items(text, label, _csl_paper, ("items",))


def _csl_date(value: Any, extra: dict[str, Any]) -> date | None:
    if not isinstance(value, dict):
        return None
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        numbers = [as_int(p) for p in parts[0][:3]]
        if numbers[0] is None:
            return None
        if len(numbers) == 1:
            return _year_date(numbers[0], extra)
        try:
            return date(numbers[0], numbers[1] or 1, (numbers[2] if len(numbers) > 2 else 1) or 1)
        except ValueError:
            return None
    return iso_date(value.get("raw")) or iso_date(value.get("literal"))


def _csl_paper(raw: Any, label: str) -> Paper:
    item = _object(raw)
    title = as_text(item.get("title"))
    if not title:
        raise Skip("has no 'title'")
    extra: dict[str, Any] = {}
    when = _csl_date(item.get("issued"), extra) or _csl_date(item.get("submitted"), extra)
    if when is None:
        raise Skip(f"({title[:60]}) has no 'issued' date")
    authors = []
    for person in item.get("author") or []:
        if isinstance(person, dict):
            name = as_text(person.get("literal")) or " ".join(
                p for p in (as_text(person.get("given")), as_text(person.get("family"))) if p)
            if name:
                authors.append(name)
    doi = as_text(item.get("DOI")) or None
    url = as_text(item.get("URL"))
    arxiv = None
    for candidate in (as_text(item.get("number")), url, as_text(item.get("archive_location")),
                      as_text(item.get("note")), doi or ""):
        arxiv = normalize_arxiv(candidate) or _arxiv_from_doi(candidate)
        if arxiv:
            break
    abstract = item.get("abstract")
    summary = unwrap_paragraphs(abstract) if isinstance(abstract, str) else ""
    container = as_text(item.get("container-title"))
    if container:
        extra["venue"] = container
    paper = Paper(title=title, date=when, body=summary, authors=authors, arxiv=arxiv, doi=doi,
                  links=make_links([("paper", url)], summary),
                  source=[Source(CSL_KIND, source_name(label))])
    set_extra(paper, extra)
    return paper


# --- Semantic Scholar ---------------------------------------------------------------------


def parse_s2(text: str, label: str) -> Parsed:
    """Every Semantic Scholar paper object, in a list or a page's ``data``."""
    return parse_items(text, label, _s2_paper, ("data",))


def _s2_paper(raw: Any, label: str) -> Paper:
    item = _object(raw)
    if "paperId" not in item and "externalIds" not in item:
        raise Skip("is not a Semantic Scholar paper object (no 'paperId')")
    title = as_text(item.get("title"))
    if not title:
        raise Skip(f"({as_text(item.get('paperId')) or 'paper'}) has no 'title'")
    extra: dict[str, Any] = {}
    when = iso_date(item.get("publicationDate")) or _year_date(item.get("year"), extra)
    if when is None:
        raise Skip(f"({title[:60]}) has no 'publicationDate' or 'year'")
    given = item.get("externalIds")
    ids: dict[str, Any] = given if isinstance(given, dict) else {}
    authors = [as_text(a.get("name")) for a in item.get("authors") or [] if isinstance(a, dict)]
    abstract = item.get("abstract")
    summary = unwrap_paragraphs(abstract) if isinstance(abstract, str) else ""
    for key, name in (("paperId", "s2_paper_id"), ("venue", "venue")):
        if as_text(item.get(key)):
            extra[name] = as_text(item.get(key))
    citations = as_int(item.get("citationCount"))
    if citations is not None:
        extra["citations"] = citations
    pdf = item.get("openAccessPdf")
    paper = Paper(title=title, date=when, body=summary, authors=[a for a in authors if a],
                  arxiv=normalize_arxiv(as_text(ids.get("ArXiv"))) if ids.get("ArXiv") else None,
                  doi=as_text(ids.get("DOI")) or None,
                  links=make_links([("paper", pdf.get("url") if isinstance(pdf, dict) else None)],
                                   summary),
                  source=[Source(S2_KIND, source_name(label))])
    set_extra(paper, extra)
    return paper


# --- OpenAlex -----------------------------------------------------------------------------


def parse_openalex(text: str, label: str) -> Parsed:
    """Every OpenAlex work, alone or in a page's ``results``."""
    return parse_items(text, label, _openalex_paper, ("results",))


def inverted_abstract(index: Any) -> str:
    """The text of an ``abstract_inverted_index``: each word put back at its positions.

    Sorted rather than placed in an array as long as the largest position, so that a
    hostile position (``[999999999]``) costs nothing.
    """
    if not isinstance(index, dict):
        return ""
    placed = sorted((pos, word) for word, positions in index.items()
                    if isinstance(word, str) and isinstance(positions, list)
                    for pos in positions if isinstance(pos, int) and not isinstance(pos, bool))
    words, size = [], 0
    for _, word in placed:  # one long word at many positions could make gigabytes
        size += len(word) + 1
        if size > MAX_FIELD_CHARS:
            raise Skip(f"has an abstract longer than {MAX_FIELD_CHARS:,} characters")
        words.append(word)
    return " ".join(words)


def _openalex_arxiv(item: dict[str, Any], doi: str) -> str | None:
    found = _arxiv_from_doi(doi)
    if found:
        return found
    given = item.get("locations")
    locations: list[Any] = given if isinstance(given, list) else []
    for location in [item.get("primary_location"), *locations]:
        if isinstance(location, dict):
            for key in ("landing_page_url", "pdf_url"):
                url = as_text(location.get(key))
                if "arxiv.org/" in url:
                    arxiv = normalize_arxiv(url)
                    if arxiv:
                        return arxiv
    return None


def _openalex_paper(raw: Any, label: str) -> Paper:
    item = _object(raw)
    title = as_text(item.get("title")) or as_text(item.get("display_name"))
    if not title:
        raise Skip(f"({as_text(item.get('id')) or 'work'}) has no 'title'")
    extra: dict[str, Any] = {}
    when = iso_date(item.get("publication_date")) or _year_date(item.get("publication_year"),
                                                                extra)
    if when is None:
        raise Skip(f"({title[:60]}) has no 'publication_date'")
    authors = []
    for authorship in item.get("authorships") or []:
        author = authorship.get("author") if isinstance(authorship, dict) else None
        name = as_text(author.get("display_name")) if isinstance(author, dict) else ""
        if name:
            authors.append(name)
    doi = re.sub(r"(?i)^https?://(?:dx\.)?doi\.org/", "", as_text(item.get("doi")))
    summary = unwrap_paragraphs(inverted_abstract(item.get("abstract_inverted_index")))
    if as_text(item.get("id")):
        extra["openalex_id"] = as_text(item.get("id"))
    citations = as_int(item.get("cited_by_count"))
    if citations is not None:
        extra["citations"] = citations
    primary = item.get("primary_location")
    landing = as_text(primary.get("landing_page_url")) if isinstance(primary, dict) else ""
    paper = Paper(title=title, date=when, body=summary, authors=authors,
                  arxiv=_openalex_arxiv(item, doi), doi=doi or None,
                  links=make_links([("paper", safe_url(landing))], summary),
                  source=[Source(OPENALEX_KIND, source_name(label))])
    set_extra(paper, extra)
    return paper
