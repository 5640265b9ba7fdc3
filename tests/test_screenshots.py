"""Screenshots of the default theme compared with the committed ones in tests/screenshots/.

A card (light and dark), the top of a paper page and search results, in Debian
chromium at a fixed viewport. Fonts and anti-aliasing differ a little between
machines, so images are compared within a tolerance (Pillow): the same size,
and at most ``MAX_CHANGED`` of the pixels differing by more than ``PIXEL_DELTA``
in some channel. On a mismatch the new image and a difference image are
written to the test's temporary folder, which the failure names.

Regenerate them all, then look at them (they are kept for reviewers)::

    SITEGEN_UPDATE_SCREENSHOTS=1 .venv/bin/python -m pytest tests/test_screenshots.py
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from theme_site import (
    ARXIV_PAPER,
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    make_site,
    serve,
    wait_for_results,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs Debian chromium at /usr/bin"),
]
sync_api = pytest.importorskip("playwright.sync_api")
Image = pytest.importorskip("PIL.Image")
ImageChops = pytest.importorskip("PIL.ImageChops")

SHOTS = Path(__file__).resolve().parent / "screenshots"
UPDATE = os.environ.get("SITEGEN_UPDATE_SCREENSHOTS") == "1"
PIXEL_DELTA = 48  # a channel differing by more than this counts as a changed pixel
MAX_CHANGED = 0.01  # at most 1% of the pixels may change


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """(origin, a fresh page factory) over the example site, served on loopback."""
    www = make_site(tmp_path_factory.mktemp("shots"))
    with serve(www) as origin, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield origin, browser
        finally:
            browser.close()


def _page(browser: Any, scheme: str = "light") -> Any:
    context = browser.new_context(viewport=DESKTOP, color_scheme=scheme,
                                  device_scale_factor=1, reduced_motion="reduce")
    return context.new_page()


def compare(name: str, png: bytes, tmp_path: Path) -> None:
    """Compare ``png`` with ``tests/screenshots/NAME.png`` (or write it, when updating)."""
    golden = SHOTS / f"{name}.png"
    if UPDATE or not golden.is_file():
        golden.write_bytes(png)
        if not UPDATE:
            pytest.fail(f"{golden.name} did not exist and was written; look at it and commit it")
        return
    actual = tmp_path / f"{name}.png"
    actual.write_bytes(png)
    with Image.open(golden) as want_file, Image.open(actual) as got_file:
        want, got = want_file.convert("RGB"), got_file.convert("RGB")
        assert got.size == want.size, (f"{name}: {got.size} px, committed {want.size} px; "
                                       f"new image at {actual}")
        diff = ImageChops.difference(want, got)
        mask = diff.convert("L").point(lambda value: 255 if value > PIXEL_DELTA // 3 else 0)
        changed = mask.histogram()[255] / (want.width * want.height)
        if changed > MAX_CHANGED:
            diff.save(tmp_path / f"{name}-diff.png")
        assert changed <= MAX_CHANGED, (f"{name}: {changed:.2%} of the pixels changed; new "
                                        f"image and difference in {tmp_path}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_card(opened: tuple[str, Any], tmp_path: Path, scheme: str) -> None:
    origin, browser = opened
    page = _page(browser, scheme)
    page.goto(origin + "archive/2024/11/")
    card = page.locator(".card", has=page.locator(f'a[href$="papers/{ARXIV_PAPER}/"]'))
    name = "card" if scheme == "light" else "card-dark"
    compare(name, card.screenshot(animations="disabled", caret="hide"), tmp_path)
    page.context.close()


def test_paper_page(opened: tuple[str, Any], tmp_path: Path) -> None:
    origin, browser = opened
    page = _page(browser)
    page.goto(f"{origin}papers/{ARXIV_PAPER}/")
    compare("paper", page.screenshot(animations="disabled", caret="hide"), tmp_path)
    page.context.close()


def test_search_results(opened: tuple[str, Any], tmp_path: Path) -> None:
    origin, browser = opened
    page = _page(browser)
    page.goto(origin + "search/?q=memory+compression")
    wait_for_results(page)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    compare("search", page.screenshot(animations="disabled", caret="hide"), tmp_path)
    page.context.close()
