"""Notice edits to a site's sources for ``sitegen serve``.

A :class:`WatchPlan` names what a build reads: ``sitegen.toml`` and a few
top-level names in the site folder, plus whole folders (content, templates,
static, the theme). :func:`open_source` watches them with watchdog's native
observer (inotify on Linux), so an idle server costs nothing and a save is seen
within a millisecond; where that observer cannot start (the inotify watch limit
is reached, or the platform has none) it falls back to comparing file stats a
few times a second. Either way the caller only asks "did anything change within
this many seconds?", which is all debouncing needs: a burst of events is one
change to whoever asks next.

The site folder itself is watched only one level deep, so the output folder and
``.sitegen-cache/`` beside the sources are never looked into; a plan may also
name folders to ignore inside the watched trees. Editor droppings (hidden
files, ``*~``, ``*.swp``, vim's ``4913`` probe) are ignored so that they do not
trigger builds.
"""

from __future__ import annotations

import os
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

POLL_INTERVAL = 0.1  # seconds between scans when the native observer is not available
CLOSE_WAIT = 5.0  # seconds to wait for the observer's threads to end

# What an edit looks like. Opening and reading files (as every build does) is left
# out, and so are folders' own "modified" events (a file inside changed, which is
# reported for that file, or only the folder's permissions did).
_EDITS = (FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileDeletedEvent,
          FileMovedEvent, DirCreatedEvent, DirDeletedEvent, DirMovedEvent)


def ignored(name: str) -> bool:
    """Names that editors and tools write next to real files; changes to them never matter."""
    return (name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp"))
            or name == "4913")


@dataclass(frozen=True)
class WatchPlan:
    """What to watch: top-level ``names`` in ``root`` and every file under ``trees``.

    Nothing inside a folder of ``ignore`` counts (an output folder someone put
    inside a watched tree, which every build rewrites).
    """

    root: Path
    names: frozenset[str]
    trees: tuple[Path, ...]
    ignore: tuple[Path, ...] = ()

    def matters(self, path: Path) -> bool:
        """True if a change at ``path`` can change the built site."""
        if any(path == folder or folder in path.parents for folder in self.ignore):
            return False
        for tree in self.trees:
            if path == tree:
                return True
            if tree in path.parents:
                return not any(ignored(part) for part in path.relative_to(tree).parts)
        return path.parent == self.root and path.name in self.names


class Source(ABC):
    """Something that reports changes to a plan's files."""

    plan: WatchPlan

    @abstractmethod
    def wait(self, timeout: float) -> bool:
        """True as soon as something changed; False if ``timeout`` seconds pass quietly.

        Every change since the last call that returned True counts once: a burst
        of saves made while nobody waited makes one True, not one per save.
        """

    @abstractmethod
    def close(self) -> None:
        """Release the watch."""

    @abstractmethod
    def edits(self) -> frozenset[Path] | None:
        """The files whose contents changed since the last call, and nothing else did; None
        when something else did (a file or folder came, went or moved) or is not known.

        The preview draws the page of one edited paper before its whole build (see
        :mod:`sitegen.serve.quick`): that is only right when nothing but files'
        contents changed.
        """


def open_source(plan: WatchPlan) -> Source:
    """The native observer where it starts, else polling."""
    try:
        return WatchdogSource(plan)
    except OSError:
        return PollSource(plan)


class _Flag(FileSystemEventHandler):
    """Raised by every event that touches a path the plan cares about; lowered by reading it.

    Raising and reading hold one lock, so an event that arrives while a caller
    reads the flag is never lost: it either counts for that call or for the next.
    """

    def __init__(self, plan: WatchPlan) -> None:
        self.plan = plan
        self._raised = False
        self._cond = threading.Condition()
        self._edited: set[Path] | None = set()  # see Source.edits

    def on_any_event(self, event: FileSystemEvent) -> None:
        paths = (event.src_path, event.dest_path) if event.dest_path else (event.src_path,)
        matter = [path for raw in paths if self.plan.matters(path := Path(os.fsdecode(raw)))]
        if matter:
            with self._cond:
                self._raised = True
                if self._edited is not None and isinstance(
                        event, (FileModifiedEvent, FileClosedEvent)) and not event.is_directory:
                    self._edited.update(matter)
                else:
                    self._edited = None
                self._cond.notify_all()

    def edits(self) -> frozenset[Path] | None:
        with self._cond:
            edited, self._edited = self._edited, set()
        return frozenset(edited) if edited is not None else None

    def take(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the flag; True (and lowered) if it was raised."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._raised, timeout):
                return False
            self._raised = False
            return True


class WatchdogSource(Source):
    """watchdog's native observer: the site folder one level deep, each tree recursively.

    The observer's threads only raise a flag; :meth:`wait` takes it.
    Sub-folders created later are watched as they appear (watchdog does that).
    """

    def __init__(self, plan: WatchPlan) -> None:
        self.plan = plan
        self._flag = handler = _Flag(plan)
        self._observer = Observer()
        try:
            self._observer.schedule(handler, str(plan.root), recursive=False,
                                    event_filter=list(_EDITS))
            for tree in plan.trees:
                self._observer.schedule(handler, str(tree), recursive=True,
                                        event_filter=list(_EDITS))
            self._observer.start()  # raises OSError when inotify is out of watches
        except OSError:
            self.close()
            raise

    def wait(self, timeout: float) -> bool:
        return self._flag.take(timeout)

    def edits(self) -> frozenset[Path] | None:
        return self._flag.edits()

    def close(self) -> None:
        self._observer.stop()  # stops every emitter, also those started before one failed
        if self._observer.is_alive():
            self._observer.join(CLOSE_WAIT)


class PollSource(Source):
    """Compare (size, mtime, inode) of every watched file every :data:`POLL_INTERVAL`."""

    def __init__(self, plan: WatchPlan, interval: float = POLL_INTERVAL) -> None:
        self.plan = plan
        self.interval = interval
        self.last = self.snapshot()
        self._since = self.last  # the snapshot at the last call of edits()

    def snapshot(self) -> dict[str, tuple[int, int, int]]:
        stats: dict[str, tuple[int, int, int]] = {}
        for name in self.plan.names:
            _stat_into(stats, self.plan.root / name)
        for tree in self.plan.trees:
            for dirpath, dirnames, filenames in os.walk(tree):
                folder = Path(dirpath)
                dirnames[:] = [d for d in dirnames
                               if not ignored(d) and folder / d not in self.plan.ignore]
                for name in filenames:
                    if not ignored(name):
                        _stat_into(stats, folder / name)
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

    def edits(self) -> frozenset[Path] | None:
        now, before = self.last, self._since  # what wait() last saw: no second scan
        self._since = now
        if now.keys() != before.keys():
            return None
        changed = [path for path, stat in now.items() if before[path] != stat]
        # The same inode: its contents changed; a new one was put in its place.
        if any(now[path][2] != before[path][2] or now[path] == (0, 0, 0) for path in changed):
            return None
        return frozenset(Path(path) for path in changed)


def _stat_into(stats: dict[str, tuple[int, int, int]], path: Path) -> None:
    """Size, time and inode of a file; for a folder only that it exists (its files count)."""
    try:
        st = path.stat()
    except OSError:
        return
    stats[str(path)] = (0, 0, 0) if path.is_dir() else (st.st_size, st.st_mtime_ns, st.st_ino)
