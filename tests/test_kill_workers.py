"""SIGKILL of a build at random moments: its forked workers die with it, at once, and
the staging folder it leaves is removed by the next build of either command.

A 100-paper site is built with the thresholds for forking lowered (the same
code paths a 2,000-paper site takes: parse and render workers), then rebuilt
from scratch 30 times and killed at a seeded random moment each time. Only the
main process is killed, as the out-of-memory killer or a closed terminal
would: the workers it forked must be gone within 100 ms (each recorded from
``/proc`` while the build ran). After a kill that left a staging folder, the
next ``sitegen build`` or ``sitegen serve`` (whose own output lies elsewhere)
must remove it (checked after every other trial, half of them by ``serve``),
and the site must be the one a clean build makes. Half the kills come at any
moment, half while the build renders into its staging folder.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_faults import descendants, tree, write_papers

from sitegen.parallel import workers

SEED = 20261206
TRIALS = 30
PAPERS = 100
GRACE = 0.1  # seconds within which every worker must be gone once the build has ended
STAGING = ".out.sitegen-staging"
# A build whose parse and render stages fork workers for a site this small.
FORKING_BUILD = """
import sys
import sitegen.content, sitegen.writer
sitegen.content.PARALLEL_PARSE = 20
sitegen.writer.PARALLEL_MIN = 20
from sitegen.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie has ended; only its exit status is left)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _build(site: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", FORKING_BUILD, "build", "--site", str(site),
                             "--output", str(out), "-q", "--clean"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def _serve_once(site: Path, staging: Path) -> None:
    """Start ``sitegen serve``; its first build must remove the leftover staging folder."""
    child = subprocess.Popen([sys.executable, "-m", "sitegen.cli", "serve", "--site", str(site),
                              "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        assert child.stdout is not None
        lines = []
        while not lines or not lines[-1].startswith("serving "):  # once the build is published
            line = child.stdout.readline()
            assert line, f"sitegen serve ended: {lines}"
            lines.append(line)
        assert not staging.exists(), "sitegen serve left the killed build's staging folder"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGINT)
        _, stderr = child.communicate(timeout=30)
    assert "Traceback" not in stderr, stderr


@pytest.fixture(scope="module")
def forking_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, float]:
    """The site, its output and how long an uninterrupted forking build takes."""
    root = tmp_path_factory.mktemp("kill-workers")
    site, out = root / "site", root / "out"
    (site / "content").mkdir(parents=True)
    (site / "sitegen.toml").write_text('title = "Kills"\nsearch = false\n', "utf-8")
    write_papers(site / "content" / "papers", PAPERS, SEED)
    started = time.monotonic()
    child = _build(site, out)
    _, stderr = child.communicate(timeout=300)
    assert child.returncode == 0, stderr
    return site, out, time.monotonic() - started


def _kill_at(site: Path, out: Path, delay: float, staging: Path | None = None
             ) -> tuple[list[int], float, int]:
    """Run a build, SIGKILL its main process ``delay`` s after it starts (or, given
    ``staging``, after that folder appears); the workers it had, how long they took to go
    after the build ended, and how many were still running at the kill.

    The time is counted from the moment the killed build has ended (the kernel tells its
    children only after it has freed the build's memory, which takes a large build tens of
    milliseconds on its own)."""
    child = _build(site, out)
    seen: set[int] = set()
    while staging is not None and not staging.exists() and child.poll() is None:
        seen.update(descendants(child.pid))  # ``delay`` counts from the staging folder's birth
        time.sleep(0.001)
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and child.poll() is None:
        seen.update(descendants(child.pid))
        time.sleep(0.001)
    seen.update(descendants(child.pid))
    running = [pid for pid in seen if _alive(pid)]
    with contextlib.suppress(ProcessLookupError):
        os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    killed = time.monotonic()
    while any(_alive(pid) for pid in seen) and time.monotonic() - killed < 5:
        time.sleep(0.002)
    gone = time.monotonic() - killed
    left = [pid for pid in seen if _alive(pid)]
    for pid in left:  # do not leave them to the next trial
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert child.stderr is not None
    stderr = child.stderr.read().decode("utf-8", "replace")
    child.stderr.close()
    assert "Traceback" not in stderr, stderr
    assert not left, f"workers {left} outlived the killed build by {gone:.3f} s"
    return sorted(seen), gone, len(running)


def test_workers_die_with_a_killed_build_and_either_command_cleans_up(
        forking_site: tuple[Path, Path, float]) -> None:
    if workers() < 2:
        pytest.skip("one usable core: no workers are forked")
    site, out, duration = forking_site
    expected = tree(out)
    staging = out.parent / STAGING
    rng = random.Random(SEED)
    report = []
    with_workers = 0
    cleaned: list[str] = []  # the command that removed each leftover staging folder
    for trial in range(TRIALS):
        # Even trials: any moment of the build; odd ones: while it renders into staging.
        if trial % 2 == 0:
            seen, gone, running = _kill_at(site, out, delay := rng.uniform(0.1, 0.9) * duration)
        else:
            seen, gone, running = _kill_at(site, out, delay := rng.uniform(0, 0.3) * duration,
                                           staging)
        with_workers += running > 0
        assert gone < GRACE, f"trial {trial}: workers took {gone * 1000:.0f} ms to go"
        left = staging.exists()
        report.append((trial, round(delay, 3), running, round(gone * 1000), left))
        if not left or trial % 4 in (0, 2):  # others are left to the next trial's build
            continue
        if trial % 4 == 3:
            _serve_once(site, staging)
            cleaned.append("serve")
        else:
            done = subprocess.run([sys.executable, "-m", "sitegen.cli", "build", "--site",
                                   str(site), "--output", str(out), "-q"], capture_output=True,
                                  text=True, timeout=120, check=False)
            assert done.returncode == 0, done.stderr
            assert not staging.exists()
            cleaned.append("build")
        assert tree(out) == expected, f"trial {trial}: the site is not the one a build makes"
    print(f"\nan uninterrupted build takes {duration:.2f} s; trials (number, kill after s, "
          f"workers running, ms until all gone, staging left): {report}; cleaned by: {cleaned}")
    # The kills must have landed while workers ran, or the test proved nothing.
    assert with_workers >= TRIALS // 6, report
    assert {"build", "serve"} <= set(cleaned), cleaned
