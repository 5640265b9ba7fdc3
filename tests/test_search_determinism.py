"""The search index does not depend on the order a file system lists a folder in.

Pagefind numbers pages in the order it meets them (in every index chunk,
filter and sort list), and its command line meets them in directory-listing
order: the same site gave one index on tmpfs and another on ext4. sitegen
hands Pagefind the pages in sorted order (:mod:`sitegen.outputs.pagefind_feed`).

- The same site built onto tmpfs (``/dev/shm``) and onto the test's temporary
  folder gives byte-identical ``pagefind/`` trees (and whole sites).
- Two copies of a built site whose page folders were created in opposite
  orders, on tmpfs (which lists a folder by creation), are listed in different
  orders and still give byte-identical indexes.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sitegen.outputs.pagefind_feed import index_in_order, page_files
from sitegen.outputs.pagefind_files import make_reproducible
from sitegen.outputs.search import EXCLUDE, GLOB, pagefind_binary
from sitegen.outputs.search_parts import PARTS_FILE

SHM = Path("/dev/shm")


def _tmpfs() -> bool:
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            return any(line.split()[1:3] == [str(SHM), "tmpfs"] for line in mounts)
    except OSError:
        return False


@pytest.fixture
def shm_dir() -> Iterator[Path]:
    if not _tmpfs() or not os.access(SHM, os.W_OK):
        pytest.skip("needs a writable tmpfs at /dev/shm")
    folder = SHM / f"sitegen-test-{uuid.uuid4().hex}"
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def site(tmp_path: Path, copy_example: Callable[[Path], Path]) -> Path:
    root = copy_example(tmp_path / "site")
    config = root / "sitegen.toml"
    text = config.read_text("utf-8")
    assert "search = false" not in text  # the example indexes its papers
    return root


@pytest.mark.slow
def test_tmpfs_and_disk_give_the_same_site(site: Path, tmp_path: Path, shm_dir: Path,
                                           build_site: Callable[..., Path]) -> None:
    on_disk = build_site(site, tmp_path / "out", clean=True)
    on_tmpfs = build_site(site, shm_dir / "out", clean=True)
    disk_tree, tmpfs_tree = _tree(on_disk / "pagefind"), _tree(on_tmpfs / "pagefind")
    assert len(disk_tree) > 10
    assert disk_tree == tmpfs_tree
    assert _tree(on_disk) == _tree(on_tmpfs)


def _copy_in_order(built: Path, target: Path, reverse: bool) -> list[str]:
    """Copy ``built`` (without its index), creating the paper folders in the given order."""
    shutil.copytree(built, target, ignore=shutil.ignore_patterns("papers", "pagefind"))
    papers = sorted((built / "papers").iterdir(), reverse=reverse)
    (target / "papers").mkdir()
    for folder in papers:
        shutil.copytree(folder, target / "papers" / folder.name)
    return os.listdir(target / "papers")


def test_listing_order_does_not_reach_the_index(site: Path, tmp_path: Path, shm_dir: Path,
                                                build_site: Callable[..., Path]) -> None:
    built = build_site(site, tmp_path / "out", clean=True)
    forward = _copy_in_order(built, shm_dir / "forward", reverse=False)
    backward = _copy_in_order(built, shm_dir / "backward", reverse=True)
    assert sorted(forward) == sorted(backward)
    assert forward != backward  # tmpfs lists by creation: the orders really differ
    indexes = []
    for name in ("forward", "backward"):
        copy = shm_dir / name
        files = page_files(copy, GLOB)
        assert [p.parent.name for p in files] == sorted(forward)
        index_in_order(pagefind_binary(), copy, copy / "pagefind", files, EXCLUDE)
        assert make_reproducible(copy / "pagefind")
        indexes.append(_tree(copy / "pagefind"))
    assert indexes[0] == indexes[1]
    # The build made just this index: a small site is one part, with no parts to merge.
    made = _tree(built / "pagefind")
    assert json.loads(made.pop(PARTS_FILE)) == {"parts": []}
    assert indexes[0] == made


def test_pagefind_failures_are_build_errors(site: Path, tmp_path: Path,
                                            build_site: Callable[..., Path]) -> None:
    from sitegen.errors import BuildError

    built = build_site(site, tmp_path / "out", clean=True)
    files = page_files(built, GLOB)
    missing = built / "papers" / "gone" / "index.html"
    with pytest.raises(BuildError) as caught:
        index_in_order(pagefind_binary(), built, tmp_path / "index", [*files[:3], missing],
                       EXCLUDE)
    assert [str(p) for p in caught.value.problems][0].startswith(
        "papers/gone/index.html: cannot be read for the search index: ")
    with pytest.raises(BuildError) as caught:  # a "Pagefind" that exits at once
        index_in_order(Path("/bin/false"), built, tmp_path / "index", files, EXCLUDE)
    assert "Pagefind stopped" in str(caught.value)
    assert not (tmp_path / "index").exists()
