"""Every test module has exactly one kind (``tests/kinds.py``), so ``-m KIND`` misses none."""

from __future__ import annotations

from pathlib import Path

from kinds import KINDS

TESTS = Path(__file__).resolve().parent


def test_every_test_module_has_one_kind() -> None:
    modules = sorted(p.stem for p in TESTS.glob("test_*.py"))
    listed = [module for names in KINDS.values() for module in names]
    assert sorted(set(listed)) == sorted(listed), "a module is listed under two kinds"
    missing = sorted(set(modules) - set(listed) - {"test_kinds"})
    assert not missing, f"no kind for {missing}: add them to tests/kinds.py"
    assert not set(listed) - set(modules), "tests/kinds.py names modules that do not exist"
