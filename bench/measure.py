"""Run one build and measure it: wall and CPU time, peak memory of the whole process tree.

CPU time (user + system, from ``wait4``) covers the child and every descendant
it waited for (workers, Pagefind): on a machine shared with other work it
varies far less than wall time.

Two memory figures, because a tool may fork workers:

* ``max_rss`` comes from ``wait4``: the kernel reports the largest resident set
  of the child *or any descendant it waited for*. It is exact but per process.
* ``tree_rss`` is the largest *sum* of proportional set sizes (PSS) over the
  child and all its descendants at one moment, sampled from ``/proc`` every
  ``interval`` seconds. PSS divides each shared page among the processes that
  map it, so forked workers sharing their parent's memory copy-on-write are not
  counted twice (a sum of RSS would count every shared page once per worker):
  the sum is the memory the build really holds. It catches workers that are
  alive at the same time, but can miss short peaks. Sampled every 0.2 s:
  reading PSS walks a process's page tables, and reading it more often would
  slow the build being measured.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class Sample:
    """The outcome of one timed build."""

    seconds: float
    max_rss: int  # bytes, the largest single process (wait4)
    tree_rss: int  # bytes, the largest sampled sum of PSS over the process tree
    returncode: int
    cpu: float = 0.0  # seconds of user + system time of the child and every descendant waited for


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, for every process in ``/proc``."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _pss(pid: int) -> int:
    """Proportional set size in bytes (``smaps_rollup``), or resident size where it is missing."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(root: int) -> int:
    """Memory (PSS) of ``root`` and all its descendants right now, in bytes."""
    tree = _children()
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _pss(pid)
        stack.extend(tree.get(pid, []))
    return total


class _Sampler(threading.Thread):
    """Polls :func:`tree_rss` until stopped, keeping the maximum."""

    def __init__(self, pid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self.done.wait(self.interval)


def run_measured(argv: list[str], cwd: Path, log: Path, interval: float = 0.2) -> Sample:
    """Run ``argv`` to completion with output to ``log``; time it and record its memory."""
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        sampler = _Sampler(proc.pid, interval)
        sampler.start()
        try:
            # wait4 rather than proc.wait(): it also returns the child's rusage.
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            raise
        finally:
            sampler.done.set()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    sampler.join()
    return Sample(seconds, usage.ru_maxrss * 1024, sampler.peak, proc.returncode,
                  usage.ru_utime + usage.ru_stime)
