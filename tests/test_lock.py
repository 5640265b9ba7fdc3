"""The site lock: one sitegen process at a time, released by the kernel when its holder dies.

Each holder is a real child process, so that the lock is tested as the kernel
keeps it (``flock`` locks are per open file, and a process's own second lock
would not block).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sitegen.errors import LockError
from sitegen.lock import LOCK_NAME, site_lock

HOLD = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from sitegen.lock import site_lock
    with site_lock(Path(sys.argv[1]), sys.argv[2]):
        if sys.argv[3] == "fork":
            ready, tell = os.pipe()
            if os.fork() == 0:  # a worker that outlives its build
                os.write(tell, b"x")  # its fork handlers (closing the lock) have run
                time.sleep(60)
                os._exit(0)
            os.read(ready, 1)  # "held" only once the worker runs
        print("held", flush=True)
        time.sleep(float(sys.argv[4]))
""")


def _holder(cache: Path, action: str = "build", seconds: float = 60,
            fork: bool = False) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(cache), action,
                             "fork" if fork else "-", str(seconds)],
                            stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def test_no_wait_fails_at_once_naming_the_holder(tmp_path: Path) -> None:
    proc = _holder(tmp_path, "import")
    try:
        started = time.monotonic()
        with pytest.raises(LockError) as raised, site_lock(tmp_path, "build", wait=0):
            pass
        assert time.monotonic() - started < 1
        message = str(raised.value)
        assert f"another sitegen import of this site (pid {proc.pid}) is running" in message
    finally:
        _kill_group(proc)


def test_waiter_says_what_it_waits_for_then_gives_up(tmp_path: Path) -> None:
    proc = _holder(tmp_path)
    told: list[str] = []
    try:
        started = time.monotonic()
        with pytest.raises(LockError) as raised, \
                site_lock(tmp_path, "build", wait=0.5, notify=told.append):
            pass
        assert 0.5 <= time.monotonic() - started < 5
        assert told == [f"waiting for another sitegen build of this site (pid {proc.pid})… "
                        "(up to 0.5 s; --no-wait fails at once)"]
        assert "gave up after 0.5 s waiting for another sitegen build" in str(raised.value)
    finally:
        _kill_group(proc)


def test_waiter_goes_on_when_the_holder_finishes(tmp_path: Path) -> None:
    proc = _holder(tmp_path, seconds=0.5)
    told: list[str] = []
    started = time.monotonic()
    with site_lock(tmp_path, "build", wait=30, notify=told.append):
        assert time.monotonic() - started >= 0.4  # not before the holder let go
        assert (tmp_path / LOCK_NAME).read_text(encoding="utf-8") == f"{os.getpid()} build\n"
    assert len(told) == 1
    proc.wait(timeout=10)


@pytest.mark.parametrize("fork", [False, True], ids=["holder", "holder-with-worker"])
def test_a_killed_holder_never_blocks_the_next(tmp_path: Path, fork: bool) -> None:
    """SIGKILL leaves no stale lock, even while a forked worker of the holder lives on."""
    proc = _holder(tmp_path, fork=fork)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    try:
        with site_lock(tmp_path, "build", wait=0):
            pass
    finally:
        _kill_group(proc)  # the orphaned worker, if any


def test_lock_is_released_on_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), site_lock(tmp_path, "build", wait=0):
        raise RuntimeError("boom")
    with site_lock(tmp_path, "build", wait=0):
        pass
