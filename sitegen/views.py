"""The typed results of the derive stage: what plan, render and outputs read.

:class:`Derived` is everything computed from one paper (tags, page key,
summary, title HTML, citation and JSON records, list card), made by
:func:`sitegen.derive.derive_paper` and kept in the parse cache beside the
paper. :class:`PaperView` is a paper with its derived values and its place in
the site (URL, tags, neighbours, citation key), as templates see it;
:class:`SiteData` is the whole derived site. They are made once per build, so
every page shows the same URLs, tags and counts, and later stages only read
them. Templates get these typed objects plus a few globals (``site``,
``url``, ``asset``, see :mod:`sitegen.render`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from datetime import date as _Date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from markupsafe import Markup

from sitegen.config import Config
from sitegen.errors import Problem
from sitegen.markup import render_abstract
from sitegen.model import Organization, Paper

if TYPE_CHECKING:
    from sitegen.content_pages import ContentPage

LINK_LABELS = {
    "code": "Code", "project": "Project page", "model": "Model", "dataset": "Dataset",
    "demo": "Demo", "paper": "Paper", "other": "Link",
}


class Basis(NamedTuple):
    """The settings a paper's derived values were made with, besides its own file.

    Each part of :class:`Derived` names the fields it depends on (see
    :func:`sitegen.derive.derive_paper`), so a change of settings redoes only
    those parts: new keyword rules redo the tags, a template edit the cards.
    """

    tags: str | None  # the keyword rules (Tagger.token), None without rules
    math: bool
    base_url: str
    bib_files: bool
    papers_json: bool
    theme: str  # the site's environment key: version, config, templates, static files
    formats: tuple[int, int, int]  # BibTeX, papers.json and CSL-JSON/RIS formats


class Derived(NamedTuple):
    """Everything the derive stage computes from one paper (keyed by its slug).

    A named tuple, not a frozen dataclass: the parse cache reads 10,000 of these
    back on every incremental build, and a tuple unpickles without running
    Python code per object (a frozen dataclass's ``__setstate__`` took three
    times as long).
    """

    basis: Basis
    tags: tuple[str, ...]  # its own tag names, normalised (from keyword rules when it has none)
    shown: tuple[str, ...]  # the names pages show: spellings that share a slug merged
    key: str  # a hash of everything a page can show about the paper
    summary: str  # plain-text excerpt of the abstract
    title_html: str  # the title as HTML, with $math$ rendered
    cite_base: str  # the citation key before a suffix makes it unique
    bib: str  # the BibTeX entry after its key line
    # Its papers.json record without the abstract (which the paper holds already), the
    # opening brace cut off: see data.record_text. None when that file is off.
    record: bytes | None
    # Its card on list pages as UTF-8 (None when no theme was given): a card holds "·" and
    # "…", so as a str it would take two bytes a character, for every paper of the site.
    card: bytes | None
    # Its CSL-JSON item between the key lines and the abstract, as papers.csl.json writes
    # it (None when citation files are off): joining these makes that file, instead of
    # encoding it.
    csl: str | None = None


@dataclass(slots=True)
class TagRef:
    """A tag as shown on a paper: name and URL path."""

    name: str
    slug: str
    path: str


@dataclass(slots=True)
class PersonRef:
    """An author (or the organisation) as shown on a paper: its spelling there, its page."""

    name: str
    slug: str
    path: str
    highlighted: bool = False  # named in ``highlight_authors``


@dataclass
class LinkView:
    """A link with a human label."""

    kind: str
    url: str
    label: str


@dataclass
class PaperView:
    """A paper with its derived values and its place in the site: what templates see."""

    paper: Paper
    derived: Derived = field(repr=False)
    slug: str
    path: str  # site path of the detail page, e.g. "papers/x/"
    tags: list[TagRef]
    # Copies of the derived values that plans and sorts read tens of thousands of times.
    key: str
    date: date
    summary: str = ""
    cite_key: str = ""  # unique among the site's papers (see sitegen.outputs.bibtex)
    math: bool = True
    newer: PaperView | None = field(default=None, repr=False, compare=False)
    older: PaperView | None = field(default=None, repr=False, compare=False)
    # Made by derive_site from the whole site (see sitegen.related and sitegen.people).
    related: list[PaperView] = field(default_factory=list, repr=False, compare=False)
    author_refs: list[PersonRef] = field(default_factory=list, repr=False, compare=False)
    org_ref: PersonRef | None = field(default=None, repr=False, compare=False)
    image: str = ""  # site path of its social image: the thumbnail, else the drawn card

    @cached_property
    def abstract_html(self) -> Markup:
        """The abstract rendered from Markdown (and math), sanitised.

        Made when a page shows it, not in the derive stage: an incremental build
        renders a few pages, and the abstract is most of a paper's rendering cost.
        """
        return Markup(render_abstract(self.paper.body, self.math))

    @property
    def title_html(self) -> Markup:
        """The title as HTML: escaped text, with ``$math$`` rendered."""
        return Markup(self.derived.title_html)

    # Shortcuts so templates read naturally.
    @property
    def title(self) -> str:
        return self.paper.title

    @property
    def authors(self) -> list[str]:
        return self.paper.authors

    @property
    def n_authors(self) -> int | None:
        return self.paper.n_authors

    @property
    def organization(self) -> Organization | None:
        return self.paper.organization

    @property
    def comments(self) -> int | None:
        return self.paper.comments

    @property
    def upvotes(self) -> int | None:
        return self.paper.upvotes

    @property
    def arxiv(self) -> str | None:
        return self.paper.arxiv

    @property
    def doi(self) -> str | None:
        return self.paper.doi

    @property
    def authors_complete(self) -> bool:
        """False when the source cut the author list short: pages add "et al."."""
        return self.paper.authors_complete

    @property
    def date_text(self) -> str:
        """The date at its precision, ISO 8601: ``2023``, ``2023-12`` or ``2023-12-12``."""
        return self.paper.when.text()

    @property
    def date_label(self) -> str:
        """The date for reading: ``December 12, 2023``, ``December 2023`` or ``2023``."""
        return _label(self.paper.date, self.paper.precision, "%B")

    @property
    def date_short(self) -> str:
        """The date on cards: ``Dec 12, 2023``, ``Dec 2023`` or ``2023``."""
        return _label(self.paper.date, self.paper.precision, "%b")

    @property
    def bib(self) -> Paper:
        """The paper's own fields (venue, volume, pages, arXiv and Hugging Face fields)."""
        return self.paper

    @property
    def month_path(self) -> str:
        return f"archive/{self.paper.date.year:04d}/{self.paper.date.month:02d}/"

    @property
    def listed(self) -> _Date | None:
        """The day a listing showed the paper (may differ from its publication date)."""
        return self.paper.listed

    @property
    def arxiv_url(self) -> str | None:
        return f"https://arxiv.org/abs/{self.paper.arxiv}" if self.paper.arxiv else None

    @property
    def pdf_url(self) -> str | None:
        return f"https://arxiv.org/pdf/{self.paper.arxiv}" if self.paper.arxiv else None

    @property
    def hf_url(self) -> str | None:
        """The paper's Hugging Face page: as imported, else the one every arXiv paper has."""
        if self.paper.hf_url:
            return self.paper.hf_url
        return f"https://huggingface.co/papers/{self.paper.arxiv}" if self.paper.arxiv else None

    @property
    def hf_discussion_url(self) -> str | None:
        """Its discussion on Hugging Face (where the comment count comes from)."""
        return f"{self.hf_url}#community" if self.hf_url else None

    @property
    def code_links(self) -> list[LinkView]:
        return [LinkView(link.kind, link.url, LINK_LABELS["code"])
                for link in self.paper.links if link.kind == "code"]

    # Bibliographic and Hugging Face fields the theme shows where a paper has them.
    @property
    def venue(self) -> str | None:
        """Where it was published: the venue, else the event, else arXiv's journal reference."""
        return self.paper.venue or self.paper.event or self.paper.journal_ref

    @property
    def ai_summary(self) -> str | None:
        return self.paper.ai_summary

    @property
    def stars(self) -> int | None:
        return self.paper.github_stars

    @property
    def categories(self) -> list[str]:
        return self.paper.categories

    @property
    def arxiv_comment(self) -> str | None:
        return self.paper.arxiv_comment

    @property
    def links(self) -> list[LinkView]:
        """The paper's links, then arXiv abstract and PDF and the DOI when known."""
        out = [LinkView(link.kind, link.url, LINK_LABELS.get(link.kind, "Link"))
               for link in self.paper.links]
        if self.paper.arxiv:
            out.append(LinkView("paper", f"https://arxiv.org/abs/{self.paper.arxiv}",
                                "arXiv abstract"))
            out.append(LinkView("pdf", f"https://arxiv.org/pdf/{self.paper.arxiv}", "PDF"))
        if self.paper.doi:
            out.append(LinkView("paper", f"https://doi.org/{self.paper.doi}", "DOI"))
        return out


def _label(day: date, precision: str, month: str) -> str:
    """A date as people read it, no more precise than its source."""
    if precision == "year":
        return f"{day.year}"
    if precision == "month":
        return day.strftime(f"{month} %Y")
    return day.strftime(f"{month} %-d, %Y")


@dataclass
class TagView:
    """A tag page's data: the tag, its URL path and its papers."""

    name: str
    slug: str
    path: str
    papers: list[PaperView] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.papers)


@dataclass
class GroupView:
    """An author's or an organisation's page: the name shown, its URL path, its papers."""

    kind: str  # "author" or "org"
    name: str
    slug: str
    path: str
    papers: list[PaperView] = field(default_factory=list)
    highlighted: bool = False

    @property
    def count(self) -> int:
        return len(self.papers)


@dataclass
class MonthView:
    """One month of the archive."""

    year: int
    month: int
    path: str
    papers: list[PaperView] = field(default_factory=list)

    @property
    def label(self) -> str:
        return date(self.year, self.month, 1).strftime("%B %Y")

    @property
    def count(self) -> int:
        return len(self.papers)


@dataclass
class PeriodView:
    """One day, week or month of listings, with its neighbours of the same kind."""

    kind: str  # "date", "week" or "month"
    name: str  # "2026-01-09", "2026-W02", "2026-01"
    label: str  # "January 9, 2026", "Week 2, 2026 (Jan 5 – Jan 11)", "January 2026"
    path: str
    papers: list[PaperView] = field(default_factory=list)
    newer: PeriodView | None = field(default=None, repr=False)
    older: PeriodView | None = field(default=None, repr=False)

    @property
    def count(self) -> int:
        return len(self.papers)


@dataclass
class TrendingItem:
    """A paper on the trending page and the upvotes it gained (see sitegen.periods)."""

    paper: PaperView
    gain: int
    upvotes: int


@dataclass
class Trending:
    """The trending list and the window it was counted over (None: no counts recorded)."""

    items: list[TrendingItem] = field(default_factory=list)
    since: date | None = None
    until: date | None = None


@dataclass
class Pagination:
    """Where a list page sits among its siblings."""

    number: int
    total: int
    base: str  # path of page 1, e.g. "tags/llm/"
    count: int  # items in the whole list

    def path_of(self, number: int) -> str:
        return self.base if number == 1 else f"{self.base}page/{number}/"

    @property
    def prev_path(self) -> str | None:
        return self.path_of(self.number - 1) if self.number > 1 else None

    @property
    def next_path(self) -> str | None:
        return self.path_of(self.number + 1) if self.number < self.total else None

    @property
    def path(self) -> str:
        return self.path_of(self.number)


@dataclass
class SiteData:
    """The derived site: everything pages and outputs show, made once per build."""

    config: Config
    papers: list[PaperView]  # newest first
    top: list[PaperView]  # by upvotes, then comments
    tags: list[TagView]
    months: list[MonthView]
    env_key: str  # hash of config, templates and static files
    cache_dir: Path  # the build cache of this site (search keeps its record there)
    build_date: date | None = None
    content_pages: list[ContentPage] = field(default_factory=list)  # content/pages/: About etc.
    # Listing days, weeks and months, and the trending list (see sitegen.periods).
    periods: dict[str, list[PeriodView]] = field(default_factory=dict)
    trending: Trending | None = None
    authors: list[GroupView] = field(default_factory=list)  # by slug
    orgs: list[GroupView] = field(default_factory=list)  # by slug
    warnings: list[Problem] = field(default_factory=list)  # what the derive stage noticed
