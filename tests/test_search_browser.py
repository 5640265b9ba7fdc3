"""The search page in a real browser: the example site built for a subpath and served there.

Headless Debian chromium through Playwright types a query, sees the expected
paper, narrows by tag, sorts by comments, and follows a result link; the
expected papers are read from the built ``papers.json``, not hard-coded.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SUBPATH = "/sub/"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs Debian chromium at /usr/bin"),
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A loopback HTTP server over ``www/``; yields (www folder, origin)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(_Quiet, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield www, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def search_site(example_site: Path, served: tuple[Path, str],
                build_site: Callable[..., Path]) -> tuple[str, list[dict[str, Any]]]:
    """The example site built for ``<origin>/sub/`` into the served folder."""
    www, origin = served
    out = build_site(example_site, www / SUBPATH.strip("/"), base_url=origin + SUBPATH)
    papers = json.loads((out / "papers.json").read_text("utf-8"))["papers"]
    return origin + SUBPATH, papers


def _titles(page: Any) -> list[str]:
    return page.locator("#search-results li h2 a").all_inner_texts()


def test_search_finds_filters_and_sorts(search_site: tuple[str, list[dict[str, Any]]]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    base, papers = search_site
    target = next(p for p in papers if p["slug"].startswith("bi-mamba"))
    other_tag = next(t["name"] for p in papers for t in p["tags"]
                     if t["name"] not in {x["name"] for x in target["tags"]})
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(base + "search/")
            page.locator("#search-query").fill("Bi-Mamba")
            first = page.locator("#search-results li h2 a").first
            sync_api.expect(first).to_have_text(target["title"], timeout=15_000)
            assert first.get_attribute("href") == SUBPATH + f"papers/{target['slug']}/"

            page.select_option("#search-tag", target["tags"][0]["name"])
            sync_api.expect(first).to_have_text(target["title"])
            page.select_option("#search-tag", other_tag)
            sync_api.expect(page.locator("#search-status")).to_have_text("No papers match.")

            page.locator("#search-query").fill("")
            page.select_option("#search-tag", "")
            page.select_option("#search-sort", "comments:desc")
            most = max(papers, key=lambda p: p["comments"] or 0)
            sync_api.expect(first).to_have_text(most["title"])
            assert page.url.endswith("?sort=comments%3Adesc")

            first.click()
            page.wait_for_url(base + f"papers/{most['slug']}/")
            assert page.locator("h1").inner_text() == most["title"]
            assert errors == []
        finally:
            browser.close()


def test_search_state_comes_from_the_address(search_site: tuple[str, list[dict[str, Any]]]
                                             ) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    base, papers = search_site
    tag = "healthcare"
    expected = sorted(p["title"] for p in papers if tag in {t["name"] for t in p["tags"]})
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(base + f"search/?tag={tag}&sort=date%3Adesc")
            status = page.locator("#search-status")
            sync_api.expect(status).to_have_text(f"{len(expected)} papers found.",
                                                 timeout=15_000)
            # Results come one by one; the list is busy until all of them are in.
            sync_api.expect(page.locator("#search-results")).to_have_attribute(
                "aria-busy", "false")
            assert sorted(_titles(page)) == expected
            assert page.locator("#search-tag").input_value() == tag
        finally:
            browser.close()
