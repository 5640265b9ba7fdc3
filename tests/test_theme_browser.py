"""The default theme as a reader uses it, in Debian chromium: accessibility (axe-core) of
every kind of page in light and dark on desktop and mobile, compact cards, the light/dark
switch, the search keys, and search that finds arXiv ids and DOIs and shows names,
dates and counts. The site is the example site (see ``theme_site``), built once.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from theme_site import (
    ARXIV,
    ARXIV_PAPER,
    AXE,
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    MATH_PAPER,
    MOBILE,
    UPVOTES,
    axe_violations,
    make_site,
    serve,
    wait_for_results,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs Debian chromium at /usr/bin"),
]
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(origin, built folder) of the example site, served on loopback."""
    www = make_site(tmp_path_factory.mktemp("theme"))
    with serve(www) as origin:
        yield origin, www


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _papers(www: Path) -> list[dict[str, Any]]:
    return list(json.loads((www / "papers.json").read_text("utf-8"))["papers"])


def _page_paths(www: Path) -> dict[str, str]:
    """One page of every kind, found in the built site rather than named by hand."""
    papers = _papers(www)
    tag = max((t for p in papers for t in p["tags"]), key=lambda t: t["slug"])
    assert (www / "page" / "2" / "index.html").is_file(), "the home page should paginate"
    found = {}
    for kind, folder in (("author", "authors"), ("organisation", "orgs"), ("listing day", "date"),
                         ("listing week", "week"), ("listing month", "month")):
        pages = sorted((www / folder).glob("*/index.html"))
        assert pages, f"the example site should have {folder}/ pages"
        found[kind] = pages[0].parent.relative_to(www).as_posix() + "/"
    return found | {
        "trending": "trending/",
        "home": "", "list page 2": "page/2/", "tag": f"tags/{tag['slug']}/", "tags": "tags/",
        "paper": f"papers/{ARXIV_PAPER}/", "paper with math": f"papers/{MATH_PAPER}/",
        "search results": "search/?q=memory", "404": "404.html", "archive": "archive/",
        "month": "archive/2024/11/", "top": "top/", "about": "about/",
    }


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "mobile"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_on_any_page(site: tuple[str, Path], browser: Any,
                                            scheme: str, viewport: dict[str, int]) -> None:
    if not AXE.is_file():
        pytest.skip("axe-core is not installed; scripts/test installs it into .cache/npm/")
    origin, www = site
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    try:
        for kind, path in _page_paths(www).items():
            page.goto(origin + path)
            if kind == "search results":
                wait_for_results(page)
                assert page.locator(".search-result").count() > 0
            dark = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
            assert (dark == "rgb(15, 20, 25)") == (scheme == "dark"), f"{kind}: {dark}"
            if violations := axe_violations(page):
                found[kind] = violations
    finally:
        context.close()
    assert found == {}


def test_the_switch_overrides_the_system_and_is_remembered(site: tuple[str, Path],
                                                           browser: Any) -> None:
    origin, _ = site
    context = browser.new_context(viewport=DESKTOP, color_scheme="light")
    page = context.new_page()
    try:
        page.goto(origin)
        button = page.locator(".theme-toggle")
        assert button.is_visible() and button.get_attribute("aria-pressed") == "false"
        background = "() => getComputedStyle(document.body).backgroundColor"
        assert page.evaluate(background) == "rgb(255, 255, 255)"
        button.click()
        assert button.get_attribute("aria-pressed") == "true"
        assert page.evaluate(background) == "rgb(15, 20, 25)"
        if AXE.is_file():
            assert axe_violations(page) == []
        page.goto(origin + "tags/")  # another page: the choice is applied before painting
        assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
        assert page.evaluate(background) == "rgb(15, 20, 25)"
        page.locator(".theme-toggle").click()
        page.reload()
        assert page.evaluate(background) == "rgb(255, 255, 255)"
        assert page.evaluate("() => localStorage.getItem('sitegen-theme')") == "light"
    finally:
        context.close()


def test_slash_and_ctrl_k_open_search_but_not_while_typing(site: tuple[str, Path],
                                                           browser: Any) -> None:
    origin, _ = site
    page = browser.new_page(viewport=DESKTOP)
    try:
        page.goto(origin)
        page.keyboard.press("/")
        page.wait_for_url(origin + "search/")
        box = page.locator("#search-query")
        box.wait_for(state="visible")
        page.wait_for_function("() => document.activeElement.id === 'search-query'")
        box.type("a/b")  # "/" typed into the box stays there
        assert box.input_value() == "a/b"
        page.goto(origin + "about/")
        page.keyboard.press("Control+k")
        page.wait_for_url(origin + "search/")
        page.locator("#search-query").wait_for(state="visible")
        page.evaluate("() => document.activeElement.blur()")
        page.keyboard.press("Control+k")  # on the search page itself: focus the words box
        assert page.evaluate("() => document.activeElement.id") == "search-query"
    finally:
        page.close()


def test_cards_are_compact_and_show_counts_and_links(site: tuple[str, Path],
                                                     browser: Any) -> None:
    origin, www = site
    per_page = len(re.findall(r'<article class="card"', (www / "index.html").read_text()))
    assert per_page % 6 == 0, "a full page should fill rows of 2 and of 3 cards"
    heights = {}
    for name, viewport in (("desktop", DESKTOP), ("mobile", MOBILE)):
        page = browser.new_page(viewport=viewport)
        page.goto(origin)
        cards = page.eval_on_selector_all(
            ".card", "els => els.map(e => e.getBoundingClientRect().height)")
        heights[name] = (max(cards), page.evaluate("document.documentElement.scrollHeight"))
        if name == "desktop":
            columns = page.evaluate("() => getComputedStyle(document.querySelector('.cards'))"
                                    ".gridTemplateColumns.split(' ').length")
            assert columns == 3
        page.close()
    assert heights["desktop"][0] <= 250, heights
    assert heights["mobile"][1] <= 300 * per_page, heights  # was ~410 px a card
    page = browser.new_page(viewport=DESKTOP)
    page.goto(origin + "archive/2024/11/")
    card = page.locator(".card", has=page.locator(f'a[href$="papers/{ARXIV_PAPER}/"]'))
    links = dict(zip(card.locator(".quick-links a").all_inner_texts(),
                     card.locator(".quick-links a").evaluate_all("els => els.map(e => e.href)"),
                     strict=True))
    assert links["arXiv"] == f"https://arxiv.org/abs/{ARXIV}"
    assert links["PDF"] == f"https://arxiv.org/pdf/{ARXIV}"
    assert links["HF"] == f"https://huggingface.co/papers/{ARXIV}"
    assert links["Code"].startswith("https://github.com/")
    upvotes = card.locator(".stats .upvotes")
    assert upvotes.inner_text().split()[1] == str(UPVOTES)
    weight = upvotes.locator("strong").evaluate("e => getComputedStyle(e).fontWeight")
    assert int(weight) >= 600
    stats_top = card.locator(".stats li").evaluate_all(
        "els => els.map(e => Math.round(e.getBoundingClientRect().top))")
    assert len(set(stats_top)) == 1, "counts wrapped"
    page.close()


def _search(page: Any, origin: str, words: str) -> list[dict[str, str]]:
    page.goto(origin + "search/")
    page.locator("#search-query").fill(words)
    page.locator("#search-query").press("Enter")
    wait_for_results(page)
    return [dict(zip(("title", "href", "meta", "excerpt"), row, strict=True)) for row in
            page.eval_on_selector_all(".search-result", """els => els.map(e => [
                e.querySelector("h2").textContent, e.querySelector("h2 a").href,
                e.querySelector(".meta").textContent, e.querySelector(".excerpt").textContent])""")]


@pytest.mark.parametrize("words", [ARXIV, f"arXiv:{ARXIV}v2", f"https://arxiv.org/abs/{ARXIV}",
                                   f"10.48550/arXiv.{ARXIV}", f"doi:10.48550/arXiv.{ARXIV}"])
def test_search_finds_a_paper_by_arxiv_id_or_doi(site: tuple[str, Path], browser: Any,
                                                 words: str) -> None:
    origin, _ = site
    page = browser.new_page(viewport=DESKTOP)
    try:
        results = _search(page, origin, words)
        assert [r["href"] for r in results][:1] == [f"{origin}papers/{ARXIV_PAPER}/"]
    finally:
        page.close()


def test_search_results_read_like_cards(site: tuple[str, Path], browser: Any) -> None:
    origin, www = site
    papers = {p["slug"]: p for p in _papers(www)}
    page = browser.new_page(viewport=DESKTOP)
    try:
        results = _search(page, origin, "Bi-Mamba")
        first = results[0]
        assert first["href"].endswith(f"papers/{ARXIV_PAPER}/")
        page.goto(origin + "archive/2024/11/")
        card_date = page.locator(".card", has=page.locator(
            f'a[href$="papers/{ARXIV_PAPER}/"]')).locator("time").inner_text()
        assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", card_date)
        assert first["meta"].startswith(card_date + " · ")
        first_author = papers[ARXIV_PAPER]["authors"][0]
        assert first_author in first["meta"] and f"▲ {UPVOTES} upvotes" in first["meta"]
        # Excerpts come from the abstract, not from the header (title, names, tags).
        for result in _search(page, origin, "quantization"):
            slug = result["href"].rstrip("/").rsplit("/", 1)[1]
            abstract = re.sub(r"\s+", " ", papers[slug]["abstract"])
            words = [w for w in re.findall(r"\w{4,}", result["excerpt"])]
            assert words and all(w in abstract for w in words), result
        math = _search(page, origin, "Hierarchical Memory Transformer")
        found = page.locator(".search-result h2 a", has_text="HMT in").first
        assert found.locator("math msup").count() == 1, math
        assert "$" not in found.inner_text()
    finally:
        page.close()


def test_preview_error_banner_is_readable_in_light_and_dark(tmp_path: Path,
                                                            browser: Any) -> None:
    """The banner of ``sitegen serve`` over a paper page, whose style sheet styles ``pre``."""
    if not AXE.is_file():
        pytest.skip("axe-core is not installed; scripts/test installs it into .cache/npm/")
    from conftest import copy_example_to

    from sitegen.serve import PreviewServer

    site = copy_example_to(tmp_path / "example")
    source = site / "content" / "papers" / f"{ARXIV_PAPER}.md"
    with PreviewServer(site, port=0, quiet=True) as server:
        page = browser.new_page(viewport=DESKTOP)
        page.goto(f"{server.url}papers/{ARXIV_PAPER}/")
        page.wait_for_function("() => window.LiveReload && "
                               "window.LiveReload.connector.protocol > 0", timeout=15000)
        deadline = time.monotonic() + 15
        while not server.hub.clients and time.monotonic() < deadline:
            time.sleep(0.02)
        with page.expect_event("load", timeout=20000):
            text = source.read_text("utf-8")
            source.write_text(text.replace("date: ", "date: [broken\n", 1), "utf-8")
        page.close()
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
            page = context.new_page()
            page.goto(f"{server.url}papers/{ARXIV_PAPER}/")
            banner = page.locator("#sitegen-error")
            assert banner.is_visible() and f"{ARXIV_PAPER}.md:" in banner.inner_text()
            for part in ("#sitegen-error strong", "#sitegen-error pre"):
                colours = page.eval_on_selector(part, "e => [getComputedStyle(e).color, "
                                                      "getComputedStyle(e).backgroundColor]")
                assert colours == ["rgb(255, 255, 255)", "rgb(127, 29, 29)"], (scheme, part)
            assert axe_violations(page, include="#sitegen-error") == [], scheme
            context.close()
