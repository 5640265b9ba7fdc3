"""Re-imports and merges: one paper, one file; hand edits survive; nothing is deleted."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from pathlib import Path

import pytest
import yaml
from conftest import make_site_for, needs_shared, shared_fixture

from sitegen.cli import main
from sitegen.content import load_file
from sitegen.frontmatter import split_front_matter
from sitegen.model import Paper

FIXTURES = Path(__file__).parent / "fixtures" / "inputs"
SEED = Path(__file__).parent.parent / "examples" / "hf-daily-papers-2026-01-09.txt"
SEED_TEXT = SEED.read_text("utf-8")
HF_CONSTRUCTED = FIXTURES / "hf_api_papers_constructed.json"
ATOM_OLD = FIXTURES / "arxiv_atom_oldformat_constructed.xml"
BIB = FIXTURES / "references_constructed.bib"
# Real samples, read where they are kept (tests using them are marked needs_shared).
ATOM = shared_fixture("arxiv_atom_2025format_all-electron.xml")
JSONL = shared_fixture("arxiv_kaggle_oai_snapshot_2lines.jsonl")
HF_ITEM = shared_fixture("hf_api_daily_papers_item_2602.23229.json")
FLASH = "LLM in a flash: Efficient Large Language Model Inference with Limited Memory"


def sitegen(*args: str | Path) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    make_site_for(args)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def imported(site: Path, *inputs: Path, extra: tuple[str, ...] = ()) -> tuple[str, str]:
    code, out, err = sitegen("import", "--site", site, *extra, *inputs)
    assert code == 0, err
    return out, err


def files(site: Path) -> list[Path]:
    return sorted((site / "content" / "papers").glob("*.md"))


def papers(site: Path) -> dict[str, Paper]:
    found: dict[str, Paper] = {}
    for path in files(site):
        paper, problems = load_file(path, path.name)
        assert paper is not None, problems
        assert paper.title not in found, f"two files for {paper.title}"
        found[paper.title] = paper
    return found


def front(path: Path) -> dict[str, object]:
    parts = split_front_matter(path.read_text("utf-8"))
    assert parts is not None
    data = yaml.safe_load(parts[0])
    assert isinstance(data, dict)
    return data


def state(site: Path) -> dict[str, tuple[bytes, int, int]]:
    """Bytes, modification time and inode of every content file."""
    out = {}
    for path in files(site):
        info = os.stat(path)
        out[path.name] = (path.read_bytes(), info.st_mtime_ns, info.st_ino)
    return out


def file_of(site: Path, title: str) -> Path:
    paper = papers(site)[title]
    assert paper.path is not None
    return paper.path


# --- re-importing a listing ----------------------------------------------------------------


def test_second_import_changes_nothing(tmp_path: Path) -> None:
    imported(tmp_path, SEED)
    before = state(tmp_path)
    out, err = imported(tmp_path, SEED)
    assert state(tmp_path) == before
    assert "0 added, 0 updated, 0 merged, 39 unchanged" in out and err == ""


def test_hand_edits_survive_and_are_reported(tmp_path: Path) -> None:
    imported(tmp_path, SEED)
    path = file_of(tmp_path, FLASH)
    text = path.read_text("utf-8")
    text = text.replace(f'title: "{FLASH}"', 'title: "LLM in a Flash (edited)"')
    text = text.replace("comments: 8\n", "comments: 80\ntags:\n- \"inference\"\n")
    text = text.replace("Large language models (LLMs) are central", "EDITED. LLMs are central")
    path.write_text(text, "utf-8")
    out, _ = imported(tmp_path, SEED)
    assert len(files(tmp_path)) == 39  # the retitled file was matched, not duplicated
    paper = papers(tmp_path)["LLM in a Flash (edited)"]
    assert (paper.comments, paper.tags) == (80, ["inference"])
    assert paper.body.startswith("EDITED. LLMs are central")
    kept = [line for line in out.splitlines() if line.startswith("kept hand edits:")]
    assert kept == [f"kept hand edits: content/papers/{path.name} (body, comments, title)"]
    assert path.read_text("utf-8") == text


def test_hand_formatting_survives_when_nothing_changes(tmp_path: Path) -> None:
    imported(tmp_path, SEED)
    path = file_of(tmp_path, FLASH)
    text = path.read_text("utf-8").replace("---\n", "---\n# checked by hand\n", 1)
    text = text.replace(f'title: "{FLASH}"', f"title: '{FLASH}'")
    path.write_text(text, "utf-8")
    out, _ = imported(tmp_path, SEED)
    assert path.read_text("utf-8") == text and "39 unchanged" in out


def test_changed_count_updates_only_that_field(tmp_path: Path) -> None:
    imported(tmp_path, SEED)
    before = state(tmp_path)
    path = file_of(tmp_path, FLASH)
    old = front(path)
    changed = SEED_TEXT.replace("Dec 12, 2023 8\n", "Dec 12, 2023 9\n")
    assert changed != SEED_TEXT
    source = tmp_path / "in" / SEED.name
    source.parent.mkdir()
    source.write_text(changed, "utf-8")
    out, _ = imported(tmp_path, source)
    assert "1 updated" in out and "38 unchanged" in out
    new = front(path)
    assert {k for k in old if old[k] != new[k]} == {"comments", "imported"}
    assert (old["comments"], new["comments"]) == (8, 9)
    old_hashes, new_hashes = old["imported"], new["imported"]
    assert isinstance(old_hashes, dict) and isinstance(new_hashes, dict)
    assert {k for k in old_hashes if old_hashes[k] != new_hashes[k]} == {"comments"}
    after = state(tmp_path)
    assert {name for name in before if before[name] != after[name]} == {path.name}


def test_paper_missing_from_later_listing_is_kept(tmp_path: Path) -> None:
    imported(tmp_path, SEED)
    path = file_of(tmp_path, FLASH)
    content = path.read_bytes()
    lines = SEED_TEXT.split("\n")
    start = lines.index(FLASH)
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("Dec 12, 2023"))
    later = tmp_path / "later.txt"
    later.write_text("\n".join(lines[:start] + lines[end + 2:]), "utf-8")
    out, _ = imported(tmp_path, later)
    assert len(files(tmp_path)) == 39 and path.read_bytes() == content


def test_unreadable_file_is_left_alone_not_duplicated(tmp_path: Path) -> None:
    imported(tmp_path, SEED)
    path = file_of(tmp_path, FLASH)
    lines = path.read_text("utf-8").split("\n")
    number = next(i for i, line in enumerate(lines) if line.startswith("date:"))
    lines[number] = "date: 12/12/2023"
    path.write_text("\n".join(lines), "utf-8")
    code, out, err = sitegen("import", "--site", tmp_path, SEED)
    assert code == 0
    assert f"content/papers/{path.name}:{number + 1}: warning: cannot be read" in err
    assert len(files(tmp_path)) == 39 and "38 unchanged" in out
    assert path.read_text("utf-8") == "\n".join(lines)


def test_file_moved_elsewhere_in_content_is_still_matched(tmp_path: Path) -> None:
    imported(tmp_path, SEED)
    path = file_of(tmp_path, FLASH)
    moved = tmp_path / "content" / "archive" / "flash.md"
    moved.parent.mkdir()
    path.rename(moved)
    out, _ = imported(tmp_path, SEED)
    assert not path.exists() and "39 unchanged" in out
    assert len(list((tmp_path / "content").rglob("*.md"))) == 39


def test_content_dir_from_site_config(tmp_path: Path) -> None:
    (tmp_path / "sitegen.toml").write_text('content_dir = "src"\n', "utf-8")
    imported(tmp_path, SEED)
    assert len(list((tmp_path / "src" / "papers").glob("*.md"))) == 39
    assert not (tmp_path / "content").exists()


def test_deleted_field_stays_deleted(tmp_path: Path) -> None:
    imported(tmp_path, SEED)
    path = file_of(tmp_path, FLASH)
    text = path.read_text("utf-8").replace("author_count: 8\n", "")
    path.write_text(text, "utf-8")
    imported(tmp_path, SEED)
    assert path.read_text("utf-8") == text and "author_count" not in front(path)


# --- one paper from several sources ----------------------------------------------------------


def test_listing_entry_and_api_item_become_one_file(tmp_path: Path) -> None:
    api = json.loads(HF_CONSTRUCTED.read_text("utf-8"))[0]
    assert api["title"] == FLASH
    imported(tmp_path, SEED)
    out, _ = imported(tmp_path, HF_CONSTRUCTED)
    assert "1 merged" in out and "1 added" in out  # the second record is a new paper
    found = papers(tmp_path)
    assert len(found) == 40
    paper = found[FLASH]
    assert paper.authors == [a["name"] for a in api["authors"]]
    assert paper.author_count == 8 and paper.comments == 8  # from the listing
    assert paper.arxiv == api["id"] and paper.upvotes == api["upvotes"]
    assert paper.keywords == api["ai_keywords"]
    assert [s.kind for s in paper.source] == ["hf-api", "hf-daily-listing"]  # sorted
    assert paper.body.startswith("Large language models (LLMs) are central")


def test_api_first_then_listing_is_still_one_file(tmp_path: Path) -> None:
    imported(tmp_path, HF_CONSTRUCTED)
    imported(tmp_path, SEED)
    found = papers(tmp_path)
    assert len(found) == 40
    assert found[FLASH].author_count == 8 and len(found[FLASH].authors) == 8


@needs_shared
def test_atom_entry_and_bibtex_eprint_become_one_file(tmp_path: Path) -> None:
    imported(tmp_path, ATOM)
    out, _ = imported(tmp_path, BIB)
    found = papers(tmp_path)
    matches = [p for p in found.values() if p.arxiv == "2102.03929"]
    assert len(matches) == 1
    paper = matches[0]
    atom_title = re.search(r"<id>http://arxiv.org/abs/2102.03929v1</id>\s*<title>([^<]*)</title>",
                           ATOM.read_text("utf-8"))
    assert atom_title is not None and paper.title == atom_title.group(1)
    assert paper.bibtex_key == "li2021flexible"  # what only BibTeX knew
    assert paper.arxiv_comment.startswith("2020 IEEE")  # what only arXiv knew
    assert {s.kind for s in paper.source} == {"arxiv-atom", "bibtex"}
    assert len(found) == 10 + 3  # 10 Atom entries; 3 BibTeX entries were new


@needs_shared
def test_old_atom_and_snapshot_become_one_file_each(tmp_path: Path) -> None:
    imported(tmp_path, ATOM_OLD, JSONL)
    found = papers(tmp_path)
    assert sorted(p.arxiv or "" for p in found.values()) == ["0704.0002", "hep-th/9608091"]
    for paper in found.values():
        assert {s.kind for s in paper.source} == {"arxiv-atom", "arxiv-jsonl"}


def test_same_title_different_arxiv_ids_stay_two_files(tmp_path: Path) -> None:
    bib = tmp_path / "twins.bib"
    bib.write_text("@misc{a, title={Attention Is All You Need}, eprint={1706.03762}, year=2017}\n"
                   "@misc{b, title={Attention is all you need}, eprint={2501.00001}, year=2025}\n",
                   "utf-8")
    _, err = imported(tmp_path, bib)
    assert "slug" in err  # the second file needs another name, and says so
    found = [load_file(p, p.name)[0] for p in files(tmp_path)]
    assert sorted(p.arxiv or "" for p in found if p) == ["1706.03762", "2501.00001"]
    before = state(tmp_path)
    imported(tmp_path, bib)
    assert state(tmp_path) == before


@needs_shared
def test_repeated_paper_in_one_input_is_one_file(tmp_path: Path) -> None:
    jsonl = tmp_path / "twice.jsonl"
    line = JSONL.read_text("utf-8").splitlines()[0]
    jsonl.write_text(line + "\n" + line + "\n", "utf-8")
    imported(tmp_path, jsonl, JSONL)
    assert len(files(tmp_path)) == 2


ALL_SOURCES = (SEED, HF_CONSTRUCTED, HF_ITEM, ATOM, ATOM_OLD, JSONL, BIB)


@needs_shared
def test_reimporting_every_source_twice_changes_nothing(tmp_path: Path) -> None:
    imported(tmp_path, *ALL_SOURCES)
    before = state(tmp_path)
    for _ in range(2):
        out, err = imported(tmp_path, *ALL_SOURCES)
        assert state(tmp_path) == before
        assert "0 added, 0 updated, 0 merged" in out
    titles = [p.title for p in papers(tmp_path).values()]
    assert len(titles) == len(set(titles)) == len(before)


@needs_shared  # every source is imported again, the real samples too
@pytest.mark.parametrize("source", [ATOM, BIB, JSONL, HF_ITEM])
def test_hand_edited_title_survives(tmp_path: Path, source: Path) -> None:
    imported(tmp_path, source)
    path = files(tmp_path)[0]
    data = front(path)
    text = path.read_text("utf-8").replace(f'title: "{data["title"]}"',
                                           'title: "My Own Title"', 1)
    path.write_text(text, "utf-8")
    out, _ = imported(tmp_path, *ALL_SOURCES)
    assert front(path)["title"] == "My Own Title"
    assert f"kept hand edits: content/papers/{path.name}" in out
    assert not [p for p in papers(tmp_path) if p == data["title"]]
