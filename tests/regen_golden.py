"""Rebuild the golden output of the fixture site ``tests/sites/golden/``.

Usage, from the repository root::

    python -m tests.regen_golden          # rewrite tests/golden/site/ completely
    python -m tests.regen_golden --check  # only report differences (exit 1 if any)

The fixture site is copied to a temporary folder and built there with
``sitegen build --clean`` (so no build cache is written into the repository),
then ``tests/golden/site/`` is replaced by the result, file for file. Review
the change with ``git diff tests/golden`` before committing it.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import sys
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

TESTS = Path(__file__).resolve().parent
GOLDEN_SITE = TESTS / "sites" / "golden"
GOLDEN_OUTPUT = TESTS / "golden" / "site"
MAX_DIFF_LINES = 40


def build_golden(workdir: Path) -> Path:
    """Build a copy of the golden fixture site under ``workdir``; returns the output folder."""
    from sitegen.cli import main

    site = workdir / "golden-site"
    out = workdir / "golden-out"
    shutil.copytree(GOLDEN_SITE, site, ignore=shutil.ignore_patterns(".sitegen-cache"))
    with redirect_stdout(sys.stderr):
        code = main(["build", "--site", str(site), "--output", str(out), "--clean", "-q"])
    if code != 0:
        raise SystemExit(f"building the golden site failed with exit code {code}")
    return out


def read_tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative POSIX path."""
    files: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def _file_diff(name: str, expected: bytes, actual: bytes) -> list[str]:
    try:
        old = expected.decode("utf-8").splitlines()
        new = actual.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return [f"--- golden/{name} ({len(expected)} bytes)",
                f"+++ built/{name} ({len(actual)} bytes): binary files differ"]
    lines = list(difflib.unified_diff(old, new, f"golden/{name}", f"built/{name}", lineterm=""))
    if not lines:  # same lines: only line endings or a final newline differ
        lines = [f"--- golden/{name}", f"+++ built/{name}",
                 f"same text lines; bytes differ (golden {expected[-20:]!r}, "
                 f"built {actual[-20:]!r} at the end)"]
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + [f"... ({len(lines) - MAX_DIFF_LINES} more diff lines)"]
    return lines


def compare(golden: dict[str, bytes], built: dict[str, bytes]) -> list[str]:
    """Readable differences between the golden tree and a fresh build ([] when identical)."""
    report: list[str] = []
    for name in sorted(set(golden) - set(built)):
        report.append(f"missing from the build: {name}")
    for name in sorted(set(built) - set(golden)):
        report.append(f"new in the build (not in the golden output): {name}")
    for name in sorted(set(golden) & set(built)):
        if golden[name] != built[name]:
            report.extend(_file_diff(name, golden[name], built[name]))
    return report


def regenerate(check: bool = False) -> int:
    """Rewrite (or with ``check`` only compare) ``tests/golden/site/``."""
    with tempfile.TemporaryDirectory(prefix="sitegen-golden-") as tmp:
        out = build_golden(Path(tmp))
        old = read_tree(GOLDEN_OUTPUT) if GOLDEN_OUTPUT.is_dir() else {}
        new = read_tree(out)
        differences = compare(old, new)
        if check:
            print("\n".join(differences) if differences else "golden output is up to date")
            return 1 if differences else 0
        if GOLDEN_OUTPUT.exists():
            shutil.rmtree(GOLDEN_OUTPUT)
        GOLDEN_OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(out, GOLDEN_OUTPUT)
    changed = sum(1 for name in set(old) | set(new) if old.get(name) != new.get(name))
    print(f"rewrote {GOLDEN_OUTPUT.relative_to(TESTS.parent)}/ with {len(new)} files "
          f"({changed} added, removed or changed)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.regen_golden",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare only; exit 1 when the golden output is out of date")
    args = parser.parse_args(argv)
    return regenerate(check=args.check)


if __name__ == "__main__":
    sys.exit(main())
