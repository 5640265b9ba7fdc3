"""Control characters never reach content files, and never reach the terminal raw.

C0 controls other than tab and newline, DEL, C1 controls, U+FFFE/U+FFFF and
unpaired surrogates are removed from every imported field, each field with a
located warning (``--strict`` fails on it). Everything the import command
prints escapes control characters, so a file name with a newline cannot forge
a second message line and an ESC in a title cannot recolour the terminal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import wrote_nothing

from sitegen.content import load_file
from sitegen.errors import visible as printable

CliResult = tuple[int, str, str]
pytestmark = pytest.mark.import_site
Run = Callable[[list[str]], CliResult]
# Every character that must not be written, and that printed text must not contain raw.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def only_file(site: Path) -> Path:
    found = sorted((site / "content" / "papers").glob("*.md"))
    assert len(found) == 1, found
    return found[0]


def test_listing_title_with_escape_sequences(run_cli: Run, tmp_path: Path) -> None:
    listing = tmp_path / "listing.txt"
    listing.write_text("Jan 9\n\n\x1b[31mRed\x1b[0m Memory\x07\n\nAbstract.\n\n  • 3 authors\n"
                       "·\nJan 5, 2026 4\n", encoding="utf-8")
    site = tmp_path / "site"
    code, out, err = run_cli(["import", "--site", site, listing])
    assert code == 0
    assert err == (f"{listing}:3: warning: removed 3 control characters from the title\n")
    data = only_file(site).read_bytes()
    assert b"\x1b" not in data and b"\x07" not in data and b"\\e" not in data
    paper, problems = load_file(only_file(site), "x.md")
    assert paper is not None and not problems
    assert paper.title == "[31mRed[0m Memory"
    code, _, err = run_cli(["import", "--strict", "--site", tmp_path / "strict", listing])
    assert code == 1 and "--strict" in err and wrote_nothing(tmp_path / "strict")


def test_every_field_of_json_is_cleaned(run_cli: Run, tmp_path: Path) -> None:
    bad = "\x00\x1b\x7f\x9b\ufffe\uffff"
    item = {"title": f"Ti{bad}tle \ud800", "publishedAt": "2024-01-02T00:00:00Z",
            "summary": "Sum\x01mary\x9b text\x0b\u0085too",  # \x0b and \x85: whitespace
            "ai_keywords": [f"key{bad}"],
            "authors": [{"name": "Ann\x08 Lee"}], "ai_summary": "fine\ttab",
            "organization": {"name": "org\x01", "fullname": "Org"},
            "githubRepo": "https://github.com/a/b\x1b"}
    path = tmp_path / "papers.json"
    path.write_text(json.dumps([item]), encoding="utf-8")  # \u escapes in the file
    site = tmp_path / "site"
    code, out, err = run_cli(["import", "--site", site, path])
    assert code == 0, err
    assert err.splitlines() == [
        f"{path}:1: warning: removed 6 control characters and 1 unpaired surrogate from the "
        "title",
        f"{path}:1: warning: removed 2 control characters from the abstract",
        f"{path}:1: warning: removed 1 control character from the authors",
        f"{path}:1: warning: removed 1 control character from the organization",
        f"{path}:1: warning: removed 1 control character from the links",
        f"{path}:1: warning: removed 6 control characters from the keywords",
    ]
    text = only_file(site).read_text("utf-8")
    assert not FORBIDDEN.search(text)
    assert not re.search(r"\\[0xueLPN_]", text.split("imported:")[0]), text  # no YAML escapes
    paper, problems = load_file(only_file(site), "x.md")
    assert paper is not None and not problems
    assert paper.title == "Title"
    assert paper.body == "Summary text too"
    assert paper.authors == ["Ann Lee"]
    assert paper.keywords == ["key"]
    assert paper.ai_summary == "fine tab"  # a tab is not removed (whitespace squeezed)


def test_bibtex_and_atom_are_cleaned(run_cli: Run, tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{k, title = {Bell\x07 Labs}, year = 2024,\n"
                   "  abstract = {Form\x0cfeed\x01}}\n", encoding="utf-8")
    feed = tmp_path / "feed.xml"  # XML 1.0 allows C1 controls as character references
    feed.write_text('<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
                    "<id>http://arxiv.org/abs/2101.00001v1</id><title>CSI&#x9b;2J Title</title>"
                    "<published>2021-01-01T00:00:00Z</published><summary>s</summary>"
                    "<author><name>N&#x9f;ame</name></author></entry></feed>\n",
                    encoding="utf-8")
    site = tmp_path / "site"
    code, _, err = run_cli(["import", "--site", site, bib, feed])
    assert code == 0, err
    assert err.splitlines() == [
        f"{bib}:1: warning: removed 1 control character from the title",
        f"{bib}:1: warning: removed 1 control character from the abstract",
        f"{feed}:1: warning: removed 1 control character from the title",
        f"{feed}:1: warning: removed 1 control character from the authors",
    ]
    for path in (site / "content" / "papers").glob("*.md"):
        assert not FORBIDDEN.search(path.read_text("utf-8"))


def test_file_name_with_newline_is_one_escaped_line(run_cli: Run, tmp_path: Path) -> None:
    name = tmp_path / "list\nerror: forged\x1b[2J.txt"
    name.write_text("", encoding="utf-8")
    code, out, err = run_cli(["import", "--site", tmp_path / "site", name])
    assert code == 1 and out == ""
    assert err == f"{tmp_path}/list\\nerror: forged\\x1b[2J.txt: is empty; nothing to import\n"


def test_file_name_in_warnings_and_verbose_output_is_escaped(run_cli: Run,
                                                             tmp_path: Path) -> None:
    name = tmp_path / "a\rb\x1b.txt"
    name.write_text("Jan 9\n\nT\n\nA.\n\n  • 3 authors\n·\nJan 5, 2026 4\n\nJan 99, 2026\n",
                    encoding="utf-8")
    code, out, err = run_cli(["import", "-v", "--site", tmp_path / "site", name])
    assert code == 0
    assert err.splitlines() == [
        f"{tmp_path}/a\\rb\\x1b.txt:11: warning: 'Jan 99, 2026' is not a valid date; paper "
        "skipped",
        f"{tmp_path}/a\\rb\\x1b.txt:3: warning: removed 2 control characters from the source "
        "file name"]
    assert "\x1b" not in out and "\r" not in out
    # The file name is recorded without its controls, with a warning about it.
    assert 'file: "ab.txt"' in only_file(tmp_path / "site").read_text("utf-8")


def test_imported_text_inside_messages_is_escaped(run_cli: Run, tmp_path: Path) -> None:
    """Parser messages quote the input (a citation key, an arXiv error text)."""
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{key\x1b]0;pwned\x07, year = 2024}\n"
                   "@article{good, title = {Good}, year = 2024}\n", encoding="utf-8")
    code, _, err = run_cli(["import", "--site", tmp_path / "site", bib])
    assert code == 0
    assert err == (f"{bib}:1: warning: entry 'key\\x1b]0;pwned\\x07' has no title; skipped\n")


@pytest.mark.parametrize(("raw", "shown"), [
    ("a\nb", "a\\nb"), ("tab\there", "tab\\there"), ("\x1b[31m", "\\x1b[31m"),
    ("\x9b2J", "\\x9b2J"), ("line\u2028sep", "line\\u2028sep"), ("\udcff", "\\udcff"),
    ("plain ünïcode 記憶", "plain ünïcode 記憶"),
])
def test_printable(raw: str, shown: str) -> None:
    assert printable(raw) == shown
    assert "\n" not in printable(raw) and not FORBIDDEN.search(printable(raw))
