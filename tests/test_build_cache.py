"""The build cache notices every input that shapes the pages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sitegen.cli import main

REPO = Path(__file__).resolve().parent.parent


def test_editing_theme_tag_rules_rebuilds(tmp_path: Path) -> None:
    """The theme's keyword rules shape every page's tags, so they are part of the build key."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copytree(REPO / "themes" / "default", site / "themes" / "mine")
    (site / "sitegen.toml").write_text('theme = "mine"\n', encoding="utf-8")
    assert main(["build", "--site", str(site), "-q"]) == 0
    assert not (site / "public" / "tags" / "zebra").exists()
    rules = site / "themes" / "mine" / "tag_rules.toml"
    rules.write_text(rules.read_text("utf-8") + '"zebra" = ["memory"]\n', encoding="utf-8")
    assert main(["build", "--site", str(site), "-q"]) == 0
    assert (site / "public" / "tags" / "zebra" / "index.html").is_file()


def test_cached_paper_keeps_its_path(tmp_path: Path) -> None:
    """A paper read back from the parse cache stores its path as text but gives a ``Path``."""
    import pickle
    from datetime import date

    from sitegen.model import Paper

    source = tmp_path / "content" / "papers" / "a.md"
    paper = Paper("A", date(2024, 1, 2), path=source)
    state = paper.__getstate__()
    assert source.as_posix() in state and source not in state
    again = pickle.loads(pickle.dumps(paper))
    assert isinstance(again.path, Path) and again.path == source
    assert again == paper
    assert Paper("B", date(2024, 1, 2)).path is None


def test_duplicate_slug_of_a_cached_paper_names_both_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The slug check reads paths of papers loaded from the cache as well."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "tests" / "sites" / "golden", site, ignore=shutil.ignore_patterns(
        "public", ".sitegen-cache"))
    assert main(["build", "--site", str(site), "-q"]) == 0
    papers = sorted((site / "content" / "papers").glob("*.md"))
    first = papers[0]
    text = first.read_text("utf-8").replace("---\n", f"---\nslug: {papers[1].stem}\n", 1)
    first.write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert main(["build", "--site", str(site), "-q"]) == 1
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "is already used by" in x)
    assert f"content/papers/{papers[0].name}" in line, line
    assert f"content/papers/{papers[1].name}" in line, line
