"""The search index in parts: every paper in exactly one part, an edit re-indexes only its
part, and a clean build gives the same bytes as an incremental one.

A synthetic site of 120 papers (``bench.synth``) is split into four parts by
making a part hold 30 pages; which paper each part holds is read back from the
index files Pagefind wrote (each page's fragment names its URL).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import synth, trees  # noqa: E402
from sitegen.outputs import search_parts  # noqa: E402
from sitegen.outputs.search_parts import PARTS_FILE, part_count, part_folder, part_of  # noqa: E402

pytestmark = pytest.mark.unit

PAPERS = 120
PART_PAGES = 30  # 120 papers: four parts


def test_parts_double_as_the_site_grows() -> None:
    assert [part_count(n) for n in (0, 1, 2500, 2501, 5000, 5001, 10_000, 20_001, 100_000)
            ] == [1, 1, 1, 2, 2, 4, 4, 8, 8]
    paths = [f"papers/p{i}/index.html" for i in range(2000)]
    for count in (2, 4, 8):
        parts = [part_of(p, count) for p in paths]
        assert set(parts) == set(range(count))
        # When the parts double, each part splits in two: no page moves between halves.
        assert [part_of(p, count * 2) % count for p in paths] == parts
    assert [part_of(p, 4) for p in paths] == [part_of(p, 4) for p in paths]


def _fragment_urls(folder: Path) -> set[str]:
    urls = set()
    for path in (folder / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(path.read_bytes()).removeprefix(b"pagefind_dcd")
        urls.add(json.loads(data)["url"])
    return urls


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _inodes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_ino
            for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def parted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Path, list[synth.SynthPaper]]:
    monkeypatch.setattr(search_parts, "PART_PAGES", PART_PAGES)
    papers = synth.make_papers(PAPERS)
    site = tmp_path / "site"
    trees.write_site("sitegen-default", site, papers)
    return site, papers


def _build(run_cli: Callable[[list[str]], tuple[int, str, str]], site: Path,
           *args: str) -> str:
    code, out, err = run_cli(["build", "--site", str(site), "--verbose",
                              "--base-url", "https://example.org/", *args])
    assert code == 0, out + err
    return out


def test_every_paper_is_in_exactly_its_part(parted: tuple[Path, list[synth.SynthPaper]],
                                            run_cli: Callable[..., tuple[int, str, str]]
                                            ) -> None:
    site, papers = parted
    out = _build(run_cli, site)
    assert "search index: indexed 4 of 4 parts" in out.splitlines()
    index = site / "public" / "pagefind"
    listed = json.loads((index / PARTS_FILE).read_text("utf-8"))["parts"]
    assert listed == ["part-001/", "part-002/", "part-003/"]
    seen: set[str] = set()
    for number in range(4):
        folder = index / part_folder(number)
        urls = _fragment_urls(folder)
        assert urls and not urls & seen
        seen |= urls
        assert all(part_of(url.lstrip("/") + "index.html", 4) == number for url in urls)
        # Merged parts carry only their index; the first keeps Pagefind's script and wasm.
        assert (folder / "pagefind.js").is_file() == (number == 0)
        assert (folder / "pagefind-entry.json").is_file()
    assert seen == {f"/papers/{p.slug}/" for p in papers}


def test_an_edit_reindexes_only_its_part(parted: tuple[Path, list[synth.SynthPaper]],
                                         run_cli: Callable[..., tuple[int, str, str]],
                                         tmp_path: Path) -> None:
    site, papers = parted
    _build(run_cli, site)
    index = site / "public" / "pagefind"
    before = {n: _tree(index / part_folder(n)) for n in range(1, 4)}
    first = {k: v for k, v in _tree(index).items() if not k.startswith("part-")}
    inodes = _inodes(index / part_folder(2))
    target = next(p for p in papers if part_of(f"papers/{p.slug}/index.html", 4) == 2)
    edited = synth.edited(target, 1)
    trees.write_paper("sitegen-default", site, edited)
    out = _build(run_cli, site)
    assert "search index: indexed 1 of 4 parts" in out.splitlines()
    after = {n: _tree(index / part_folder(n)) for n in range(1, 4)}
    assert after[1] == before[1] and after[3] == before[3]
    assert after[2] != before[2]
    assert {k: v for k, v in _tree(index).items() if not k.startswith("part-")} == first
    contents = [gzip.decompress(data).decode("utf-8", "replace")
                for name, data in after[2].items() if name.startswith("fragment/")]
    assert any("Revision 1: the evaluation section was extended" in c for c in contents)
    # The re-indexed part made new files only for what changed: every other file of it is
    # the published one, linked (the files sitegen rewrites after Pagefind never are).
    now = _inodes(index / part_folder(2))
    kept = {name for name in now if now[name] == inodes.get(name)}
    assert kept == {name for name in now.keys() & inodes.keys()
                    if name != "pagefind-entry.json" and not name.startswith("filter/")
                    and not name.endswith(".pf_meta")}
    assert len(kept) > len(now) // 2 and len(now) - len(kept) <= 8

    # A clean build of the same content gives the same site, byte for byte.
    clean = tmp_path / "clean"
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns("public", ".sitegen-cache"))
    _build(run_cli, clean)
    assert _tree(clean / "public") == _tree(site / "public")


def test_a_paper_removed_and_parts_merged_back(parted: tuple[Path, list[synth.SynthPaper]],
                                               run_cli: Callable[..., tuple[int, str, str]],
                                               tmp_path: Path) -> None:
    site, papers = parted
    _build(run_cli, site)
    # Down to 90 papers: still four parts (90 > 2 x 30), each of which lost pages.
    for paper in papers[90:]:
        os.remove(trees.paper_path("sitegen-default", site, paper))
    out = _build(run_cli, site)
    assert "search index: indexed 4 of 4 parts" in out.splitlines()
    index = site / "public" / "pagefind"
    assert sorted(p.name for p in index.glob("part-*")) == ["part-001", "part-002",
                                                            "part-003"]
    for paper in papers[30:90]:  # down to 30: one part, and the merged parts go
        os.remove(trees.paper_path("sitegen-default", site, paper))
    out = _build(run_cli, site)
    assert "search index: indexed 1 of 1 parts" in out.splitlines()
    assert not list(index.glob("part-*"))
    assert json.loads((index / PARTS_FILE).read_text("utf-8")) == {"parts": []}
    assert _fragment_urls(index) == {f"/papers/{p.slug}/" for p in papers[:30]}
    clean = tmp_path / "clean"
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns("public", ".sitegen-cache"))
    _build(run_cli, clean)
    assert _tree(clean / "public") == _tree(site / "public")


def test_written_index_links_only_identical_files(tmp_path: Path) -> None:
    """A file of the live index is linked only when its bytes are the new file's; the
    files rewritten after Pagefind are always written anew, so the live index never
    changes under a build."""
    import base64

    from sitegen.outputs.pagefind_feed import _write_files

    live, new = tmp_path / "live", tmp_path / "new"
    (live / "fragment").mkdir(parents=True)
    (live / "fragment" / "en_same.pf_fragment").write_bytes(b"same")
    (live / "fragment" / "en_diff.pf_fragment").write_bytes(b"old bytes")
    (live / "pagefind-entry.json").write_bytes(b"{}")

    def item(path: str, data: bytes) -> dict[str, str]:
        return {"path": path, "content": base64.b64encode(data).decode("ascii")}

    _write_files(new, [item("fragment/en_same.pf_fragment", b"same"),
                       item("fragment/en_diff.pf_fragment", b"new bytes"),
                       item("pagefind-entry.json", b"{}")], live)
    assert os.path.samefile(live / "fragment" / "en_same.pf_fragment",
                            new / "fragment" / "en_same.pf_fragment")
    assert (new / "fragment" / "en_diff.pf_fragment").read_bytes() == b"new bytes"
    assert (live / "fragment" / "en_diff.pf_fragment").read_bytes() == b"old bytes"
    assert not os.path.samefile(live / "pagefind-entry.json", new / "pagefind-entry.json")
    with pytest.raises(Exception, match="outside its folder"):
        _write_files(tmp_path / "other", [item("../escape.js", b"x")], live)
    assert not (tmp_path / "escape.js").exists()


def test_no_index_file_is_linked_through_a_link_out_of_the_live_index(tmp_path: Path) -> None:
    """A live index whose folder (or file) is a symbolic link elsewhere lends nothing:
    the new index gets files of its own, never one reached through the link."""
    import base64

    from sitegen.outputs.pagefind_feed import _write_files

    elsewhere, live = tmp_path / "elsewhere", tmp_path / "live"
    elsewhere.mkdir()
    (elsewhere / "en_a.pf_fragment").write_bytes(b"same")
    (elsewhere / "en_b.pf_index").write_bytes(b"same")
    live.mkdir()
    (live / "fragment").symlink_to(elsewhere, target_is_directory=True)
    (live / "index").mkdir()
    (live / "index" / "en_b.pf_index").symlink_to(elsewhere / "en_b.pf_index")
    new = tmp_path / "new"
    items = [{"path": path, "content": base64.b64encode(b"same").decode("ascii")}
             for path in ("fragment/en_a.pf_fragment", "index/en_b.pf_index",
                          "pagefind-entry.json")]
    _write_files(new, items, live)
    for path in ("fragment/en_a.pf_fragment", "index/en_b.pf_index"):
        made = new / path
        assert made.read_bytes() == b"same" and not made.is_symlink()
        assert made.stat().st_nlink == 1
