"""The build cache notices every input that shapes the pages."""

from __future__ import annotations

import shutil
from pathlib import Path

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
