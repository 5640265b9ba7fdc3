"""Reading what ``sitegen check`` needs out of built pages and style sheets.

One :class:`PageScan` per file holds every URL the file refers to, the ids it
defines (targets of ``#fragment`` links) and whether it is a redirect stub or
asks not to be indexed (such pages need not be in ``sitemap.xml``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

#: (tag, attribute) pairs whose value is one URL.
URL_ATTRS: frozenset[tuple[str, str]] = frozenset({
    ("a", "href"), ("area", "href"), ("link", "href"), ("base", "href"),
    ("img", "src"), ("script", "src"), ("iframe", "src"), ("embed", "src"),
    ("source", "src"), ("track", "src"), ("audio", "src"), ("video", "src"),
    ("video", "poster"), ("input", "src"), ("object", "data"), ("form", "action"),
})
SRCSET_TAGS = frozenset({"img", "source"})

#: ``<link rel>`` values naming a resource the page loads (a missing one is a missing asset).
ASSET_RELS = frozenset({"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload",
                        "modulepreload", "prefetch", "manifest", "mask-icon"})

CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)"""
                     r"""|@import\s+(?:"([^"]*)"|'([^']*)')""")


@dataclass(frozen=True)
class Ref:
    """One URL found in a file: ``kind`` is "link", "asset" or "redirect"."""

    kind: str
    url: str
    line: int


@dataclass
class PageScan:
    """What one file refers to and defines."""

    refs: list[Ref] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    base_href: str | None = None
    redirect: bool = False
    noindex: bool = False


def css_urls(text: str) -> list[tuple[str, int]]:
    """Every ``url(...)`` and ``@import`` target in CSS (``data:`` excluded), with its line - 1."""
    found = []
    for match in CSS_URL.finditer(text):
        url = next((group for group in match.groups() if group is not None), "").strip()
        if url and not url.lower().startswith("data:"):
            found.append((url, text.count("\n", 0, match.start())))
    return found


def srcset_urls(value: str) -> list[str]:
    """The URLs of a ``srcset`` (``a.png 1x, b.png 2x``)."""
    urls = []
    for candidate in value.split(","):
        parts = candidate.split()
        if parts:
            urls.append(parts[0])
    return urls


def refresh_url(content: str) -> str | None:
    """The target of ``<meta http-equiv="refresh" content="0; url=...">``, if any."""
    match = re.search(r"""url\s*=\s*['"]?([^'"]*)""", content, re.IGNORECASE)
    return match.group(1).strip() if match else None


class _Scanner(HTMLParser):
    """Collects references and ids from start tags; ignores text except in ``<style>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = PageScan()
        self._in_style = False

    def _ref(self, kind: str, url: str | None) -> None:
        if url is not None and url.strip():
            self.scan.refs.append(Ref(kind, url.strip(), self.getpos()[0]))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        if "id" in values:
            self.scan.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.scan.ids.add(values["name"])
        if tag == "meta":
            self._meta(values)
        elif tag == "base" and "href" in values:
            self.scan.base_href = values["href"]
            return
        elif tag == "style":
            self._in_style = True
        kind = "link" if tag in ("a", "area", "form") else "asset"
        if tag == "link":
            rels = set(values.get("rel", "").lower().split())
            kind = "asset" if rels & ASSET_RELS else "link"
        for name, value in values.items():
            if (tag, name) in URL_ATTRS:
                self._ref(kind, value)
            elif name == "srcset" and tag in SRCSET_TAGS:
                for url in srcset_urls(value):
                    self._ref("asset", url)
            elif name == "style" and "url(" in value:
                for url, _ in css_urls(value):
                    self._ref("asset", url)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "style":
            self._in_style = False

    def _meta(self, values: dict[str, str]) -> None:
        if values.get("http-equiv", "").lower() == "refresh":
            target = refresh_url(values.get("content", ""))
            if target is not None:
                self.scan.redirect = True
                self._ref("redirect", target)
        robots = values.get("name", "").lower() == "robots"
        if robots and "noindex" in values.get("content", "").lower():
            self.scan.noindex = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style and ("url(" in data or "@import" in data):
            line = self.getpos()[0]
            for url, offset in css_urls(data):
                self.scan.refs.append(Ref("asset", url, line + offset))


def scan_html(text: str) -> PageScan:
    """Scan one HTML document."""
    scanner = _Scanner()
    scanner.feed(text)
    scanner.close()
    return scanner.scan


def scan_css(text: str) -> PageScan:
    """Scan one style sheet (its ``url()`` and ``@import`` targets are assets)."""
    scan = PageScan()
    for url, offset in css_urls(text):
        scan.refs.append(Ref("asset", url, offset + 1))
    return scan
