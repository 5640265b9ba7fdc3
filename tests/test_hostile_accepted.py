"""Hostile input that must build, safely: TeX injection, quadratic time, listing order.

Every case under ``tests/hostile/accepted/`` (see its ``README.md``) is built
by the real command line in a child process from a copy of the corpus's base
site, within its time limit, with exactly its expected standard error; then
the checks its ``case.toml`` names run on the built site: ``papers.bib``
through bibtex and pdflatex (no secret read, no command run, no file
written), strings absent from ``papers.bib``, and a second build onto tmpfs
that must be byte-identical.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path
from typing import Any

import pytest
from test_bibtex_tex import DOCUMENT, SECRET, compile_bib, require_tex

HOSTILE = Path(__file__).resolve().parent / "hostile"
ACCEPTED = HOSTILE / "accepted"
META = ("expected.txt", "case.toml", "README.md")
KEYS = {"seconds", "generate", "search", "tex", "bib_excludes", "deterministic"}
MIN_CASES = 20
TEX_FILES = {"papers.bib", "paper.tex", "paper.aux", "paper.log", "paper.bbl", "paper.blg",
             "paper.pdf", "paper.out"}


def _cases() -> list[str]:
    return sorted(p.name for p in ACCEPTED.iterdir() if p.is_dir())


def _spec(case: Path) -> dict[str, Any]:
    return tomllib.loads((case / "case.toml").read_text("utf-8"))


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _copy_case(case: Path, papers: Path, secret: Path, marker: Path) -> None:
    for source in sorted(case.rglob("*")):
        rel = source.relative_to(case)
        if not source.is_file() or rel.as_posix() in META:
            continue
        target = papers / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text("utf-8")
        text = text.replace("{secret}", secret.with_suffix("").as_posix())
        target.write_text(text.replace("{marker}", marker.as_posix()), encoding="utf-8")


def _generate(papers: Path, spec: dict[str, Any]) -> None:
    for item in spec.get("generate", []):
        body = "".join(str(text) * int(count) for text, count in item["parts"])
        head = f"---\ntitle: {item['title']}\ndate: 2024-03-05\n---\n\n"
        (papers / item["file"]).write_text(head + body + "\n", encoding="utf-8")


def _build(site: Path, out: str, seconds: float) -> tuple[int, str, str, float]:
    env = {**os.environ}
    env.pop("PYTHONWARNINGS", None)
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "sitegen.cli", "build", "--output", out,
                               "-q"], cwd=site, env=env, capture_output=True, text=True,
                              timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the build took more than {seconds} s")
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


@pytest.mark.parametrize("name", _cases())
def test_accepted_case(name: str, tmp_path: Path) -> None:
    case = ACCEPTED / name
    spec = _spec(case)
    if spec.get("tex"):
        require_tex()
    secret = tmp_path / "secret.tex"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    marker = tmp_path / "marker"
    site = tmp_path / "project" / "site"
    shutil.copytree(HOSTILE / "base", site)
    if spec.get("search"):
        config = site / "sitegen.toml"
        config.write_text(config.read_text("utf-8").replace("search = false", "search = true"),
                          encoding="utf-8")
    papers = site / "content" / "papers"
    _copy_case(case, papers, secret, marker)
    _generate(papers, spec)

    code, stdout, stderr, _ = _build(site, "../out", float(spec.get("seconds", 120)))
    assert "Traceback" not in stderr, stderr
    assert (code, stdout) == (0, ""), stderr
    assert stderr.splitlines() == (case / "expected.txt").read_text("utf-8").splitlines()
    out = site.parent / "out"
    bib = (out / "papers.bib").read_text("utf-8")
    for text in spec.get("bib_excludes", []):
        assert text not in bib, text
    if spec.get("search"):
        assert (out / "pagefind" / "pagefind-entry.json").is_file()
    if spec.get("tex"):
        _check_tex(tmp_path, bib, marker)
    if spec.get("deterministic"):
        _check_deterministic(site, out)


def _check_tex(tmp_path: Path, bib: str, marker: Path) -> None:
    work = tmp_path / "tex"
    work.mkdir()
    (work / "papers.bib").write_text(bib, encoding="utf-8")
    (work / "paper.tex").write_text(DOCUMENT, encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    text, logs = compile_bib(work)
    assert SECRET not in "".join(text.split()) and SECRET not in logs
    assert not marker.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert {p.name for p in work.iterdir()} <= TEX_FILES
    entries = bib.count("@misc{")  # every entry, the hostile ones too, is printed
    assert (work / "paper.bbl").read_text(errors="replace").count("\\bibitem") == entries
    assert f"[{entries}]" in text


def _check_deterministic(site: Path, out: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        pytest.skip("needs a writable /dev/shm")
    other = shm / f"sitegen-accepted-{uuid.uuid4().hex}"
    try:
        code, _, stderr, _ = _build(site, str(other / "out"), 120)
        assert code == 0, stderr
        assert _tree(other / "out") == _tree(out)
    finally:
        shutil.rmtree(other, ignore_errors=True)


def test_accepted_corpus_layout() -> None:
    names = _cases()
    print(f"\naccepted hostile corpus: {len(names)} cases")
    assert len(names) >= MIN_CASES
    for name in names:
        case = ACCEPTED / name
        assert (case / "expected.txt").is_file(), name
        spec = _spec(case)
        assert set(spec) <= KEYS, (name, spec)
        inputs = [p for p in case.rglob("*.md") if p.name != "README.md"]
        assert inputs or spec.get("generate"), f"{name} has no input"
