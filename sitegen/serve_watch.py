"""Notice edits to a site's sources for ``sitegen serve``.

A :class:`WatchPlan` names what a build reads: ``sitegen.toml`` and a few
top-level names in the site folder, plus whole folders (content, templates,
static, the theme). :func:`open_source` watches them with Linux inotify, so an
idle server costs nothing and a save is seen at once; where inotify is not
available (another OS, or the watch limit is reached) it falls back to
comparing file stats a few times a second. Either way the caller only asks
"did anything change within this many seconds?", which is all debouncing needs.

Editor droppings (hidden files, ``*~``, ``*.swp``, vim's ``4913`` probe) are
ignored so that they do not trigger builds.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

POLL_INTERVAL = 0.1  # seconds between scans when inotify is not available

# inotify(7) constants.
_IN_MODIFY, _IN_ATTRIB, _IN_CLOSE_WRITE = 0x2, 0x4, 0x8
_IN_MOVED_FROM, _IN_MOVED_TO, _IN_CREATE, _IN_DELETE = 0x40, 0x80, 0x100, 0x200
_IN_DELETE_SELF, _IN_MOVE_SELF = 0x400, 0x800
_IN_Q_OVERFLOW, _IN_IGNORED, _IN_ISDIR = 0x4000, 0x8000, 0x40000000
_MASK = (_IN_MODIFY | _IN_ATTRIB | _IN_CLOSE_WRITE | _IN_MOVED_FROM | _IN_MOVED_TO
         | _IN_CREATE | _IN_DELETE | _IN_DELETE_SELF | _IN_MOVE_SELF)
_EVENT = struct.Struct("iIII")


def ignored(name: str) -> bool:
    """Names that editors and tools write next to real files; changes to them never matter."""
    return (name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp"))
            or name == "4913")


@dataclass(frozen=True)
class WatchPlan:
    """What to watch: top-level ``names`` in ``root`` and every file under ``trees``."""

    root: Path
    names: frozenset[str]
    trees: tuple[Path, ...]


class Source(Protocol):
    """Something that reports changes to a plan's files."""

    plan: WatchPlan

    def wait(self, timeout: float) -> bool:
        """True as soon as something changed; False if ``timeout`` seconds pass quietly."""
        ...

    def close(self) -> None:
        """Release the watch."""
        ...


def open_source(plan: WatchPlan) -> Source:
    """An inotify watch when the system offers one, else polling."""
    try:
        return InotifySource(plan)
    except OSError:
        return PollSource(plan)


class PollSource:
    """Compare (size, mtime, inode) of every watched file every :data:`POLL_INTERVAL`."""

    def __init__(self, plan: WatchPlan, interval: float = POLL_INTERVAL) -> None:
        self.plan = plan
        self.interval = interval
        self.last = self.snapshot()

    def snapshot(self) -> dict[str, tuple[int, int, int]]:
        stats: dict[str, tuple[int, int, int]] = {}
        for name in self.plan.names:
            _stat_into(stats, self.plan.root / name)
        for tree in self.plan.trees:
            for dirpath, dirnames, filenames in os.walk(tree):
                dirnames[:] = [d for d in dirnames if not ignored(d)]
                for name in filenames:
                    if not ignored(name):
                        _stat_into(stats, Path(dirpath, name))
        return stats

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            now = self.snapshot()
            if now != self.last:
                self.last = now
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(self.interval, left))

    def close(self) -> None:
        self.last = {}


def _stat_into(stats: dict[str, tuple[int, int, int]], path: Path) -> None:
    """Size, time and inode of a file; for a folder only that it exists (its files count)."""
    try:
        st = path.stat()
    except OSError:
        return
    stats[str(path)] = (0, 0, 0) if path.is_dir() else (st.st_size, st.st_mtime_ns, st.st_ino)


class InotifySource:
    """Linux inotify over the plan's folders; new sub-folders are watched as they appear."""

    def __init__(self, plan: WatchPlan) -> None:
        self.plan = plan
        try:
            self._libc = ctypes.CDLL(None, use_errno=True)
            init = self._libc.inotify_init1
        except (OSError, AttributeError) as exc:
            raise OSError("inotify is not available") from exc
        self.fd = init(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self.dirs: dict[int, tuple[str, bool]] = {}  # watch id -> (folder, is a tree folder)
        try:
            self._add(str(plan.root), tree=False)
            for tree in plan.trees:
                self._add_tree(str(tree))
        except OSError:
            self.close()
            raise

    def _add(self, folder: str, tree: bool) -> None:
        wd = self._libc.inotify_add_watch(self.fd, os.fsencode(folder), _MASK)
        if wd < 0:
            code = ctypes.get_errno()
            if tree and code in (2, 20):  # ENOENT, ENOTDIR: vanished while we looked
                return
            raise OSError(code, os.strerror(code), folder)
        self.dirs[wd] = (folder, tree)

    def _add_tree(self, top: str) -> None:
        for dirpath, dirnames, _ in os.walk(top):
            dirnames[:] = [d for d in dirnames if not ignored(d)]
            self._add(dirpath, tree=True)

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready and self._drain():
                return True
            if time.monotonic() >= deadline:
                return False

    def _drain(self) -> bool:
        """Read every queued event; True if one of them matters."""
        try:
            data = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return False
        relevant = False
        offset = 0
        while offset + _EVENT.size <= len(data):
            wd, mask, _, length = _EVENT.unpack_from(data, offset)
            raw = data[offset + _EVENT.size: offset + _EVENT.size + length]
            offset += _EVENT.size + length
            name = os.fsdecode(raw.rstrip(b"\0"))
            relevant |= self._event(wd, mask, name)
        return relevant

    def _event(self, wd: int, mask: int, name: str) -> bool:
        if mask & _IN_Q_OVERFLOW:
            return True  # events were lost: assume anything changed
        if mask & _IN_IGNORED:
            self.dirs.pop(wd, None)
            return False
        folder, tree = self.dirs.get(wd, ("", False))
        if not folder:
            return False
        if not tree:
            return name in self.plan.names
        if mask & (_IN_DELETE_SELF | _IN_MOVE_SELF):
            return True
        if not name or ignored(name):
            return False
        if mask & _IN_ISDIR and mask & (_IN_CREATE | _IN_MOVED_TO):
            # Out of watches: this folder goes unwatched, but the build still runs.
            with contextlib.suppress(OSError):
                self._add_tree(os.path.join(folder, name))
        return True

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
