"""Import limits: every way an input can be too large, too deep or too repetitive.

Each limit, when hit, is one ``path:line: message`` line on standard error,
exit code 1, and nothing written: the site folder is not even created. Inputs
within the limits (at the boundary) are still imported.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import wrote_nothing

from sitegen.importers import limits
from sitegen.importers.limits import (
    MAX_FIELD_CHARS,
    MAX_INPUT_BYTES,
    MAX_JSON_CONTAINERS,
    MAX_LINE_CHARS,
    MAX_NESTING,
    MAX_WARNINGS,
    MAX_XML_TAGS,
)

CliResult = tuple[int, str, str]
pytestmark = pytest.mark.import_site
Run = Callable[[list[str]], CliResult]

LISTING_PAPER = "A Paper About Memory\n\nWe study memory.\n\n  • 3 authors\n·\nJan 5, 2026 4\n"
LISTING = "Jan 9\n\n" + LISTING_PAPER
GOOD_BIB = "@article{good, title = {A Good Paper}, year = 2024}\n"
ATOM_HEAD = '<feed xmlns="http://www.w3.org/2005/Atom">\n'
ATOM_ENTRY = ("<entry><id>http://arxiv.org/abs/2101.00001v1</id><title>T</title>"
              "<published>2021-01-01T00:00:00Z</published><summary>{}</summary></entry>\n")


def hf_item(extra: str = "", title: str = "T") -> str:
    return (f'{{"title": "{title}", "publishedAt": "2024-01-02T00:00:00.000Z", '
            f'"paper": {{"id": "2401.00001"}}{extra}}}')


def refused(run: Run, tmp_path: Path, path: Path | str, message: str,
            *options: str) -> str:
    """Import ``path``; assert it fails with exactly one error line containing ``message``."""
    site = tmp_path / "site"
    code, out, err = run(["import", "--site", site, *options, path])
    assert code == 1, err
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert message in err, err
    assert wrote_nothing(site), "a refused import must write nothing"
    return err


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- what is read -----------------------------------------------------------------------------


def test_file_over_the_size_limit_is_refused_before_it_is_read(run_cli: Run,
                                                               tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:  # sparse: no disk space, and nothing to read
        handle.truncate(MAX_INPUT_BYTES + 1)
    err = refused(run_cli, tmp_path, big, "is larger than 50,000,000 bytes")
    assert err.startswith(f"{big}: ")


def test_file_at_the_size_limit_is_read(run_cli: Run, tmp_path: Path) -> None:
    text = LISTING + "\n" * (MAX_INPUT_BYTES - len(LISTING.encode()))  # blank lines: one step
    path = write(tmp_path, "listing.txt", text)
    assert path.stat().st_size == MAX_INPUT_BYTES
    code, _, err = run_cli(["import", "--site", tmp_path / "site", path])
    assert code == 0, err


def test_device_is_refused_without_reading(run_cli: Run, tmp_path: Path) -> None:
    refused(run_cli, tmp_path, "/dev/zero", "/dev/zero: is a device, not a file")


def test_named_pipe_is_refused_without_waiting(run_cli: Run, tmp_path: Path) -> None:
    fifo = tmp_path / "listing.txt"
    os.mkfifo(fifo)  # nobody writes to it: opening it normally would wait forever
    refused(run_cli, tmp_path, fifo, "is a named pipe, not a file; not read")


def test_folder_holding_the_site_is_refused(run_cli: Run, tmp_path: Path) -> None:
    # A folder is read as another generator's content; one that holds this site's is not.
    refused(run_cli, tmp_path, tmp_path, "is this site's own content (or holds it)")


def test_standard_input_is_read_up_to_the_limit(run_cli: Run, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    class Endless(io.RawIOBase):
        """/dev/zero as a pipe: reading it all would never end."""

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            buffer[:] = b"a" * len(buffer)
            return len(buffer)

    stdin = io.TextIOWrapper(io.BufferedReader(Endless()))
    monkeypatch.setattr(sys, "stdin", stdin)
    refused(run_cli, tmp_path, "-", "<stdin>: is larger than 50,000,000 bytes")


# --- lines, fields and blocks -----------------------------------------------------------------


def test_20_mb_single_line_listing_is_refused(run_cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "listing.txt", "Jan 9\n" + "x " * 10_000_000 + "\n" + LISTING_PAPER)
    err = refused(run_cli, tmp_path, path, "line is longer than 2,000,000 characters")
    assert err.startswith(f"{path}:2: ")


def test_line_at_the_limit_is_not_a_line_error(run_cli: Run, tmp_path: Path) -> None:
    line = "x" * MAX_LINE_CHARS
    limits.check_lines(f"a\n{line}\nb", "x.txt", "a test")
    with pytest.raises(limits.InputError, match=r"x\.txt:2: line is longer"):
        limits.check_lines(f"a\n{line}x\nb", "x.txt", "a test")


def test_bibtex_line_too_long(run_cli: Run, tmp_path: Path) -> None:
    text = GOOD_BIB + "@article{k, year = 2024, title = {" + "x" * MAX_LINE_CHARS + "}}\n"
    path = write(tmp_path, "refs.bib", text)
    err = refused(run_cli, tmp_path, path, "line is longer than 2,000,000 characters")
    assert err.startswith(f"{path}:2: ")


def test_bibtex_field_too_long(run_cli: Run, tmp_path: Path) -> None:
    lines = ("y" * 999 + "\n") * (MAX_FIELD_CHARS // 1000 + 1)
    text = GOOD_BIB + "@article{k, year = 2024, title = {T},\n  abstract = {" + lines + "}}\n"
    path = write(tmp_path, "refs.bib", text)
    err = refused(run_cli, tmp_path, path, "field 'abstract' of entry 'k' is longer than 2,000,000")
    assert err.startswith(f"{path}:3: ")


def test_json_string_too_long(run_cli: Run, tmp_path: Path) -> None:
    text = "[" + hf_item() + ",\n" + hf_item(f', "summary": "{"z" * (MAX_FIELD_CHARS + 1)}"')
    path = write(tmp_path, "papers.json", text + "]")
    err = refused(run_cli, tmp_path, path, "a JSON string is longer than 2,000,000 characters")
    assert err.startswith(f"{path}:2: ")


def test_atom_element_text_too_long(run_cli: Run, tmp_path: Path) -> None:
    text = ATOM_HEAD + ATOM_ENTRY.format("ok") + ATOM_ENTRY.format("s" * (MAX_FIELD_CHARS + 1))
    path = write(tmp_path, "feed.xml", text + "</feed>\n")
    err = refused(run_cli, tmp_path, path, "<summary> of entry 2 is longer than 2,000,000")
    assert err.startswith(f"{path}:3: ")


def test_listing_block_without_a_date_line_is_bounded(run_cli: Run, tmp_path: Path) -> None:
    text = LISTING + ("w" * 99 + "\n") * (MAX_FIELD_CHARS // 100 + 10)
    path = write(tmp_path, "listing.txt", text)
    err = refused(run_cli, tmp_path, path, "no date line in the 2,000,000 characters from here")
    assert err.startswith(f"{path}:10: ")


# --- nesting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_NESTING, MAX_NESTING + 1, 100_000])
def test_json_nesting_limit(run_cli: Run, tmp_path: Path, depth: int) -> None:
    # The item itself is one level, its "x" value the others.
    nested = '"x": ' + "[" * (depth - 1) + "]" * (depth - 1)
    path = write(tmp_path, "papers.json", "[" + hf_item() + ",\n" + hf_item(", " + nested) + "]")
    if depth <= MAX_NESTING:
        code, _, err = run_cli(["import", "--site", tmp_path / "site", path])
        assert code == 0, err
        return
    err = refused(run_cli, tmp_path, path, "JSON nested more than 100 levels deep")
    assert err.startswith(f"{path}:2: ")


def test_json_lines_record_nested_too_deep(run_cli: Run, tmp_path: Path) -> None:
    record = '{"id": "2101.00001", "title": "T", "versions": [], "update_date": "2021-01-01"}\n'
    deep = '{"id": "2101.00002", "versions": ' + '{"a": ' * 50_000 + "1" + "}" * 50_001 + "\n"
    path = write(tmp_path, "snapshot.jsonl", record + record.replace("00001", "00003") + deep)
    err = refused(run_cli, tmp_path, path, "JSON nested more than 100 levels deep")
    assert err.startswith(f"{path}:3: ")


def test_json_with_too_many_containers(run_cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "papers.json",
                 "[" + hf_item(', "x": [' + "[]," * MAX_JSON_CONTAINERS + "[]]") + "]")
    refused(run_cli, tmp_path, path, "has more than 1,000,000 JSON arrays and objects")


def test_atom_entry_with_too_many_tags(run_cli: Run, tmp_path: Path) -> None:
    text = ATOM_HEAD + ATOM_ENTRY.format("ok") + ATOM_ENTRY.format("<b/>" * MAX_XML_TAGS)
    path = write(tmp_path, "feed.xml", text + "</feed>\n")
    err = refused(run_cli, tmp_path, path, "entry 2 has more than 10,000 XML tags")
    assert err.startswith(f"{path}:3: ")


# --- BibTeX macros ----------------------------------------------------------------------------


def test_string_concatenation_is_expanded(run_cli: Run, tmp_path: Path) -> None:
    text = ('@string{conf = "Proc. of "}\n@string{Venue = conf # {ACL}}\n'
            '@inproceedings{k, title = "Memory" # { and } # "Time", year = 2024,\n'
            '  booktitle = venue, month = jan}\n')
    path = write(tmp_path, "refs.bib", text)
    code, _, err = run_cli(["import", "--site", tmp_path / "site", path])
    assert code == 0, err
    written = (tmp_path / "site" / "content" / "papers" / "memory-and-time.md").read_text()
    assert 'title: "Memory and Time"' in written
    assert 'venue: "Proc. of ACL"' in written
    assert "date: 2024-01\n" in written  # the month macro; no day was given


def test_string_expansion_bomb_is_refused(run_cli: Run, tmp_path: Path) -> None:
    levels = "".join(f"@string{{s{i} = {' # '.join([f's{i - 1}'] * 10)}}}\n"
                     for i in range(1, 10))
    text = '@string{s0 = "lol lol lol"}\n' + levels + "@article{k, title = s9, year = 2024}\n"
    path = write(tmp_path, "bomb.bib", text)
    err = refused(run_cli, tmp_path, path, "@string 's6' expands to more than 2,000,000 characters")
    assert err.startswith(f"{path}:7: ")


def test_total_expansion_is_bounded(run_cli: Run, tmp_path: Path) -> None:
    """Each value under the field limit, but together far past the input limit."""
    big = '@string{big = {' + ("m" * 999 + "\n") * 1_900 + "}}\n"
    uses = "".join(f"@article{{k{i}, title = {{T{i}}}, year = 2024, note = big}}\n"
                   for i in range(40))
    path = write(tmp_path, "refs.bib", big + uses)
    refused(run_cli, tmp_path, path, "BibTeX values expand to more than 50,000,000 characters",
            "--format", "bibtex")


# --- inputs that are mostly not understood ----------------------------------------------------


def test_200k_at_lines_are_a_warning_not_quiet(run_cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "refs.bib", GOOD_BIB + "@\n" * 200_000)
    code, out, err = run_cli(["import", "--site", tmp_path / "site", path])
    assert code == 0
    assert err == (f"{path}:2: warning: 200,000 line(s) starting with '@' are not BibTeX "
                   "entries (@type{key, field = value, ...}); ignored\n")
    assert "1 added" in out
    code, _, err = run_cli(["import", "--strict", "--site", tmp_path / "strict", path])
    assert code == 1 and "--strict" in err and wrote_nothing(tmp_path / "strict")


def test_1_mb_unterminated_quote(run_cli: Run, tmp_path: Path) -> None:
    quote = '@article{q, year = 2024, title = "' + "q" * 1_000_000
    alone = write(tmp_path, "alone.bib", quote)
    code, out, err = run_cli(["import", "--site", tmp_path / "site", alone])
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"{alone}:1: BibTeX entry cannot be read (syntax error: an unclosed brace or quote, "
        "or a missing comma); skipped",
        f"error: nothing imported: no paper could be read from {alone}"]
    assert wrote_nothing(tmp_path / "site")
    mixed = write(tmp_path, "mixed.bib", GOOD_BIB + quote)
    code, out, err = run_cli(["import", "--site", tmp_path / "site", mixed])
    assert code == 0 and "1 added" in out
    assert err.startswith(f"{mixed}:2: warning: BibTeX entry cannot be read")


def test_warnings_are_capped(run_cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "snapshot.jsonl", '{"versions": []}\n' + "{]\n" * (MAX_WARNINGS + 5))
    err = refused(run_cli, tmp_path, path, "more than 1,000 problems in this input; stopped")
    assert err.startswith(f"{path}:")


def test_entries_in_the_middle_of_a_line_are_capped(run_cli: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "refs.bib", GOOD_BIB + "x @a{" * 10_001 + "\n")
    refused(run_cli, tmp_path, path, "more than 10,000 entries start in the middle of a line")


@pytest.mark.parametrize(("name", "text"), [
    ("empty.json", "[]"),
    ("feed.xml", ATOM_HEAD + "</feed>\n"),
    ("comments.bib", "@comment{nothing here}\n@misc{k, note = {no title}}\n"),
], ids=["empty-json-array", "feed-without-entries", "bibtex-without-titles"])
def test_input_without_a_paper_fails(run_cli: Run, tmp_path: Path, name: str, text: str) -> None:
    path = write(tmp_path, name, text)
    code, out, err = run_cli(["import", "--site", tmp_path / "site", path])
    assert code == 1 and out == ""
    assert err.splitlines()[-1] == f"error: nothing imported: no paper could be read from {path}"
    assert wrote_nothing(tmp_path / "site")


def test_an_input_without_a_paper_among_others_is_named(run_cli: Run, tmp_path: Path) -> None:
    good = write(tmp_path, "listing.txt", LISTING)
    empty = write(tmp_path, "empty.json", "[]")
    code, out, err = run_cli(["import", "--site", tmp_path / "site", good, empty])
    assert code == 0 and "1 added" in out
    assert err == f"{empty}: warning: no paper found in this input\n"
