"""The validation layers for a site's inputs as a whole: path and URL options, numbers,
``sitegen.toml`` and the content folder, an emptied site, collisions, printed paths.

The corpus (``tests/hostile/sites/``) runs the refused cases through the command
line; these tests check what the corpus cannot: values only a unit sees, cases
that need a user other than root, and what a successful build does with a
value the layers accept.
"""

from __future__ import annotations

import errno
import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sitegen import commands
from sitegen.cli import _overrides, build_parser, main
from sitegen.config import OPTIONS, load_config
from sitegen.config_paths import path_problem, url_problem

CliResult = tuple[int, str, str]
PAPER = "---\ntitle: {title}\ndate: 2024-03-05\ntags: [{tags}]\n---\n\nText.\n"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _site(root: Path, config: str = "", papers: int = 2) -> Path:
    site = root / "site"
    (site / "content" / "papers").mkdir(parents=True)
    (site / "sitegen.toml").write_text('title = "Inputs"\nsearch = false\n' + config, "utf-8")
    for number in range(papers):
        (site / "content" / "papers" / f"p{number}.md").write_text(
            PAPER.format(title=f"Paper {number}", tags="memory"), "utf-8")
    return site


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("value", [
    "https://example.org/papers/", "http://example.org", "https://example.org:8443/x/",
    "//example.org/papers/", "/", "/papers/", "https://[::1]:8000/"])
def test_urls_the_layer_accepts(value: str) -> None:
    assert url_problem(value) is None


@pytest.mark.parametrize("value", [
    "https://example.org/\n", "https://example.org/\r", "https://exa mple.org/",
    "https://example.org/\u2028", "https://example.org/\x00", "https://example.org/\x7f",
    "https://example.org/\x85", 'https://example.org/"', "https://example.org/'",
    "https://example.org/<", "https://example.org/>", "https://example.org/`",
    "https://example.org\\@evil/", "javascript:alert(1)", "ftp://example.org/", "mailto:x@y",
    "//", "///papers/", "https://", "https:///x", "http://example.org:0x50/",
    "http://example.org:70000/", "https://user:pw@example.org/", "papers/", "",
    "https://example.org/#top", "/?q=1", "\ufeffhttps://example.org/"])
def test_urls_the_layer_refuses(value: str) -> None:
    assert url_problem(value)


@pytest.mark.parametrize("value", ["a\x00b", "a\nb", "\x1b[31m", "", "  ", "~no-such-user-x/y",
                                   "a\u2028b", "a\x85b"])
def test_paths_the_layer_refuses_before_resolving(value: str) -> None:
    assert path_problem(value)


def test_every_number_option_is_bounded() -> None:
    numbers = [option for option in OPTIONS if option.kind is int]
    assert numbers, "no integer options"
    for option in numbers:
        assert option.minimum is not None and option.maximum is not None, option.name
        assert option.problem(2 ** 70) and option.problem(-(2 ** 70)), option.name
        assert option.problem(option.maximum + 1) and option.problem(option.minimum - 1)
        assert option.problem(True) and option.problem(1.0), option.name


@pytest.mark.parametrize("args", [["serve", "--port", "70000"], ["serve", "--port", "-1"],
                                  ["build", "--wait", "nan"], ["build", "--wait", "inf"],
                                  ["build", "--wait", "1e300"], ["build", "--wait", "-1"]])
def test_number_flags_are_bounded(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "must be from" in err and "Traceback" not in err


def test_protocol_relative_base_url_links_by_path_and_uses_https_for_full_urls(
        tmp_path: Path, run_cli: Callable[[list[str]], CliResult]) -> None:
    site = _site(tmp_path, 'base_url = "//papers.example.org/list/"\n')
    code, _, err = run_cli(["build", "--site", str(site), "--output", str(tmp_path / "out"),
                            "-q"])
    assert (code, err) == (0, "")
    out = tmp_path / "out"
    home = (out / "index.html").read_text("utf-8")
    assert 'href="/list/papers/p0/"' in home
    assert '<link rel="canonical" href="https://papers.example.org/list/">' in home
    locs = [e.text for e in ET.parse(out / "sitemap.xml").iter(f"{SITEMAP}loc")]
    assert locs and all(str(loc).startswith("https://papers.example.org/list/") for loc in locs)
    assert (out / "feed.xml").is_file()


def test_unreadable_config_is_refused_without_writing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        run_cli: Callable[[list[str]], CliResult]) -> None:
    """chmod 000 binds no one when the tests run as root: the check is made to see it."""
    site = _site(tmp_path)
    config = site / "sitegen.toml"
    config.chmod(0)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if Path(path) == config
                        else real_access(path, mode, **kw))
    code, out, err = run_cli(["build", "--site", str(site), "--output", str(tmp_path / "out")])
    config.chmod(0o644)
    assert (code, out) == (1, "")
    assert err.splitlines() == [f"{config}: cannot be read: permission denied; give yourself "
                                "read access (chmod u+r)"]
    assert not (tmp_path / "out").exists() and not (site / ".sitegen-cache").exists()


def test_unreadable_content_folder_keeps_the_previous_site(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        run_cli: Callable[[list[str]], CliResult]) -> None:
    site = _site(tmp_path)
    out = tmp_path / "out"
    assert run_cli(["build", "--site", str(site), "--output", str(out), "-q"])[0] == 0
    before = _files(out)
    content = site / "content"
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if Path(path) == content
                        else real_access(path, mode, **kw))
    code, _, err = run_cli(["build", "--site", str(site), "--output", str(out)])
    assert code == 1
    assert err.splitlines() == ["sitegen.toml: Config value 'content_dir': 'content' cannot be "
                                "read (permission denied)"]
    assert _files(out) == before


def test_an_emptied_site_needs_allow_empty(
        tmp_path: Path, run_cli: Callable[[list[str]], CliResult]) -> None:
    site = _site(tmp_path, papers=3)
    out = tmp_path / "out"
    argv = ["build", "--site", str(site), "--output", str(out), "-q"]
    assert run_cli(argv)[0] == 0
    before = _files(out)
    shutil.rmtree(site / "content" / "papers")
    (site / "content" / "papers").mkdir()
    for extra in ([], ["--clean"]):  # the record of the last build is read either way
        code, _, err = run_cli(argv + extra)
        assert code == 1
        assert err.splitlines() == [
            "content: no papers found, but the last build published 3; the previous site was "
            "kept (is content_dir right?); pass --allow-empty to publish a site without papers"]
        assert _files(out) == before
    assert run_cli(argv + ["--allow-empty"])[0] == 0
    assert not (out / "papers").exists() or not list((out / "papers").rglob("*.html"))
    assert run_cli(argv)[0] == 0  # the last build had none: an empty site stays allowed


def test_serve_takes_allow_empty_to_its_config(tmp_path: Path) -> None:
    site = _site(tmp_path)
    args = build_parser().parse_args(["serve", "--site", str(site), "--allow-empty"])
    assert load_config(site, _overrides(args)).allow_empty
    args = build_parser().parse_args(["serve", "--site", str(site)])
    assert not load_config(site, _overrides(args)).allow_empty


def test_tags_that_share_a_page_warn_and_fail_under_strict(
        tmp_path: Path, run_cli: Callable[[list[str]], CliResult]) -> None:
    site = _site(tmp_path, 'base_url = "https://example.org/"\n', papers=0)
    papers = site / "content" / "papers"
    for name, tag in (("a", '"C++"'), ("b", "cpp"), ("c", '"R&D"'), ("d", "randd"),
                      ("e", "memory")):
        (papers / f"{name}.md").write_text(PAPER.format(title=name.upper(), tags=tag), "utf-8")
    out = tmp_path / "out"
    code, _, err = run_cli(["build", "--site", str(site), "--output", str(out), "-q"])
    assert code == 0
    assert err.splitlines() == [
        "content/papers/a.md: warning: tags 'c++' (content/papers/a.md), 'cpp' "
        "(content/papers/b.md) share the page tags/cpp/ and are shown as one tag, 'c++'; use "
        "one spelling",
        "content/papers/c.md: warning: tags 'r&d' (content/papers/c.md), 'randd' "
        "(content/papers/d.md) share the page tags/randd/ and are shown as one tag, 'r&d'; "
        "use one spelling"]
    before = _files(out)
    (papers / "e.md").write_text(PAPER.format(title="E", tags="memory, agents"), "utf-8")
    code, _, err = run_cli(["build", "--site", str(site), "--output", str(out), "--strict"])
    assert code == 1 and "--strict turns these warnings into errors" in err
    assert _files(out) == before


@pytest.mark.parametrize("name", ["x\nerror: forged second line", "red\x1b[31m\x1b]0;t\x07"])
def test_system_errors_print_their_file_names_escaped(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        run_cli: Callable[[list[str]], CliResult]) -> None:
    site = _site(tmp_path)

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise OSError(errno.EACCES, "Permission denied", str(tmp_path / name), None, "other\n2")

    monkeypatch.setattr(commands, "do_build", refuse)
    code, out, err = run_cli(["build", "--site", str(site)])
    assert (code, out) == (1, "")
    assert len(err.splitlines()) == 1, err
    assert "\x1b" not in err and "\x07" not in err
    assert err.startswith("error: ") and err.rstrip().endswith("other\\n2: Permission denied")


def test_main_returns_for_a_config_that_is_a_fifo(tmp_path: Path) -> None:
    """A named pipe must not make the command wait for a writer (it is checked by stat)."""
    site = tmp_path / "site"
    site.mkdir()
    os.mkfifo(site / "sitegen.toml")
    assert main(["build", "--site", str(site)]) == 1
