"""Safe, atomic output: refuse dangerous folders, build in staging, swap on success.

A full build writes a complete new tree into a hidden staging folder next to
the output, then exchanges the two folders in one ``renameat2`` system call. A
small rebuild (a few changed pages) writes only the changed files into
staging, records a journal, then moves each file into place with an atomic
rename; a build killed while moving is completed by the next build from the
journal. Either way a failed or killed build leaves the previous site as it
was (a kill can land only inside the millisecond-long move of a small patch).
sitegen only ever deletes folders it created itself: an output folder that is
not empty and holds no ``.sitegen-output`` marker is refused.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
from pathlib import Path

from sitegen.errors import BuildError, Problem

MARKER = ".sitegen-output"
MARKER_TEXT = "This folder is written by sitegen build; its contents are replaced on every build.\n"
JOURNAL = ".sitegen-journal.json"
SEARCH_DIR = "pagefind"  # the search index, written by the search step, not by jobs
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _is_within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def refuse_reason(out: Path, site_root: Path, protected: list[Path]) -> str | None:
    """Why ``out`` must not be used as the output folder, or None when it is safe."""
    if out.is_symlink():
        return "is a symbolic link; give the real folder"
    target = out.resolve()
    root = site_root.resolve()
    home = Path.home().resolve()
    if target == Path(target.anchor):
        return "is the root of the file system"
    if _is_within(home, target):
        return "is the home folder or one of its parents"
    if _is_within(root, target):
        return "is the site folder or one of its parents"
    for path in protected:
        resolved = path.resolve()
        if _is_within(target, resolved) or _is_within(resolved, target):
            return f"overlaps {path.name}/, which sitegen reads from"
    if target.exists() and not target.is_dir():
        return "exists and is not a folder"
    if target.is_dir() and not (target / MARKER).is_file() and any(target.iterdir()):
        return (f"is not empty and was not created by sitegen (no {MARKER} file); "
                "empty it or choose another --output")
    return None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        func = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def remove_tree(folder: Path) -> None:
    """Delete a folder sitegen made, its marker last: a build killed halfway through
    leaves a folder the next build still recognises as its own and removes."""
    for entry in os.scandir(folder):
        if entry.name == MARKER:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
    shutil.rmtree(folder)


_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
_IOV_MAX = 1024  # parts per writev call (IOV_MAX on Linux and macOS)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Staging:
    """A new output tree being written next to the live one."""

    def __init__(self, out: Path) -> None:
        self.out = out.resolve() if out.exists() else out.absolute()
        self.path = self.out.parent / f".{self.out.name}.sitegen-staging"
        self.created_dirs: set[str] = set()

    def begin(self) -> None:
        """Create an empty staging folder, removing one left by a killed build."""
        self.discard()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.path.mkdir()
        (self.path / MARKER).write_text(MARKER_TEXT, encoding="utf-8")

    def discard(self) -> None:
        """Remove the staging folder (only ever one that sitegen made); finish a journal first."""
        if (self.path / JOURNAL).is_file():
            Patch(self.out).replay()
        if self.path.is_dir() and not self.path.is_symlink():
            if not (self.path / MARKER).is_file() and any(self.path.iterdir()):
                raise BuildError(Problem(str(self.path), 0, "exists but was not made by sitegen; "
                                                            "remove it by hand"))
            remove_tree(self.path)

    def _parent(self, rel: str) -> str:
        """The file's path in staging, its folder made (one system call in the usual case)."""
        root = str(self.path)
        parent = rel.rpartition("/")[0]
        if parent and parent not in self.created_dirs:
            folder = os.path.join(root, parent)
            try:
                os.mkdir(folder)
            except FileNotFoundError:
                os.makedirs(folder, exist_ok=True)
            except FileExistsError:
                pass
            self.created_dirs.add(parent)
        return os.path.join(root, rel)

    def write(self, rel: str, data: bytes | list[bytes]) -> None:
        """Write one file of the new site, given whole or as parts in order.

        Plain ``os`` calls: a site has tens of thousands of files, and ``open()``
        adds a buffer and several system calls per file that a single write never needs.
        """
        fd = os.open(self._parent(rel), _WRITE_FLAGS, 0o666)
        try:
            if isinstance(data, bytes):
                _write_all(fd, data)
            else:
                for start in range(0, len(data), _IOV_MAX):
                    batch = data[start:start + _IOV_MAX]
                    done = os.writev(fd, batch)
                    if done < sum(map(len, batch)):  # a short write: finish it part by part
                        _write_all(fd, b"".join(batch)[done:])
        finally:
            os.close(fd)

    def reuse(self, rel: str) -> bool:
        """Hard-link the live site's copy of ``rel`` into staging; False if it is missing."""
        try:
            os.link(self.out / rel, self._parent(rel))
        except OSError:
            return False
        return True

    def keep_user_files(self, generated: set[str]) -> None:
        """Carry over top-level dot-files and CNAME that the build does not generate."""
        if not self.out.is_dir():
            return
        for entry in sorted(self.out.iterdir()):
            name = entry.name
            if name == MARKER or name in generated or not (name.startswith(".") or
                                                          name == "CNAME"):
                continue
            destination = self.path / name
            if entry.is_dir() and not entry.is_symlink():
                shutil.copytree(entry, destination, symlinks=True, copy_function=os.link)
            else:
                os.link(entry, destination, follow_symlinks=False)

    def commit(self) -> None:
        """Swap the staging folder in as the output, then delete the old tree."""
        if not self.out.exists():
            os.rename(self.path, self.out)
            return
        if not _exchange(self.path, self.out):
            old = self.out.parent / f".{self.out.name}.sitegen-old"
            if old.exists():
                shutil.rmtree(old)
            os.rename(self.out, old)
            os.rename(self.path, self.out)
            remove_tree(old)
            return
        remove_tree(self.path)


class Patch(Staging):
    """Changed files only, moved into the live output under a journal."""

    def begin(self) -> None:
        self.discard()
        self.path.mkdir(parents=True)
        (self.path / MARKER).write_text(MARKER_TEXT, encoding="utf-8")

    def reuse(self, rel: str) -> bool:
        """In a patch an unchanged file simply stays where it is."""
        return (self.out / rel).is_file()

    def commit_patch(self, written: list[str], removed: list[str]) -> None:
        """Record the journal, then move written files in and delete removed ones.

        The journal guards against a build killed while moving files, whose
        writes the operating system keeps, so it is not forced to disk: on ext4
        an ``fsync`` here also waits for every file the build just wrote (a
        20 MB ``papers.json`` at 10,000 papers), which took from 20 ms to, after
        large writes, many seconds; none of the site's files are synced either.
        """
        journal = self.path / JOURNAL
        tmp = self.path / (JOURNAL + ".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump({"written": written, "removed": removed}, handle)
        os.replace(tmp, journal)
        self.replay()

    def replay(self) -> None:
        """Apply (or finish applying) the journal; safe to run more than once."""
        data = json.loads((self.path / JOURNAL).read_text("utf-8"))
        for rel in data["written"] + data["removed"]:
            if Path(rel).is_absolute() or ".." in Path(rel).parts:
                raise BuildError(Problem(str(self.path / JOURNAL), 0, f"unsafe path {rel!r}"))
        # Shallowest first: an output folder that refuses writes fails the first move,
        # before any file further down has changed.
        for rel in sorted(data["written"], key=lambda r: (r.count("/"), r)):
            source = self.path / rel
            if source.is_file():
                (self.out / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, self.out / rel)
        for rel in data["removed"]:
            target = self.out / rel
            target.unlink(missing_ok=True)
            _prune_empty(target.parent, self.out)
        (self.path / JOURNAL).unlink()
        shutil.rmtree(self.path)


STAGING_NOTE = "staging"  # in .sitegen-cache/: the staging folder a running build writes


def note_staging(cache_dir: Path, staging: Path) -> None:
    """Record where a build writes its staging folder, before it creates it.

    A build killed before it could remove its staging folder leaves the note;
    the next build of any command (``build``, or ``serve`` with its private
    output) finds the folder by it and removes it (:func:`clean_leftovers`).
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / (STAGING_NOTE + ".tmp")
    tmp.write_text(str(staging) + "\n", encoding="utf-8")
    os.replace(tmp, cache_dir / STAGING_NOTE)


def forget_staging(cache_dir: Path) -> None:
    """The build is over (published or discarded): its note goes."""
    (cache_dir / STAGING_NOTE).unlink(missing_ok=True)


def clean_leftovers(cache_dir: Path) -> None:
    """Remove the staging folder a killed build left behind (only one sitegen made).

    A journal in it (a patch killed while moving files) is completed first, as
    the build that wrote it would have.
    """
    try:
        noted = Path((cache_dir / STAGING_NOTE).read_text("utf-8").strip())
    except (OSError, UnicodeDecodeError, ValueError):
        return
    suffix = ".sitegen-staging"
    name = noted.name
    if noted.is_absolute() and name.startswith(".") and name.endswith(suffix):
        out = noted.parent / name[1:-len(suffix)]
        staging = Staging(out)
        if staging.path == noted and (noted / MARKER).is_file():
            staging.discard()
    forget_staging(cache_dir)


def _prune_empty(folder: Path, top: Path) -> None:
    """Remove folders left empty by deleted pages, up to (not including) ``top``."""
    while folder != top and top in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
