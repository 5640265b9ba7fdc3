"""Build failures outside the corpus: warnings and --strict, usage errors, refused options.

The broken sites, each with its exact message, are cases of the one corpus,
``tests/hostile/`` (run by ``tests/test_corpus.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sitegen.content import LoadResult
from sitegen.errors import Problem


def _warn_once(monkeypatch: pytest.MonkeyPatch, message: str) -> None:
    """Make content loading report one warning about the first paper (the real loader runs)."""
    import sitegen.content

    real = sitegen.content.load_content

    def load_with_warning(site_root: Path, *args: Any, **kwargs: Any) -> LoadResult:
        result = real(site_root, *args, **kwargs)
        assert result.papers
        first = result.papers[0]
        assert first.path is not None
        label = first.path.relative_to(site_root).as_posix()
        result.warnings.append(Problem(label, 2, message))
        return result

    monkeypatch.setattr(sitegen.content, "load_content", load_with_warning)


def test_warnings_are_printed_and_do_not_fail_without_strict(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copy_site: Callable[..., Path],
        run_cli: Callable[[list[str]], tuple[int, str, str]]) -> None:
    site = copy_site("golden")
    out = tmp_path / "out"
    _warn_once(monkeypatch, "this is a test warning")
    code, _, err = run_cli(["build", "--site", str(site), "--output", str(out), "-q"])
    assert code == 0, err
    assert err.splitlines() == [
        "content/papers/a-quiet-paper.md:2: warning: this is a test warning"]
    assert (out / "index.html").is_file()


@pytest.mark.parametrize("how", ["flag", "config"])
def test_strict_fails_on_warnings_and_keeps_previous_output(
        how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        copy_site: Callable[..., Path], build_site: Callable[..., Path],
        run_cli: Callable[[list[str]], tuple[int, str, str]],
        snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    site = copy_site("golden")
    out = build_site(site, tmp_path / "out")
    before = snapshot(out)
    # A content change that would show in the output if the strict build went through.
    paper = site / "content" / "papers" / "a-quiet-paper.md"
    paper.write_text(paper.read_text(encoding="utf-8").replace("A Quiet Paper", "A Loud Paper"),
                     encoding="utf-8")
    _warn_once(monkeypatch, "this is a test warning")
    args = ["build", "--site", str(site), "--output", str(out)]
    if how == "flag":
        args.append("--strict")
    else:
        config = site / "sitegen.toml"
        config.write_text(config.read_text(encoding="utf-8").replace(
            "search = false", "search = false\nstrict = true"), encoding="utf-8")
    code, stdout, stderr = run_cli(args)
    assert code == 1
    lines = stderr.splitlines()
    assert any(line.startswith("content/papers/a-quiet-paper.md:2:")
               and "this is a test warning" in line for line in lines), stderr
    assert any(line.startswith("error: build failed") and "strict" in line for line in lines), \
        stderr
    assert "built" not in stdout
    assert snapshot(out) == before


def test_strict_build_without_warnings_succeeds(
        tmp_path: Path, copy_site: Callable[..., Path], build_site: Callable[..., Path]) -> None:
    site = copy_site("golden")
    out = build_site(site, tmp_path / "out", args=["--strict"])
    assert (out / "index.html").is_file()


def test_usage_errors_exit_2(run_cli: Callable[[list[str]], tuple[int, str, str]]) -> None:
    code, _, err = run_cli(["build", "--no-such-flag"])
    assert code == 2
    assert "--no-such-flag" in err


@pytest.mark.parametrize("base_url", ["ftp://example.org/", "papers/", "https://example.org/?a=1"])
def test_bad_base_url_option_is_refused(
        base_url: str, tmp_path: Path, copy_site: Callable[..., Path],
        run_cli: Callable[[list[str]], tuple[int, str, str]]) -> None:
    site = copy_site("golden")
    out = tmp_path / "out"
    code, _, err = run_cli(["build", "--site", str(site), "--output", str(out),
                            "--base-url", base_url])
    assert code == 1
    assert err.startswith("error: option --base-url: ")
    assert repr(base_url) in err
    assert not out.exists()


def test_output_that_is_a_symbolic_link_is_refused(
        tmp_path: Path, copy_site: Callable[..., Path],
        run_cli: Callable[[list[str]], tuple[int, str, str]],
        snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    site = copy_site("golden")
    real = tmp_path / "real"
    real.mkdir()
    (real / "keep.txt").write_text("keep me\n", encoding="utf-8")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    before = snapshot(tmp_path)
    code, _, err = run_cli(["build", "--site", str(site), "--output", str(link)])
    assert code == 1
    assert err.splitlines() == [f"error: option --output: refusing '{link}' as the output "
                                f"folder: it is a symbolic link (to '{real}'); give the real "
                                "folder"]
    assert snapshot(tmp_path) == before


def test_output_that_is_a_file_is_refused(
        tmp_path: Path, copy_site: Callable[..., Path],
        run_cli: Callable[[list[str]], tuple[int, str, str]]) -> None:
    site = copy_site("golden")
    target = tmp_path / "public"
    target.write_text("a file, not a folder\n", encoding="utf-8")
    code, _, err = run_cli(["build", "--site", str(site), "--output", str(target)])
    assert code == 1
    assert err.splitlines() == [f"{target}: refusing to use this output folder: it exists and "
                                "is not a folder"]
    assert target.read_text(encoding="utf-8") == "a file, not a folder\n"


def test_a_file_that_grows_while_it_is_read_is_read_whole_or_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The size checked before reading may be stale: the read goes to the file's end,
    and a file grown past the limit is refused like any file that large."""
    from sitegen import content

    path = tmp_path / "paper.md"
    text = "---\ntitle: \"Grown\"\ndate: 2024-01-02\n---\n\n" + "word " * 400
    path.write_text(text, encoding="utf-8")
    assert content._read(path, 10) == text.encode("utf-8")
    monkeypatch.setattr(content, "MAX_FILE_BYTES", 100)
    assert len(content._read(path, 10)) <= 100 + 10 + 1
    real_stat, calls = Path.stat, []

    def stale_stat(self: Path, **kwargs: Any) -> os.stat_result:
        """The first look sees the file before it grew."""
        info = real_stat(self, **kwargs)
        calls.append(self)
        return os.stat_result((*info[:6], 50, *info[7:])) if len(calls) == 1 else info

    monkeypatch.setattr(Path, "stat", stale_stat)
    paper, problems = content.load_file(path, "content/papers/paper.md")
    assert paper is None
    assert [str(p) for p in problems] == [
        f"content/papers/paper.md: is {len(text.encode()):,} bytes; a content file may be "
        "at most 100 bytes"]
