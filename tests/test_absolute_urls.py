"""No silently invalid output: what needs absolute URLs is valid, or absent with a warning.

With a full ``base_url`` the sitemap validates against the sitemaps.org schema
(``tests/fixtures/sitemaps/``, see its README) and feedparser reads every feed
without complaint, every link absolute. With a path-only base URL the sitemap,
the feeds and every absolute-URL field are left out, the build warns once,
``--strict`` fails keeping the previous site, and ``sitegen check`` fails.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree

from sitegen.check import check_site
from sitegen.config import Config
from sitegen.outputs import sitemap as sitemap_module
from sitegen.serve import PreviewServer

SCHEMAS = Path(__file__).resolve().parent / "fixtures" / "sitemaps"
# Not the host the fixture papers link to (example.org), so those links stay external.
BASE = "https://papers.example.net/golden/"
WARNING = ("warning: base_url '/golden/' is not absolute (https://host/path/): sitemap.xml, "
           "feeds and canonical links are left out; set base_url or pass --base-url")
CliResult = tuple[int, str, str]


def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def _validate(schema: etree.XMLSchema, path: Path) -> etree._ElementTree:
    document = etree.parse(str(path))
    assert schema.validate(document), f"{path.name}: {schema.error_log}"
    return document


def _locs(document: etree._ElementTree) -> list[str]:
    return [str(t) for t in document.xpath("//s:loc/text()", namespaces={
        "s": "http://www.sitemaps.org/schemas/sitemap/0.9"})]


def _html_pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_the_schemas_reject_a_relative_loc(tmp_path: Path) -> None:
    """The schema itself is strict enough to catch what this change prevents."""
    bad = tmp_path / "sitemap.xml"
    bad.write_text('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                   "<url><loc>/p/</loc></url></urlset>", encoding="utf-8")
    assert not _schema("sitemap.xsd").validate(etree.parse(str(bad)))


@pytest.fixture
def built(copy_site: Callable[..., Path], build_site: Callable[..., Path],
          tmp_path: Path) -> Path:
    """The golden fixture site, built for :data:`BASE`."""
    return build_site(copy_site("golden"), tmp_path / "out", base_url=BASE)


def test_the_sitemap_validates_and_lists_every_page(built: Path) -> None:
    document = _validate(_schema("sitemap.xsd"), built / "sitemap.xml")
    locs = _locs(document)
    assert locs and all(loc.startswith(BASE) for loc in locs)
    expected = {BASE + p.relative_to(built).as_posix().removesuffix("index.html")
                for p in _html_pages(built) if p.name != "404.html"}
    assert set(locs) == expected
    assert (built / "robots.txt").read_text(encoding="utf-8").endswith(
        f"\nSitemap: {BASE}sitemap.xml\n")


def test_a_sitemap_index_validates(copy_site: Callable[..., Path],
                                   build_site: Callable[..., Path], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sitemap_module, "MAX_URLS", 7)
    out = build_site(copy_site("golden"), tmp_path / "out", base_url=BASE)
    index = _validate(_schema("siteindex.xsd"), out / "sitemap.xml")
    parts = _locs(index)
    assert len(parts) > 1 and parts[0] == f"{BASE}sitemap-1.xml"
    pages = []
    for loc in parts:
        pages += _locs(_validate(_schema("sitemap.xsd"), out / loc.removeprefix(BASE)))
    assert len(pages) == len(set(pages)) == len(_html_pages(out)) - 1  # all but 404.html
    assert check_site(out, Config(base_url=BASE)).errors == []


def _feed(path: Path) -> Any:
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
    return parsed


def test_every_feed_parses_with_absolute_links(built: Path) -> None:
    feeds = [built / "feed.xml", built / "rss.xml", *sorted(built.glob("tags/*/feed.xml"))]
    assert len(feeds) > 3
    for path in feeds:
        parsed = _feed(path)
        assert parsed.version in ("atom10", "rss20"), path
        assert parsed.feed.link.startswith(BASE), path
        assert parsed.entries, path
        for entry in parsed.entries:
            assert entry.link.startswith(f"{BASE}papers/"), (path, entry.link)
            assert entry.id == entry.link, path
            page = built / entry.link.removeprefix(BASE) / "index.html"
            assert page.is_file(), entry.link
    assert [link.href for link in _feed(built / "feed.xml").feed.links] == [
        f"{BASE}feed.xml", BASE]


def test_pages_carry_absolute_canonical_og_url_and_json_ld(built: Path) -> None:
    page = (built / "papers" / "a-quiet-paper" / "index.html").read_text(encoding="utf-8")
    url = f"{BASE}papers/a-quiet-paper/"
    assert f'<link rel="canonical" href="{url}">' in page
    assert f'<meta property="og:url" content="{url}">' in page
    record = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>',
                                  page, re.S).group(1))  # type: ignore[union-attr]
    assert record["url"] == record["mainEntityOfPage"] == url
    assert record["isPartOf"]["url"] == BASE
    home = (built / "index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{BASE}">' in home
    assert '<link rel="alternate" type="application/atom+xml" title="Golden Papers (Atom)" ' \
           'href="/golden/feed.xml">' in home


# --- a base URL without a host ---------------------------------------------------------------

@pytest.fixture
def path_only(copy_site: Callable[..., Path]) -> Path:
    site = copy_site("golden")
    config = site / "sitegen.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        'base_url = "https://example.org/golden/"', 'base_url = "/golden/"'), encoding="utf-8")
    return site


def _line_of_base_url(site: Path) -> int:
    lines = (site / "sitegen.toml").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith("base_url"))


def test_a_path_only_base_leaves_absolute_outputs_out_with_one_warning(
        path_only: Path, tmp_path: Path, run_cli: Callable[[list[str]], CliResult]) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(["build", "--site", path_only, "--output", out])
    assert code == 0
    assert stderr == f"sitegen.toml:{_line_of_base_url(path_only)}: {WARNING}\n"
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert not {n for n in names if n.endswith(("sitemap.xml", "feed.xml", "rss.xml"))}
    assert {"index.html", "papers.json", "robots.txt"} <= names
    assert "Sitemap" not in (out / "robots.txt").read_text(encoding="utf-8")
    for page in _html_pages(out):
        text = page.read_text(encoding="utf-8")
        for needle in ('rel="canonical"', 'property="og:url"', "feed.xml", '"url"',
                       '"mainEntityOfPage"', "example.org/golden"):
            assert needle not in text, (page, needle)
    # A second build with nothing changed still says so.
    code, _, stderr = run_cli(["build", "--site", path_only, "--output", out])
    assert code == 0 and WARNING in stderr


def test_strict_fails_on_a_path_only_base_and_keeps_the_previous_site(
        path_only: Path, tmp_path: Path, run_cli: Callable[[list[str]], CliResult],
        snapshot: Callable[..., dict[str, bytes]]) -> None:
    out = tmp_path / "out"
    assert run_cli(["build", "--site", path_only, "--output", out, "--base-url", BASE])[0] == 0
    before = snapshot(out)
    code, stdout, stderr = run_cli(["build", "--site", path_only, "--output", out, "--strict"])
    assert code == 1
    assert stderr.splitlines() == [
        f"sitegen.toml:{_line_of_base_url(path_only)}: {WARNING.removeprefix('warning: ')}",
        "error: build failed: --strict turns these warnings into errors; "
        "the previous site was kept"]
    assert snapshot(out) == before


def test_check_fails_on_a_site_built_without_an_absolute_base(
        path_only: Path, tmp_path: Path, run_cli: Callable[[list[str]], CliResult]) -> None:
    out = tmp_path / "out"
    assert run_cli(["build", "--site", path_only, "--output", out, "-q"])[0] == 0
    code, stdout, stderr = run_cli(["check", "--site", path_only, "--output", out])
    assert code == 1
    lines = stderr.splitlines()
    assert lines[0] == (
        f"{out}/sitemap.xml: is missing: the site was built for base_url '/golden/', which "
        "is not absolute, so the sitemap, the feeds and canonical links were left out; "
        "set base_url to https://host/path/ or build with --base-url")
    assert lines[-1].startswith("error: check failed: 1 problem")
    # Built with --base-url, the same site passes (check reads the base off the sitemap).
    assert run_cli(["build", "--site", path_only, "--output", out, "--base-url", BASE])[0] == 0
    code, stdout, _ = run_cli(["check", "--site", path_only, "--output", out])
    assert code == 0 and f"as served from {BASE} (from sitemap.xml)" in stdout


def test_check_fails_on_relative_urls_in_a_sitemap(built: Path) -> None:
    sitemap = built / "sitemap.xml"
    sitemap.write_text(sitemap.read_text(encoding="utf-8").replace(BASE, "/golden/"),
                       encoding="utf-8")
    report = check_site(built, Config(base_url="/golden/"))
    [problem] = report.errors
    assert problem.path.endswith("/sitemap.xml")
    assert re.fullmatch(r"lists \d+ URLs without scheme and host, such as /golden/\S*: the "
                        r"sitemap protocol requires absolute URLs; rebuild with a full "
                        r"base_url \(https://host/path/\)", problem.message), problem.message


def test_the_preview_supplies_its_own_absolute_base(path_only: Path) -> None:
    with PreviewServer(path_only, port=0, quiet=True) as server:
        origin = f"http://127.0.0.1:{server.port}"
        assert server.url == f"{origin}/golden/"

        def get(path: str) -> bytes:
            with urllib.request.urlopen(origin + path, timeout=10) as response:
                return bytes(response.read())

        sitemap = get("/golden/sitemap.xml").decode()
        assert f"<loc>{origin}/golden/papers/a-quiet-paper/</loc>" in sitemap
        feed = feedparser.parse(get("/golden/feed.xml"))
        assert not feed.bozo and feed.entries[0].link.startswith(f"{origin}/golden/papers/")
        assert f'<link rel="canonical" href="{origin}/golden/">' in get("/golden/").decode()
