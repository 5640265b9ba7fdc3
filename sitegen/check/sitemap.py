"""URLs of a built site mapped back to its files, and ``sitemap.xml`` read back.

Both ``sitegen check`` and the base-URL guess need to turn a URL (a link in a
page, a ``<loc>`` in the sitemap) into the file a static host would serve for
it: strip the base path, percent-decode, map ``dir/`` to ``dir/index.html``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urljoin, urlsplit

from sitegen.errors import Problem

SITEMAP = "sitemap.xml"


@dataclass(frozen=True)
class Target:
    """Where a URL leads: ``path`` is the decoded URL path, ``file`` the output file or None."""

    path: str
    file: str | None
    fragment: str
    outside: bool = False  # the path is not under the base path


class Resolver:
    """Maps site URLs to output files, caching results (nav links repeat on every page)."""

    def __init__(self, base_url: str, files: Mapping[str, int], dirs: set[str]) -> None:
        parts = urlsplit(base_url)
        path = parts.path or "/"
        self.base_path = path if path.endswith("/") else path + "/"
        self.netloc = parts.netloc.lower() if parts.scheme and parts.netloc else ""
        self.files = files
        self.dirs = dirs
        self._cache: dict[tuple[str, str], Target | None] = {}

    def page_url(self, rel: str) -> str:
        """The URL path a host serves the output file ``rel`` at."""
        return self.base_path + quote(rel)

    def file_for(self, rel: str) -> str | None:
        """The output file served for ``rel`` (a path below the base path), or None."""
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        if rel in self.files:
            return rel
        if rel in self.dirs and rel + "/index.html" in self.files:
            return rel + "/index.html"
        return None

    def resolve(self, page_url: str, url: str) -> Target | None:
        """The target of ``url`` written in the page at ``page_url``; None if not on this site."""
        root_relative = url.startswith("/") and not url.startswith("//")
        key = ("" if root_relative and page_url.startswith("/") else page_url, url)
        if key not in self._cache:
            self._cache[key] = self._resolve(urljoin(page_url, url))
        return self._cache[key]

    def _resolve(self, url: str) -> Target | None:
        parts = urlsplit(url)
        if parts.scheme and parts.scheme not in ("http", "https"):
            return None  # mailto:, data:, javascript:, ...
        if parts.netloc and parts.netloc.lower() != self.netloc:
            return None  # another site
        path = unquote(parts.path)
        if not path.startswith("/"):
            path = "/" + path  # urljoin keeps ".." that climb above the root
        if not path.startswith(self.base_path):
            if path + "/" == self.base_path:
                return Target(path, self.file_for(""), parts.fragment)
            return Target(path, None, parts.fragment, outside=True)
        rel = path[len(self.base_path):]
        return Target(path, self.file_for(rel), parts.fragment)


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def _file_by_suffix(url: str, files: Mapping[str, int]) -> str | None:
    """The output file whose path ends the URL's path (for sitemap indexes, base unknown)."""
    segments = unquote(urlsplit(url).path).strip("/").split("/")
    for start in range(len(segments)):
        candidate = "/".join(segments[start:])
        if candidate in files:
            return candidate
    return None


def _parse(path_label: str, data: bytes) -> tuple[ET.Element | None, list[Problem]]:
    try:
        return ET.fromstring(data), []
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else 0
        return None, [Problem(path_label, line, f"is not valid XML: {exc}")]


def read_sitemap(output_files: Mapping[str, int], read: Callable[[str], bytes],
                 label: str) -> tuple[list[str], list[Problem]]:
    """Every ``<loc>`` of ``sitemap.xml`` (following a sitemap index), with read problems."""
    if SITEMAP not in output_files:
        return [], [Problem(f"{label}/{SITEMAP}", 0, "is missing (pages cannot be checked "
                                                    "against it)")]
    locs: list[str] = []
    problems: list[Problem] = []
    pending, seen = [SITEMAP], {SITEMAP}
    while pending:
        name = pending.pop()
        root, parse_problems = _parse(f"{label}/{name}", read(name))
        problems += parse_problems
        if root is None:
            continue
        entries = [el.text.strip() for el in root.iter()
                   if _local_name(el.tag) == "loc" and el.text]
        if _local_name(root.tag) != "sitemapindex":
            locs += entries
            continue
        for entry in entries:
            child = _file_by_suffix(entry, output_files)
            if child is None:
                problems.append(Problem(f"{label}/{name}", 0,
                                        f"lists sitemap {entry}, which is not in the site"))
            elif child not in seen:
                seen.add(child)
                pending.append(child)
    return locs, problems


def guess_base_url(locs: list[str], files: Mapping[str, int]) -> str | None:
    """The base URL the site was built with, read off its sitemap.

    ``sitegen build --base-url`` may differ from ``sitegen.toml`` (the Pages
    workflow passes it on the command line), so the checker takes the base
    under which the most sitemap URLs map to existing files, longest first.
    """
    if not locs:
        return None
    prefix = locs[0]
    for loc in locs[1:]:
        while not loc.startswith(prefix):
            prefix = prefix[:-1]
    origin = urlsplit(prefix)
    head = f"{origin.scheme}://{origin.netloc}" if origin.scheme and origin.netloc else ""
    path = origin.path if head else prefix
    candidates = [path[:i + 1] for i, ch in enumerate(path) if ch == "/"]
    best: tuple[int, int, str] | None = None
    for candidate in candidates:
        resolver = Resolver(head + candidate, files, set())
        hits = sum(1 for loc in locs if (t := resolver.resolve(candidate, loc)) and t.file)
        score = (hits, len(candidate), head + candidate)
        best = score if best is None or score > best else best
    return best[2] if best and best[0] else None
