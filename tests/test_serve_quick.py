"""The preview's quick page (``sitegen/serve/quick.py``): the page of the one paper file
saved, drawn from the last build before the whole build runs, is byte for byte the page
that build writes; every other kind of change waits for the build; the preview serves
the quick page until its build ends, and the last good page again if that build fails.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.edit import client, served_page  # noqa: E402
from sitegen.config import load_config  # noqa: E402
from sitegen.serve import PREVIEW_CACHE, PREVIEW_OUTPUT, PreviewServer, build_preview  # noqa: E402
from sitegen.serve.quick import LastBuild, QuickPage, draw, needs_reload  # noqa: E402
from sitegen.site import Site  # noqa: E402

PAPER = "content/papers/ai-native-memory-a-pathway-from-llms-towards-agi.md"
PAGE = "papers/ai-native-memory-a-pathway-from-llms-towards-agi/index.html"


def _build(site: Path) -> LastBuild:
    """An incremental preview build of ``site`` (no search index), recorded for the next."""
    config = load_config(site, {"output_dir": PREVIEW_OUTPUT, "search": False})
    built = Site(config, quiet=True, cache_dir=site / PREVIEW_CACHE, parallel=False)
    result, unfinished = build_preview(built)
    assert unfinished is not None and not result.skipped
    unfinished.site.record(unfinished.setup, unfinished.plan)
    return unfinished.last


def _edit(site: Path, old: str, new: str, rel: str = PAPER) -> Path:
    path = site / rel
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path.resolve()


@pytest.fixture
def last(example_site: Path) -> LastBuild:
    return _build(example_site.resolve())


@pytest.mark.parametrize(("old", "new"), [
    ("comments: 0\n", "comments: 7\n"),
    ("author_count: 6\n", "author_count: 6\ngithub_stars: 1234\n"),
    ("author_count: 6\n", 'author_count: 6\nai_summary: "A <b>bold</b> & plain summary."\n'),
    ("listed: 2026-01-09\n", 'listed: 2026-01-09\narxiv_comment: "12 pages, 3 figures"\n'),
])
def test_the_quick_page_is_the_page_the_build_writes(example_site: Path, last: LastBuild,
                                                     old: str, new: str) -> None:
    site = example_site.resolve()
    path = _edit(site, old, new)
    page = draw(last, frozenset({path}))
    assert page is not None and page.rel == PAGE
    assert page.new != (last.out / PAGE).read_bytes()  # it shows the edit
    assert page.file == (last.out / PAGE).resolve()
    after = _build(site)
    assert (after.out / PAGE).read_bytes() == page.new
    assert draw(after, frozenset({path})) is None  # the page served is that page now


def test_an_edited_abstract_shows_at_once(example_site: Path, last: LastBuild) -> None:
    site = example_site.resolve()
    path = _edit(site, "Large language models (LLMs) have demonstrated",
                 "Large language models (LLMs) have QUICKLY demonstrated")
    page = draw(last, frozenset({path}))
    assert page is not None and b"have QUICKLY demonstrated" in page.new
    final = _build(site)
    assert b"have QUICKLY demonstrated" in (final.out / PAGE).read_bytes()


@pytest.mark.parametrize(("old", "new"), [
    ("date: 2024-06-26", "date: 2024-06-27"),  # its place among the papers
    ('- "Felix Tao"\n', ""),  # author pages
    ("author_count: 6\n", "author_count: 6\nslug: elsewhere\n"),  # another page
    ("author_count: 6\n", "author_count: 6\ntags: [memory]\n"),  # tag pages
    ("author_count: 6\n", 'author_count: 6\nthumbnail: "https://example.org/t.png"\n'),
    ("comments: 0\n", "comments: [0\n"),  # broken: the build reports it
    ("AI-native Memory: A Pathway", "Neural Memory: A Pathway"),  # its citation key
])
def test_changes_a_quick_page_cannot_show_wait_for_the_build(
        example_site: Path, last: LastBuild, old: str, new: str) -> None:
    path = _edit(example_site.resolve(), old, new)
    assert draw(last, frozenset({path})) is None


def test_only_one_edited_paper_file_gets_a_quick_page(example_site: Path,
                                                      last: LastBuild) -> None:
    site = example_site.resolve()
    path = _edit(site, "comments: 0\n", "comments: 7\n")
    other = next(p for p in (site / "content" / "papers").glob("*.md") if p != path)
    assert draw(last, None) is None  # a file came, went or moved
    assert draw(last, frozenset({path, other.resolve()})) is None
    assert draw(last, frozenset()) is None
    template = site / "sitegen.toml"
    assert draw(last, frozenset({template})) is None
    new = site / "content" / "papers" / "brand-new.md"
    new.write_text("---\ntitle: New\ndate: 2024-01-01\n---\n", "utf-8")
    assert draw(last, frozenset({new})) is None


def test_reload_after_the_build_only_when_a_shown_page_changed(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "index.html").write_bytes(b"new")
    page = QuickPage("p/index.html", tmp_path / "p" / "index.html", b"new")
    assert not needs_reload(page, tmp_path, ["p/index.html", "p/p.bib", "feed.xml"])
    assert needs_reload(page, tmp_path, ["p/index.html", "tags/x/index.html"])
    (tmp_path / "p" / "index.html").write_bytes(b"newer")
    assert needs_reload(page, tmp_path, ["p/index.html"])


def _reload_then(server: PreviewServer, act: Callable[[], None]) -> float:
    """Seconds from ``act`` to the first reload message at a live client."""

    async def scenario() -> float:
        conn = await client(server.port)
        deadline = time.monotonic() + 10
        while not server.hub.clients and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert server.hub.clients
        started = time.perf_counter()
        act()
        message = await asyncio.wait_for(conn.read_message(), 30)
        assert message is not None and json.loads(message)["command"] == "reload"
        conn.close()
        return time.perf_counter() - started

    return asyncio.run(scenario())


def test_the_preview_serves_the_quick_page_while_its_build_runs(
        example_site: Path, held_builds: dict[str, Any]) -> None:
    with PreviewServer(example_site, port=0, quiet=True) as server:
        url = "/" + PAGE.removesuffix("index.html")
        builds = server.builds
        held_builds["gate"].clear()
        _reload_then(server, lambda: _edit(example_site, "comments: 0\n", "comments: 7\n"))
        # The reload came before the build ended: the page is the quick one, in memory.
        assert server.builds == builds
        shown = served_page(server, url)
        assert b"7 comments" in shown and b"/livereload.js" in shown
        assert b"7 comments" not in (example_site / PREVIEW_OUTPUT / PAGE).read_bytes()
        held_builds["gate"].set()
        assert server.wait_for_builds(builds + 1, timeout=30)
        assert b"7 comments" in (example_site / PREVIEW_OUTPUT / PAGE).read_bytes()
        assert served_page(server, url) == shown

        # A build that fails after a quick page: the last good page again, with the errors.
        held_builds["fail"] = True
        held_builds["gate"].clear()
        builds = server.builds
        _reload_then(server, lambda: _edit(example_site, "comments: 7\n", "comments: 9\n"))
        assert b"9 comments" in served_page(server, url)
        held_builds["gate"].set()
        assert server.wait_for_builds(builds + 1, timeout=30)
        failed = served_page(server, url)
        assert b"7 comments" in failed and b"9 comments" not in failed
        assert b"made to fail" in failed and b'id="sitegen-error"' in failed
