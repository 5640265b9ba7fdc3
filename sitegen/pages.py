"""Stage 3, plan: every output file as a :class:`Job`: a path, a key and a way to make bytes.

The key is a hash of everything the file depends on (the papers it shows, its
neighbours, templates, config). A job whose key matches the previous build's
is not rendered again: its file is reused as it was. Planning reads the
derived site (:class:`~sitegen.views.SiteData`) and changes nothing in it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sitegen.keys import Content, Job, make_key
from sitegen.views import Pagination, PaperView, SiteData

# Content, Job, SiteData and make_key are named here too: output modules import them
# from here.
__all__ = ["Content", "Job", "PageMeta", "SiteData", "file_for", "make_key", "plan_pages"]


@dataclass
class PageMeta:
    """What the layout needs about the page being rendered."""

    kind: str
    title: str
    path: str
    description: str = ""
    feeds: list[tuple[str, str]] = field(default_factory=list)  # (title, site path)
    noindex: bool = False


def file_for(path: str) -> str:
    """The file that serves a pretty URL path (``papers/x/`` → ``papers/x/index.html``)."""
    return f"{path}index.html" if path.endswith("/") or not path else path


Render = Callable[[str, dict[str, Any]], bytes]


def _list_jobs(data: SiteData, render: Render, kind: str, base: str, title: str,
               papers: list[PaperView], extra: dict[str, Any] | None = None,
               feeds: list[tuple[str, str]] | None = None, extra_key: object = None,
               template: str = "list.html") -> Iterable[Job]:
    """The paginated pages of one list (home, top, a tag, a month)."""
    per = data.config.per_page
    total = max(1, math.ceil(len(papers) / per))
    extra = extra or {}
    for number in range(1, total + 1):
        pagination = Pagination(number, total, base, len(papers))
        chunk = papers[(number - 1) * per: number * per]
        heading = title if number == 1 else f"{title} (page {number} of {total})"
        meta = PageMeta(kind, heading, pagination.path, feeds=feeds or [])
        key = make_key(data.env_key, kind, base, title, number, total, len(papers),
                       [v.key for v in chunk], extra_key, meta.feeds)
        context = {"page": meta, "papers": chunk, "pagination": pagination, "heading": title,
                   **extra}
        yield Job(file_for(pagination.path), key, partial(render, template, context))


def _detail_jobs(data: SiteData, render: Render) -> Iterable[Job]:
    prefix = make_key(data.env_key, "paper")
    for view in data.papers:
        # One hash of joined text: this runs for every paper on every build.
        newer, older = view.newer, view.older
        shown = (f"{prefix}\x1f{view.key}\x1f{newer.slug if newer else ''}\x1f"
                 f"{newer.title if newer else ''}\x1f{older.slug if older else ''}\x1f"
                 f"{older.title if older else ''}\x1f{newer is None}{older is None}\x1f"
                 f"{discovery_key(view)}")
        key = hashlib.sha1(shown.encode("utf-8", "surrogatepass"),
                           usedforsecurity=False).hexdigest()
        # The page shows its BibTeX entry, whose key changes when another paper with the
        # same key stem comes or goes.
        yield Job(file_for(view.path), f"{key}:{view.cite_key}",
                  partial(detail_page, render, view))


def discovery_key(view: PaperView) -> str:
    """What a paper page shows of other papers and groups: related papers' slugs and
    titles, its authors' and organisation's pages, its social image."""
    related = "\x1e".join(f"{r.slug}\x1d{r.title}" for r in view.related)
    authors = "\x1e".join(f"{a.slug}\x1d{a.highlighted}" for a in view.author_refs)
    org = view.org_ref.slug if view.org_ref else ""
    return f"{related}\x1f{authors}\x1f{org}\x1f{view.image}"


def group_jobs(data: SiteData, render: Render, site_feed: list[tuple[str, str]]
               ) -> list[Job]:
    """A page (or several) per author and per organisation, with the feed of each."""
    jobs: list[Job] = []
    for group in data.authors + data.orgs:
        feed = ([(f"{group.name} (Atom)", f"{group.path}feed.xml")]
                if data.config.writes_feeds else [])
        title = f"Papers by {group.name}" if group.kind == "author" else group.name
        jobs += _list_jobs(data, render, group.kind, group.path, title, group.papers,
                           extra={"group": group}, feeds=site_feed + feed,
                           extra_key=(group.name, group.slug, group.highlighted),
                           template=f"{group.kind}.html")
    return jobs


def detail_page(render: Render, view: PaperView) -> bytes:
    """Render one paper page; its context is made only if the page is rendered at all
    (an incremental build plans every page but renders a few)."""
    meta = PageMeta("paper", view.title, view.path, description=view.summary)
    return render("paper.html", {"page": meta, "paper": view})


def plan_pages(data: SiteData, render: Render) -> list[Job]:
    """Every HTML page of the site."""
    config = data.config
    site_feed = [(f"{config.title} (Atom)", "feed.xml")] if config.writes_feeds else []
    jobs: list[Job] = list(_list_jobs(data, render, "home", "", "Latest papers", data.papers,
                                      feeds=site_feed))
    if config.top_pages:
        jobs += _list_jobs(data, render, "top", "top/", "Top papers", data.top, feeds=site_feed)
    for tag in data.tags:
        tag_feed = [(f"{tag.name} (Atom)", f"{tag.path}feed.xml")] if config.writes_feeds else []
        jobs += _list_jobs(data, render, "tag", tag.path, f"Tagged “{tag.name}”", tag.papers,
                           extra={"tag": tag}, feeds=site_feed + tag_feed,
                           extra_key=(tag.name, tag.slug))
    for index, month in enumerate(data.months if config.archive else []):
        newer = data.months[index - 1] if index > 0 else None
        older = data.months[index + 1] if index + 1 < len(data.months) else None
        extra = {"month": month, "newer_month": newer, "older_month": older}
        nav = [(m.path, m.label) if m else None for m in (newer, older)]
        jobs += _list_jobs(data, render, "month", month.path, f"Papers of {month.label}",
                           month.papers, extra=extra, feeds=site_feed, extra_key=nav)
    if config.listing_pages:
        jobs += _listing_jobs(data, render, site_feed)
    jobs += _detail_jobs(data, render)
    jobs += group_jobs(data, render, site_feed)
    jobs += _index_jobs(data, render, site_feed)
    return jobs


def _listing_jobs(data: SiteData, render: Render, feeds: list[tuple[str, str]]) -> list[Job]:
    """The trending page and a page per listing day, week and month (see sitegen.periods).

    Each key holds what the page shows beyond its cards: the gains and window of
    trending, a period's neighbours and the newest periods trending links to.
    """
    trend = data.trending
    items = trend.items if trend else []
    newest = {kind: (periods[0].path, periods[0].label) if periods else None
              for kind, periods in data.periods.items()}
    window = (trend.since, trend.until) if trend else None
    jobs = list(_list_jobs(
        data, render, "trending", "trending/", "Trending papers", [i.paper for i in items],
        extra={"gains": {i.paper.slug: i.gain for i in items}, "trending": trend,
               "newest": newest}, feeds=feeds, template="trending.html",
        extra_key=([(i.paper.slug, i.gain) for i in items], window, newest)))
    for kind, periods in data.periods.items():
        for period in periods:
            nav = [(p.path, p.label) if p else None for p in (period.newer, period.older)]
            jobs += _list_jobs(data, render, kind, period.path,
                               f"Papers of {period.label}", period.papers,
                               extra={"period": period}, feeds=feeds, template="period.html",
                               extra_key=(period.label, nav))
    return jobs


def _index_jobs(data: SiteData, render: Render, feeds: list[tuple[str, str]]) -> list[Job]:
    """Pages that list tags and months, plus search and 404."""
    tag_summary = [(t.slug, t.name, t.count) for t in data.tags]
    month_summary = [(m.path, m.count) for m in data.months]
    specs: list[tuple[str, str, PageMeta, dict[str, Any], object]] = [
        ("tags/index.html", "tags.html", PageMeta("tags", "Tags", "tags/", feeds=feeds),
         {"tags": data.tags}, tag_summary),
        ("archive/index.html", "archive.html",
         PageMeta("archive", "Archive", "archive/", feeds=feeds),
         {"months": data.months}, month_summary),
        ("search/index.html", "search.html", PageMeta("search", "Search", "search/", feeds=feeds),
         {"tags": data.tags}, tag_summary),
        ("404.html", "404.html", PageMeta("404", "Page not found", "404.html", noindex=True),
         {}, None),
    ]
    if not data.config.archive:
        specs = [spec for spec in specs if spec[0] != "archive/index.html"]
    jobs = []
    for path, template, meta, extra, summary in specs:
        context = {"page": meta, **extra}
        key = make_key(data.env_key, path, summary)
        jobs.append(Job(path, key, partial(render, template, context)))
    return jobs
