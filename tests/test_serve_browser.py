"""``sitegen serve`` in a real browser: navigate, edit a file, watch the open page reload.

Drives the system's chromium through Playwright (no browser is downloaded);
skipped when either is missing.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import wait_until
from test_serve_search_edit import (
    NEW_WORD,
    OLD_WORD,
    PAGE,
    PAPER,
    add_word,
    has_edits,
    swap_word,
)

from sitegen.serve import PREVIEW_OUTPUT, PreviewServer

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def page() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def wait_live(page: Any, server: PreviewServer) -> None:
    """Wait until the page's livereload.js finished its handshake with the server."""
    page.wait_for_function("() => window.LiveReload && window.LiveReload.connector.protocol > 0",
                           timeout=15000)
    deadline = time.monotonic() + 15
    while not server.hub.clients and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.hub.clients


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_navigate_then_edit_reloads_the_open_page(page: Any, example_site: Path) -> None:
    with PreviewServer(example_site, port=0, quiet=True,
                       overrides={"base_url": "https://example.org/papers/"}) as server:
        page.goto(f"http://127.0.0.1:{server.port}/")
        assert page.url == server.url  # / redirects to the base path
        wait_live(page, server)

        page.locator('main a[href^="/papers/tags/"]:not([href="/papers/tags/"])').first.click()
        page.wait_for_url("**/papers/tags/*/")
        page.locator('main a[href^="/papers/papers/"]').first.click()
        page.wait_for_url("**/papers/papers/*/")
        slug = page.url.rstrip("/").rsplit("/", 1)[1]
        source = example_site / "content" / "papers" / f"{slug}.md"
        assert source.is_file()
        wait_live(page, server)

        title = page.locator("h1").first.inner_text()
        with page.expect_event("load", timeout=20000):
            replace(source, 'title: "', 'title: "Edited live: ')
        assert page.locator("h1").first.inner_text() == f"Edited live: {title}"
        assert page.url.endswith(f"/papers/papers/{slug}/")

        wait_live(page, server)
        with page.expect_event("load", timeout=20000):
            replace(source, "date: ", "date: [broken\n")
        banner = page.locator("#sitegen-error")
        assert banner.is_visible()
        assert f"content/papers/{slug}.md:" in banner.inner_text()
        assert page.locator("h1").first.inner_text().startswith("Edited live: ")

        wait_live(page, server)
        with page.expect_event("load", timeout=20000):
            replace(source, "date: [broken\n", "date: ")
        assert page.locator("#sitegen-error").count() == 0
        assert page.locator("h1").first.inner_text().startswith("Edited live: ")


def _results(page: Any, origin: str, word: str) -> list[str]:
    """The result links the preview's search page shows for ``word``."""
    page.goto(f"{origin}search/?q={word}")
    status = page.locator("#search-status")
    sync_api.expect(status).to_have_text(re.compile(r"\d+ papers? found\.|No papers match\."),
                                         timeout=15_000)
    sync_api.expect(page.locator("#search-results")).to_have_attribute("aria-busy", "false")
    hrefs: list[str] = page.locator("#search-results li h2 a").evaluate_all(
        "links => links.map((a) => a.getAttribute('href'))")
    return hrefs


def test_search_finds_the_edit_while_the_whole_build_runs(
        example_site: Path, held_builds: dict[str, Any]) -> None:
    """The preview's search over an edit (``sitegen/outputs/search_edits.py``): while the
    whole build is held back, the new word finds the paper once and the word the edit
    removed no longer finds it; both stay so once the build's own index has taken over."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    add_word(example_site / PAPER, OLD_WORD)
    url = "/lab/" + PAGE.removesuffix("index.html")  # deployed under a subpath
    with PreviewServer(example_site, port=0, quiet=True,
                       overrides={"base_url": "https://example.org/lab/"}) as server, \
            sync_api.sync_playwright() as playwright:
        out = example_site / PREVIEW_OUTPUT
        origin = server.url
        assert origin.endswith("/lab/")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            assert _results(page, origin, OLD_WORD).count(url) == 1
            assert url not in _results(page, origin, NEW_WORD)

            held_builds["gate"].clear()
            builds = server.builds
            swap_word(example_site / PAPER, OLD_WORD, NEW_WORD)
            assert wait_until(lambda: has_edits(server), 30), "the edit index never came"
            assert server.builds == builds  # the whole build is still held
            assert NEW_WORD.encode() not in (out / PAGE).read_bytes()
            assert _results(page, origin, NEW_WORD).count(url) == 1
            assert url not in _results(page, origin, OLD_WORD)  # the old entry is hidden

            held_builds["gate"].set()
            assert server.wait_for_builds(builds + 1, timeout=30)
            assert wait_until(lambda: not server.state.files, 30), \
                "the edit index stayed after the build's own index"
            assert _results(page, origin, NEW_WORD).count(url) == 1
            assert url not in _results(page, origin, OLD_WORD)
            assert errors == []
        finally:
            browser.close()
