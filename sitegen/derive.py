"""Stage 2, derive: everything computed from the papers, as typed results.

The load stage gives plain papers (:class:`~sitegen.model.Paper`: what the
files say). This stage computes all the rest, in one place:

- per paper, :func:`derive_paper`: its tags, page key, summary, title HTML,
  citation key stem and BibTeX fields, ``papers.json`` record and list card,
  as a :class:`~sitegen.views.Derived`. Parse workers run it on the papers
  they parse (so the work is spread over the cores) and the parse cache keeps
  the result beside the paper. Each part names what it depends on besides the
  file (:class:`~sitegen.views.Basis`) and is made again only when that
  changes: new keyword rules redo the tags, a template edit redoes the cards.
- for the site, :func:`derive_site`: paper order, tag spellings merged,
  neighbours, unique citation keys, tag, month and "top" lists, as a
  :class:`~sitegen.views.SiteData` of :class:`~sitegen.views.PaperView`.

Later stages (plan, render, outputs) read these results and never change them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path

from sitegen.config import Config
from sitegen.discover import link_site
from sitegen.keys import make_key
from sitegen.markup import excerpt, render_title
from sitegen.model import Paper
from sitegen.outputs import bibtex, citations, data
from sitegen.parallel import fork_imap
from sitegen.periods import listing_periods, trending
from sitegen.taxonomy import Tagger, group_tags, merged_names, paper_tags, tag_slug
from sitegen.views import (
    Basis,
    Derived,
    MonthView,
    PaperView,
    SiteData,
    TagRef,
    TagView,
)

PARALLEL_DERIVE = 2000  # papers to derive again (a theme changed) worth forked workers
# The fields of what bibliographies, arXiv and Hugging Face know: pages and exports show them.
BIBLIO_FIELDS = ("precision", "authors_complete", "entry_type", "venue", "event", "volume",
                 "number", "pages", "publisher", "journal_ref", "bibtex_key", "arxiv_version",
                 "primary_category", "categories", "classes", "arxiv_comment", "github_stars",
                 "ai_summary", "keywords", "thumbnail", "hf_url", "origin")


@dataclass(frozen=True)
class Settings:
    """What derived values depend on besides each paper's own file; made once per build."""

    config: Config
    basis: Basis
    tagger: Tagger | None = None
    card: Callable[[PaperView], str] | None = None  # renders a list card; None: no cards


def make_settings(config: Config, env_key: str = "", tagger: Tagger | None = None,
                  card: Callable[[PaperView], str] | None = None) -> Settings:
    """The settings of a build: ``env_key`` hashes what shapes every page (see
    :meth:`sitegen.site.Site.env_key`); ``card`` renders a paper's list card."""
    basis = Basis(tagger.token if tagger else None, config.math, config.base_url,
                  config.bib_files, config.papers_json, env_key,
                  (bibtex.FORMAT, data.FORMAT, citations.FORMAT))
    return Settings(config, basis, tagger, card)


def fingerprint_paper(paper: Paper, tags: list[str], slug: str) -> str:
    """A hash of everything a rendered page can show about ``paper``."""
    values = (paper.title, paper.date.isoformat(), paper.body, slug, repr(paper.authors),
              repr(paper.author_count), repr(paper.organization), repr(paper.comments),
              repr(paper.upvotes), repr(tags), repr(paper.links), repr(paper.arxiv),
              repr(paper.doi), repr(paper.listed), repr(sorted(paper.extra.items(), key=str)),
              repr([getattr(paper, name) for name in BIBLIO_FIELDS]))
    text = "\x00".join(values) + "\x00"  # one hash of joined text: the same as hashing each
    return hashlib.sha1(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def page_key(paper: Paper, tags: tuple[str, ...], shown: tuple[str, ...]) -> str:
    """The paper's key: what its pages show of it, tag names as shown included."""
    assert paper.slug is not None
    key = fingerprint_paper(paper, list(tags), paper.slug)
    return key if shown == tags else make_key(key, list(shown))


def derive_paper(paper: Paper, settings: Settings, shown: tuple[str, ...] | None = None,
                 old: Derived | None = None) -> Derived:
    """Everything derived from one paper (its slug assigned).

    ``shown`` is its tag names as pages show them (merged spellings; by default
    its own). The parts of ``old``, the same paper's earlier result, whose inputs
    did not change are kept rather than made again.
    """
    basis, was = settings.basis, old.basis if old is not None else None
    tags = (old.tags if old is not None and was is not None and was.tags == basis.tags
            else paper_tags(paper, settings.tagger))
    shown = tags if shown is None else shown
    same_page = old is not None and old.tags == tags and old.shown == shown
    key = old.key if old is not None and same_page else page_key(paper, tags, shown)
    summary = old.summary if old is not None else excerpt(paper.body)
    title_html = (old.title_html if old is not None and was is not None and was.math == basis.math
                  else render_title(paper.title, basis.math))
    derived = Derived(basis, tags, shown, key, summary, title_html, "", "", None, None)
    view = _view(paper, derived, settings.config.math)
    keep = old if same_page else None  # the parts below depend on the page key
    formats = keep is not None and keep.basis.formats == basis.formats
    cite_base = keep.cite_base if keep is not None and formats else bibtex.base_key(view)
    # The earlier result, when its citation fields were made for these formats and URLs.
    cited = keep if keep is not None and formats and keep.basis.base_url == basis.base_url else None
    bib = cited.bib if cited is not None else bibtex.entry_fields(view, settings.config)
    csl = None
    if basis.bib_files:
        csl = cited.csl if cited is not None and cited.csl is not None else citations.csl_body(
            view, settings.config)
    return derived._replace(cite_base=cite_base, bib=bib, record=_record(view, settings, keep),
                            card=_card(view, settings, keep), csl=csl)


def _record(view: PaperView, settings: Settings, keep: Derived | None) -> bytes | None:
    """The paper's ``papers.json`` record, when that file is made."""
    basis = settings.basis
    if not basis.papers_json:
        return None
    if keep is not None and keep.record is not None and (
            keep.basis.base_url, keep.basis.bib_files, keep.basis.formats) == (
            basis.base_url, basis.bib_files, basis.formats):
        return keep.record
    bib = bibtex.bib_path(view) if basis.bib_files else None
    return data.record_text(view, settings.config, bib)


def _card(view: PaperView, settings: Settings, keep: Derived | None) -> bytes | None:
    """The paper's list card: it shows the paper and depends on the templates and config."""
    if settings.card is None:
        return None
    if keep is not None and keep.card is not None and keep.basis.theme == settings.basis.theme:
        return keep.card
    return settings.card(view).encode("utf-8")


@lru_cache(maxsize=65536)  # bounded like tag_slug: a preview server runs for hours
def tag_path(slug: str) -> str:
    """A tag page's path, one string per tag rather than one per paper and tag."""
    return f"tags/{slug}/"


def _refs(names: Sequence[str], slugs: dict[str, str] | None = None) -> list[TagRef]:
    """A paper's tags as links: name, slug, page."""
    if slugs is None:
        slugs = {name: tag_slug(name) for name in names}
    return [TagRef(name, slug := slugs[name], tag_path(slug)) for name in names]


def _view(paper: Paper, derived: Derived, math: bool, cite_key: str = "",
          slugs: dict[str, str] | None = None) -> PaperView:
    slug = paper.slug
    assert slug is not None
    return PaperView(paper, derived, slug, f"papers/{slug}/", _refs(derived.shown, slugs),
                     derived.key, paper.date, derived.summary, cite_key, math)


def derive_site(papers: Sequence[Paper], cached: Sequence[Derived | None], settings: Settings,
                cache_dir: Path, parallel: bool = False) -> tuple[SiteData, dict[int, Derived]]:
    """The derived site, from the loaded papers and what the parse cache kept of each
    (None where nothing was kept).

    Returns the site and the derived values made here rather than kept, by the
    paper's index in ``papers``, for the parse cache to keep.
    """
    order = sorted(range(len(papers)), key=lambda i: (
        -papers[i].date.toordinal(), papers[i].title.casefold(), papers[i].slug or ""))
    basis = settings.basis
    names = [d.tags if (d := cached[i]) is not None and d.basis == basis
             else _own_tags(papers[i], d, settings) for i in order]
    slugs = {name: tag_slug(name) for tag_names in names for name in tag_names}
    merged = merged_names(slugs)
    stale: list[tuple[int, tuple[str, ...]]] = []
    for i, own in zip(order, names, strict=True):
        shown = tuple(merged.get(name, name) for name in own) if merged else own
        d = cached[i]
        if d is None or d.basis != basis or (merged and d.shown != shown):
            stale.append((i, shown))
    fresh = _derive_again(papers, cached, stale, settings, parallel)
    derived = [fresh.get(i) or cached[i] for i in order]
    keys = bibtex.citation_keys([(papers[i].date, papers[i].slug or "", d.cite_base)
                                 for i, d in zip(order, derived, strict=True) if d is not None])
    math = settings.config.math
    views = [_view(papers[i], d, math, keys[papers[i].slug or ""], slugs)
             for i, d in zip(order, derived, strict=True) if d is not None]
    for newer, older in zip(views, views[1:], strict=False):
        newer.older, older.newer = older, newer
    found = link_site(views, settings.config, cache_dir, parallel)
    site = _site(views, settings.config, basis.theme, cache_dir)
    return replace(site, authors=found.authors, orgs=found.orgs, warnings=found.warnings), fresh


def redrawn(old: PaperView, paper: Paper, derived: Derived) -> PaperView:
    """A new view of ``old``'s paper, from its new record and derived values, in the place
    the last build gave ``old``: its neighbours, related papers, author and organisation
    links, image and citation key (the preview's quick page, ``sitegen.serve.quick``).
    ``old`` is left as it is."""
    view = _view(paper, derived, old.math, old.cite_key)
    view.newer, view.older, view.related = old.newer, old.older, old.related
    view.author_refs, view.org_ref, view.image = old.author_refs, old.org_ref, old.image
    return view


def _own_tags(paper: Paper, old: Derived | None, settings: Settings) -> tuple[str, ...]:
    """The paper's own tag names: as derived before while the keyword rules are the same."""
    basis = settings.basis
    if old is not None and (old.basis == basis or old.basis.tags == basis.tags):
        return old.tags
    return paper_tags(paper, settings.tagger)


def _derive_again(papers: Sequence[Paper], cached: Sequence[Derived | None],
                  stale: list[tuple[int, tuple[str, ...]]], settings: Settings,
                  parallel: bool) -> dict[int, Derived]:
    """Derive the stale papers again, keeping what still holds of their old values; many
    at once (after a template edit, every card) in forked workers."""
    def again(item: tuple[int, tuple[str, ...]]) -> Derived:
        index, shown = item
        return derive_paper(papers[index], settings, shown, cached[index])

    made = fork_imap("derive", again, stale, PARALLEL_DERIVE if parallel else len(stale) + 1)
    return {index: result for (index, _), result in zip(stale, made, strict=True)}


def _site(views: list[PaperView], config: Config, env_key: str, cache_dir: Path) -> SiteData:
    """The site's lists: tags, archive months and the "top" order."""
    tags = [TagView(t.name, t.slug, f"tags/{t.slug}/", t.items)
            for t in group_tags((v, v.derived.shown) for v in views)]
    top = sorted(views, key=lambda v: (-(v.upvotes or 0), -(v.comments or 0),
                                       -v.date.toordinal(), v.slug))
    build_date = date.today() if config.build_timestamp else None
    site = SiteData(config, views, top, tags, month_views(views), env_key, cache_dir,
                    build_date)
    if config.listing_pages:
        site.periods, site.trending = listing_periods(views), trending(views)
    return site


def month_views(papers: list[PaperView]) -> list[MonthView]:
    """Archive months, newest first, each with its papers in site order."""
    months: dict[tuple[int, int], MonthView] = {}
    for view in papers:
        ym = (view.date.year, view.date.month)
        if ym not in months:
            months[ym] = MonthView(ym[0], ym[1], view.month_path)
        months[ym].papers.append(view)
    return [months[k] for k in sorted(months, reverse=True)]
