"""What a visitor pays for search over an index in parts: time to first results, bytes fetched.

Builds a synthetic site with sitegen's defaults (or takes a built one with
``--site``), then gives copies of it search indexes cut into different numbers of
parts (``--part-pages``: pages a part holds at most on average; a large number
means one index), serves each on loopback and opens its search page in Debian
chromium through Playwright, with a query in the address:

* *cold*: from navigating to ``search/?q=QUERY`` to the first result in the page,
  everything (Pagefind's script and WebAssembly, each part's metadata, the index
  chunks and the first results' fragments) fetched over loopback, no cache;
* *typed*: the next query typed into the same page, from its submission to its first
  result (both timed inside the page);
* *bytes*: the response bodies the cold query fetched under ``pagefind/``.

    python -m bench.search_latency --papers 10000 --part-pages 1000000,2500,1000,500
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import synth, trees  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
QUERIES = ("retrieval", "sparse gradient", "transformer policy", "hierarchical uncertainty")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A page closed while its last fragments were on their way: nothing to report."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(folder))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def build_site(site: Path, papers: int) -> Path:
    """A sitegen-default site of ``papers`` synthetic papers, built; its output folder."""
    from sitegen.cli import main

    if not (site / "public" / "search" / "index.html").is_file():
        trees.write_site("sitegen-default", site, synth.make_papers(papers))
        if main(["build", "--site", str(site), "--quiet", "--base-url", "/"]) != 0:
            raise SystemExit("the site did not build")
    return site / "public"


def index_copy(public: Path, target: Path, part_pages: int) -> tuple[int, float]:
    """``public`` hard-linked into ``target`` with an index of parts of ``part_pages``;
    (parts, CPU seconds of indexing)."""
    import resource

    from sitegen.outputs import search_parts
    from sitegen.outputs.search import EXCLUDE, dying_with_us, pagefind_binary

    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(public, target, copy_function=os.link,
                    ignore=shutil.ignore_patterns("pagefind"))
    pages = sorted(p.relative_to(target).as_posix()
                   for p in target.glob("papers/*/index.html"))
    search_parts.PART_PAGES = part_pages
    count = search_parts.part_count(len(pages))
    grouped: list[list[str]] = [[] for _ in range(count)]
    for page in pages:
        grouped[search_parts.part_of(page, count)].append(page)
    parts = [search_parts.Part(n, "", tuple(g)) for n, g in enumerate(grouped)]
    indexer = search_parts.Indexer(pagefind_binary(), EXCLUDE, dying_with_us)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.process_time()
    fresh = search_parts.index_parts(indexer, parts, (target,), target / ".scratch")
    search_parts.assemble(target / "pagefind", target / "pagefind", fresh, count)
    shutil.rmtree(target / ".scratch", ignore_errors=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
           + time.process_time() - started)
    return count, cpu


# Timestamps taken in the page: the moment the first result is in the document, from the
# navigation's start (cold) or from the search form's submission (typed). Waiting for it
# from Playwright instead would add its polling interval (100 ms, then 250 ms, then 500 ms).
MARKS = """
window.__marks = {};
new MutationObserver(() => {
  const marks = window.__marks;
  if (!marks.shown && document.querySelector("#search-results li h2 a")) {
    marks.shown = performance.now();
  }
}).observe(document, {subtree: true, childList: true});
document.addEventListener("submit", () => {
  window.__marks = {submit: performance.now()};
}, true);
"""


def measure(origin: str, query: str, warm_query: str) -> tuple[float, float, int, int]:
    """(cold ms, typed ms, bytes under pagefind/, requests under pagefind/) for one query."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context()
            context.add_init_script(MARKS)
            page = context.new_page()
            requests: list[Any] = []
            page.on("requestfinished", lambda request: requests.append(request))
            first = page.locator("#search-results li h2 a").first
            page.goto(origin + "search/?q=" + query.replace(" ", "+"))
            expect(first).to_be_visible(timeout=60_000)
            cold = float(page.evaluate("window.__marks.shown"))
            fetched = [r for r in requests if "/pagefind/" in r.url]
            size = sum(r.sizes()["responseBodySize"] for r in fetched)
            page.locator("#search-query").fill("")
            expect(first).to_have_count(0)
            page.locator("#search-query").fill(warm_query)
            page.locator("#search-query").press("Enter")
            page.wait_for_function("window.__marks.submit && window.__marks.shown",
                                   timeout=60_000)
            warm = float(page.evaluate("window.__marks.shown - window.__marks.submit"))
            return cold, warm, size, len(fetched)
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search_latency",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--part-pages", default="1000000,2500",
                        help="pages a part holds, one setting per comma (default 1000000,2500)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(__file__).parent / "work" / "search")
    args = parser.parse_args(argv)
    public = build_site(args.work / f"site-{args.papers}", args.papers)
    print("| pages a part | parts | indexing CPU s | cold query to first result ms, median "
          "(min–max) | typed query to first result ms | bytes fetched under pagefind/ "
          "| requests |", flush=True)
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for setting in (int(x) for x in args.part_pages.split(",")):
        copy = args.work / f"www-{args.papers}-{setting}"
        parts, cpu = index_copy(public, copy, setting)
        colds, warms, sizes, counts = [], [], [], []
        with serve(copy) as origin:
            for turn in range(args.rounds):
                query = QUERIES[turn % len(QUERIES)]
                warm_query = QUERIES[(turn + 1) % len(QUERIES)]
                cold, warm, size, count = measure(origin, query, warm_query)
                colds.append(cold)
                warms.append(warm)
                sizes.append(size)
                counts.append(count)
        print(f"| {setting:,} | {parts} | {cpu:.1f} | {statistics.median(colds):.0f} "
              f"({min(colds):.0f}–{max(colds):.0f}) | {statistics.median(warms):.0f} "
              f"({min(warms):.0f}–{max(warms):.0f}) | {statistics.median(sizes):,.0f} "
              f"| {statistics.median(counts):.0f} |", flush=True)
        shutil.rmtree(copy, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
