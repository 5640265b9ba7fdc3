"""Search over an index in parts, in Debian chromium: a query finds papers of every part.

The 120-paper synthetic site of ``test_search_parts`` (four parts) is built for
a loopback server; for one paper of each part, its title is typed into the
search page, and the paper must be among the results. The browser must have
fetched every part's index, and reported no script error.
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import synth, trees  # noqa: E402
from sitegen.outputs import search_parts  # noqa: E402
from sitegen.outputs.search_parts import part_folder, part_of  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs Debian chromium at /usr/bin"),
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return


@pytest.fixture
def served_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 build_site: Callable[..., Path]) -> Iterator[tuple[str, list[Any]]]:
    monkeypatch.setattr(search_parts, "PART_PAGES", 30)
    papers = synth.make_papers(120)
    site = tmp_path / "site"
    trees.write_site("sitegen-default", site, papers)
    www = tmp_path / "www"
    handler = functools.partial(_Quiet, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    origin = f"http://127.0.0.1:{server.server_address[1]}/"
    build_site(site, www, base_url=origin)
    assert len(list((www / "pagefind").glob("part-*"))) == 3
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield origin, papers
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_query_finds_papers_of_every_part(served_parts: tuple[str, list[Any]]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    origin, papers = served_parts
    chosen = {}
    for paper in papers:
        chosen.setdefault(part_of(f"papers/{paper.slug}/index.html", 4), paper)
    assert sorted(chosen) == [0, 1, 2, 3]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            fetched: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("requestfinished", lambda request: fetched.append(request.url))
            page.goto(origin + "search/")
            links = page.locator("#search-results li h2 a")
            for number, paper in sorted(chosen.items()):
                page.locator("#search-query").fill(paper.title)
                href = f"/papers/{paper.slug}/"
                sync_api.expect(links.and_(page.locator(f'[href="{href}"]'))).to_have_count(
                    1, timeout=15_000)
                assert number == 0 or any(f"/pagefind/{part_folder(number)}/" in url
                                          for url in fetched)
            assert errors == []
        finally:
            browser.close()
