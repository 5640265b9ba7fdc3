"""The example site as the theme's browser tests see it, built once and served on loopback.

The copy gets a few fields the example listing lacks, so that every part of
the theme shows (these are edits made here, not imported data): the Bi-Mamba
paper gets the DOI arXiv gives its id and an upvote count; another
paper gets a formula in its title. Pages are opened in Debian chromium
through Playwright, with axe-core (from the npm registry, installed by
``scripts/test`` into ``.cache/npm/``) injected to check them.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conftest import REPO, copy_example_to

from sitegen.cli import main

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--font-render-hinting=none", "--disable-lcd-text"]
AXE = REPO / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
ARXIV = "2411.11843"
ARXIV_PAPER = "bi-mamba-towards-accurate-1-bit-state-space-models"
MATH_PAPER = "hmt-hierarchical-memory-transformer-for-long-context-language-processing"
UPVOTES = 42
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{path.name} no longer has {old!r}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def make_site(root: Path) -> Path:
    """The example site with the edits above, built into ``root/www``; returns ``www``."""
    site = copy_example_to(root / "example")
    papers = site / "content" / "papers"
    _edit(papers / f"{ARXIV_PAPER}.md", f'\narxiv: "{ARXIV}"\n',
          f'\narxiv: "{ARXIV}"\ndoi: "10.48550/arXiv.{ARXIV}"\nupvotes: {UPVOTES}\n')
    _edit(papers / f"{MATH_PAPER}.md", 'title: "HMT:', 'title: "HMT in $O(n^2)$:')
    www = root / "www"
    code = main(["build", "--site", str(site), "--output", str(www), "-q",
                 "--base-url", "http://127.0.0.1/"])
    assert code == 0
    return www


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on a free loopback port; yields the origin with a trailing slash."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def axe_violations(page: Any, include: str | None = None) -> list[str]:
    """Run axe-core (WCAG 2 A and AA rules and best practices) on the open page."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    context = f"{{include: [{include!r}]}}" if include else "document"
    found = page.evaluate(f"""async () => {{
        const result = await axe.run({context}, {{resultTypes: ["violations"]}});
        return result.violations.map(v => v.id + ": " + v.help + " at " +
            v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
    }}""")
    return [str(item) for item in found]


def wait_for_results(page: Any) -> None:
    """Wait until the search page has run its query and shown all of its first results
    (or none)."""
    page.wait_for_function("""() => {
        const status = document.getElementById("search-status").textContent;
        // Results come one by one; the list is busy until the whole batch is in.
        const busy = document.getElementById("search-results").getAttribute("aria-busy");
        return busy !== "true" && (/No papers match/.test(status) ||
            (/found/.test(status) && document.querySelector(".search-result") !== null));
    }""", timeout=15000)
