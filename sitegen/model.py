"""Typed data shared by every stage: a paper and its parts.

A :class:`Paper` is a plain record of what its content file says, nothing
more: whatever is computed from it (tags, keys, summaries, citations, cards)
is made by the derive stage (:mod:`sitegen.derive`) into typed results of its
own. The front-matter schema is documented in ``docs/content-format.md``; the
field order here is the order in which files are written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

# Inside Paper the field "date" hides the type of the same name; annotations use this alias.
_Date = date

LINK_KINDS = ("code", "project", "model", "dataset", "demo", "paper", "other")

# Field names in the order they are written; "body" is the Markdown after the front matter.
FIELD_ORDER = (
    "title",
    "slug",
    "date",
    "authors",
    "authors_complete",
    "author_count",
    "organization",
    "entry_type",
    "venue",
    "event",
    "volume",
    "number",
    "pages",
    "publisher",
    "journal_ref",
    "bibtex_key",
    "comments",
    "upvotes",
    "github_stars",
    "tags",
    "links",
    "arxiv",
    "arxiv_version",
    "primary_category",
    "categories",
    "classes",
    "arxiv_comment",
    "doi",
    "ai_summary",
    "keywords",
    "thumbnail",
    "hf_url",
    "listed",
    "source",
    "counts",
    "origin",
)
# How precise a date is: "2023" (year), "2023-12" (month) or "2023-12-12" (day).
PRECISIONS = ("year", "month", "day")


@dataclass(frozen=True)
class Organization:
    """The group a paper is listed under (``SUDA`` / ``Soochow University``)."""

    id: str
    name: str


@dataclass(frozen=True)
class Link:
    """A URL found with a paper and what it points to (see :data:`LINK_KINDS`)."""

    kind: str
    url: str


@dataclass(frozen=True)
class Source:
    """Where a paper came from: importer kind, input file name, listing date."""

    kind: str
    file: str
    listed: date | None = None


#: (upvotes, comments) seen on one date; either may be unknown.
Counts = tuple[int | None, int | None]
@dataclass(frozen=True)
class When:
    """A date at the precision a source gave it: a year-only date is not January 1."""

    day: date
    precision: str = "day"

    def text(self) -> str:
        """``2023``, ``2023-12`` or ``2023-12-12``: how the date is written and exported."""
        if self.precision == "year":
            return f"{self.day.year:04d}"
        if self.precision == "month":
            return f"{self.day.year:04d}-{self.day.month:02d}"
        return self.day.isoformat()

    def rank(self) -> int:
        """0 for a year, 1 for a month, 2 for a day: a more precise date wins a merge."""
        return PRECISIONS.index(self.precision)


@dataclass
class Paper:
    """One paper: the known front-matter fields, the Markdown body and the rest in ``extra``."""

    title: str
    date: date
    body: str = ""
    slug: str | None = None
    authors: list[str] = field(default_factory=list)
    author_count: int | None = None
    organization: Organization | None = None
    comments: int | None = None
    upvotes: int | None = None
    tags: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    arxiv: str | None = None
    doi: str | None = None
    listed: _Date | None = None
    source: list[Source] = field(default_factory=list)
    # Upvotes and comments as ``sitegen update`` saw them, by the date it saw them.
    counts: dict[_Date, Counts] = field(default_factory=dict)
    # How precise ``date`` is (see PRECISIONS); "day" unless the file says "2023" or "2023-12".
    precision: str = "day"
    # False when the source cut the author list short ("and others" in BibTeX).
    authors_complete: bool = True
    # What bibliographies hold (see docs/content-format.md, "Bibliographic fields").
    entry_type: str | None = None  # BibTeX entry type, lower case: article, inproceedings...
    venue: str | None = None  # journal, booktitle or biblatex journaltitle
    event: str | None = None  # biblatex eventtitle
    volume: str | None = None
    number: str | None = None
    pages: str | None = None
    publisher: str | None = None
    journal_ref: str | None = None  # arXiv's journal reference, as the authors wrote it
    bibtex_key: str | None = None  # the citation key the bibliography used
    # arXiv: the latest version, the primary category, all arXiv categories, other class codes.
    arxiv_version: int | None = None
    primary_category: str | None = None
    categories: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)  # MSC, ACM, PACS codes
    arxiv_comment: str | None = None
    # Hugging Face: stars of the code repository, generated summary and keywords, images, page.
    github_stars: int | None = None
    ai_summary: str | None = None
    keywords: list[str] = field(default_factory=list)
    thumbnail: str | None = None
    hf_url: str | None = None
    # Field name -> the kind of source its value came from ("bibtex", "arxiv-atom"...).
    origin: dict[str, str] = field(default_factory=dict)
    # Importer bookkeeping: field name -> hash of the value the importer last wrote.
    imported: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    # Where the paper was read from, and the 1-based line of each front-matter key.
    path: Path | None = None
    lines: dict[str, int] = field(default_factory=dict)

    def __getstate__(self) -> tuple[Any, ...]:
        """Pickle as a flat tuple: the build cache loads thousands of papers.

        The path goes as text and is made a ``Path`` again only when asked for
        (see :class:`_TextPath`): a build rarely needs it.
        """
        state = self.__dict__
        return tuple(str(state[name]) if name == "path" and state[name] is not None
                     else state[name] for name in _STATE_FIELDS)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.__dict__.update(zip(_STATE_FIELDS, state, strict=True))

    @property
    def when(self) -> When:
        """The date with its precision."""
        return When(self.date, self.precision)

    @property
    def n_authors(self) -> int | None:
        """The number of authors, from the names when known (and complete)."""
        if self.authors and not self.authors_complete and self.author_count:
            return max(len(self.authors), self.author_count)
        return len(self.authors) if self.authors else self.author_count


_STATE_FIELDS = tuple(f.name for f in fields(Paper))


class _TextPath:
    """``Paper.path``, stored as text when loaded from the build cache, a ``Path`` when read.

    Making 10,000 ``Path`` objects costs an incremental build about 50 ms, and
    most builds never look at a cached paper's path.
    """

    def __get__(self, paper: Paper | None, owner: type | None = None) -> Path | None:
        if paper is None:
            return None  # the dataclass default
        value = paper.__dict__.get("path")
        if isinstance(value, str):
            value = paper.__dict__["path"] = Path(value)
        return value

    def __set__(self, paper: Paper, value: Path | str | None) -> None:
        paper.__dict__["path"] = value


Paper.path = _TextPath()  # type: ignore[assignment]  # after @dataclass, which reads the default

# An arXiv category ("cs.CL", "hep-th", "math.AG"); MSC ("68T50") and ACM ("I.2.7")
# class codes, which arXiv lists beside them, do not match.
ARXIV_CATEGORY = re.compile(r"[a-z][a-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?")

_ARXIV_NEW = re.compile(r"^(\d{4}\.\d{4,5})(v\d+)?$")
_ARXIV_OLD = re.compile(r"^([a-z][a-z.\-]*/\d{7})(v\d+)?$", re.IGNORECASE)


def normalize_arxiv(value: str) -> str | None:
    """Return the arXiv id without version or prefix (``2401.01234``), or None if it is not one."""
    text = value.strip()
    text = re.sub(r"^(?:https?://)?(?:www\.)?(?:export\.)?arxiv\.org/(?:abs|pdf)/", "", text)
    text = re.sub(r"(?i)^arxiv:\s*", "", text)
    text = re.sub(r"\.pdf$", "", text)
    for pattern in (_ARXIV_NEW, _ARXIV_OLD):
        match = pattern.match(text)
        if match:
            return match.group(1)
    return None


def normalize_title(title: str) -> str:
    """A key for matching titles across sources: case, punctuation and spacing ignored."""
    text = re.sub(r"[\W_]+", " ", title.casefold())
    return " ".join(text.split())


def classify_link(url: str) -> str:
    """Guess what a URL points to from its host and path."""
    low = url.lower()
    host = re.sub(r"^[a-z]+://", "", low).split("/", 1)[0]
    path = low.split(host, 1)[1] if host and host in low else ""
    if host.endswith(("github.com", "gitlab.com", "bitbucket.org", "codeberg.org")):
        return "code" if path.count("/") >= 2 else "project"
    if host.endswith("huggingface.co"):
        if path.startswith("/datasets/"):
            return "dataset"
        if path.startswith("/spaces/"):
            return "demo"
        if path.startswith("/papers/"):
            return "paper"
        return "model" if path.count("/") >= 2 else "project"
    if host.endswith(("arxiv.org", "doi.org", "aclanthology.org", "openreview.net")):
        return "paper"
    return "project"
