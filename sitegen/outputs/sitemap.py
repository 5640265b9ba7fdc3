"""``sitemap.xml``: every page a search engine should see, with the paper date as ``lastmod``.

The sitemap protocol wants absolute URLs, so without a scheme and host in
``base_url`` no sitemap is written: the build warns, and ``sitegen check``
fails on the missing file.
A site with more than 50,000 pages (the protocol's limit per file) gets a
sitemap index in ``sitemap.xml`` and numbered ``sitemap-N.xml`` files.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import date
from functools import partial
from urllib.parse import quote

from sitegen.config import Config
from sitegen.pages import Job, SiteData, make_key

FORMAT = 1
NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000
NOT_LISTED = frozenset({"404.html"})  # pages that ask not to be indexed


def xml_escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as entities: ``xml.sax.saxutils.escape`` without its imports."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def page_url(config: Config, file: str) -> str:
    """The public URL of an HTML output file (``a/index.html`` → ``…/a/``), percent-encoded."""
    path = file[: -len("index.html")] if file == "index.html" or file.endswith("/index.html") \
        else file
    return config.absolute(quote(path, safe="/-._~!$&'()*+,;=:@"))


def lastmods(data: SiteData) -> dict[str, date]:
    """``lastmod`` per HTML file: a paper's date, or the newest paper of a list's first page."""
    dates: dict[str, date] = {f"{v.path}index.html": v.date for v in data.papers}
    if data.papers:
        dates["index.html"] = data.papers[0].date
    groups = [(t.path, t.papers) for t in data.tags] + [(m.path, m.papers) for m in data.months]
    for path, papers in groups:
        if papers:  # in site order, newest first
            dates[f"{path}index.html"] = papers[0].date
    return dates


def sitemap_jobs(data: SiteData, html_files: Iterable[str]) -> list[Job]:
    """``sitemap.xml`` (and numbered parts for very large sites); none without a full base URL."""
    config = data.config
    if config.absolute_base is None:
        return []
    dates = lastmods(data)
    files = [(f, dates.get(f)) for f in sorted(set(html_files)) if f not in NOT_LISTED]
    chunks = [files[i:i + MAX_URLS] for i in range(0, len(files), MAX_URLS)] or [[]]
    if len(chunks) == 1:
        return [Job("sitemap.xml", _chunk_key(config, files), partial(_urlset, config, files))]
    jobs = []
    names = [f"sitemap-{number}.xml" for number in range(1, len(chunks) + 1)]
    for name, chunk in zip(names, chunks, strict=True):
        jobs.append(Job(name, _chunk_key(config, chunk), partial(_urlset, config, chunk)))
    locs = [config.absolute(name) for name in names]
    jobs.append(Job("sitemap.xml", make_key("sitemap-index", FORMAT, locs),
                    lambda: _index(locs)))
    return jobs


def _chunk_key(config: Config, files: list[tuple[str, date | None]]) -> str:
    """What one sitemap file shows: the base URL, the pages and their dates."""
    return make_key("sitemap", FORMAT, config.base_url,
                    "\n".join(f"{name} {when}" for name, when in files))


def _urlset(config: Config, files: list[tuple[str, date | None]]) -> bytes:
    """The ``<urlset>`` document, written as ElementTree would indent it, but as text:
    this file is rewritten whenever a paper changes, so it must be cheap."""
    if not files:
        return _serialise(ET.Element("urlset", xmlns=NS))
    parts = [f"<?xml version='1.0' encoding='utf-8'?>\n<urlset xmlns=\"{NS}\">\n"]
    for file, lastmod in files:
        parts.append(f" <url>\n  <loc>{xml_escape(page_url(config, file))}</loc>\n")
        if lastmod is not None:
            parts.append(f"  <lastmod>{lastmod.isoformat()}</lastmod>\n")
        parts.append(" </url>\n")
    parts.append("</urlset>\n")
    return "".join(parts).encode("utf-8")


def _index(locs: list[str]) -> bytes:
    root = ET.Element("sitemapindex", xmlns=NS)
    for loc in locs:
        ET.SubElement(ET.SubElement(root, "sitemap"), "loc").text = loc
    return _serialise(root)


def _serialise(root: ET.Element) -> bytes:
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
