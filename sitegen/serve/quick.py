"""The preview's quick page: a save that changes one paper's text shows at once.

The whole build of a preview takes a second or more on a large site: every paper
is looked at again, related papers and author pages are derived again, every
output is planned. Before it runs, the page of the one paper file that was saved
is drawn from the last build's site with the file's new text, served in place
of that page's file (from memory: the output folder is only ever written by
builds), and open pages reload. The whole build then runs as always and writes
that page; pages it changes reload once more (see :func:`needs_reload`).

A quick page is drawn only when it is the page the whole build draws, but for
what other papers lend it (their titles in its related list and neighbours): the
saved file is a paper of the last build, it parses without a problem, and its
slug, date, authors, organisation, thumbnail, tags and citation key stay the
same. Any other change (a file added, removed or moved, a template, the
configuration, a file that does not parse) waits for the whole build. The
quick page is served until that build ends; if it fails, the preview shows the
last good site again, with the errors.

With search on, the quick page is also indexed on its own beside the whole
build (:class:`QuickSearch`, :mod:`sitegen.outputs.search_edits`), so that the
preview's search finds the edit long before its part of the index is made again.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sitegen.content import default_slug, load_file
from sitegen.derive import Settings, derive_paper, redrawn
from sitegen.errors import SitegenError, visible
from sitegen.outputs.search_edits import index_edit
from sitegen.pages import detail_page
from sitegen.render import Renderer
from sitegen.site import page_renderer
from sitegen.views import PaperView, SiteData

# What the quick page takes from the last build unchanged, so they must not change.
_SAME_FIELDS = ("slug", "date", "authors", "organization", "thumbnail")


@dataclass(frozen=True)
class LastBuild:
    """What a quick page is drawn from: the last good build's site and its means."""

    data: SiteData
    renderer: Renderer
    settings: Settings
    out: Path  # the served output folder

    @cached_property
    def views(self) -> dict[Path, PaperView]:
        """Each paper's view by its content file (as the watcher names it: the site folder
        is resolved, so a content folder reached through a link never matches)."""
        return {view.paper.path: view for view in self.data.papers if view.paper.path}


@dataclass(frozen=True)
class QuickPage:
    """A page drawn ahead of the whole build: its file in the output, and what it holds."""

    rel: str  # its path in the output, e.g. "papers/x/index.html"
    file: Path  # the file it stands in for, as the preview's server finds it
    new: bytes


def draw(last: LastBuild, edits: frozenset[Path] | None) -> QuickPage | None:
    """The quick page of the one paper file in ``edits``; None when the save is not
    such a change (see the module's rule) and the whole build must show it, or when the
    page served already is that page."""
    if edits is None or len(edits) != 1:
        return None
    old = last.views.get(next(iter(edits)))
    if old is None or old.paper.path is None:
        return None
    paper, problems = load_file(old.paper.path, str(old.paper.path))
    if paper is None or problems:
        return None
    paper.slug = default_slug(paper)
    if any(getattr(paper, name) != getattr(old.paper, name) for name in _SAME_FIELDS):
        return None
    derived = derive_paper(paper, last.settings, old.derived.shown)
    if derived.tags != old.derived.tags or derived.cite_base != old.derived.cite_base:
        return None
    view = redrawn(old, paper, derived)
    render = page_renderer(last.renderer, last.data.config, last.data.build_date)
    rel = view.path + "index.html"
    target = last.out / rel
    try:
        if target.is_symlink() or not target.is_file():
            return None
        page = QuickPage(rel, target.resolve(), detail_page(render, view))
        if page.new == target.read_bytes():  # already served (a build or quick page drew it)
            return None
    except OSError:
        return None
    return page


def needs_reload(page: QuickPage, out: Path, rendered: list[str]) -> bool:
    """Whether the whole build after a quick page changed what a browser shows: an HTML
    page besides the quick one, or the quick page itself (``rendered``: the site paths
    the build wrote)."""
    if any(rel.endswith(".html") and rel != page.rel for rel in rendered):
        return True
    try:
        return (out / page.rel).read_bytes() != page.new
    except OSError:
        return True


class QuickSearch:
    """The quick page indexed for search in a thread while the whole build runs, its files
    handed to ``serve`` (site path -> bytes, :func:`~sitegen.outputs.search_edits.index_edit`);
    :meth:`drop` takes them back once the build's own index holds the edit, or it failed."""

    def __init__(self, out: Path, page: QuickPage, scratch: Path,
                 serve: Callable[[Mapping[str, bytes]], None]) -> None:
        self._serve = serve
        self._thread = threading.Thread(target=self._index, args=(out, page, scratch),
                                        daemon=True, name="sitegen-quick-search")
        self._thread.start()

    def _index(self, out: Path, page: QuickPage, scratch: Path) -> None:
        try:
            files = index_edit(out, page.rel, page.new, scratch)
        except (SitegenError, OSError) as exc:  # the whole build's index still comes
            print(visible(f"edit not indexed for search ahead of the build: {exc}"),
                  file=sys.stderr)
            return
        if files:
            self._serve(files)

    def wait(self) -> None:
        self._thread.join()

    def drop(self) -> None:
        """Stop serving the edit index (after :meth:`wait`)."""
        self._serve({})
