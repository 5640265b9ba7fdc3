"""The preview's search finds a saved paper by its new text before its part is indexed again.

``sitegen serve`` indexes the quick page of a saved paper on its own
(``sitegen/outputs/search_edits.py``) while the whole build runs, and serves
that index and a parts file naming it from memory; the search page merges it
and hides the paper's old entry. Checked here on the index files (the hidden
entry is the old page's, in the part that holds it; nothing is made when the
entry did not change; nothing is written to the site) and on what the preview
serves (until the build's own index holds the edit, or the build failed; the
build still patches the live output). ``tests/test_serve_browser.py`` searches
in Debian chromium while the whole build is held back.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from conftest import tree_bytes, wait_until  # noqa: E402

from bench import synth, trees  # noqa: E402
from bench.edit import served_page  # noqa: E402
from sitegen.outputs import search_parts  # noqa: E402
from sitegen.outputs.search_edits import EDITS, index_edit  # noqa: E402
from sitegen.outputs.search_parts import PARTS_FILE, part_folder, part_of  # noqa: E402
from sitegen.serve import PREVIEW_OUTPUT, PreviewServer  # noqa: E402

PAPER = "content/papers/ai-native-memory-a-pathway-from-llms-towards-agi.md"
PAGE = "papers/ai-native-memory-a-pathway-from-llms-towards-agi/index.html"
OLD_WORD, NEW_WORD = "Wombatglimmer", "Quokkafrost"


def _fragment(data: bytes) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(gzip.decompress(data).removeprefix(b"pagefind_dcd"))
    return found


def add_word(path: Path, word: str) -> None:
    """``word`` as the first sentence of the paper's abstract (its body)."""
    head, sep, body = path.read_text("utf-8").partition("\n---\n")
    assert sep and word not in body
    path.write_text(f"{head}{sep}{word}. {body}", "utf-8")


def swap_word(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), "utf-8")


@pytest.fixture
def parted_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                 build_site: Callable[..., Path]) -> tuple[Path, list[synth.SynthPaper]]:
    """A 120-paper site in four search parts, built."""
    monkeypatch.setattr(search_parts, "PART_PAGES", 30)
    papers = synth.make_papers(120)
    site = tmp_path / "site"
    trees.write_site("sitegen-default", site, papers)
    build_site(site, tmp_path / "www", base_url="https://example.org/")
    return tmp_path / "www", papers


def test_the_edit_index_hides_the_old_entry_in_the_pages_part(
        parted_build: tuple[Path, list[synth.SynthPaper]], tmp_path: Path) -> None:
    out, papers = parted_build
    index = tree_bytes(out / "pagefind")
    scratch = tmp_path / "scratch"
    for paper in papers[:12]:  # pages of every part
        rel = f"papers/{paper.slug}/index.html"
        html = (out / rel).read_bytes()
        assert index_edit(out, rel, html, scratch) == {}  # its entry is already this page

        edited = html.replace(b"Abstract</h2>", b"Abstract</h2><p>Quokkafrost</p>", 1)
        assert edited != html
        files = index_edit(out, rel, edited, scratch)
        listed = json.loads(files.pop(f"pagefind/{PARTS_FILE}"))
        assert listed["parts"] == json.loads(index[PARTS_FILE])["parts"]
        assert listed["edits"]["index"] == EDITS + "/"
        [old] = listed["edits"]["hide"]
        part = out / "pagefind" / part_folder(part_of(rel, 4))
        hidden = _fragment((part / "fragment" / f"{old}.pf_fragment").read_bytes())
        assert hidden["url"] == f"/papers/{paper.slug}/"
        [new] = [name for name in files if name.endswith(".pf_fragment")]
        assert new.startswith(f"pagefind/{EDITS}/fragment/") and old not in new
        found = _fragment(files[new])
        assert found["url"] == f"/papers/{paper.slug}/" and "Quokkafrost" in found["content"]
        assert f"pagefind/{EDITS}/pagefind-entry.json" in files
        assert not any(name.endswith(".js") for name in files)  # the first part's bundle serves
        assert not scratch.exists()
        assert tree_bytes(out / "pagefind") == index  # nothing written to the site


def test_no_edit_index_without_a_search_index(tmp_path: Path) -> None:
    (tmp_path / "papers" / "x").mkdir(parents=True)
    assert index_edit(tmp_path, "papers/x/index.html", b"<html></html>", tmp_path / "s") == {}
    assert not (tmp_path / "pagefind").exists()


def has_edits(server: PreviewServer) -> bool:
    """The preview serves an edit index, and a parts file naming it, from memory."""
    files = server.state.files
    listed = files.get(f"pagefind/{PARTS_FILE}")
    return listed is not None and "edits" in json.loads(listed) and any(
        name.startswith(f"pagefind/{EDITS}/") for name in files)


def _base(server: PreviewServer) -> str:
    return urlsplit(server.url).path


def test_the_edit_index_is_served_from_memory_until_its_part_is_indexed(
        example_site: Path, held_builds: dict[str, Any]) -> None:
    add_word(example_site / PAPER, OLD_WORD)
    with PreviewServer(example_site, port=0, quiet=True) as server:
        out = example_site / PREVIEW_OUTPUT
        folder, index = out.stat().st_ino, tree_bytes(out / "pagefind")
        base = _base(server)
        held_builds["gate"].clear()
        builds = server.builds
        swap_word(example_site / PAPER, OLD_WORD, NEW_WORD)
        assert wait_until(lambda: has_edits(server), 30), "the edit index never came"
        assert tree_bytes(out / "pagefind") == index  # nothing is written to the output
        listed = json.loads(served_page(server, f"{base}pagefind/{PARTS_FILE}"))
        assert listed["parts"] == json.loads(index[PARTS_FILE])["parts"]
        [fragment] = [name for name in server.state.files if name.endswith(".pf_fragment")]
        assert NEW_WORD in _fragment(served_page(server, base + fragment))["content"]

        held_builds["gate"].set()
        assert server.wait_for_builds(builds + 1, timeout=30)
        assert wait_until(lambda: not server.state.files, 30), "the edit index stayed"
        # The whole build patched the live output: nothing looked like a stranger's file.
        assert out.stat().st_ino == folder
        assert served_page(server, f"{base}pagefind/{PARTS_FILE}") == index[PARTS_FILE]
        assert any(NEW_WORD in _fragment(path.read_bytes())["content"]
                   for path in (out / "pagefind" / "fragment").glob("*.pf_fragment"))


def test_a_failed_build_drops_the_edit_index(example_site: Path,
                                             held_builds: dict[str, Any]) -> None:
    add_word(example_site / PAPER, OLD_WORD)
    with PreviewServer(example_site, port=0, quiet=True) as server:
        out = example_site / PREVIEW_OUTPUT
        index = tree_bytes(out / "pagefind")
        held_builds["gate"].clear()
        held_builds["fail"] = True
        builds = server.builds
        swap_word(example_site / PAPER, OLD_WORD, NEW_WORD)
        assert wait_until(lambda: has_edits(server), 30), "the edit index never came"
        held_builds["gate"].set()
        assert server.wait_for_builds(builds + 1, timeout=30)
        assert wait_until(lambda: not server.state.files, 30), "the edit index stayed"
        assert server.state.problems
        assert served_page(server, f"{_base(server)}pagefind/{PARTS_FILE}") == index[PARTS_FILE]
