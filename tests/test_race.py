"""Processes that race on one site: builds, imports and a preview writing the same output.

Every round starts two or three real ``sitegen`` processes on the same site at
random offsets (seeded, so a failing round can be replayed), waits for them,
then compares the published output, file by file, with a clean build of the
content as it stands in a fresh copy of the site; then one more ``sitegen
build`` must leave it equal too (the cache must not believe something false).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("SITEGEN_RACE_SEED", "20261206"))
BASE = "https://race.example.org/papers/"
PAPERS = 14  # enough papers for a few hundred files; few enough for quick rounds


def _sitegen(*args: object) -> list[str]:
    return [sys.executable, "-m", "sitegen", *map(str, args)]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    return env


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "content" / "papers").mkdir(parents=True)
    for path in sorted((REPO / "content" / "papers").glob("*.md"))[:PAPERS]:
        shutil.copy(path, root / "content" / "papers" / path.name)
    (root / "sitegen.toml").write_text(f'title = "Race"\nbase_url = "{BASE}"\nper_page = 4\n',
                                       encoding="utf-8")
    return root


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _reference(site: Path, scratch: Path) -> dict[str, bytes]:
    """A clean build of the site's content as it stands now, in a copy of the site."""
    copy = scratch / "reference"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("public", ".sitegen-cache"))
    subprocess.run(_sitegen("build", "--site", copy, "-q"), check=True, env=_env(), timeout=120)
    return _tree(copy / "public")


def _assert_same(site: Path, scratch: Path, label: str) -> None:
    want, got = _reference(site, scratch), _tree(site / "public")
    differing = sorted(p for p in want.keys() | got.keys() if want.get(p) != got.get(p))
    assert not differing, f"{label}: {len(differing)} files differ from a clean build, " \
                          f"e.g. {differing[:5]}"


def _edit(site: Path, rng: random.Random, round_no: int) -> None:
    """Change one paper's title, so that each round has something to build."""
    papers = sorted((site / "content" / "papers").glob("*.md"))
    path = rng.choice(papers)
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("title:"):
            lines[index] = f"title: 'Round {round_no}: {path.stem}'"
            break
    path.write_text("\n".join(lines), encoding="utf-8")


def _race(commands: list[list[str]], rng: random.Random, cwd: Path) -> list[tuple[int, str]]:
    """Start each command after a random offset (0-0.6 s); return exit codes and stderr."""
    procs = []
    for command in commands:
        time.sleep(rng.uniform(0, 0.6 / len(commands)))
        procs.append(subprocess.Popen(command, cwd=cwd, env=_env(), stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True))
    return [(proc.wait(timeout=300), proc.communicate()[1]) for proc in procs]


def _check_all_succeeded(results: list[tuple[int, str]], label: str) -> None:
    for code, err in results:
        assert code == 0, f"{label}: exit {code}: {err}"


def test_racing_builds_always_publish_a_correct_site(site: Path, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    for round_no in range(20):
        if round_no % 3 == 1:
            _edit(site, rng, round_no)
        count = rng.choice((2, 3))
        clean = [["--clean"] if rng.random() < 0.3 else [] for _ in range(count)]
        results = _race([_sitegen("build", "--site", site, "-q", *c) for c in clean],
                        rng, tmp_path)
        label = f"round {round_no} (seed {SEED})"
        _check_all_succeeded(results, label)
        _assert_same(site, tmp_path, label)
    subprocess.run(_sitegen("build", "--site", site, "-q"), check=True, env=_env(), timeout=120)
    _assert_same(site, tmp_path, "the build after the last round")


def _listing_halves(tmp_path: Path) -> tuple[Path, Path]:
    """The example listing cut in two between papers: two inputs with different papers."""
    text = (REPO / "examples" / "hf-daily-papers-2026-01-09.txt").read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    ends = [i for i, block in enumerate(blocks) if "\n·\n" in block]  # a paper's last block
    cut = ends[len(ends) // 2] + 1
    head = "\n\n".join(blocks[:cut]) + "\n"
    chrome = "\n\n".join(blocks[:6])  # the page chrome and the date it was viewed
    tail = chrome + "\n\n" + "\n\n".join(blocks[cut:])
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text(head, encoding="utf-8")
    second.write_text(tail, encoding="utf-8")
    return first, second


def test_racing_imports_and_builds_lose_nothing(site: Path, tmp_path: Path) -> None:
    first, second = _listing_halves(tmp_path)
    # What the two imports give one after the other, in a copy of the site.
    serial = tmp_path / "serial"
    shutil.copytree(site, serial)
    for listing in (first, second):
        subprocess.run(_sitegen("import", "--site", serial, "-q", listing), check=True,
                       env=_env(), timeout=120)
    want = _tree(serial / "content")
    assert len(want) > PAPERS + 10
    rng = random.Random(SEED + 1)
    for round_no in range(10):
        shutil.rmtree(site / "content")
        shutil.copytree(REPO / "content" / "papers", site / "content" / "papers",
                        ignore=lambda _d, names: sorted(names)[PAPERS:])
        commands = [_sitegen("import", "--site", site, "-q", first),
                    _sitegen("import", "--site", site, "-q", second),
                    _sitegen("build", "--site", site, "-q")]
        rng.shuffle(commands)
        label = f"import round {round_no} (seed {SEED + 1})"
        _check_all_succeeded(_race(commands, rng, tmp_path), label)
        assert _tree(site / "content") == want, label
        subprocess.run(_sitegen("build", "--site", site, "-q"), check=True, env=_env(),
                       timeout=120)
        _assert_same(site, tmp_path, label)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _preview(site: Path, port: int) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(_sitegen("serve", "--site", site, "--output", site / "public",
                                     "--port", port, "-q"),
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            assert proc.poll() is None, proc.communicate()[1]
            time.sleep(0.1)
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_builds_racing_a_preview_on_the_same_output(site: Path, tmp_path: Path) -> None:
    """``sitegen serve --output public`` rebuilds on every save while builds run: the
    preview builds for its own address, so each build that follows must notice that
    the output is not what its cache says and put it right."""
    rng = random.Random(SEED + 2)
    with _preview(site, _free_port()):
        for round_no in range(10):
            _edit(site, rng, round_no)
            count = rng.choice((1, 2))
            results = _race([_sitegen("build", "--site", site, "-q") for _ in range(count)],
                            rng, tmp_path)
            label = f"preview round {round_no} (seed {SEED + 2})"
            _check_all_succeeded(results, label)
            time.sleep(rng.uniform(0, 0.5))
    subprocess.run(_sitegen("build", "--site", site, "-q"), check=True, env=_env(), timeout=120)
    _assert_same(site, tmp_path, "the build after the preview stopped")



def _damage(public: Path, rng: random.Random) -> list[str]:
    """Change the published site by hand: edit, truncate, delete and add files."""
    files = sorted(p for p in public.rglob("*") if p.is_file() and not p.name.startswith("."))
    edited, truncated, deleted = rng.sample(files, 3)
    with edited.open("ab") as handle:
        handle.write(b"<!-- edited by hand -->")
    truncated.write_bytes(b"")
    deleted.unlink()
    (public / "papers" / "stray.html").write_text("stray\n", encoding="utf-8")
    return [p.relative_to(public).as_posix() for p in (edited, truncated, deleted)]


def test_a_build_repairs_an_output_changed_by_hand(site: Path, tmp_path: Path) -> None:
    """The cache records what the output held; a build that finds otherwise rebuilds
    what differs instead of saying "nothing changed"."""
    rng = random.Random(SEED + 3)
    subprocess.run(_sitegen("build", "--site", site, "-q"), check=True, env=_env(), timeout=120)
    for round_no in range(3):
        changed = _damage(site / "public", rng)
        done = subprocess.run(_sitegen("build", "--site", site), env=_env(), timeout=120,
                              capture_output=True, text=True, check=True)
        assert "nothing changed" not in done.stdout, (changed, done.stdout)
        _assert_same(site, tmp_path, f"hand-edit round {round_no}: {changed}")


def test_a_cache_deleted_during_a_build_never_lies(site: Path, tmp_path: Path) -> None:
    rng = random.Random(SEED + 4)
    subprocess.run(_sitegen("build", "--site", site, "-q"), check=True, env=_env(), timeout=120)
    for round_no in range(5):
        _edit(site, rng, round_no)
        proc = subprocess.Popen(_sitegen("build", "--site", site, "-q", "--clean"), env=_env())
        time.sleep(rng.uniform(0.05, 0.5))
        shutil.rmtree(site / ".sitegen-cache" / "content", ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            (site / ".sitegen-cache" / "build.marshal").unlink()
        assert proc.wait(timeout=120) == 0
        _damage(site / "public", rng)
        subprocess.run(_sitegen("build", "--site", site, "-q"), check=True, env=_env(),
                       timeout=120)
        _assert_same(site, tmp_path, f"cache-deleted round {round_no}")


@pytest.mark.parametrize("search", [True, False], ids=["search", "no-search"])
def test_after_a_patch_build_the_record_still_covers_every_file(site: Path, tmp_path: Path,
                                                                 search: bool) -> None:
    """A small edit is published as a patch (without search: a changed paper page makes
    the index be built over a full tree) and only its files are stamped again; a
    same-size change by hand to any other file, search index included, is still seen."""
    rng = random.Random(SEED + 5)
    if not search:
        with (site / "sitegen.toml").open("a", encoding="utf-8") as config:
            config.write("search = false\n")
    subprocess.run(_sitegen("build", "--site", site, "-q"), check=True, env=_env(), timeout=120)
    for round_no in range(3):
        _edit(site, rng, round_no)
        subprocess.run(_sitegen("build", "--site", site, "-q"), check=True, env=_env(),
                       timeout=120)
        _assert_same(site, tmp_path, f"patch round {round_no}")
        files = sorted(p for p in (site / "public").rglob("*")
                       if p.is_file() and not p.name.startswith(".") and p.stat().st_size)
        victims = [rng.choice([p for p in files if "pagefind" not in p.parts])]
        if search:
            victims.append(rng.choice([p for p in files if "pagefind" in p.parts]))
        for victim in victims:
            data = bytearray(victim.read_bytes())
            data[0] ^= 1  # same size; the times move as any write moves them
            victim.write_bytes(bytes(data))
        done = subprocess.run(_sitegen("build", "--site", site), env=_env(), timeout=120,
                              capture_output=True, text=True, check=True)
        assert "nothing changed" not in done.stdout, done.stdout
        _assert_same(site, tmp_path, f"after hand edits, round {round_no}")
