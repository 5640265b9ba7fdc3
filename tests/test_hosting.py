"""Host files (.nojekyll, CNAME), names hosts refuse, and the documented host limits."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from sitegen.config import Config
from sitegen.outputs.hosting import (
    LIMITS,
    MIB,
    bad_names,
    case_collisions,
    check_names,
    format_size,
    host_files,
)


def test_host_files_without_a_custom_domain() -> None:
    assert host_files(Config()) == {".nojekyll": b""}


def test_host_files_with_a_custom_domain() -> None:
    files = host_files(Config(cname="papers.example.org"))
    assert files == {".nojekyll": b"", "CNAME": b"papers.example.org\n"}


def test_plain_site_names_pass() -> None:
    paths = ["index.html", "papers/a-b/index.html", "_static/x.css", "tags/llm/page/2/index.html",
             PurePosixPath("static/Logo.svg"), "static/logo.png"]
    assert check_names(paths) == []


@pytest.mark.parametrize(("path", "reason"), [
    ("papers/a\tb/index.html", "control character"),
    ("papers/new\nline.html", "control character"),
    ("papers/a\\b.html", "backslash"),
    ("papers/" + "x" * 256 + "/index.html", "longer than 255 bytes"),
    ("papers/" + "é" * 128 + ".html", "longer than 255 bytes"),  # 256 bytes in UTF-8
])
def test_names_hosts_refuse(path: str, reason: str) -> None:
    problems = bad_names(["index.html", path])
    assert len(problems) == 1
    assert reason in problems[0]


def test_a_bad_folder_is_reported_once_not_for_every_file_in_it() -> None:
    problems = bad_names([f"bad\x01dir/{i}.html" for i in range(5)])
    assert problems == ["'bad\\x01dir' has a control character in its name"]


def test_names_differing_only_by_case() -> None:
    paths = ["papers/LLM/index.html", "papers/llm/index.html", "papers/llm/x.png",
             "papers/LLM/x.png", "tags/a/index.html"]
    problems = case_collisions(paths)
    assert problems == ["'papers/llm' differs only by case from 'papers/LLM'"]
    assert check_names(paths) == problems


def test_files_differing_only_by_case_in_one_folder() -> None:
    assert case_collisions(["static/a.PNG", "static/a.png", "static/b.png"]) == [
        "'static/a.png' differs only by case from 'static/a.PNG'"]


def test_limits_state_their_source() -> None:
    for limit in LIMITS:
        assert limit.source.startswith("https://")
        assert limit.source in limit.describe()
    errors = {(lim.host, lim.what, lim.value) for lim in LIMITS if lim.error}
    assert errors == {("GitHub Pages", "site bytes", 1_000_000_000),
                      ("GitHub", "file bytes", 100 * MIB)}
    warnings = {(lim.what, lim.value) for lim in LIMITS if not lim.error}
    assert warnings == {("file bytes", 50 * MIB), ("file bytes", 25 * MIB), ("files", 20_000)}


@pytest.mark.parametrize(("size", "text"), [
    (0, "0 B"), (999, "999 B"), (1500, "1.5 kB"), (25 * MIB, "25 MiB"),
    (2_500_000, "2.5 MB"), (1_000_000_000, "1 GB"),
])
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text
