"""Outputs besides HTML pages (feeds, sitemap, data files, BibTeX, search).

Each output module turns :class:`~sitegen.pages.SiteData` into jobs whose keys
hash exactly what the file shows, so unchanged outputs are reused; the search
index is built by :func:`post_process` over the finished tree. The template
helpers the paper page needs (``bibtex``, ``bib_url``, ``scholarly``) are
registered on the renderer here, before any page is rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from sitegen.config import Config
from sitegen.outputs import bibtex, data, feeds, search, sitemap
from sitegen.pages import Job, SiteData, make_key
from sitegen.render import Renderer
from sitegen.views import PaperView


def output_jobs(site: SiteData, renderer: Renderer, planned: Sequence[Job]) -> list[Job]:
    """Every non-page output file.

    ``planned`` is every job planned so far (pages and static files); the
    sitemap lists its HTML files.
    A paper page shows its BibTeX entry, whose key can change when another
    paper with the same key stem comes or goes, so each planned paper page's
    key gets its citation key folded in.
    """
    keys = bibtex.citation_keys(site.papers)
    entry = register_helpers(site, renderer, keys)
    pages = {f"{v.path}index.html": keys[v.slug] for v in site.papers}
    for job in planned:
        citation = pages.get(job.path)
        if citation is not None:
            job.key = f"{job.key}:{citation}"
    config = site.config
    bib_paths = {v.slug: bibtex.bib_path(v) for v in site.papers} if config.bib_files else {}
    html = [job.path for job in planned if job.path.endswith(".html")]
    jobs = feeds.feed_jobs(site) if config.feeds else []
    jobs += sitemap.sitemap_jobs(site, html) + data.data_jobs(site, bib_paths)
    if config.bib_files:
        jobs += _bib_jobs(site, keys, entry)
    return jobs



def prepare_view(view: PaperView, config: Config) -> None:
    """Make (and keep with the paper) the per-paper parts of the outputs.

    Run where papers are parsed, in parallel; a paper whose view turns out
    different (its tags merged with another spelling) has them made again.
    """
    _ = view.title_html
    bibtex.base_key(view)
    bibtex.entry(view, "", config)
    if config.papers_json:
        data.record_text(view, config, bibtex.bib_path(view) if config.bib_files else None)


def register_helpers(site: SiteData, renderer: Renderer, keys: dict[str, str]
                     ) -> Callable[[PaperView], str]:
    """Template globals for paper pages: BibTeX text, its file's URL, the JSON-LD record.

    Returns the BibTeX entry function, shared with the ``.bib`` outputs.
    """
    config = site.config
    entries: dict[str, str] = {}

    def entry(paper: PaperView) -> str:
        """The paper's BibTeX entry, made once per build (page, .bib and papers.bib share it)."""
        text = entries.get(paper.slug)
        if text is None:
            text = entries[paper.slug] = bibtex.entry(paper, keys[paper.slug], config)
        return text

    def scholarly(paper: PaperView) -> dict[str, Any]:
        return data.scholarly_jsonld(paper, config)

    def bib_url(paper: PaperView) -> str:
        return renderer.url(bibtex.bib_path(paper)) if config.bib_files else ""

    renderer.env.globals.update(bibtex=entry, bib_url=bib_url, scholarly=scholarly)
    return entry


def _bib_jobs(site: SiteData, keys: dict[str, str], entry: Callable[[PaperView], str]
              ) -> list[Job]:
    """A ``.bib`` next to each paper page, and ``papers.bib`` with every entry, newest first."""
    config = site.config
    settings = (bibtex.FORMAT, config.base_url)
    jobs = []
    prefix = make_key("bib", settings)
    for view in site.papers:
        key = f"{prefix}:{view.key}:{keys[view.slug]}"
        jobs.append(Job(bibtex.bib_path(view), key,
                        partial(_bib_bytes, [view], entry)))
    all_key = make_key("papers.bib", settings, [(v.key, keys[v.slug]) for v in site.papers])
    jobs.append(Job("papers.bib", all_key, partial(_bib_bytes, site.papers, entry)))
    return jobs


def _bib_bytes(papers: list[PaperView], entry: Callable[[PaperView], str]) -> bytes:
    return "\n".join(entry(v) for v in papers).encode("utf-8")


def post_process(site: SiteData, staging: Path) -> None:
    """Build (or carry over) the search index over the finished tree.

    ``staging`` is the new tree, or the live output for an in-place patch; the
    index is keyed by the paper pages, so an unchanged one is carried over (see
    :mod:`sitegen.outputs.search`).
    """
    if site.config.search:
        search.build_index(site, staging)
    else:
        search.remove_index(staging)
