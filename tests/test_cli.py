"""The command line behaves like its peers (Hugo, MkDocs, Zola): a folder without
``sitegen.toml`` is not a site and nothing is written into it; every command's ``--help``
says what it does, what each option defaults to, and shows examples."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from sitegen.cli import build_parser
from sitegen.config import CONFIG_NAME

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "hf-daily-papers-2026-01-09.txt"
COMMANDS = ("import", "build", "serve", "init", "check")
CliResult = tuple[int, str, str]


def _tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def _message(folder: str) -> str:
    return (f"error: no sitegen.toml in {folder}; create a site with: "
            f"sitegen init {shlex.quote(folder)}\n")


@pytest.mark.parametrize("command", ["build", "serve", "check"])
def test_a_folder_without_sitegen_toml_is_refused_and_left_empty(
        tmp_path: Path, command: str, run_cli_process: Callable[..., CliResult]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = run_cli_process([command], cwd=empty)
    assert (code, out, err) == (1, "", _message("."))
    assert _tree(empty) == []


@pytest.mark.parametrize("args", [["build", "--output", "out", "--clean"], ["check"],
                                  ["serve", "--port", "0"], ["build", "--strict", "-v"]])
def test_site_given_with_site_is_named_as_given(
        tmp_path: Path, args: list[str], run_cli: Callable[[list[str]], CliResult]) -> None:
    folder = tmp_path / "my papers"
    folder.mkdir()
    (folder / "content").mkdir()  # content alone does not make a site
    code, out, err = run_cli([*args, "--site", str(folder)])
    assert (code, out, err) == (1, "", _message(str(folder)))
    assert _tree(tmp_path) == ["my papers", "my papers/content"]


def test_import_into_a_folder_that_is_not_a_site(
        tmp_path: Path, run_cli: Callable[[list[str]], CliResult]) -> None:
    code, out, err = run_cli(["import", "--site", str(tmp_path / "new"), str(EXAMPLE)])
    assert (code, out, err) == (1, "", _message(str(tmp_path / "new")))
    assert _tree(tmp_path) == []


def test_import_with_init_creates_the_site_then_imports(
        tmp_path: Path, run_cli: Callable[[list[str]], CliResult]) -> None:
    site = tmp_path / "new"
    code, out, err = run_cli(["import", "--init", "--site", str(site), str(EXAMPLE)])
    assert code == 0, err
    assert f"created a new site in {site}/" in out and "imported: " in out
    assert (site / CONFIG_NAME).is_file()
    assert len(list((site / "content" / "papers").glob("*.md"))) == 39
    # --init on an existing site just imports (init would refuse to overwrite).
    code, out, err = run_cli(["import", "--init", "--site", str(site), str(EXAMPLE)])
    assert code == 0, err
    assert "created a new site" not in out


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _help(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([*args, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_has_a_description_defaults_and_examples(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = _help([command], capsys)
    parser = _subparsers(build_parser())[command]
    assert parser.description and "\n" not in parser.description
    assert f"\n\n{parser.description}\n\n" in text
    examples = text.split("\nExamples:\n", 1)[1].rstrip().splitlines()
    assert 2 <= len(examples) <= 3
    assert all(line.startswith(f"  sitegen {command}") for line in examples)
    flat = " ".join(text.split())
    for action in parser._actions:
        if action.dest == "help":
            continue
        name = "/".join(action.option_strings) or action.dest
        help_text = " ".join((action.help or "").split())
        assert "(default: " in help_text or action.default not in (None, False, []), name
        if action.default not in (None, False, [], argparse.SUPPRESS) and \
                "default:" not in help_text:
            assert f"(default: {action.default})" in flat, name


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help([], capsys)
    assert "Examples:" in text
    for command in COMMANDS:
        assert f"\n    {command} " in text


def test_serve_help_shows_the_listening_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    flat = " ".join(_help(["serve"], capsys).split())
    assert "--host HOST address to listen on (default: 127.0.0.1)" in flat
    assert "--port PORT port to listen on, 0 for any free one (default: 8000)" in flat
