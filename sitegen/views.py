"""What templates see: paper views, tags, months and pagination.

Views are built once per build from validated papers, so every page shows the
same URLs, tags and counts. Templates get only these typed objects plus a few
globals (``site``, ``url``, ``asset``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache

from markupsafe import Markup

from sitegen.markup import excerpt, render_abstract, render_title
from sitegen.model import Organization, Paper
from sitegen.taxonomy import Tag

LINK_LABELS = {
    "code": "Code", "project": "Project page", "model": "Model", "dataset": "Dataset",
    "demo": "Demo", "paper": "Paper", "other": "Link",
}


@dataclass(slots=True)
class TagRef:
    """A tag as shown on a paper: name and URL path."""

    name: str
    slug: str
    path: str


@dataclass
class LinkView:
    """A link with a human label."""

    kind: str
    url: str
    label: str


@dataclass
class PaperView:
    """A paper with everything derived that templates and outputs need."""

    paper: Paper
    slug: str
    path: str  # site path of the detail page, e.g. "papers/x/"
    tags: list[TagRef]
    key: str  # fingerprint of everything a page shows about this paper
    date: date  # the paper's, as a field: sorts and lists read it tens of thousands of times
    summary: str = ""
    math: bool = True
    newer: PaperView | None = field(default=None, repr=False, compare=False)
    older: PaperView | None = field(default=None, repr=False, compare=False)

    @cached_property
    def abstract_html(self) -> Markup:
        """The abstract rendered from Markdown (and math), sanitised."""
        return Markup(render_abstract(self.paper.body, self.math))

    @cached_property
    def title_html(self) -> Markup:
        """The title as HTML: escaped text, with ``$math$`` rendered (kept in the cache)."""
        paper = self.paper
        return Markup(paper.remember("title_html", self.math,
                                     lambda: render_title(paper.title, self.math)))

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
    def month_path(self) -> str:
        return f"archive/{self.paper.date.year:04d}/{self.paper.date.month:02d}/"

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


def fingerprint_paper(paper: Paper, tags: list[str], slug: str) -> str:
    """A hash of everything a rendered page can show about ``paper``."""
    values = (paper.title, paper.date.isoformat(), paper.body, slug, repr(paper.authors),
              repr(paper.author_count), repr(paper.organization), repr(paper.comments),
              repr(paper.upvotes), repr(tags), repr(paper.links), repr(paper.arxiv),
              repr(paper.doi), repr(paper.listed), repr(sorted(paper.extra.items(), key=str)))
    text = "\x00".join(values) + "\x00"  # one hash of joined text: the same as hashing each
    return hashlib.sha1(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


@lru_cache(maxsize=65536)  # bounded like tag_slug: a preview server runs for hours
def _tag_path(slug: str) -> str:
    """A tag page's path, one string per tag rather than one per paper and tag."""
    return f"tags/{slug}/"


def make_view(paper: Paper, tag_names: list[str], tag_slugs: dict[str, str],
              math: bool = True) -> PaperView:
    """The view of one validated paper (slug already assigned)."""
    assert paper.slug is not None
    refs = [TagRef(name, slug := tag_slugs[name], _tag_path(slug)) for name in tag_names]
    slug = paper.slug
    key = paper.remember("key", (tag_names, slug),
                         lambda: fingerprint_paper(paper, tag_names, slug))
    summary = paper.remember("summary", None, lambda: excerpt(paper.body))
    return PaperView(paper=paper, slug=paper.slug, path=f"papers/{paper.slug}/", tags=refs,
                     key=key, date=paper.date, summary=summary, math=math)


def tag_views(tags: list[Tag[PaperView]]) -> list[TagView]:
    """Tag views in slug order."""
    return [TagView(t.name, t.slug, f"tags/{t.slug}/", t.items) for t in tags]


def month_views(papers: list[PaperView]) -> list[MonthView]:
    """Archive months, newest first, each with its papers in site order."""
    months: dict[tuple[int, int], MonthView] = {}
    for view in papers:
        ym = (view.date.year, view.date.month)
        if ym not in months:
            months[ym] = MonthView(ym[0], ym[1], view.month_path)
        months[ym].papers.append(view)
    return [months[k] for k in sorted(months, reverse=True)]

