"""One sitegen process at a time per site: an OS-level lock in ``.sitegen-cache/``.

Two builds of one site at once (a build beside ``sitegen serve --output public``,
two terminals, an editor's build-on-save) would share the staging folder, the
journal and the build cache, and could leave a published site that matches
neither. So every command that writes the output, the cache or the content
(``build``, each ``serve`` rebuild, ``import``, ``update``) holds this lock for
its whole run; a second process waits for it, saying what it waits for, and
gives up after a stated time.

The lock is ``flock`` on ``.sitegen-cache/lock``. The kernel releases it when
the holder's descriptor is closed, which includes the holder being killed, so
a dead process never leaves a stale lock behind. The file itself only tells a
waiting process whom it waits for (pid and command); it is never deleted.
Forked workers close their inherited copy at once (closing a copy never
releases the holder's lock), so a worker that outlives a killed build does not
keep the site locked; a program started with ``exec`` never inherits it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sitegen.errors import LockError

LOCK_NAME = "lock"
DEFAULT_WAIT = 300.0  # seconds a second process waits before it gives up
POLL = 0.05  # seconds between attempts while waiting

_HELD: set[int] = set()  # descriptors of locks this process holds (closed in forked children)


def _close_in_child() -> None:
    for fd in _HELD:
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_close_in_child)


def _holder(fd: int) -> str:
    """Who holds the lock, as the holder wrote it ("pid 1234", "build"), or ''."""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        text = os.pread(fd, 200, 0).decode("utf-8")
        pid, _, action = text.strip().partition(" ")
        if pid.isdigit():
            return f"{action or 'command'} of this site (pid {pid})"
    return "command on this site"


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def site_lock(cache_dir: Path, action: str, wait: float = DEFAULT_WAIT,
              notify: Callable[[str], None] = _stderr) -> Iterator[None]:
    """Hold the site's lock for the ``with`` block; ``action`` names this command
    ("build", "import", ...) for whoever waits. ``wait`` is how many seconds to
    wait for another holder (0: fail at once); raises :class:`LockError` when
    the time is up."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _acquire(fd, wait, notify)
        _HELD.add(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {action}\n".encode(), 0)
        yield
    finally:
        _HELD.discard(fd)
        os.close(fd)  # releases the lock


def _acquire(fd: int, wait: float, notify: Callable[[str], None]) -> None:
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        holder = _holder(fd)
        if wait <= 0:
            raise LockError(f"another sitegen {holder} is running; try again when it "
                            "has finished, or leave out --no-wait to wait for it")
        if time.monotonic() >= deadline:
            raise LockError(f"gave up after {wait:g} s waiting for another sitegen {holder}; "
                            "nothing was changed (--wait SECONDS waits longer)")
        if not told:
            notify(f"waiting for another sitegen {holder}… (up to {wait:g} s; "
                   "--no-wait fails at once)")
            told = True
        time.sleep(POLL)
