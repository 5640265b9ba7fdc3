"""Atom feeds (the site's and one per tag) and an RSS 2.0 feed of the site.

Written with ElementTree, which escapes ``&``, ``<`` and ``>`` in text and
quotes in attributes, so any title stays well-formed XML; characters XML
cannot carry at all (most control characters) are dropped. Nothing depends on
the clock: an entry's ``updated`` is the later of its paper's date and listing
date, the feed's is the newest entry's.

Every URL in a feed is absolute, and entry ids are the page URLs (Atom ids
must be absolute IRIs; readers copy links out of feeds, away from the feed's
address). So feeds are written only when ``base_url`` has a scheme and host;
without one the build leaves them out, with a warning (see
:attr:`sitegen.config.Config.writes_feeds`).

RSS has no way to mark text as plain: readers render every ``<description>``
as HTML once the XML is parsed. Descriptions are therefore HTML-escaped before
the serializer escapes them again, so a ``<script>`` in the site description or
a formula kept as source in a summary shows as text. Atom says what it carries:
titles and summaries are ``type="text"``, content is the sanitised abstract HTML.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, time
from functools import partial

from sitegen.config import Config
from sitegen.pages import Job, SiteData, make_key
from sitegen.views import PaperView

FORMAT = 3  # bump when feeds are written differently
ATOM = "http://www.w3.org/2005/Atom"
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean(text: str) -> str:
    """Text without the characters XML 1.0 forbids."""
    return _INVALID_XML.sub("", text)


def stamp(day: date) -> str:
    """An RFC 3339 timestamp at midnight UTC."""
    return f"{day.isoformat()}T00:00:00Z"


def updated(view: PaperView) -> date:
    """When an entry last changed: its listing date when later than its publication date."""
    listed = view.paper.listed
    return max(view.date, listed) if listed else view.date


def feed_id(config: Config, path: str) -> str:
    """An Atom id: the page's absolute URL (stable as long as the site stays where it is)."""
    return config.absolute(path)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: clean(v) for k, v in attrs.items()})
    if text is not None:
        element.text = clean(text)
    return element


def atom_feed(config: Config, title: str, page: str, path: str,
              papers: list[PaperView]) -> bytes:
    """An Atom 1.0 document for ``papers`` (already newest first and cut to size)."""
    root = ET.Element("feed", {"xmlns": ATOM, "xml:lang": clean(config.language)})
    _sub(root, "id", feed_id(config, path))
    _sub(root, "title", title, type="text")
    if config.description:
        _sub(root, "subtitle", config.description, type="text")
    newest = max((updated(v) for v in papers), default=date(1970, 1, 1))
    _sub(root, "updated", stamp(newest))
    _sub(root, "link", rel="self", type="application/atom+xml", href=config.absolute(path))
    _sub(root, "link", rel="alternate", type="text/html", href=config.absolute(page))
    _sub(_sub(root, "author"), "name", config.author or config.title)
    _sub(root, "generator", "sitegen")
    for view in papers:
        _atom_entry(root, config, view)
    return _serialise(root)


def _atom_entry(root: ET.Element, config: Config, view: PaperView) -> None:
    entry = _sub(root, "entry")
    _sub(entry, "id", feed_id(config, view.path))
    _sub(entry, "title", view.title, type="text")
    _sub(entry, "link", rel="alternate", type="text/html", href=config.absolute(view.path))
    if view.paper.precision == "day":  # a year alone is not a day: no made-up January 1
        _sub(entry, "published", stamp(view.date))
    _sub(entry, "updated", stamp(updated(view)))
    for name in view.authors:
        _sub(_sub(entry, "author"), "name", name)
    for tag in view.tags:
        _sub(entry, "category", term=tag.slug, label=tag.name)
    if view.summary:
        _sub(entry, "summary", view.summary, type="text")
    if view.abstract_html:
        _sub(entry, "content", str(view.abstract_html), type="html")


def rss_feed(config: Config, papers: list[PaperView]) -> bytes:
    """An RSS 2.0 document of the site's newest papers."""
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM})
    channel = _sub(root, "channel")
    _sub(channel, "title", config.title)
    _sub(channel, "link", config.absolute(""))
    _sub(channel, "description", _plain_html(config.description or config.title))
    _sub(channel, "language", config.language)
    _sub(channel, "generator", "sitegen")
    if papers:
        newest = max(updated(v) for v in papers)
        _sub(channel, "lastBuildDate", _rfc822(newest))
    _sub(channel, "atom:link", rel="self", type="application/rss+xml",
         href=config.absolute("rss.xml"))
    for view in papers:
        item = _sub(channel, "item")
        _sub(item, "title", view.title)
        _sub(item, "link", config.absolute(view.path))
        _sub(item, "guid", feed_id(config, view.path), isPermaLink="true")
        if view.paper.precision == "day":
            _sub(item, "pubDate", _rfc822(view.date))
        for tag in view.tags:
            _sub(item, "category", tag.name)
        if view.summary:
            _sub(item, "description", _plain_html(view.summary))
    return _serialise(root)


def _plain_html(text: str) -> str:
    """Text as HTML that shows it literally: RSS readers treat descriptions as markup."""
    return html.escape(text, quote=False)


def _rfc822(day: date) -> str:
    from email.utils import format_datetime

    return format_datetime(datetime.combine(day, time(0, 0), tzinfo=UTC))


def _serialise(root: ET.Element) -> bytes:
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def feed_jobs(data: SiteData) -> list[Job]:
    """``feed.xml`` and ``rss.xml`` for the site and a ``feed.xml`` per tag, author and
    organisation (none without an absolute base URL)."""
    config = data.config
    if not config.writes_feeds:
        return []
    size = config.feed_size
    settings = (FORMAT, config.title, config.description, config.author, config.language,
                config.base_url, size)
    newest = data.papers[:size]
    keys = [v.key for v in newest]
    jobs = [
        Job("feed.xml", make_key("atom", settings, keys),
            lambda: atom_feed(config, config.title, "", "feed.xml", newest)),
        Job("rss.xml", make_key("rss", settings, keys), lambda: rss_feed(config, newest)),
    ]
    groups = [(tag.name, tag.path, tag.papers) for tag in data.tags]
    groups += [(group.name, group.path, group.papers) for group in data.authors + data.orgs]
    for name, page, group_papers in groups:
        papers = group_papers[:size]
        path = f"{page}feed.xml"
        title = f"{config.title}: {name}"
        key = make_key("atom", settings, path, title, [v.key for v in papers])
        jobs.append(Job(path, key, partial(atom_feed, config, title, page, path, papers)))
    return jobs
