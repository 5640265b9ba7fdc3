"""``feed.json`` (JSON Feed 1.1) of the site's newest papers, and ``feeds.opml``: every feed.

JSON Feed carries the same entries as ``feed.xml`` (see :mod:`~sitegen.outputs.feeds`):
absolute URLs, ids that are the page URLs, dates from the papers (never the
clock), titles and summaries as plain text and the sanitised abstract as
``content_html``. ``json.dumps`` escapes what JSON must; characters XML cannot
carry are dropped here too, so the two feeds show the same text.

The OPML file lists every feed of the site (the site's Atom, RSS and JSON
feeds, then one per tag, author and organisation), for feed readers that
subscribe to a whole list at once. Both files are written only where the Atom
feeds are (``feeds`` on, an absolute ``base_url``).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from sitegen.config import Config
from sitegen.outputs.feeds import clean, stamp, updated
from sitegen.pages import Job, SiteData, make_key
from sitegen.views import PaperView

FORMAT = 1  # bump when either file is written differently
VERSION = "https://jsonfeed.org/version/1.1"


def json_feed(config: Config, papers: list[PaperView]) -> bytes:
    """The JSON Feed 1.1 document of ``papers`` (newest first, cut to size)."""
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": clean(config.title),
        "home_page_url": config.absolute(""),
        "feed_url": config.absolute("feed.json"),
    }
    if config.description:
        feed["description"] = clean(config.description)
    feed["language"] = config.language
    if config.author:
        feed["authors"] = [{"name": clean(config.author)}]
    feed["items"] = [_item(config, view) for view in papers]
    text = json.dumps(feed, ensure_ascii=False, indent=1)
    return (text + "\n").encode("utf-8")


def _item(config: Config, view: PaperView) -> dict[str, Any]:
    url = config.absolute(view.path)
    item: dict[str, Any] = {"id": url, "url": url, "title": clean(view.title)}
    html = str(view.abstract_html)
    item["content_html"] = clean(html) if html else "<p>No abstract.</p>"
    if view.summary:
        item["summary"] = clean(view.summary)
    if view.image:
        item["image"] = config.absolute(view.image)
    item["date_published"] = stamp(view.date)
    item["date_modified"] = stamp(updated(view))
    if view.authors:
        item["authors"] = [_author(config, ref.name, ref.path) for ref in view.author_refs]
    if view.tags:
        item["tags"] = [clean(tag.name) for tag in view.tags]
    return item


def _author(config: Config, name: str, path: str) -> dict[str, str]:
    author = {"name": clean(name)}
    if path:
        author["url"] = config.absolute(path)
    return author


def all_feeds(data: SiteData) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Every feed of the site, in groups: ``(group, [(title, feed path, page path)])``."""
    site = data.config.title
    return [
        ("Site", [(f"{site} (Atom)", "feed.xml", ""), (f"{site} (RSS)", "rss.xml", ""),
                  (f"{site} (JSON Feed)", "feed.json", "")]),
        ("Tags", [(t.name, f"{t.path}feed.xml", t.path) for t in data.tags]),
        ("Authors", [(a.name, f"{a.path}feed.xml", a.path) for a in data.authors]),
        ("Organizations", [(o.name, f"{o.path}feed.xml", o.path) for o in data.orgs]),
    ]


def opml(config: Config, groups: list[tuple[str, list[tuple[str, str, str]]]]) -> bytes:
    """An OPML 2.0 document of every feed (ElementTree escapes text and attributes)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = clean(f"{config.title}: feeds")
    ET.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = ET.SubElement(root, "body")
    for name, feeds in groups:
        if not feeds:
            continue
        folder = ET.SubElement(body, "outline", text=name, title=name)
        for title, path, page in feeds:
            kind = "rss"  # OPML names every syndication feed so, Atom and JSON Feed included
            ET.SubElement(folder, "outline", type=kind, text=clean(title), title=clean(title),
                          xmlUrl=config.absolute(path), htmlUrl=config.absolute(page))
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def feed_jobs(data: SiteData) -> list[Job]:
    """``feed.json`` and ``feeds.opml`` (none without an absolute base URL)."""
    config = data.config
    if not config.writes_feeds:
        return []
    newest = data.papers[:config.feed_size]
    settings = (FORMAT, config.title, config.description, config.author, config.language,
                config.base_url)
    shown = [(v.key, v.image, [(a.name, a.path) for a in v.author_refs]) for v in newest]
    groups = all_feeds(data)
    return [
        Job("feed.json", make_key("jsonfeed", settings, shown),
            lambda: json_feed(config, newest)),
        Job("feeds.opml", make_key("opml", settings, groups), lambda: opml(config, groups)),
    ]
