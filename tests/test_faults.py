"""Fault injection: killed builds, unwritable output, re-imports over hand edits, determinism.

- A build of a 300-paper site is killed with SIGKILL at seeded random moments,
  for a full rebuild (a template change) and for a one-paper edit. After each
  kill the previous site must be byte-identical (or, if the kill came after
  the atomic swap, the complete new site; or, inside the documented
  millisecond move of a small patch, every file either its old or its new
  version with the journal in place), and the next plain build must give
  exactly the site a clean build gives.
- An output that cannot be written (``chattr +i``, which binds root too, or
  ``OSError`` injected into an in-process build) must fail with a clear
  message, no traceback, and the previous site byte-identical.
- Re-importing a listing over 100 hand-edited content files changes none of
  them (bytes and modification times).
- Two clean builds of the example site into different folders are
  byte-identical.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sitegen.cli import main

REPO = Path(__file__).resolve().parent.parent
SEED = 20240305
PAPERS = 300
KILLS = 10  # per scenario (plus the targeted kills below)
STAGING = ".out.sitegen-staging"
OUTCOMES: Counter[str] = Counter()
WORDS = ["memory", "retrieval", "agents", "language", "model", "reasoning", "benchmark",
         "vision", "alignment", "sparse", "attention", "routing", "transformer", "dialogue",
         "long", "context", "tokens", "scaling"]


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (symbolic links by target)."""
    files: dict[str, bytes] = {}
    if not folder.exists():
        return files
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            rel = path.relative_to(folder).as_posix()
            files[rel] = (b"link:" + os.fsencode(os.readlink(path)) if path.is_symlink()
                          else path.read_bytes())
    return files


def differences(left: dict[str, bytes], right: dict[str, bytes]) -> str:
    only_left = sorted(set(left) - set(right))
    only_right = sorted(set(right) - set(left))
    changed = sorted(k for k in set(left) & set(right) if left[k] != right[k])
    return (f"missing {only_left[:5]} ({len(only_left)}), extra {only_right[:5]} "
            f"({len(only_right)}), changed {changed[:5]} ({len(changed)})")


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``sitegen ARGS`` in this process; an escaping exception comes back as its traceback."""
    capsys.readouterr()
    try:
        code = main([str(a) for a in args])
    except BaseException:  # noqa: BLE001 - a crash is what these tests look for
        code = -1
        out, err = capsys.readouterr()
        return code, out, err + traceback.format_exc()
    out, err = capsys.readouterr()
    return code, out, err


def write_papers(folder: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        title = " ".join(rng.choice(WORDS) for _ in range(6)).title() + f" {n}"
        body = "\n\n".join(" ".join(rng.choice(WORDS) for _ in range(70)) for _ in range(3))
        tags = ", ".join(sorted({rng.choice(WORDS), rng.choice(WORDS)}))
        (folder / f"paper-{n:03d}.md").write_text(
            f"---\ntitle: {title}\ndate: 20{rng.randint(20, 25)}-{rng.randint(1, 12):02d}-"
            f"{rng.randint(1, 28):02d}\nauthors: [Ada Lovelace, Alan Turing]\ntags: [{tags}]\n"
            f"upvotes: {rng.randint(0, 500)}\n---\n\n{body} $x_{n}^2$\n", encoding="utf-8")


# ---------------------------------------------------------------- killed builds


class Scenario:
    """A site built once (the previous site), then changed; kills hit the next build."""

    def __init__(self, root: Path, name: str) -> None:
        self.root = root / name
        self.site = self.root / "site"
        self.out = self.root / "out"
        self.name = name
        (self.site / "content").mkdir(parents=True)
        (self.site / "sitegen.toml").write_text(
            'title = "Fault injection"\nbase_url = "https://example.org/faults/"\n'
            "search = true\n", encoding="utf-8")
        write_papers(self.site / "content" / "papers", PAPERS, SEED)

    def args(self) -> list[str]:
        return ["build", "--site", str(self.site), "--output", str(self.out), "-q"]

    def change(self) -> None:
        if self.name == "full-rebuild":
            base = (REPO / "themes" / "default" / "templates" / "base.html").read_text("utf-8")
            (self.site / "templates").mkdir(exist_ok=True)
            (self.site / "templates" / "base.html").write_text(
                base.replace("</body>", "<!-- a template change: every page changes -->\n"
                                        "</body>"), encoding="utf-8")
        else:
            paper = self.site / "content" / "papers" / "paper-007.md"
            paper.write_text(paper.read_text("utf-8") + "\nOne more sentence.\n", "utf-8")

    def prepare(self) -> None:
        """Build the previous site, keep a pristine copy, build the expected new site."""
        assert main(self.args()) == 0
        self.old = tree(self.out)
        shutil.copytree(self.out, self.root / "pristine-out", symlinks=True)
        shutil.copytree(self.site / ".sitegen-cache", self.root / "pristine-cache")
        self.change()
        reference = self.root / "reference"
        shutil.copytree(self.site, reference / "site", ignore=shutil.ignore_patterns(
            ".sitegen-cache"))
        assert main(["build", "--site", str(reference / "site"), "--output",
                     str(reference / "out"), "-q", "--clean"]) == 0
        self.new = tree(reference / "out")
        assert self.new != self.old

    def restore(self) -> None:
        """Put the previous site and its cache back (as after the first build)."""
        # The output is restored as hard links: sitegen never writes into a live file (it
        # writes new files and renames them), and if it did, comparing with the bytes kept
        # in self.old would show it. The cache is rewritten in place, so it is copied.
        for path, pristine, link in ((self.out, "pristine-out", True),
                                     (self.site / ".sitegen-cache", "pristine-cache", False)):
            if path.exists():
                shutil.rmtree(path)
            shutil.copytree(self.root / pristine, path, symlinks=True,
                            copy_function=os.link if link else shutil.copy2)
        for stray in (STAGING, ".out.sitegen-old"):
            if (self.root / stray).exists():
                shutil.rmtree(self.root / stray)

    def timed_run(self) -> float:
        """An uninterrupted build in a child process; returns its duration."""
        self.restore()
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "sitegen.cli", *self.args()],
                              capture_output=True, text=True, timeout=300, check=False)
        elapsed = time.perf_counter() - started
        assert done.returncode == 0, done.stderr
        assert tree(self.out) == self.new, differences(tree(self.out), self.new)
        return elapsed


def descendants(pid: int) -> list[int]:
    """Child processes of ``pid`` (and theirs), from /proc."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


def wait_gone(pids: list[int], timeout: float = 60.0) -> None:
    """Wait for processes left behind by a killed build to finish on their own."""
    deadline = time.monotonic() + timeout
    for pid in pids:
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
            except OSError:
                break
            if state == "Z":
                break
            time.sleep(0.02)


def classify(scenario: Scenario, after: dict[str, bytes]) -> str:
    """How the output looks after a kill.

    "old", "new" and "mid-patch" (inside the journaled move of a small patch:
    every file its old or its new version, the journal in place) are what the
    design promises; anything else is "broken".
    """
    if after == scenario.old:
        return "old"
    if after == scenario.new:
        return "new"
    journal = scenario.root / STAGING / ".sitegen-journal.json"
    mixed = all(after[k] in (scenario.old.get(k), scenario.new.get(k)) for k in after)
    if journal.is_file() and mixed and set(scenario.new) <= set(after) | set(scenario.old):
        return "mid-patch"
    return "broken: " + differences(scenario.old, after)



@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scenario]:
    root = tmp_path_factory.mktemp("faults")
    made = {}
    for name in ("full-rebuild", "one-paper-edit"):
        scenario = Scenario(root, name)
        scenario.prepare()
        made[name] = scenario
    return made


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    """SIGKILL the build and the processes it started (Pagefind), as a power cut would."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait(timeout=60)


@pytest.mark.parametrize("name", ["full-rebuild", "one-paper-edit"])
def test_a_killed_build_keeps_the_previous_site_and_the_next_build_is_right(
        name: str, scenarios: dict[str, Scenario], capsys: pytest.CaptureFixture[str]) -> None:
    scenario = scenarios[name]
    duration = scenario.timed_run()
    rng = random.Random(f"{SEED}-{name}")
    outcomes = []
    for number in range(KILLS):
        scenario.restore()
        delay = rng.uniform(0.05, 1.1) * duration
        child = subprocess.Popen([sys.executable, "-m", "sitegen.cli", *scenario.args()],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 start_new_session=True)
        time.sleep(delay)
        _kill_group(child)
        assert child.stderr is not None
        stderr = child.stderr.read().decode("utf-8", "replace")
        child.stderr.close()
        assert "Traceback" not in stderr, stderr
        outcome = classify(scenario, tree(scenario.out))
        outcomes.append((number, round(delay, 3), child.returncode, outcome))
        OUTCOMES[f"kill during {name}: {outcome.split(':')[0]}"] += 1
        assert not outcome.startswith("broken"), outcomes
        # The next build, started at once (as a person would), must finish the job.
        code, _, err = run_main(scenario.args(), capsys)
        assert code == 0, err
        after = tree(scenario.out)
        assert after == scenario.new, f"kill {number} at {delay:.3f} s: " \
                                      f"{differences(scenario.new, after)}"
        assert not (scenario.root / STAGING).exists()
    print(f"\n{name}: an uninterrupted build takes {duration:.2f} s; kills (number, delay s, "
          f"exit status, output after the kill): {outcomes}")


# A child build that SIGKILLs itself at one exact point, for the races above made certain.
HOOKED_BUILD = """
import os, signal, sys
import sitegen.publish, sitegen.outputs.search
from sitegen.cli import main

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

point = sys.argv[1]
if point == "before-search-index":
    sitegen.outputs.search.index_parts = die
elif point == "deleting-old-tree":
    # Once the new tree is swapped in, the old one is deleted. Directory order decides when
    # its marker file goes; make it go first (as it may on any file system), and die right
    # after it is unlinked, while the rest of the old tree is still there.
    armed = []
    real_exchange, real_scandir, real_unlink = sitegen.publish._exchange, os.scandir, os.unlink

    class Listing:
        def __init__(self, entries):
            self.entries = iter(entries)
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return False
        def __iter__(self):
            return self
        def __next__(self):
            return next(self.entries)
        def close(self):
            pass

    def exchange(staging, out):
        done = real_exchange(staging, out)
        armed.append(True)
        return done

    def scandir(*args, **kwargs):
        with real_scandir(*args, **kwargs) as found:
            entries = list(found)
        if armed:
            entries.sort(key=lambda entry: entry.name != sitegen.publish.MARKER)
        return Listing(entries)

    def unlink(path, *args, **kwargs):
        real_unlink(path, *args, **kwargs)
        if armed and os.path.basename(os.fsdecode(path)) == sitegen.publish.MARKER:
            die()

    sitegen.publish._exchange, os.scandir, os.unlink = exchange, scandir, unlink
sys.exit(main(sys.argv[2:]))
"""


def _hooked_build(scenario: Scenario, point: str) -> int:
    scenario.restore()
    done = subprocess.run([sys.executable, "-c", HOOKED_BUILD, point, *scenario.args()],
                          capture_output=True, text=True, timeout=300, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode


@pytest.mark.parametrize("name", ["full-rebuild", "one-paper-edit"])
def test_a_build_killed_before_its_search_index_keeps_the_previous_site(
        name: str, scenarios: dict[str, Scenario]) -> None:
    scenario = scenarios[name]
    assert _hooked_build(scenario, "before-search-index") == -signal.SIGKILL
    OUTCOMES["kill before the search index"] += 1
    after = tree(scenario.out)
    assert after == scenario.old, differences(scenario.old, after)


def test_a_build_killed_while_deleting_the_old_tree_does_not_block_the_next(
        scenarios: dict[str, Scenario], capsys: pytest.CaptureFixture[str]) -> None:
    scenario = scenarios["full-rebuild"]
    assert _hooked_build(scenario, "deleting-old-tree") == -signal.SIGKILL
    OUTCOMES["kill while deleting the old tree"] += 1
    assert tree(scenario.out) == scenario.new  # the swap itself was atomic
    code, _, err = run_main(scenario.args(), capsys)
    assert code == 0, err
    assert tree(scenario.out) == scenario.new
    assert not (scenario.root / STAGING).exists()


def test_a_build_killed_while_pagefind_runs_does_not_spoil_the_next(
        scenarios: dict[str, Scenario], capsys: pytest.CaptureFixture[str]) -> None:
    scenario = scenarios["full-rebuild"]
    failures, caught = [], 0
    for attempt in range(3):
        scenario.restore()
        child = subprocess.Popen([sys.executable, "-m", "sitegen.cli", *scenario.args()],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        pagefind: list[int] = []
        while not pagefind and child.poll() is None and time.monotonic() < deadline:
            pagefind = [p for p in descendants(child.pid)
                        if "pagefind" in Path(f"/proc/{p}/comm").read_text(errors="replace")]
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)  # the build only: `kill -9 <pid>`
        child.wait(timeout=60)
        caught += bool(pagefind)
        OUTCOMES["kill while pagefind runs"] += 1
        code, _, err = run_main(scenario.args(), capsys)
        wait_gone(pagefind)
        if code != 0 or tree(scenario.out) != scenario.new:
            failures.append((attempt, code, err[-300:],
                             differences(scenario.new, tree(scenario.out))))
    if not caught:
        pytest.skip("Pagefind was never seen running (no /proc/PID/task/TID/children here?)")
    assert not failures, failures


# ---------------------------------------------------------------- killed workers

WORKER_PAPERS = 4000  # parsed and rendered by forked workers, over a few seconds


@pytest.fixture(scope="module")
def worker_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A site large enough for parse and render workers, built once (the previous site)."""
    root = tmp_path_factory.mktemp("workers")
    site, out = root / "site", root / "out"
    (site / "content").mkdir(parents=True)
    (site / "sitegen.toml").write_text('title = "Workers"\nsearch = false\n', "utf-8")
    write_papers(site / "content" / "papers", WORKER_PAPERS, SEED)
    done = subprocess.run([sys.executable, "-m", "sitegen.cli", "build", "--site", str(site),
                           "--output", str(out), "-q"], capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    return site, out


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie has ended, only not yet been reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["parse", "render"])
def test_a_killed_worker_fails_the_build_at_once_and_keeps_the_previous_site(
        stage: str, worker_site: tuple[Path, Path]) -> None:
    """SIGKILL (as the out-of-memory killer sends) one forked worker of a clean build: the
    build must end within seconds with exit status 1 and a message naming the worker,
    leave no process behind, and leave the previous site as it was."""
    from sitegen.parallel import workers

    if workers() < 2:
        pytest.skip("one usable core: no workers are forked")
    site, out = worker_site
    before = tree(out)
    staging = out.parent / ".out.sitegen-staging"
    child = subprocess.Popen([sys.executable, "-m", "sitegen.cli", "build", "--site", str(site),
                              "--output", str(out), "-q", "--clean"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    seen: set[int] = set()
    victim = None
    try:
        deadline = time.monotonic() + 120
        while victim is None and child.poll() is None and time.monotonic() < deadline:
            found = descendants(child.pid)
            seen.update(found)
            # Render workers are forked once the staging tree exists, parse workers before.
            if found and staging.exists() == (stage == "render"):
                victim = found[0]
                os.kill(victim, signal.SIGKILL)
            time.sleep(0.002)
        assert victim is not None, f"no {stage} worker was seen (the build ended first)"
        killed = time.monotonic()
        _, stderr = child.communicate(timeout=30)
        elapsed = time.monotonic() - killed
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
    OUTCOMES[f"killed {stage} worker"] += 1
    assert child.returncode == 1, stderr
    assert elapsed < 10, f"the build took {elapsed:.1f} s to notice its dead worker"
    assert "Traceback" not in stderr, stderr
    assert (f"build failed: a {stage} worker (pid {victim}) was killed by signal 9"
            in stderr), stderr
    assert "the previous site was kept" in stderr, stderr
    left = [pid for pid in seen if _alive(pid)]
    assert not left, f"processes left behind: {left}"
    assert not staging.exists()
    after = tree(out)
    assert after == before, differences(before, after)


# ---------------------------------------------------------------- unwritable output


SMALL_CONFIG = 'base_url = "https://example.org/"\nsearch = false\n'


@pytest.fixture
def small_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """A built 40-paper site in ``work/site`` with its output in ``work/out``."""
    site = tmp_path / "work" / "site"
    (site / "content").mkdir(parents=True)
    (site / "sitegen.toml").write_text(f'title = "Small"\n{SMALL_CONFIG}', encoding="utf-8")
    write_papers(site / "content" / "papers", 40, SEED)
    out = tmp_path / "work" / "out"
    code, _, err = run_main(["build", "--site", site, "--output", out, "-q"], capsys)
    assert code == 0, err
    return site, out


def _chattr(flag: str, path: Path) -> bool:
    if shutil.which("chattr") is None:
        return False
    done = subprocess.run(["chattr", flag, str(path)], capture_output=True, check=False)
    return done.returncode == 0


def _edit(site: Path, how: str) -> None:
    if how == "one paper":
        paper = site / "content" / "papers" / "paper-003.md"
        paper.write_text(paper.read_text("utf-8") + "\nAn edit.\n", "utf-8")
    else:
        (site / "sitegen.toml").write_text(f'title = "Renamed"\n{SMALL_CONFIG}', "utf-8")


@pytest.mark.parametrize("locked", ["output's parent", "output"])
@pytest.mark.parametrize("how", ["one paper", "every page"])
def test_an_immutable_output_fails_cleanly(locked: str, how: str, small_site: tuple[Path, Path],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    site, out = small_site
    before = tree(out.parent)
    _edit(site, how)
    target = out.parent if locked == "output's parent" else out
    if not _chattr("+i", target):
        pytest.skip("chattr +i is not available here (needs root and ext2/3/4 or similar)")
    try:
        code, stdout, stderr = run_main(["build", "--site", site, "--output", out, "-q"], capsys)
    finally:
        _chattr("-i", target)
    OUTCOMES["unwritable output"] += 1
    after = tree(out.parent)
    assert "Traceback" not in stderr, stderr[-800:]
    assert code == 1
    assert "Operation not permitted" in stderr and str(out.parent) in stderr
    assert {k: v for k, v in after.items() if k.startswith("out/")} == \
        {k: v for k, v in before.items() if k.startswith("out/")}


def _failing(real: Callable[..., Any], after: int, code: int) -> Callable[..., Any]:
    calls = {"n": 0}

    def fail(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError(code, os.strerror(code), str(args[0]) if args else "")
        return real(*args, **kwargs)

    return fail


@pytest.mark.parametrize("fault", ["read-only file system", "disk full after 100 files",
                                   "hard links refused"])
def test_an_output_write_error_keeps_the_previous_site(
        fault: str, small_site: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import sitegen.publish

    site, out = small_site
    before = tree(out)
    _edit(site, "every page")
    if fault == "read-only file system":
        monkeypatch.setattr(sitegen.publish.Path, "mkdir",
                            _failing(sitegen.publish.Path.mkdir, 0, errno.EROFS))
    elif fault == "disk full after 100 files":
        monkeypatch.setattr(sitegen.publish.Staging, "write",
                            _failing(sitegen.publish.Staging.write, 100, errno.ENOSPC))
    else:
        monkeypatch.setattr(sitegen.publish.os, "link", _failing(os.link, 0, errno.EPERM))
        monkeypatch.setattr(sitegen.publish.Staging, "write",
                            _failing(sitegen.publish.Staging.write, 10, errno.EPERM))
    code, _, stderr = run_main(["build", "--site", site, "--output", out, "-q"], capsys)
    monkeypatch.undo()
    OUTCOMES["write errors"] += 1
    assert "Traceback" not in stderr, stderr[-800:]
    assert code == 1
    reason = {"read-only file system": errno.EROFS, "disk full after 100 files": errno.ENOSPC,
              "hard links refused": errno.EPERM}[fault]
    assert os.strerror(reason) in stderr
    assert tree(out) == before
    assert not (out.parent / STAGING).exists()


# ---------------------------------------------------------------- re-import over hand edits


def _listing(count: int) -> str:
    rng = random.Random(SEED)
    blocks = ["Daily Papers", "Jan 9"]
    for n in range(count):
        title = " ".join(rng.choice(WORDS) for _ in range(5)).title() + f" Number {n}"
        abstract = " ".join(rng.choice(WORDS) for _ in range(40)) + "."
        blocks += [title, abstract, f"  • {rng.randint(1, 30)} authors\n·\n"
                                    f"Jan {rng.randint(1, 8)}, 2026 {rng.randint(0, 40)}"]
    return "\n\n".join(blocks) + "\n"


def _hand_edit(path: Path, kind: int) -> None:
    text = path.read_text("utf-8")
    front, _, body = text[4:].partition("\n---\n")
    lines = front.split("\n")
    if kind == 0:
        lines = [f"title: My own title for {path.stem}" if ln.startswith("title:") else ln
                 for ln in lines]
    elif kind == 1:
        body = "\n\nI rewrote this abstract by hand.\n"
    elif kind == 2:
        lines.append("tags: [mine, reading-list]")
    elif kind == 3:
        lines = ["comments: 999" if ln.startswith("comments:") else ln for ln in lines]
    elif kind == 4:
        lines = ["author_count: 77" if ln.startswith("author_count:") else ln for ln in lines]
    elif kind == 5:
        lines = [ln for ln in lines if not ln.startswith("comments:")]
    elif kind == 6:
        lines = ["# fields in my own order", *reversed([ln for ln in lines if ln and
                                                       not ln.startswith((" ", "-"))]),
                 *[ln for ln in lines if ln.startswith((" ", "-"))]]
        lines = [ln for ln in lines if not ln.startswith(("source:", "imported:", " ", "-"))]
        lines += [ln for ln in front.split("\n") if ln.startswith(("source:", "imported:",
                                                                   " ", "-"))]
    elif kind == 7:
        lines.append("notes: read this one twice")
    elif kind == 8:
        lines = ["date: 2020-02-02" if ln.startswith("date:") else ln for ln in lines]
    text = "---\n" + "\n".join(lines) + "\n---\n" + body
    if kind == 9:
        text = text.replace("\n", "\r\n")
    path.write_bytes(text.encode("utf-8"))


def test_reimport_over_hand_edited_files_changes_none(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitegen.toml").write_text("", encoding="utf-8")
    listing = tmp_path / "hf-daily-papers-2026-01-09.txt"
    listing.write_text(_listing(100), encoding="utf-8")
    code, out, err = run_main(["import", "--site", site, listing], capsys)
    assert code == 0, err
    papers = sorted((site / "content" / "papers").glob("*.md"))
    assert len(papers) == 100, out
    for number, path in enumerate(papers):
        _hand_edit(path, number % 10)
        os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000 + number))
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in papers}
    code, out, err = run_main(["build", "--site", site, "--output", tmp_path / "out", "-q"],
                              capsys)
    assert code == 0, err  # every hand edit is valid content
    code, out, err = run_main(["import", "--site", site, listing], capsys)
    assert code == 0, err
    assert "Traceback" not in err
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns)
             for p in (site / "content" / "papers").glob("*.md")}
    changed = sorted(name for name in before if after.get(name) != before[name])
    assert sorted(after) == sorted(before)
    assert changed == [], f"{len(changed)} hand-edited files were rewritten: {changed[:10]}"
    assert "imported: 0 added, 0 updated, 0 merged, 100 unchanged" in out
    assert out.count("kept hand edits: ") >= 40  # edits of fields the listing also gives
    OUTCOMES["re-imported hand-edited files"] += len(before)


# ---------------------------------------------------------------- determinism


def _copy_example(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for part in ("sitegen.toml", "content", "templates", "static", "themes"):
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=shutil.ignore_patterns(".sitegen-cache"))
        elif source.is_file():
            shutil.copy2(source, dest / part)
    return dest


def test_two_clean_builds_of_the_example_site_are_identical(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    outputs = []
    for name in ("first", "second-copy-elsewhere"):
        site = _copy_example(tmp_path / name / "site")
        out = tmp_path / name / "public"
        code, _, err = run_main(["build", "--site", site, "--output", out, "-q", "--clean"],
                                capsys)
        assert code == 0, err
        outputs.append(tree(out))
    assert len(outputs[0]) > 50
    assert outputs[0] == outputs[1], differences(outputs[0], outputs[1])
    text = b"".join(outputs[0].values())
    assert str(tmp_path).encode() not in text  # no absolute build paths leak into the site


def test_fault_counts() -> None:
    total = sum(OUTCOMES.values())
    print(f"\nfaults injected: {total} (kind: outcome -> count: {dict(sorted(OUTCOMES.items()))})")

