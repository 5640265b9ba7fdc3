"""Forked workers give exactly what one process gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sitegen import content
from sitegen.parallel import fork_map, workers

REPO = Path(__file__).resolve().parent.parent


def _square(value: int) -> int:
    return value * value


def test_fork_map_keeps_order_and_values() -> None:
    items = list(range(1001))
    assert fork_map(_square, items, minimum=1) == [v * v for v in items]


@pytest.mark.skipif(workers() < 2, reason="needs two cores to fork workers")
def test_parallel_parse_equals_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(REPO / "content", tmp_path / "content")
    serial = content.load_content(tmp_path, tmp_path / "content", {}, parallel=False)
    monkeypatch.setattr(content, "PARALLEL_PARSE", 1)
    cache: content.ParseCache = {}
    forked = content.load_content(tmp_path, tmp_path / "content", cache, parallel=True)
    assert [p.title for p in forked.papers] == [p.title for p in serial.papers]
    assert forked.papers == serial.papers
    assert all(p.derived.get("summary") for p in forked.papers)
    assert sorted(cache) == sorted(str(p.path.relative_to(tmp_path)) for p in forked.papers
                                   if p.path)

