"""Related papers, author and organisation pages, social images, feed.json and feeds.opml,
checked in built sites: the repository's example site and the golden fixture site.

Every link is followed to a file of the built site; images are opened with Pillow.
"""

from __future__ import annotations

import io
import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image

from tests.conftest import tree_bytes
from tests.test_discover import json_feed_problems

BASE = "https://example.org/"
GOLDEN = Path(__file__).resolve().parent / "golden" / "site"
GOLDEN_BASE = "https://example.org/golden/"


def _build(site: Path, out: Path, *extra: str) -> None:
    from sitegen.cli import main

    assert main(["build", "--site", str(site), "--output", str(out), "--base-url", BASE, "-q",
                 *extra]) == 0


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory,
            copy_example: Callable[[Path], Path]) -> Path:
    """The repository's example site, built once."""
    root = tmp_path_factory.mktemp("discover")
    site = copy_example(root / "site")
    _build(site, root / "out")
    return root / "out"


def _file_of(out: Path, base: str, url: str, page: str = "") -> Path:
    """The built file a URL (absolute, or root-relative) points at."""
    path = urlsplit(url).path if "://" in url else url
    prefix = urlsplit(base).path
    assert path.startswith(prefix), (page, url)
    rel = path[len(prefix):]
    target = out / rel
    return target / "index.html" if rel.endswith("/") or not rel else target


def _paper_pages(out: Path) -> list[Path]:
    pages = sorted(out.glob("papers/*/index.html"))
    assert len(pages) > 10
    return pages


def test_every_paper_page_lists_five_related_papers(
        example: Path, parse_page: Callable[[Path], Any]) -> None:
    for page in _paper_pages(example):
        root = parse_page(page)
        section = root.find(".//section[@class='related']")
        assert section is not None, page
        assert "".join(section.find("h2").itertext()) == "Related papers"
        links = [a.get("href") for a in section.iterfind(".//a")]
        assert len(links) == 5 == len(set(links)), page
        for href in links:
            target = _file_of(example, BASE, href, str(page))
            assert target.is_file() and target != page, (page, href)
            assert target.parent.parent.name == "papers"


def _social_image(page: Path, parse_page: Callable[[Path], Any], out: Path,
                  base: str) -> tuple[Path, dict[str, str]]:
    """The file a paper page's ``og:image`` names (a 1200 × 630 PNG), and the page's meta
    tags."""
    metas = {m.get("property") or m.get("name"): m.get("content")
             for m in parse_page(page).iterfind(".//meta")}
    assert metas["twitter:card"] == "summary_large_image"
    image = metas["og:image"]
    assert image.startswith(base) and image == metas["twitter:image"]
    target = _file_of(out, base, image)
    with Image.open(io.BytesIO(target.read_bytes())) as card:
        assert card.format == "PNG" and card.size == (1200, 630)
    return target, metas


def test_og_image_is_the_one_site_card_by_default(example: Path,
                                                  parse_page: Callable[[Path], Any]) -> None:
    """By default every paper page without a thumbnail shows the site's card, drawn once:
    no per-paper card is written."""
    for page in _paper_pages(example):
        target, metas = _social_image(page, parse_page, example, BASE)
        assert target == example / "card.png", page
        assert metas["og:image:alt"] == metas["og:site_name"] != metas["og:title"]
    assert not list(example.glob("papers/*/card.png"))


def test_og_image_is_the_papers_own_card_when_asked(parse_page: Callable[[Path], Any]) -> None:
    """The golden site sets ``social_cards = true``: each paper page shows its own card."""
    pages = sorted(GOLDEN.glob("papers/*/index.html"))
    assert pages
    for page in pages:
        target, metas = _social_image(page, parse_page, GOLDEN, GOLDEN_BASE)
        assert target == page.parent / "card.png", page
        assert metas["og:image:alt"] == metas["og:title"] != metas["og:site_name"]
    assert not (GOLDEN / "card.png").exists()


def test_organisation_pages_are_reached_from_paper_pages(
        example: Path, parse_page: Callable[[Path], Any]) -> None:
    reached = set()
    for page in _paper_pages(example):
        for a in parse_page(page).iterfind(".//p[@class='org']/a"):
            target = _file_of(example, BASE, a.get("href"))
            listed = {x.get("href") for x in parse_page(target).iterfind(".//h2/a")}
            assert "/" + page.parent.relative_to(example).as_posix() + "/" in listed
            assert (target.parent / "feed.xml").is_file()
            reached.add(target)
    assert reached, "the example site has organisations; none was linked"


def test_feed_json_is_json_feed_1_1_and_links_to_pages(example: Path) -> None:
    feed = json.loads((example / "feed.json").read_text("utf-8"))
    assert json_feed_problems(feed) == []
    assert len(feed["items"]) == min(50, len(_paper_pages(example)))
    for item in feed["items"]:
        assert _file_of(example, BASE, item["url"]).is_file()
        assert _file_of(example, BASE, item["image"]).is_file()


def test_opml_lists_every_feed_and_each_exists(example: Path,
                                               parse_page: Callable[[Path], Any]) -> None:
    root = ET.parse(example / "feeds.opml").getroot()
    assert root.tag == "opml" and root.get("version") == "2.0"
    urls = [o.get("xmlUrl") for o in root.iter("outline") if o.get("xmlUrl")]
    files = {_file_of(example, BASE, url) for url in urls}
    assert all(f.is_file() for f in files)
    feeds = {p for p in example.rglob("*") if p.name in ("feed.xml", "rss.xml", "feed.json")}
    assert files == feeds
    head = parse_page(example / "index.html").find(".//head")
    types = {link.get("type"): link.get("href") for link in head.iterfind("link")
             if link.get("rel") == "alternate"}
    assert types["application/feed+json"] == "/feed.json"
    assert types["text/x-opml"] == "/feeds.opml"


def test_golden_author_pages_are_reached_and_highlighted(
        parse_page: Callable[[Path], Any]) -> None:
    """In the golden site (committed output), author names link to their pages, each page
    links back, and the ``highlight_authors`` name is emphasised on cards and pages."""
    linked = 0
    for page in sorted(GOLDEN.glob("papers/*/index.html")):
        root = parse_page(page)
        for a in root.iterfind(".//p[@class='authors']/a[@rel='author']"):
            target = _file_of(GOLDEN, GOLDEN_BASE, a.get("href"))
            back = {x.get("href") for x in parse_page(target).iterfind(".//h2/a")}
            assert "/golden/" + page.parent.relative_to(GOLDEN).as_posix() + "/" in back
            assert (target.parent / "feed.xml").is_file()
            linked += 1
            strong = a.find("strong")
            assert (strong is not None) == ("".join(a.itertext()) == "Ada Lovelace")
    assert linked >= 9
    home = (GOLDEN / "top" / "index.html").read_text("utf-8")
    assert '<strong class="highlight">Ada Lovelace</strong>' in home
    sitemap = (GOLDEN / "sitemap.xml").read_text("utf-8")
    assert f"{GOLDEN_BASE}authors/ada-lovelace/" in sitemap
    assert f"{GOLDEN_BASE}orgs/acme-ai/" in sitemap


def test_an_edited_abstract_rebuilds_as_a_clean_build_would(
        tmp_path: Path, copy_example: Callable[[Path], Path]) -> None:
    """Related lists change with one abstract; the incremental build must give the bytes
    of a clean build (related lists, paper pages and cards included)."""
    site = copy_example(tmp_path / "site")
    _build(site, tmp_path / "out")
    paper = sorted((site / "content" / "papers").glob("*.md"))[3]
    text = paper.read_text("utf-8")
    paper.write_text(text + "\nSpeech recognition of streaming audio with transducers.\n",
                     "utf-8")
    _build(site, tmp_path / "out")
    clean = copy_example(tmp_path / "clean")
    shutil.copy2(paper, clean / "content" / "papers" / paper.name)
    _build(clean, tmp_path / "clean-out")
    assert tree_bytes(tmp_path / "out") == tree_bytes(tmp_path / "clean-out")


def test_two_people_with_one_address_get_two_pages_and_a_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sitegen.cli import main

    site = tmp_path / "site"
    assert main(["init", str(site)]) == 0
    papers = site / "content" / "papers"
    papers.mkdir(parents=True, exist_ok=True)
    for number, name in enumerate(["Pat O'Brien", "Pat O'Brien", "Pat O Brien"], 1):
        (papers / f"p{number}.md").write_text(
            f'---\ntitle: "Paper {number}"\ndate: 2024-01-0{number}\nauthors: ["{name}"]\n'
            f"---\n\nText {number}.\n", "utf-8")
    capsys.readouterr()
    _build(site, tmp_path / "out")
    err = capsys.readouterr().err
    assert "warning: 'Pat O Brien' and \"Pat O'Brien\" would share a page address" in err
    pages = sorted(p.parent.name for p in (tmp_path / "out" / "authors").glob("*/index.html"))
    assert pages[0] == "pat-o-brien" and pages[1].startswith("pat-o-brien-") and len(pages) == 2
    assert "Paper 3" in (tmp_path / "out" / "authors" / pages[1] / "index.html").read_text("utf-8")


def test_related_papers_can_be_switched_off(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(Path(__file__).resolve().parent / "sites" / "golden", site)
    with (site / "sitegen.toml").open("r+", encoding="utf-8") as handle:
        text = handle.read()
        handle.seek(0)
        handle.write("related_papers = false\n" + text)
    _build(site, tmp_path / "out")
    pages = list((tmp_path / "out" / "papers").glob("*/index.html"))
    assert pages and not any('class="related"' in p.read_text("utf-8") for p in pages)
    assert not (site / ".sitegen-cache" / "related.pickle").exists()
