"""Control characters never reach output or a terminal; aliases and deep YAML are refused.

- A C0 control (but tab and newline) or U+FFFE/U+FFFF in a content file, written
  in it or made by a YAML escape, fails the build with ``path:line`` and exit 1,
  and nothing is written. So does a byte order mark inside the front matter.
- Every message printed escapes control characters (a file name with a newline
  cannot forge a second line; an ESC in a title cannot drive the terminal).
- ``X.MD`` is reported (a warning; ``--strict`` fails).
- YAML aliases and values nested deeper than ``MAX_NESTING`` are refused.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from sitegen.errors import Problem, SitegenError
from sitegen.frontmatter import parse_paper
from sitegen.frontmatter_checks import MAX_NESTING

HOSTILE_BASE = Path(__file__).resolve().parent / "hostile" / "base"
CliResult = tuple[int, str, str]
HEAD = "---\ntitle: {title}\ndate: 2024-03-05\n---\n\n{body}\n"


def _site(tmp_path: Path, files: dict[str, bytes]) -> Path:
    site = tmp_path / "site"
    shutil.copytree(HOSTILE_BASE, site)
    for name, data in files.items():
        (site / "content" / "papers" / name).write_bytes(data)
    return site


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(("title", "body", "line", "what"), [
    ('"Nul \\0 here"', "Fine.", 2, "U+0000 (NUL), made by a YAML escape"),
    ('"Colour \\e[31m red"', "Fine.", 2, "U+001B (ESC), made by a YAML escape"),
    ('"Bell \\a and \\x07"', "Fine.", 2, "U+0007 (BEL), made by a YAML escape"),
    ('"Vertical \\v tab"', "Fine.", 2, "U+000B (VT), made by a YAML escape"),
    ('"Not a character \\uFFFE"', "Fine.", 2, "the noncharacter U+FFFE, made by a YAML escape"),
    ('"Escape \\x1b in single"', "Fine.", 2, "U+001B (ESC), made by a YAML escape"),
    ("Plain", "First line.\nAn \x1b[2J escape on line 7.", 7, "U+001B (ESC)"),
    ("Plain", "Form\x0cfeed", 6, "U+000C (FF)"),
    ("Plain", "Backspace\x08d", 6, "U+0008 (BS)"),
    ("Plain", "Two\n\nthree \x01", 8, "U+0001"),
    ("Plain", "Not a character \uffff", 6, "the noncharacter U+FFFF"),
])
def test_control_characters_fail_the_build(title: str, body: str, line: int, what: str,
                                           tmp_path: Path,
                                           run_cli: Callable[[list[str]], CliResult],
                                           build_site: Callable[..., Path]) -> None:
    good = _site(tmp_path, {})
    out = build_site(good, tmp_path / "out")
    before = _tree(out)
    text = HEAD.format(title=title, body=body)
    (good / "content" / "papers" / "bad.md").write_text(text, encoding="utf-8")
    code, stdout, stderr = run_cli(["build", "--site", str(good), "--output", str(out)])
    assert code == 1 and stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"content/papers/bad.md:{line}: "), stderr
    assert what in lines[0], stderr
    assert all(c == "\n" or c >= " " for c in stderr), repr(stderr)
    assert _tree(out) == before  # the previous site is untouched


def test_tab_newline_and_other_unicode_are_accepted(
        tmp_path: Path, build_site: Callable[..., Path], parse_page: Callable[..., object]) -> None:
    text = HEAD.format(title='"Tab\\there, NEL-free \\u00e9 \\u2603"',
                       body="Tab\there\nnewline, zero\u200bwidth, DEL\x7f kept.")
    site = _site(tmp_path, {"ok.md": text.encode()})
    out = build_site(site, tmp_path / "out")
    page = (out / "papers" / "ok" / "index.html").read_text("utf-8")
    assert "Tab\there, NEL-free é ☃" in page
    for char in map(chr, [*range(0, 9), *range(11, 32), 0xFFFE, 0xFFFF]):
        for built in out.rglob("*"):
            if built.is_file() and built.suffix in (".html", ".xml", ".json", ".bib"):
                assert char not in built.read_text("utf-8", errors="replace"), (built, char)


def test_byte_order_mark_in_front_matter_is_refused() -> None:
    text = "---\ntitle: A\n\ufeffdate: 2024-03-05\n---\n\nBody with a \ufeff is fine.\n"
    paper, problems = parse_paper(text, "content/papers/x.md")
    assert paper is None
    assert [str(p) for p in problems] == [
        "content/papers/x.md:3: a byte order mark (U+FEFF) inside the front matter; remove it "
        "(only the very start of a file may have one)"]
    fine = "---\ntitle: A\ndate: 2024-03-05\n---\n\nBody with a \ufeff is fine.\n"
    paper, problems = parse_paper(fine, "content/papers/x.md")
    assert paper is not None and not problems


def test_messages_escape_control_characters() -> None:
    problem = Problem("content/papers/a\nb.md", 3, "title: \x1b[31mred\x1b[0m\r\u2028\x9b\x00")
    assert str(problem) == ("content/papers/a\\nb.md:3: title: \\x1b[31mred\\x1b[0m"
                            "\\r\\u2028\\x9b\\x00")
    # The fields themselves are escaped: warnings are printed from them one by one.
    assert "\n" not in problem.path and "\x1b" not in problem.message
    error = SitegenError(problem, "plain\nstring")
    assert str(error).splitlines() == [str(problem), "plain\\nstring"]
    assert Problem("ok.md", 1, "ünïcödé ☃ stays") .message == "ünïcödé ☃ stays"


def test_file_name_with_newline_gives_one_line(tmp_path: Path,
                                               run_cli: Callable[[list[str]], CliResult]) -> None:
    site = _site(tmp_path, {"x.md:1: forged\nsecond.md": HEAD.format(
        title="T", body="B").encode()})
    code, stdout, stderr = run_cli(["build", "--site", str(site), "--output",
                                    str(tmp_path / "out")])
    assert code == 1 and stdout == ""
    assert stderr.splitlines() == ["content/papers/x.md:1: forged\\nsecond.md: the file name "
                                   "contains a control character; rename the file"]
    assert not (tmp_path / "out").exists()


def test_title_escape_in_a_warning_is_escaped(tmp_path: Path,
                                              run_cli: Callable[[list[str]], CliResult]) -> None:
    """Warnings print their fields one by one; those are escaped too."""
    site = _site(tmp_path, {"Paper\x1b[2J.MD": HEAD.format(title="T", body="B").encode()})
    code, _, stderr = run_cli(["build", "--site", str(site), "--output", str(tmp_path / "out"),
                               "-q"])
    assert code == 0
    assert "\x1b" not in stderr
    assert stderr.splitlines() == [
        "content/papers/Paper\\x1b[2J.MD: warning: is not read: only files ending in '.md' "
        "(lowercase) are content; rename it to 'Paper\\x1b[2J.md'"]


@pytest.mark.parametrize("name", ["X.MD", "notes.Md", "sub/Paper.mD"])
def test_upper_case_extension_is_reported(name: str, tmp_path: Path,
                                          run_cli: Callable[[list[str]], CliResult]) -> None:
    site = _site(tmp_path, {})
    target = site / "content" / "papers" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(HEAD.format(title="Shouting", body="B"), encoding="utf-8")
    out = tmp_path / "out"
    code, _, stderr = run_cli(["build", "--site", str(site), "--output", str(out), "-q"])
    assert code == 0
    assert stderr.splitlines() == [
        f"content/papers/{name}: warning: is not read: only files ending in '.md' (lowercase) "
        f"are content; rename it to {name[:-3].split('/')[-1] + '.md'!r}"]
    strict_out = tmp_path / "strict"
    code, _, stderr = run_cli(["build", "--site", str(site), "--output", str(strict_out),
                               "--strict", "--clean", "-q"])
    assert code == 1 and "--strict" in stderr
    assert not strict_out.exists()


def test_yaml_aliases_are_refused_in_every_field() -> None:
    text = ("---\ntitle: &t \"Long title\"\ndate: 2024-03-05\nauthors: [*t, *t]\n"
            "links: &l [\"https://example.org/a\"]\nmore: *l\ntags: [ok]\n"
            "extra: {a: &x [1, 2], b: *x}\n---\n\nBody.\n")
    paper, problems = parse_paper(text, "content/papers/x.md")
    assert paper is None
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (4, "authors"), (6, "more"), (8, "extra")]
    assert all("YAML alias" in p.message for p in problems)


def test_alias_bomb_in_authors_is_refused_quickly() -> None:
    """The reported attack: 66 KB of aliases in ``authors`` expanding to 1.6 GB."""
    import time

    name = "x" * 30_000
    aliases = ", ".join(["*a"] * 9_000)
    text = (f"---\ntitle: T\ndate: 2024-03-05\nanchor: &a \"{name}\"\n"
            f"authors: [{aliases}]\n---\n\nB.\n")
    started = time.process_time()
    paper, problems = parse_paper(text, "content/papers/x.md")
    assert time.process_time() - started < 2
    assert paper is None
    assert [p.line for p in problems] == [5]


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 200, 5000])
def test_deep_yaml_is_refused(depth: int) -> None:
    flow = "[" * depth + "]" * depth
    block = "".join(f"{'  ' * level}- \n" for level in range(min(depth, 300)))
    for value in (flow, "\n" + block):
        text = f"---\ntitle: T\ndate: 2024-03-05\ndeep: {value}\n---\n\nB.\n"
        paper, problems = parse_paper(text, "content/papers/x.md")
        assert paper is None
        assert len(problems) == 1 and problems[0].line == 4, problems
        assert "nest" in problems[0].message


def test_nesting_up_to_the_limit_is_accepted() -> None:
    value = "[" * MAX_NESTING + "x" + "]" * MAX_NESTING
    paper, problems = parse_paper(f"---\ntitle: T\ndate: 2024-03-05\nok: {value}\n---\n",
                                  "content/papers/x.md")
    assert paper is not None and not problems
