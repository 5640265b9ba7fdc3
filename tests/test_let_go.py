"""A large build lets its loaded site go once the pages are written (``Site.let_go``).

At 100,000 papers the loaded site takes about 2 GB, and Pagefind, started for the
search stage, about 1 GB more. So from ``RELEASE_PAPERS`` papers on, a build whose
search index needs Pagefind saves its parse cache, drops every paper and view, and
collects them before the search stage. These tests lower that threshold to a small
site's size and check that nothing of the site is alive during the search stage,
that the built bytes are those of a build that kept everything, that the next build
still finds its caches (an edit is parsed alone and written as a patch), and that a
build with nothing for Pagefind to do keeps its site.
"""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import sitegen.site
from sitegen import content
from sitegen.model import Paper
from sitegen.site import Site
from sitegen.views import PaperView

Snapshot = Callable[[Path], dict[str, bytes]]


def _alive(site: Path) -> int:
    """The papers of ``site`` alive, with their views (other tests' may be alive too)."""
    def ours(paper: Paper) -> bool:
        return paper.path is not None and paper.path.is_relative_to(site)

    return sum(isinstance(thing, Paper) and ours(thing)
               or isinstance(thing, PaperView) and ours(thing.paper)
               for thing in gc.get_objects())


@pytest.fixture
def spy_search_stage(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the papers and views of the site alive each time its search stage starts."""
    seen: list[int] = []
    original = Site.post_process

    def spying(self: Site, *args: Any, **kwargs: Any) -> Any:
        seen.append(_alive(self.config.root))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Site, "post_process", spying)
    return seen


def test_a_large_build_lets_its_site_go_before_the_search_stage(
        tmp_path: Path, copy_site: Callable[..., Path], build_site: Callable[..., Path],
        snapshot: Snapshot, tree_difference: Callable[..., str],
        spy_search_stage: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    site = copy_site("golden")
    config = site / "sitegen.toml"
    config.write_text(config.read_text("utf-8").replace("search = false", "search = true"),
                      "utf-8")
    kept = snapshot(build_site(site, tmp_path / "kept"))
    assert spy_search_stage[-1] > 0  # a small site keeps its papers: the spy sees them
    assert any(path.startswith("pagefind/") for path in kept)

    shutil.rmtree(site / ".sitegen-cache")
    monkeypatch.setattr(sitegen.site, "RELEASE_PAPERS", 1)
    out = build_site(site, tmp_path / "let-go")
    assert spy_search_stage[-1] == 0
    assert not tree_difference(kept, snapshot(out)), tree_difference(kept, snapshot(out))

    # The parse cache was saved before the site went: an edit is the only file parsed.
    parsed: list[str] = []
    load_file = content.load_file

    def counting(path: Path, label: str) -> Any:
        parsed.append(label)
        return load_file(path, label)

    monkeypatch.setattr(content, "load_file", counting)
    edited = sorted((site / "content" / "papers").glob("*.md"))[0]
    edited.write_text(edited.read_text("utf-8") + "\nA sentence added by hand.\n", "utf-8")
    before = snapshot(out)
    build_site(site, out)
    after = snapshot(out)
    assert parsed == [f"content/papers/{edited.name}"]
    changed = sorted(path for path in after if after[path] != before.get(path))
    assert f"papers/{edited.stem}/index.html" in changed
    assert len(changed) < len(after) // 4, changed
    assert b"A sentence added by hand." in after[f"papers/{edited.stem}/index.html"]
    assert spy_search_stage[-1] == 0  # its search part was indexed again: it let go

    # Nothing for Pagefind to do (the file touched, its text the same): nothing to let
    # go for, so the build keeps its papers rather than pay for a collection.
    os.utime(edited, ns=(edited.stat().st_atime_ns, edited.stat().st_mtime_ns + 10**9))
    build_site(site, out)
    assert parsed[-1] == f"content/papers/{edited.name}" and snapshot(out) == after
    assert spy_search_stage[-1] > 0


def test_a_large_build_without_search_keeps_its_site(
        copy_site: Callable[..., Path], build_site: Callable[..., Path], tmp_path: Path,
        spy_search_stage: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """No Pagefind comes after the pages: letting go would only cost time."""
    monkeypatch.setattr(sitegen.site, "RELEASE_PAPERS", 1)
    site = copy_site("golden")
    assert "search = false" in (site / "sitegen.toml").read_text("utf-8")
    build_site(site, tmp_path / "out")
    assert spy_search_stage == [spy_search_stage[0]] and spy_search_stage[0] > 0


def test_the_preview_never_lets_its_site_go(tmp_path: Path, copy_site: Callable[..., Path],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The preview hands its parse cache on to the next build: it must keep it."""
    from sitegen.config import load_config

    monkeypatch.setattr(sitegen.site, "RELEASE_PAPERS", 1)
    site = copy_site("golden")
    preview = Site(load_config(site), quiet=True, parallel=False)
    assert not preview._lets_go
    one_shot = Site(load_config(site), quiet=True)
    assert one_shot._lets_go
