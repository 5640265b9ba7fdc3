"""The plan stage's side of the outputs: their jobs, and what paper pages show of them.

:func:`output_jobs` plans every output file besides the HTML pages (feeds,
sitemap, data files, BibTeX); :func:`template_helpers` gives templates the
paper-page parts (BibTeX entry, ``.bib`` URL, JSON-LD record, the citation
files and ``citation_*`` meta tags) of what the derive stage made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from sitegen.config import Config
from sitegen.keys import Job, make_key
from sitegen.outputs import bibtex, citations, data, feeds, jsonfeed, sitemap, social
from sitegen.people import person_key
from sitegen.views import PaperView, SiteData


def output_jobs(site: SiteData, html: Sequence[str]) -> list[Job]:
    """Every non-page output file; ``html`` (the pages planned) is what the sitemap lists."""
    config = site.config
    bib_paths = {v.slug: bibtex.bib_path(v) for v in site.papers} if config.bib_files else {}
    jobs = feeds.feed_jobs(site) if config.feeds else []
    jobs += social.card_jobs(site) + (jsonfeed.feed_jobs(site) if config.feeds else [])
    jobs += sitemap.sitemap_jobs(site, html) + data.data_jobs(site, bib_paths)
    if config.bib_files:
        jobs += _bib_jobs(site) + citations.citation_jobs(site)
    return jobs


def template_helpers(config: Config) -> dict[str, Callable[..., Any]]:
    """Template globals for paper pages: BibTeX text, its file's URL, the JSON-LD record."""

    def scholarly(paper: PaperView) -> dict[str, Any]:
        return data.scholarly_jsonld(paper, config)

    def bib_url(paper: PaperView) -> str:
        return config.base_path + bibtex.bib_path(paper) if config.bib_files else ""

    def exports(paper: PaperView) -> list[tuple[str, str, str, str]]:
        """(label, URL, media type, file name) of each citation file of a paper."""
        if not config.bib_files:
            return []
        paths = citations.export_paths(paper)
        return [(label, config.base_path + paths[name], media, paths[name].rsplit("/", 1)[-1])
                for name, label, media in _EXPORTS]

    keys = frozenset(person_key(name) for name in config.highlight_authors)

    def highlighted(name: str) -> bool:
        """Whether a name is one of ``highlight_authors`` (cards show it in bold)."""
        return bool(keys) and person_key(name) in keys

    return {"bibtex": bibtex.entry, "bib_url": bib_url, "scholarly": scholarly,
            "exports": exports, "citation_meta": citations.citation_meta,
            "highlighted": highlighted}


_EXPORTS = (("bib", "BibTeX", "application/x-bibtex"),
            ("csl", "CSL-JSON", "application/vnd.citationstyles.csl+json"),
            ("ris", "RIS", "application/x-research-info-systems"))


def _bib_jobs(site: SiteData) -> list[Job]:
    """A ``.bib`` next to each paper page, and ``papers.bib`` with every entry, newest first."""
    config = site.config
    settings = (bibtex.FORMAT, config.base_url)
    jobs = []
    prefix = make_key("bib", settings)
    for view in site.papers:
        key = f"{prefix}:{view.key}:{view.cite_key}"
        jobs.append(Job(bibtex.bib_path(view), key, partial(_bib_bytes, [view])))
    all_key = make_key("papers.bib", settings, [(v.key, v.cite_key) for v in site.papers])
    jobs.append(Job("papers.bib", all_key, partial(_bib_bytes, site.papers), whole=True))
    return jobs


def _bib_bytes(papers: list[PaperView]) -> bytes:
    return "\n".join(bibtex.entry(v) for v in papers).encode("utf-8")
