"""``sitegen init`` and ``sitegen check``: a new site builds into one that passes the check,
and the check reports broken links, missing assets and pages missing from the sitemap."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from sitegen import check as check_module
from sitegen.check import check_site, run_check
from sitegen.check.sitemap import guess_base_url
from sitegen.cli import main
from sitegen.config import CONFIG_NAME, OPTIONS, Config, load_config, option_names
from sitegen.errors import CheckError
from sitegen.outputs.hosting import Limit
from sitegen.scaffold import WORKFLOW_PATH, config_text, init_site

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "hf-daily-papers-2026-01-09.txt"
NEW_SITE_FILES = {CONFIG_NAME, "content/papers/.gitkeep", "templates/README.md", ".gitignore",
                  WORKFLOW_PATH}


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


# --- sitegen init ------------------------------------------------------------------------

def test_init_creates_a_site_in_a_new_folder(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "new" / "site"
    assert main(["init", str(site)]) == 0
    assert _files(site) == NEW_SITE_FILES
    out = capsys.readouterr().out
    assert "sitegen import" in out and "sitegen build" in out and "GitHub Actions" in out
    gitignore = (site / ".gitignore").read_text(encoding="utf-8").split()
    assert "/public/" in gitignore and "/.sitegen-cache/" in gitignore
    readme = (site / "templates" / "README.md").read_text(encoding="utf-8")
    assert "`base.html`" in readme and "same name" in readme


def test_init_config_lists_every_option_with_help_and_default(tmp_path: Path) -> None:
    assert init_site(tmp_path) == 0
    text = (tmp_path / CONFIG_NAME).read_text(encoding="utf-8")
    for option in OPTIONS:
        name = option.name
        assert re.search(rf"^(# )?(\[\[?{name}\]\]?|{name} = )", text, re.MULTILINE), name
        first_words = " ".join(option.help.split()[:6])
        assert first_words in " ".join(text.replace("# ", " ").split()), name
    assert text.count("# Default: ") == len(option_names())
    config = load_config(tmp_path)
    assert config == Config()  # as written, the file gives the defaults


def test_uncommenting_every_option_keeps_the_defaults(tmp_path: Path) -> None:
    lines = []
    for line in config_text().splitlines():
        match = re.match(r"# ([a-z_]+) = ", line)
        if match and match.group(1) in option_names():  # not the tag_rules example
            line = line[2:]
        lines.append(line)
    (tmp_path / CONFIG_NAME).write_text("\n".join(lines), encoding="utf-8")
    data = tomllib.loads("\n".join(lines))
    unset_tables = ("tag_rules", "sources", "enrich")
    assert set(data) == {n for n in option_names() if n not in unset_tables}
    assert load_config(tmp_path) == Config()


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / CONFIG_NAME).write_text('title = "Mine"\n', encoding="utf-8")
    (tmp_path / ".gitignore").write_text("x\n", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / CONFIG_NAME}: already exists" in err
    assert f"{tmp_path / '.gitignore'}: already exists" in err
    assert "refusing to overwrite" in err and "Traceback" not in err
    assert _files(tmp_path) == {CONFIG_NAME, ".gitignore"}
    assert (tmp_path / CONFIG_NAME).read_text(encoding="utf-8") == 'title = "Mine"\n'


def test_init_refuses_a_file_where_a_folder_goes(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "content").write_text("not a folder", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 1
    assert "content: is a file where sitegen init needs a folder" in capsys.readouterr().err
    assert _files(tmp_path) == {"content"}


def test_init_into_a_file_fails_cleanly(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x", encoding="utf-8")
    assert main(["init", str(target)]) == 1
    assert "is a file, not a folder" in capsys.readouterr().err


# --- sitegen check on hand-made sites ----------------------------------------------------

def _page(body: str, head: str = "") -> str:
    return (f'<!doctype html><html><head><meta charset="utf-8">{head}'
            f'<link rel="stylesheet" href="/sub/static/style.css?v=1"></head>'
            f"<body>{body}</body></html>")


def _sitemap(urls: list[str], base: str = "https://example.org/sub/") -> str:
    locs = "".join(f"<url><loc>{base}{u}</loc></url>" for u in urls)
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>')


def make_site(out: Path, files: dict[str, str] | None = None) -> Path:
    """A small built site for base URL https://example.org/sub/ that passes the check."""
    site = {
        "index.html": _page('<a href="/sub/papers/a/">A</a> <a href="papers/b%20c/">B</a>'
                            '<a href="https://example.org/sub/tags/">tags</a>'
                            '<a href="https://elsewhere.org/x">x</a><a href="mailto:a@b.c">m</a>'
                            '<img src="static/logo.png" srcset="static/logo.png 1x, '
                            'static/logo@2x.png 2x">'),
        "papers/a/index.html": _page('<h2 id="abstract">A</h2><a href="../../">home</a>'
                                     '<a href="/sub/papers/a/#abstract">abs</a>'
                                     '<a href="/sub/tags/?page=1#top">tags</a>'),
        "papers/b c/index.html": _page('<a href="/sub">home</a><a href="/sub/feed.xml">feed</a>'),
        "tags/index.html": _page('<a href="/sub/papers/a">A</a>'),
        "old/index.html": _page("", '<meta http-equiv="refresh" content="0; url=/sub/papers/a/">'),
        "drafts/index.html": _page("", '<meta name="robots" content="noindex">'),
        "404.html": _page('<a href="/sub/">home</a>'),
        "static/style.css": "body { background: url('bg.png') } @import \"more.css\";",
        "static/more.css": "p { color: red }",
        "static/bg.png": "png", "static/logo.png": "png", "static/logo@2x.png": "png",
        "feed.xml": "<feed/>", ".nojekyll": "",
        "sitemap.xml": _sitemap(["", "papers/a/", "papers/b%20c/", "tags/"]),
    }
    site.update(files or {})
    for rel, text in site.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return out


CONFIG = Config(base_url="https://example.org/sub/")


def _messages(problems: list) -> list[str]:
    return [str(p) for p in problems]


def test_a_whole_site_passes(tmp_path: Path) -> None:
    report = check_site(make_site(tmp_path / "public"), CONFIG)
    assert report.errors == [] and report.warnings == []
    assert report.pages == 7 and report.files == 15
    assert report.refs > 15
    assert len(report.limits) == 5 and all(line.startswith("ok") for line in report.limits)


def test_broken_links_and_missing_assets_name_the_page(tmp_path: Path) -> None:
    out = make_site(tmp_path / "public", {
        "papers/a/index.html": _page('<a href="/sub/papers/missing/">x</a>'
                                     '<a href="../gone/">y</a><img src="/sub/static/nope.png">'
                                     '<img srcset="/sub/static/logo.png 1x, '
                                     '/sub/static/no@2x.png 2x">'
                                     '<a href="/other/">z</a>'),
        "static/more.css": "p { background: url(../static/none.png) }",
    })
    report = check_site(out, CONFIG)
    page = f"{report.output}/papers/a/index.html"
    assert _messages(report.errors) == [
        f"{page}:1: broken link /sub/papers/missing/",
        f"{page}:1: broken link /sub/papers/gone/ (written '../gone/')",
        f"{page}:1: missing asset /sub/static/nope.png",
        f"{page}:1: missing asset /sub/static/no@2x.png",
        f"{page}:1: broken link /other/: outside the site's base path",
        f"{report.output}/static/more.css:1: missing asset /sub/static/none.png "
        "(written '../static/none.png')",
    ]


def test_a_link_broken_on_every_page_is_one_error(tmp_path: Path) -> None:
    nav = '<a href="/sub/about/">about</a>'
    out = make_site(tmp_path / "public", {
        "index.html": _page(nav), "tags/index.html": _page(nav), "papers/a/index.html": _page(nav),
    })
    report = check_site(out, CONFIG)
    assert _messages(report.errors) == [f"{report.output}/index.html:1: broken link /sub/about/ "
                                        "(also on 2 other pages)"]


def test_pages_missing_from_the_sitemap(tmp_path: Path) -> None:
    out = make_site(tmp_path / "public", {
        "sitemap.xml": _sitemap(["", "papers/a/", "tags/", "papers/gone/"]),
    })
    report = check_site(out, CONFIG)
    assert _messages(report.errors) == [
        f"{report.output}/sitemap.xml: lists https://example.org/sub/papers/gone/, "
        "which is not in the site",
        f"{report.output}/papers/b c/index.html: is not listed in sitemap.xml",
    ]


def test_a_missing_sitemap_is_an_error(tmp_path: Path) -> None:
    out = make_site(tmp_path / "public")
    (out / "sitemap.xml").unlink()
    report = check_site(out, CONFIG)
    assert _messages(report.errors) == [f"{report.output}/sitemap.xml: is missing "
                                        "(pages cannot be checked against it)"]


def test_relative_links_in_the_404_page_are_errors(tmp_path: Path) -> None:
    out = make_site(tmp_path / "public", {"404.html": _page('<a href="index.html">home</a>')})
    [error] = check_site(out, CONFIG).errors
    assert "404.html:1: relative URL 'index.html' breaks" in str(error)


def test_missing_fragment_targets_are_warnings(tmp_path: Path) -> None:
    out = make_site(tmp_path / "public", {"tags/index.html": _page(
        '<a href="/sub/papers/a/#nothing">x</a><a href="#here">h</a><p id="here"></p>')})
    report = check_site(out, CONFIG)
    assert report.errors == []
    assert _messages(report.warnings) == [
        f"{report.output}/tags/index.html:1: link /sub/papers/a/#nothing: "
        "no element with id 'nothing'"]


def test_host_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = make_site(tmp_path / "public", {"static/big.bin": "x" * 2000})
    monkeypatch.setattr(check_module, "LIMITS", (
        Limit("Host A", "file bytes", 1000, True, "files up to 1000 bytes", "https://a.example"),
        Limit("Host B", "files", 3, False, "up to 3 files", "https://b.example"),
        Limit("Host C", "site bytes", 10**6, True, "up to 1 MB", "https://c.example"),
    ))
    report = check_site(out, CONFIG)
    assert _messages(report.errors) == [
        f"{report.output}/static/big.bin: is 2.0 kB: Host A: files up to 1000 bytes "
        "(https://a.example)"]
    assert _messages(report.warnings) == [
        f"{report.output}: has 16 files: Host B: up to 3 files (https://b.example)"]
    assert [line.split()[0] for line in report.limits] == ["error", "warn", "ok"]


def test_check_reads_the_base_url_off_the_sitemap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    make_site(tmp_path / "public")
    (tmp_path / CONFIG_NAME).write_text('title = "Sub"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # sitegen.toml has no base_url: built with --base-url
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "as served from https://example.org/sub/ (from sitemap.xml)" in out
    assert "GitHub Pages: a published site may be at most 1 GB" in out
    assert out.rstrip().splitlines()[-1].startswith("check passed: public/ (7 pages")


def test_check_fails_with_one_line_per_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    make_site(tmp_path / "public", {"papers/a/index.html": _page(
        '\n<a href="/sub/papers/missing/">x</a>')})
    (tmp_path / CONFIG_NAME).write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--output", "public"]) == 1
    err = capsys.readouterr().err
    assert "public/papers/a/index.html:2: broken link /sub/papers/missing/\n" in err
    assert err.rstrip().splitlines()[-1].startswith("error: check failed: 1 problem in public/")
    assert "Traceback" not in err


def test_check_without_a_built_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / CONFIG_NAME).write_text("", encoding="utf-8")
    assert main(["check", "--site", str(tmp_path)]) == 1
    assert "no built site here; run 'sitegen build' first" in capsys.readouterr().err


def test_strict_turns_check_warnings_into_failure(tmp_path: Path) -> None:
    make_site(tmp_path / "public", {"tags/index.html": _page('<a href="#gone">x</a>')})
    (tmp_path / CONFIG_NAME).write_text("strict = true\n", encoding="utf-8")
    with pytest.raises(CheckError, match="strict"):
        run_check(tmp_path, {})


def test_base_url_guessed_from_the_sitemap() -> None:
    files = {"index.html": 1, "papers/a/index.html": 1, "tags/index.html": 1}
    locs = ["https://u.github.io/repo/", "https://u.github.io/repo/papers/a/",
            "https://u.github.io/repo/tags/"]
    assert guess_base_url(locs, files) == "https://u.github.io/repo/"
    # Without the home page in the sitemap, the longest common path is not taken blindly.
    assert guess_base_url(locs[1:], files) == "https://u.github.io/repo/"
    assert guess_base_url(["/sub/", "/sub/tags/"], files) == "/sub/"
    assert guess_base_url([], files) is None


def test_a_sitemap_index_and_a_path_only_base(tmp_path: Path) -> None:
    out = make_site(tmp_path / "public", {
        "sitemap.xml": '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                       "<sitemap><loc>https://example.org/sub/maps/1.xml</loc></sitemap>"
                       "</sitemapindex>",
        "maps/1.xml": _sitemap(["", "papers/a/", "papers/b%20c/", "tags/"]),
    })
    assert check_site(out, Config(base_url="/sub/")).errors == []


def test_base_href_and_inline_styles(tmp_path: Path) -> None:
    out = make_site(tmp_path / "public", {"tags/index.html": _page(
        '<a href="a/">A</a><div style="background: url(/sub/static/gone.png)"></div>'
        "<style>\n\nbody { background: url('/sub/static/bg.png') }\n"
        "p { background: url(/sub/static/lost.png) }</style>",
        head='<base href="/sub/papers/">')})
    report = check_site(out, CONFIG)
    assert _messages(report.errors) == [
        f"{report.output}/tags/index.html:1: missing asset /sub/static/gone.png",
        f"{report.output}/tags/index.html:4: missing asset /sub/static/lost.png"]


def test_names_hosts_refuse_fail_the_check(tmp_path: Path) -> None:
    out = make_site(tmp_path / "public", {"static/a\\b.png": "x", "static/Logo.png": "x",
                                          "static/logo.png": "x"})
    report = check_site(out, CONFIG)
    assert [p.message for p in report.errors] == [
        "'static/a\\\\b.png' has a backslash in its name (a folder separator on some hosts)"]
    assert [p.message for p in report.warnings] == [
        "'static/logo.png' differs only by case from 'static/Logo.png'"]


# --- a new site, end to end ----------------------------------------------------------------

SUB = "https://example.github.io/sub/"


@pytest.fixture
def new_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> Path:
    """``sitegen init``, ``import`` of the example listing, ``build`` for a subpath."""
    site = tmp_path / "site"
    assert main(["init", str(site)]) == 0
    monkeypatch.chdir(site)
    assert main(["import", str(EXAMPLE)]) == 0
    assert main(["build", "--base-url", SUB, "-q"]) == 0
    capsys.readouterr()
    return site


def test_a_new_site_builds_into_one_that_passes_the_check(
        new_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    out, err = capsys.readouterr()
    assert f"checking public/ as served from {SUB} (from sitemap.xml)" in out
    assert out.rstrip().splitlines()[-1].startswith("check passed: public/")
    assert err == ""
    papers = len(list((new_site / "content" / "papers").glob("*.md")))
    assert papers > 10
    assert len(list((new_site / "public" / "papers").glob("*/index.html"))) == papers


def test_check_fails_on_a_template_linking_to_a_missing_page(
        new_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (new_site / "templates" / "404.html").write_text(
        '<!doctype html>\n<html><body><a href="{{ site.base_path }}">home</a>\n'
        '<a href="{{ site.base_path }}papers/missing/">gone</a></body></html>\n',
        encoding="utf-8")
    assert main(["build", "--base-url", SUB, "-q"]) == 0
    capsys.readouterr()
    assert main(["check"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "public/404.html:3: broken link /sub/papers/missing/"
    assert err[-1].startswith("error: check failed: 1 problem in public/")


def test_check_fails_on_a_page_missing_from_the_sitemap(
        new_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sitemap = new_site / "public" / "sitemap.xml"
    text = sitemap.read_text(encoding="utf-8")
    paper = sorted((new_site / "public" / "papers").iterdir())[0].name
    entry = re.search(rf"<url>\s*<loc>{re.escape(SUB)}papers/{paper}/</loc>.*?</url>", text,
                      re.DOTALL)
    assert entry is not None
    sitemap.write_text(text.replace(entry.group(0), ""), encoding="utf-8")
    assert main(["check"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"public/papers/{paper}/index.html: is not listed in sitemap.xml"
    assert len(err) == 2
