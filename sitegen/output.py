"""Safe, atomic output: refuse dangerous folders, build in staging, swap on success.

A build writes a complete new tree into a hidden staging folder next to the
output (unchanged pages are hard links to the previous build's files, so this
is cheap), then exchanges the two folders in one ``renameat2`` system call. A
failed or killed build therefore leaves the previous site byte-identical.
sitegen only ever deletes folders it created itself: an output folder that is
not empty and holds no ``.sitegen-output`` marker is refused.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
from pathlib import Path

from sitegen.errors import BuildError, Problem

MARKER = ".sitegen-output"
MARKER_TEXT = "This folder is written by sitegen build; its contents are replaced on every build.\n"
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
        """Remove the staging folder (only ever one that sitegen made)."""
        if self.path.is_dir() and not self.path.is_symlink():
            if not (self.path / MARKER).is_file() and any(self.path.iterdir()):
                raise BuildError(Problem(str(self.path), 0, "exists but was not made by sitegen; "
                                                            "remove it by hand"))
            shutil.rmtree(self.path)

    def _parent(self, rel: str) -> Path:
        target = self.path / rel
        parent = os.path.dirname(rel)
        if parent and parent not in self.created_dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.created_dirs.add(parent)
        return target

    def write(self, rel: str, data: bytes) -> None:
        """Write one file of the new site."""
        with open(self._parent(rel), "wb") as handle:
            handle.write(data)

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
            shutil.rmtree(old)
            return
        shutil.rmtree(self.path)
