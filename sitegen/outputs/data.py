"""Machine-readable data: ``papers.json``, ``robots.txt`` and the schema.org record of a paper.

``papers.json`` holds every paper's metadata (newest first) for scripts and
other sites; it is written with sorted keys and real UTF-8, so the same
content always gives the same bytes. The JSON-LD record goes into each paper
page through the ``json_script`` filter, which escapes ``<`` so no text can
close the ``<script>`` element.
"""

from __future__ import annotations

import json
from typing import Any

from sitegen.config import Config
from sitegen.keys import Job, make_key
from sitegen.views import PaperView, SiteData

FORMAT = 5  # bump when the shape of papers.json, robots.txt or their cached parts change
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False)  # made once, not per record


def paper_record(view: PaperView, config: Config, bib: str | None = None) -> dict[str, Any]:
    """One paper's entry in ``papers.json`` (missing values are ``null``, lists empty)."""
    org = view.organization
    return {
        "title": view.title,
        "slug": view.slug,
        "url": config.absolute(view.path),
        "date": view.date_text,
        "listed": view.paper.listed.isoformat() if view.paper.listed else None,
        "authors": list(view.authors),
        "author_count": view.n_authors,
        "organization": {"id": org.id, "name": org.name} if org else None,
        "comments": view.comments,
        "upvotes": view.upvotes,
        "tags": [{"name": t.name, "slug": t.slug, "url": config.absolute(t.path)}
                 for t in view.tags],
        "links": [{"kind": link.kind, "url": link.url} for link in view.paper.links],
        "arxiv": view.arxiv,
        "doi": view.doi,
        "abstract": view.paper.body.strip(),
        "bibtex": config.absolute(bib) if bib else None,
    }


def record_text(view: PaperView, config: Config, bib: str | None = None) -> bytes:
    """:func:`paper_record` as UTF-8 JSON (sorted keys) without its abstract and opening
    brace; made by the derive stage and kept in the parse cache with the paper.

    Bytes, so that ``papers.json`` is a join of ready parts: encoding the whole
    document again on every rebuild costs more than everything else it needs. The
    abstract, the first key, is left to :func:`_record_parts`: the paper holds it
    already, and a second copy is a tenth of a large site's memory.
    """
    record = paper_record(view, config, bib)
    del record["abstract"]
    return _ENCODER.encode(record).encode("utf-8", "replace")[1:]


def _record_parts(view: PaperView) -> tuple[bytes, bytes, bytes, bytes]:
    """The paper's whole ``papers.json`` record, as parts: the kept record with its
    abstract put back, byte for byte what encoding :func:`paper_record` gives."""
    rest = view.derived.record
    assert rest is not None, "the derive stage makes every record when papers_json is on"
    abstract = _ENCODER.encode(view.paper.body.strip()).encode("utf-8", "replace")
    return _ABSTRACT, abstract, b", ", rest


_ABSTRACT = b'{"abstract": '


def papers_json(data: SiteData) -> list[bytes]:
    """The whole ``papers.json`` document, in parts: sorted keys, as ``json.dumps`` would
    write it.

    Parts rather than one joined copy: at 100,000 papers the document is about 200 MB.
    """
    config = data.config
    head = json.dumps({"count": len(data.papers), "description": config.description},
                      sort_keys=True, ensure_ascii=False)
    tail = json.dumps({"title": config.title, "url": config.absolute("")},
                      sort_keys=True, ensure_ascii=False)
    parts = [f'{head[:-1]}, "papers": ['.encode("utf-8", "replace")]
    separator = b", "
    for view in data.papers:
        parts += _record_parts(view)
        parts.append(separator)
    if data.papers:
        parts.pop()
    parts.append(f"], {tail[1:]}\n".encode("utf-8", "replace"))
    return parts


def data_jobs(data: SiteData, bib_paths: dict[str, str]) -> list[Job]:
    """``papers.json`` (keyed by every paper's key) and ``robots.txt`` (keyed by the base URL)."""
    config = data.config
    robots_key = make_key("robots.txt", FORMAT, config.base_url)
    robots = Job("robots.txt", robots_key, lambda: robots_txt(config))
    if not config.papers_json:
        return [robots]
    json_key = make_key("papers.json", FORMAT, config.title, config.description,
                        config.base_url, [(v.key, bib_paths.get(v.slug)) for v in data.papers])
    return [Job("papers.json", json_key, lambda: papers_json(data), whole=True), robots]


def robots_txt(config: Config) -> bytes:
    """Allow everything and point crawlers at the sitemap.

    A ``Sitemap:`` line needs an absolute URL; without a host in ``base_url``
    there is no sitemap, and no line.
    """
    lines = ["User-agent: *", "Allow: /"]
    if config.absolute_base:
        lines += ["", f"Sitemap: {config.absolute('sitemap.xml')}"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def scholarly_jsonld(view: PaperView, config: Config) -> dict[str, Any]:
    """The schema.org ``ScholarlyArticle`` record of a paper, for a JSON-LD script.

    Its URLs must be absolute, so without a host in ``base_url`` they are left out.
    """
    record: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "name": view.title,
        "headline": view.title,
        "datePublished": view.date_text,
    }
    site: dict[str, Any] = {"@type": "WebSite", "name": config.title}
    if config.absolute_base:
        record["url"] = record["mainEntityOfPage"] = config.absolute(view.path)
        site["url"] = config.absolute("")
    record["isPartOf"] = site
    if view.authors:
        record["author"] = [{"@type": "Person", "name": name} for name in view.authors]
    if view.summary:
        record["description"] = view.summary
    if view.paper.body.strip():
        record["abstract"] = view.paper.body.strip()
    if view.tags:
        record["keywords"] = [tag.name for tag in view.tags]
    if view.organization:
        record["sourceOrganization"] = {"@type": "Organization",
                                        "name": view.organization.name}
    if view.comments is not None:
        record["commentCount"] = view.comments
    same, ids = [], []
    if view.arxiv:
        same.append(f"https://arxiv.org/abs/{view.arxiv}")
        ids.append({"@type": "PropertyValue", "propertyID": "arXiv", "value": view.arxiv})
    if view.doi:
        same.append(f"https://doi.org/{view.doi}")
        ids.append({"@type": "PropertyValue", "propertyID": "DOI", "value": view.doi})
    if same:
        record["sameAs"] = same
        record["identifier"] = ids
    return record
