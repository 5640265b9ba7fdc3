"""Which source's value a field keeps when several sources describe one paper.

A merge must not depend on the order of imports: importing A then B gives the
file that B then A gives. So every value is ranked by what it is and where it
came from (:func:`rank`), never by when it arrived; the higher rank wins, and
equal ranks are settled by the value itself. Lists that sources add to
(links, sources) are kept as sorted unions. The table is written out in
``docs/content-format.md`` ("Which source wins"). Hand edits are not decided
here: the library keeps them before asking.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sitegen.importers.content_files import fingerprint
from sitegen.model import LINK_KINDS, Link, Paper, Source, When

# How far each kind of source is trusted, for three families of fields.
# The e-print itself: title, abstract, date, authors, arXiv metadata.
_EPRINT = {"arxiv-atom": 6, "arxiv-oai": 6, "arxiv-rss": 6, "arxiv-jsonl": 5,
           "title-search": 5, "hf-api": 4, "semantic-scholar": 3, "openalex": 3, "bibtex": 3,
           "ris": 3, "csl-json": 3, "generator": 3, "hf-daily-listing": 2}
# Where and how it was published: entry type, venue, volume, pages, citation key, DOI.
_BIBLIO = {"bibtex": 6, "ris": 6, "csl-json": 6, "generator": 5, "openalex": 5,
           "semantic-scholar": 5, "arxiv-atom": 4, "arxiv-oai": 4, "arxiv-rss": 4,
           "arxiv-jsonl": 3, "title-search": 3, "hf-api": 2, "hf-daily-listing": 1}
# What Hugging Face knows: organization, AI summary and keywords, thumbnail, page.
_HUB = {"hf-api": 6, "hf-daily-listing": 5, "arxiv-atom": 2, "arxiv-jsonl": 2, "bibtex": 1}
# Kinds of source not named in a table rank 0 there: below every named kind.
# Entry types that say least about a paper; any other type is more specific.
_VAGUE_TYPES = frozenset({"misc", "unpublished", "online", "electronic", "preprint"})

EPRINT_FIELDS = ("title", "body", "arxiv", "tags", "primary_category", "categories", "classes",
                 "arxiv_comment", "journal_ref")
BIBLIO_FIELDS = ("venue", "event", "volume", "number", "pages", "publisher", "bibtex_key",
                 "doi")
HUB_FIELDS = ("organization", "ai_summary", "keywords", "thumbnail", "hf_url")
COUNT_FIELDS = ("comments", "upvotes", "github_stars", "author_count")
UNION_FIELDS = ("links", "source", "listed", "counts")
# Every field an importer may set, in file order; "body" is the abstract.
MERGED = ("title", "date", "authors", "author_count", "organization", "entry_type", "venue",
          "event", "volume", "number", "pages", "publisher", "journal_ref", "bibtex_key",
          "comments", "upvotes", "github_stars", "tags", "links", "arxiv", "arxiv_version",
          "primary_category", "categories", "classes", "arxiv_comment", "doi", "ai_summary",
          "keywords", "thumbnail", "hf_url", "listed", "source", "counts", "body")


def kind_of(paper: Paper) -> str:
    """The kind of source an incoming paper came from (each parser gives one)."""
    return paper.source[0].kind if paper.source else ""


def listed_of(paper: Paper, kind: str) -> date:
    """When the source of that kind last listed the paper: the newest listing wins counts."""
    days = [s.listed for s in paper.source if s.kind == kind and s.listed is not None]
    if not days and paper.listed is not None and kind in ("hf-api", "hf-daily-listing"):
        days = [paper.listed]
    return max(days, default=date.min)


def origin_of(paper: Paper, name: str) -> str:
    """The kind of source a field of a file came from; for a file written before sources
    were recorded per field, its only kind of source (else unknown)."""
    if name in paper.origin:
        return paper.origin[name]
    kinds = {s.kind for s in paper.source}
    return kinds.pop() if len(kinds) == 1 else ""


def rank(name: str, value: Any, kind: str, listed: date) -> tuple[Any, ...]:
    """How strongly ``value`` of field ``name``, from a source of ``kind`` that listed
    the paper on ``listed``, claims the field; ties go to the larger fingerprint."""
    return (*_RULES.get(name, _eprint)(value, kind, listed), fingerprint(value))


def _eprint(value: Any, kind: str, listed: date) -> tuple[Any, ...]:
    return (_EPRINT.get(kind, 0),)


def _biblio(value: Any, kind: str, listed: date) -> tuple[Any, ...]:
    return (_BIBLIO.get(kind, 0),)


def _hub(value: Any, kind: str, listed: date) -> tuple[Any, ...]:
    return (_HUB.get(kind, 0), listed)


def _count(value: Any, kind: str, listed: date) -> tuple[Any, ...]:
    return (listed, _HUB.get(kind, 0), value)


def _date(value: Any, kind: str, listed: date) -> tuple[Any, ...]:
    assert isinstance(value, When)
    return (value.rank(), _EPRINT.get(kind, 0))


def _authors(value: Any, kind: str, listed: date) -> tuple[Any, ...]:
    names, complete = value
    return (complete, _EPRINT.get(kind, 0), len(names))


def _entry_type(value: Any, kind: str, listed: date) -> tuple[Any, ...]:
    return (_BIBLIO.get(kind, 0), value not in _VAGUE_TYPES)


def _version(value: Any, kind: str, listed: date) -> tuple[Any, ...]:
    return (value,)


_RULES: dict[str, Callable[[Any, str, date], tuple[Any, ...]]] = {
    **{name: _biblio for name in BIBLIO_FIELDS},
    **{name: _hub for name in HUB_FIELDS},
    **{name: _count for name in COUNT_FIELDS},
    "date": _date, "authors": _authors, "entry_type": _entry_type, "arxiv_version": _version,
}


def union(name: str, current: Any, new: Any) -> Any:
    """The value of a field that every source adds to: links, sources, the last listing,
    the counts seen by date (a date's newest reading replaces that date's)."""
    if name == "listed":
        return max(current, new) if current is not None else new
    if name == "counts":
        return dict(sorted({**current, **new}.items()))
    if name == "source":
        return sort_sources([*current, *new])
    return sort_links([*current, *new])


def sort_links(links: list[Link]) -> list[Link]:
    """Links by kind, then URL; of two spellings of one URL (a trailing ``/``) the first."""
    order = sorted(links, key=lambda link: (_kind_order(link.kind), link.url))
    seen: set[str] = set()
    out = []
    for link in order:
        if link.url.rstrip("/") not in seen:
            seen.add(link.url.rstrip("/"))
            out.append(link)
    return out


def _kind_order(kind: str) -> int:
    return LINK_KINDS.index(kind) if kind in LINK_KINDS else len(LINK_KINDS)


def sort_sources(sources: list[Source]) -> list[Source]:
    """One source per (kind, file), with its latest listing, sorted by kind and file."""
    merged: dict[tuple[str, str], Source] = {}
    for src in sources:
        key = (src.kind, src.file)
        was = merged.get(key)
        if was is None or (src.listed or date.min) > (was.listed or date.min):
            merged[key] = src
    return [merged[key] for key in sorted(merged)]
