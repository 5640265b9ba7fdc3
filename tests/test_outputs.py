"""Feeds, sitemap, robots.txt, papers.json and the search index of a built site.

A small site is written with ``sitegen.importers.content_files.dumps`` (one paper with a hostile
title), built through the CLI, and every output is parsed back (feedparser,
ElementTree, json, html5lib) and compared with the papers it came from.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import feedparser
import pytest

from sitegen.importers.content_files import dumps
from sitegen.model import Link, Organization, Paper

HOSTILE = "</script><script>alert(1)</script> & ]]> <img onerror=x> \"double\" 'single'"
BASE = "https://example.org/sub/"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

PAPERS = [
    Paper(title=HOSTILE, slug="hostile", date=date(2025, 3, 1), body="Hostile *abstract*.",
          authors=["Ada O'Brien", "Bob <b>Lee</b>"], tags=["security", "llm"],
          arxiv="2503.01234", upvotes=5, comments=2),
    Paper(title="Scaling $\\alpha$-nets", slug="alpha", date=date(2025, 2, 1),
          body="We show $x^2$ grows.", authors=["Émile Müller"], tags=["llm"], upvotes=50,
          organization=Organization("ACME", "Acme Lab"), doi="10.1000/abc_def"),
    Paper(title="Attention Is All You Need", slug="attention", date=date(2017, 6, 12),
          body="Transformers.", authors=["Ashish Vaswani"], tags=["llm", "transformers"],
          arxiv="1706.03762", upvotes=100, comments=30,
          links=[Link("code", "https://github.com/example/transformer")]),
    Paper(title="Older Paper", slug="older", date=date(2016, 1, 5), body="Old.",
          author_count=3, tags=["transformers"], listed=date(2026, 1, 9)),
]


def write_site(root: Path, papers: list[Paper], feed_size: int = 3, search: bool = True) -> Path:
    """A site folder with ``sitegen.toml`` and one content file per paper."""
    (root / "content" / "papers").mkdir(parents=True)
    (root / "sitegen.toml").write_text(
        f'title = "Test & <Papers>"\nbase_url = "{BASE}"\nfeed_size = {feed_size}\n'
        f'search = {"true" if search else "false"}\n', encoding="utf-8")
    for paper in papers:
        path = root / "content" / "papers" / f"{paper.slug}.md"
        path.write_text(dumps(paper), encoding="utf-8")
    return root


@pytest.fixture
def built(tmp_path: Path, build_site: Callable[..., Path]) -> Path:
    return build_site(write_site(tmp_path / "site", PAPERS), tmp_path / "out")


def _newest_first(papers: list[Paper]) -> list[Paper]:
    return sorted(papers, key=lambda p: (-p.date.toordinal(), p.title.casefold()))


def test_atom_feed_is_valid_and_newest_first(built: Path) -> None:
    feed = feedparser.parse((built / "feed.xml").read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    expected = _newest_first(PAPERS)[:3]
    assert [e.link for e in feed.entries] == [f"{BASE}papers/{p.slug}/" for p in expected]
    assert [e.id for e in feed.entries] == [e.link for e in feed.entries]
    assert feed.feed.title == "Test & <Papers>"
    root = ET.fromstring((built / "feed.xml").read_bytes())
    titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    assert titles == [p.title for p in expected]
    assert root.findtext(f"{ATOM}updated") == "2025-03-01T00:00:00Z"


def test_tag_feeds_hold_only_their_papers(built: Path) -> None:
    for tag, slugs in (("llm", ["hostile", "alpha", "attention"]),
                       ("transformers", ["attention", "older"])):
        feed = feedparser.parse((built / "tags" / tag / "feed.xml").read_bytes())
        assert feed.bozo == 0
        assert [e.link for e in feed.entries] == [f"{BASE}papers/{s}/" for s in slugs]
        self_link = next(link.href for link in feed.feed.links if link.rel == "self")
        assert self_link == f"{BASE}tags/{tag}/feed.xml"
    older = feedparser.parse((built / "tags" / "transformers" / "feed.xml").read_bytes())
    assert older.entries[1].updated.startswith("2026-01-09")  # listed after it was published


def test_rss_feed_is_valid(built: Path) -> None:
    feed = feedparser.parse((built / "rss.xml").read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert [e.title for e in feed.entries] == [p.title for p in _newest_first(PAPERS)[:3]]


def test_pages_link_their_feeds(built: Path, parse_page: Callable[..., Any]) -> None:
    root = parse_page(built / "tags" / "llm" / "index.html")
    feeds = {link.get("href") for link in root.iter("link") if link.get("rel") == "alternate"
             and link.get("type") == "application/atom+xml"}
    assert feeds == {"/sub/feed.xml", "/sub/tags/llm/feed.xml"}


def test_hostile_title_round_trips_as_text(built: Path, parse_page: Callable[..., Any]) -> None:
    root = ET.fromstring((built / "feed.xml").read_bytes())
    assert HOSTILE in [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    rss = ET.fromstring((built / "rss.xml").read_bytes())
    assert HOSTILE in [item.findtext("title") for item in rss.iter("item")]
    records = json.loads((built / "papers.json").read_text("utf-8"))["papers"]
    assert next(r for r in records if r["slug"] == "hostile")["title"] == HOSTILE
    page = parse_page(built / "papers" / "hostile" / "index.html")
    metas = {(m.get("name") or m.get("property")): m.get("content") for m in page.iter("meta")}
    for name in ("citation_title", "og:title", "twitter:title"):
        assert metas[name] == HOSTILE
    scripts = list(page.iter("script"))
    ld = [s for s in scripts if s.get("type") == "application/ld+json"]
    assert len(ld) == 1 and json.loads(ld[0].text)["name"] == HOSTILE
    assert not any("alert" in (s.text or "") for s in scripts if s is not ld[0])
    assert page.find(".//article//h1").text == HOSTILE
    assert not list(page.iter("img"))


def _pages_on_disk(out: Path) -> set[str]:
    urls = set()
    for path in out.rglob("*.html"):
        rel = path.relative_to(out).as_posix()
        if rel == "404.html":
            continue
        urls.add(BASE + (rel[: -len("index.html")] if rel.endswith("index.html") else rel))
    return urls


def test_sitemap_lists_exactly_the_built_pages(built: Path) -> None:
    root = ET.fromstring((built / "sitemap.xml").read_bytes())
    urls = root.findall(f"{SITEMAP}url")
    locs = [u.findtext(f"{SITEMAP}loc") for u in urls]
    assert len(locs) == len(set(locs))
    assert set(locs) == _pages_on_disk(built)
    lastmod = {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod") for u in urls}
    for paper in PAPERS:
        assert lastmod[f"{BASE}papers/{paper.slug}/"] == paper.date.isoformat()
    robots = (built / "robots.txt").read_text("utf-8")
    assert f"Sitemap: {BASE}sitemap.xml" in robots.splitlines()


def test_papers_json_holds_every_field(built: Path) -> None:
    document = json.loads((built / "papers.json").read_text("utf-8"))
    assert document["count"] == len(PAPERS)
    records = {r["slug"]: r for r in document["papers"]}
    assert [r["slug"] for r in document["papers"]] == [p.slug for p in _newest_first(PAPERS)]
    alpha = records["alpha"]
    assert alpha["url"] == f"{BASE}papers/alpha/"
    assert alpha["authors"] == ["Émile Müller"] and alpha["author_count"] == 1
    assert alpha["organization"] == {"id": "ACME", "name": "Acme Lab"}
    assert alpha["doi"] == "10.1000/abc_def" and alpha["arxiv"] is None
    assert alpha["abstract"] == "We show $x^2$ grows." and alpha["upvotes"] == 50
    assert [t["name"] for t in alpha["tags"]] == ["llm"]
    assert records["attention"]["links"] == [{"kind": "code",
                                              "url": "https://github.com/example/transformer"}]
    assert records["older"]["author_count"] == 3 and records["older"]["authors"] == []
    assert "Émile" in (built / "papers.json").read_text("utf-8")  # real UTF-8, not \u escapes


def test_no_feeds_or_sitemap_without_a_host(tmp_path: Path, build_site: Callable[..., Path]
                                            ) -> None:
    """Feeds and sitemaps need absolute URLs: without a host they are left out (the build
    warns, see tests/test_absolute_urls.py), and nothing links to them."""
    out = build_site(write_site(tmp_path / "site", PAPERS), tmp_path / "out", base_url="/p/")
    assert not list(out.rglob("*.xml"))
    assert "Sitemap" not in (out / "robots.txt").read_text("utf-8")
    assert (out / "papers.json").is_file()
    assert all("feed.xml" not in page.read_text("utf-8") for page in out.rglob("*.html"))


def test_same_input_gives_identical_bytes(tmp_path: Path, build_site: Callable[..., Path],
                                          snapshot: Callable[..., dict[str, bytes]],
                                          tree_difference: Callable[..., str]) -> None:
    first = build_site(write_site(tmp_path / "a", PAPERS), tmp_path / "out-a")
    second = build_site(write_site(tmp_path / "elsewhere" / "b", PAPERS), tmp_path / "out-b")
    assert tree_difference(snapshot(first), snapshot(second)) == ""
    assert list((first / "pagefind" / "filter").glob("*.pf_filter"))


def test_pagefind_files_are_put_in_order(tmp_path: Path) -> None:
    from sitegen.outputs.pagefind_files import make_reproducible, pack, read_file

    folder = tmp_path / "pagefind"
    (folder / "filter").mkdir(parents=True)
    (folder / "filter" / "en_1111111.pf_filter").write_bytes(
        pack(["tag", [["zeta", [1]], ["alpha", [0, 1]]]]))
    meta = ["1.5.2", [["en_aaaaaaa", 10], ["en_bbbbbbb", 12]], [["a", "z", "en_ccccccc"]],
            [["tag", "en_1111111"]], [["upvotes", [1, 0]], ["date", [0, 1]]], ["date", "title"]]
    (folder / "pagefind.en_2222222222.pf_meta").write_bytes(pack(meta))
    (folder / "pagefind-entry.json").write_text(
        '{"version":"1.5.2","languages":{"en":{"hash":"en_2222222222","wasm":"en",'
        '"page_count":2}}}', encoding="utf-8")
    assert make_reproducible(folder)
    entry = json.loads((folder / "pagefind-entry.json").read_text("utf-8"))
    written = read_file(folder / f"pagefind.{entry['languages']['en']['hash']}.pf_meta")
    assert [s[0] for s in written[4]] == ["date", "upvotes"]
    (filter_file,) = (folder / "filter").glob("*.pf_filter")
    assert written[3] == [["tag", filter_file.stem]]
    assert read_file(filter_file) == ["tag", [["alpha", [0, 1]], ["zeta", [1]]]]
    assert not (folder / "pagefind.en_2222222222.pf_meta").exists()
    # Running it again changes nothing; an unknown layout is left exactly as it was.
    before = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert make_reproducible(folder)
    assert {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    filter_file.write_bytes(b"\x00garbage")
    assert not make_reproducible(folder)
    assert filter_file.read_bytes() == b"\x00garbage"


def test_search_index_is_reused_until_a_paper_changes(
        tmp_path: Path, build_site: Callable[..., Path],
        snapshot: Callable[..., dict[str, bytes]]) -> None:
    site = write_site(tmp_path / "site", PAPERS)
    out = build_site(site, tmp_path / "out")
    index = snapshot(out / "pagefind")
    inode = (out / "pagefind" / "pagefind-entry.json").stat().st_ino
    (site / "static").mkdir()
    (site / "static" / "extra.txt").write_text("not a page\n", encoding="utf-8")
    build_site(site, out)
    assert (out / "extra.txt").is_file()
    assert snapshot(out / "pagefind") == index  # carried over, not rebuilt
    assert (out / "pagefind" / "pagefind-entry.json").stat().st_ino == inode
    build_site(site, tmp_path / "out", clean=True)
    assert snapshot(out / "pagefind") == index
    edited = PAPERS[2]
    path = site / "content" / "papers" / f"{edited.slug}.md"
    path.write_text(dumps(Paper(**{**edited.__dict__, "body": "Zebras everywhere."})),
                    encoding="utf-8")
    build_site(site, out)
    assert (out / "pagefind" / "pagefind-entry.json").stat().st_ino != inode
    assert list((out / "pagefind").glob("*.pf_meta"))
    assert not list(out.glob(".pagefind*")) and not list(out.glob("*/.pagefind*"))


def test_search_off_builds_no_index(tmp_path: Path, build_site: Callable[..., Path],
                                    parse_page: Callable[..., Any]) -> None:
    out = build_site(write_site(tmp_path / "site", PAPERS, search=False), tmp_path / "out")
    assert not (out / "pagefind").exists()
    text = (out / "search" / "index.html").read_text("utf-8")
    assert "Search is turned off" in text and "search.js" not in text


def test_search_page_works_without_scripts_explained(built: Path,
                                                     parse_page: Callable[..., Any]) -> None:
    page = parse_page(built / "search" / "index.html")
    noscript = "".join(page.find(".//noscript").itertext())
    assert "Search needs JavaScript" in noscript
    root = page.find(".//*[@id='search']")
    assert root.get("data-base") == "/sub/" and root.get("data-bundle") == "/sub/pagefind/"
    options = [o.get("value") for o in page.find(".//select[@id='search-tag']").iter("option")]
    assert options == ["", "llm", "security", "transformers"]


def test_outputs_are_hard_links_when_unchanged(tmp_path: Path,
                                               build_site: Callable[..., Path]) -> None:
    site = write_site(tmp_path / "site", PAPERS)
    out = build_site(site, tmp_path / "out")
    inodes = {name: os.stat(out / name).st_ino for name in ("feed.xml", "papers.bib")}
    (site / "static").mkdir()
    (site / "static" / "note.txt").write_text("x\n", encoding="utf-8")
    build_site(site, out)
    assert {name: os.stat(out / name).st_ino for name in inodes} == inodes


def test_papers_json_is_what_json_dumps_writes(built: Path) -> None:
    # The document is written from ready parts (one per paper); joined, they must be
    # exactly one sorted-keys json.dumps of the whole document.
    raw = (built / "papers.json").read_bytes()
    document = json.loads(raw)
    assert raw == (json.dumps(document, sort_keys=True, ensure_ascii=False) + "\n").encode()


@pytest.mark.parametrize("count", [0, 1, 1023, 1024, 1025, 5000])
def test_files_written_from_parts_hold_the_joined_bytes(tmp_path: Path, count: int) -> None:
    from sitegen.publish import Staging

    parts = [f"{index}:{'x' * (index % 7)}".encode() for index in range(count)]
    staging = Staging(tmp_path / "out")
    staging.begin()
    staging.write("deep/file.json", parts)
    staging.write("whole.bin", b"".join(parts))
    written = (staging.path / "deep" / "file.json").read_bytes()
    assert written == b"".join(parts) == (staging.path / "whole.bin").read_bytes()
