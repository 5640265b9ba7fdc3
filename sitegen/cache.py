"""The build cache: what the last build wrote, so the next one redoes only what changed.

The page keys are in ``.sitegen-cache/build.marshal`` (Python's ``marshal``,
the quickest to read and write for a mapping of 100,000 short strings); parsed
content files, each with what the derive stage made of it, are pickles in
``.sitegen-cache/content/`` (written and read only by sitegen, like the site's
own files). A missing, stale or unreadable cache just means more work, never a
different site.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import pickle
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitegen import __version__
from sitegen.config import Config
from sitegen.content import ContentScan, ParsedEntries
from sitegen.keys import make_key
from sitegen.publish import MARKER, SEARCH_DIR

CACHE_FILE = "build.marshal"
FORMAT = 6
Stamp = tuple[int, int, int]  # a file's size, modification time and status-change time (ns)


def _stat_key(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def _tree_stats(folder: Path) -> list[tuple[str, int, int, int]]:
    stats = []
    if folder.is_dir():
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath, name)
                try:
                    stats.append((str(path.relative_to(folder)), *_stat_key(path)))
                except OSError:
                    stats.append((str(path), -1, -1, -1))
    return stats


def content_signature(config: Config, env_key: str, scan: ContentScan) -> str:
    """A hash of the content and static files' names, sizes and times, plus ``env_key``."""
    content = [(label, key) for _, label, key in scan.files + scan.pages]
    return make_key(env_key, content, scan.problems, _tree_stats(config.root / "static"))


def output_stamps(out: Path) -> dict[str, Stamp]:
    """The stamp of every file in the output folder (its marker aside), by relative path.

    The status-change time moves on every write, rename, link or permission
    change and cannot be set back by hand, so a file whose stamp is the one
    recorded after the last build is the file that build published: the cache
    never has to trust that nobody else wrote to the output.
    """
    stamps: dict[str, Stamp] = {}
    stack = [("", str(out))]
    while stack:
        rel, folder = stack.pop()
        try:
            entries = os.scandir(folder)
        except OSError:
            continue
        with entries:
            for entry in entries:
                name = rel + entry.name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((name + "/", entry.path))
                        continue
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if name != MARKER:
                    stamps[name] = (info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    return stamps


def _stamp(info: os.stat_result) -> Stamp:
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns


def folders_of(paths: Iterable[str]) -> set[str]:
    """Every folder that holds one of ``paths``, up to the top (``""``)."""
    folders = {""}
    for path in paths:
        folder = path.rpartition("/")[0]
        while folder and folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    return folders


def folder_times(out: Path, folders: Iterable[str], into: dict[str, int]) -> dict[str, int]:
    """Modification times of ``folders`` (a folder's time moves whenever an entry is added
    to it, removed or renamed), put into ``into``; a folder that is gone is dropped."""
    prefix = str(out) + os.sep
    for folder in folders:
        try:
            into[folder] = os.stat(prefix + folder if folder else str(out)).st_mtime_ns
        except OSError:
            into.pop(folder, None)
    return into


def record_output(out: Path) -> tuple[dict[str, Stamp], dict[str, int]]:
    """The stamps of every file of a freshly published output and the times of its folders."""
    files = output_stamps(out)
    return files, folder_times(out, folders_of(files), {})


def record_patch(out: Path, cache: BuildCache, touched: list[str]
                 ) -> tuple[dict[str, Stamp], dict[str, int]]:
    """:func:`record_output` after a patch that wrote or removed ``touched``: only those
    files, their folders and a search index that was made anew are looked at again."""
    files, tree = dict(cache.files), dict(cache.tree)
    prefix = str(out) + os.sep
    for path in touched:
        try:
            files[path] = _stamp(os.stat(prefix + path))
        except OSError:
            files.pop(path, None)
    folders = set(folders_of(touched))
    index = out / SEARCH_DIR
    try:
        index_time = index.stat().st_mtime_ns
    except OSError:
        index_time = None
    if index_time != tree.get(SEARCH_DIR):  # the index was replaced (or removed)
        files = {p: v for p, v in files.items() if not p.startswith(SEARCH_DIR + "/")}
        fresh = {f"{SEARCH_DIR}/{p}": v for p, v in output_stamps(index).items()}
        files.update(fresh)
        tree = {f: t for f, t in tree.items() if f != SEARCH_DIR and
                not f.startswith(SEARCH_DIR + "/")}
        folders |= folders_of(fresh)
    return files, folder_times(out, folders, tree)


@dataclass(frozen=True)
class OutputCheck:
    """How the live output differs from what the last build recorded of it."""

    changed: frozenset[str]  # recorded files now different or missing
    extra: bool  # files the last build did not write

    @property
    def intact(self) -> bool:
        return not self.changed and not self.extra


@dataclass
class BuildCache:
    """Keys of the files the last build wrote, the signature of its inputs, and the
    stamps of the files it published."""

    signature: str = ""
    keys: dict[str, str] = field(default_factory=dict)
    output: str = ""
    marker: list[int] = field(default_factory=list)
    folders: dict[str, int] = field(default_factory=dict)
    files: dict[str, Stamp] = field(default_factory=dict)  # every published file's stamp
    tree: dict[str, int] = field(default_factory=dict)  # their folders' times ("" the top)

    @classmethod
    def load(cls, cache_dir: Path) -> BuildCache:
        try:
            data = marshal.loads((cache_dir / CACHE_FILE).read_bytes())
            if data.get("format") != (__version__, FORMAT):
                return cls()
            keys, folders, files, tree = (data["keys"], data["folders"], data["files"],
                                          data["tree"])
            if not all(isinstance(x, dict) for x in (keys, folders, files, tree)):
                return cls()
            return cls(str(data["signature"]), keys, str(data["output"]),
                       [int(x) for x in data["marker"]], folders, files, tree)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, EOFError):
            return cls()

    def check_output(self, out: Path) -> OutputCheck:
        """Compare the live output with the stamps recorded after the last build."""
        if str(out) != self.output or not self.files:
            return OutputCheck(frozenset(self.keys), True)
        prefix, stat = str(out) + os.sep, os.stat  # one stat per file: tens of thousands
        changed = []
        for path, stamp in self.files.items():
            try:
                info = stat(prefix + path)
            except OSError:
                changed.append(path)
                continue
            if (info.st_size, info.st_mtime_ns, info.st_ctime_ns) != stamp:
                changed.append(path)
        # A file added anywhere moves the time of the folder it was added to.
        extra = folder_times(out, self.tree, {}) != self.tree
        return OutputCheck(frozenset(changed), extra)

    def is_current(self, signature: str, out: Path, check: OutputCheck) -> bool:
        """True when nothing changed since the last build and its output is as it left it."""
        if signature != self.signature or str(out) != self.output or not check.intact:
            return False
        try:
            return list(_stat_key(out / MARKER)) == self.marker
        except OSError:
            return False

    @staticmethod
    def forget(cache_dir: Path) -> None:
        """Drop the recorded keys (best effort), so the next build checks every file."""
        with contextlib.suppress(OSError):
            (cache_dir / CACHE_FILE).unlink(missing_ok=True)

    def save(self, cache_dir: Path, signature: str, keys: dict[str, str], out: Path,
             folders: dict[str, int] | None = None,
             state: tuple[dict[str, Stamp], dict[str, int]] | None = None) -> None:
        """Record this build (written through a temporary file and a rename), with
        ``state``: the stamps of what the output holds now that it is published (see
        :func:`record_output`, :func:`record_patch`)."""
        cache_dir.mkdir(parents=True, exist_ok=True)
        files, tree = state if state is not None else record_output(out)
        data = {"format": (__version__, FORMAT), "signature": signature, "keys": keys,
                "output": str(out), "marker": list(_stat_key(out / MARKER)),
                "folders": folders or {}, "files": files, "tree": tree}
        tmp = cache_dir / (CACHE_FILE + ".tmp")
        tmp.write_bytes(marshal.dumps(data))
        os.replace(tmp, cache_dir / CACHE_FILE)
        self.signature, self.keys, self.output = signature, keys, str(out)


PARSE_DIR = "content"
PARSE_FORMAT = 7  # bump when what is kept of a parsed paper changes
SHARDS = 64
MAX_SHARD_SHARE = 4  # a shard this many times its share makes the parse cache lay shards anew


def assign_shards(labels: list[str], where: dict[str, int]) -> dict[str, int]:
    """The shard of each label (``labels`` sorted): where it is kept, else its nearest
    kept predecessor's (or, first in order, successor's).

    Shards are runs of the sorted labels, so that papers read back shard by shard
    lie in memory in path order, the order in which pages are rendered (see
    :func:`sitegen.writer._deal`). A label keeps its shard while it exists, so an
    edit rewrites one shard. When most labels are new, or one shard has grown to
    several times its share (new files that all sort last join the last shard),
    the runs are laid out afresh: every shard is written once.
    """
    count = len(labels)
    runs = {label: index * SHARDS // count for index, label in enumerate(labels)}
    known = [where.get(label) for label in labels]
    if known.count(None) * 2 > count:
        return runs
    last = next((shard for shard in known if shard is not None), 0)
    out: dict[str, int] = {}
    for label, shard in zip(labels, known, strict=True):
        last = shard if shard is not None else last
        out[label] = last
    sizes = Counter(out.values())
    return runs if max(sizes.values(), default=0) > MAX_SHARD_SHARE * (count // SHARDS + 1) \
        else out


def _shard_digest(items: list[tuple[str, Any]]) -> int:
    """Cheap identity of a shard's contents: its labels and their files' stats (what was
    derived again since is marked by :meth:`ParseCache.replace`)."""
    return hash(tuple((label, entry[0]) for label, entry in items))


class ParseCache:
    """Parsed papers from earlier builds, kept in shards so a small edit rewrites little."""

    def __init__(self, cache_dir: Path) -> None:
        self.folder = cache_dir / PARSE_DIR
        self.data: ParsedEntries = {}
        self.digests: dict[int, int] = {}
        self.where: dict[str, int] = {}  # the shard that keeps each label
        self.changed: set[str] = set()  # labels whose derived values were made again
        self.loaded = False

    def load(self) -> ParsedEntries:
        """Read every shard written by this version of sitegen; skip unreadable ones.

        A parse cache kept in memory between builds (the preview server's) is read once.
        """
        if self.loaded:
            return self.data
        self.loaded = True
        for index in range(SHARDS):
            try:
                with open(self.folder / f"{index:02d}.pickle", "rb") as handle:
                    version, shard = pickle.load(handle)
            except (OSError, pickle.UnpicklingError, ValueError, TypeError, EOFError,
                    AttributeError, ImportError):
                continue
            if version == (__version__, PARSE_FORMAT) and isinstance(shard, dict):
                self.data.update(shard)
                self.where.update(dict.fromkeys(shard, index))
                self.digests[index] = _shard_digest(sorted(shard.items()))
        return self.data

    def replace(self, label: str, prepared: Any) -> None:
        """Keep new derived values for the paper of ``label`` (its shard is written again)."""
        entry = self.data.get(label)
        if entry is not None:  # a file that could not be stat'ed is not kept at all
            self.data[label] = (entry[0], entry[1], prepared)
            self.changed.add(label)

    def save(self) -> None:
        """Rewrite the shards whose contents changed (each atomically)."""
        shards: dict[int, list[tuple[str, Any]]] = {i: [] for i in range(SHARDS)}
        self.where = self.assign(sorted(self.data))
        for label, entry in self.data.items():
            shards[self.where[label]].append((label, entry))
        self.folder.mkdir(parents=True, exist_ok=True)
        changed = {self.where[label] for label in self.changed if label in self.where}
        for index, items in shards.items():
            if not items and index not in self.digests:
                continue  # nothing to keep, and no file of this shard was read
            items.sort()
            digest = _shard_digest(items)
            if self.digests.get(index) == digest and index not in changed:
                continue
            self._write(index, self._dumps(items))
            self.digests[index] = digest
        self.changed.clear()

    @staticmethod
    def _dumps(items: list[tuple[str, Any]]) -> bytes:
        return pickle.dumps(((__version__, PARSE_FORMAT), dict(items)),
                            protocol=pickle.HIGHEST_PROTOCOL)

    def _write(self, index: int, data: bytes) -> None:
        tmp = self.folder / f"{index:02d}.pickle.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, self.folder / f"{index:02d}.pickle")

    # The :class:`~sitegen.content.ShardSink` protocol: forked parse workers
    # write whole shards of a first build; the main process only reads them.
    def assign(self, labels: list[str]) -> dict[str, int]:
        """The shard of each of ``labels`` (sorted); see :func:`assign_shards`."""
        return assign_shards(labels, self.where)

    def pack(self, group: int, entries: ParsedEntries) -> tuple[bytes, bool]:
        """In a parse worker: write one whole shard. Returns the SHA-1 of the file written
        (the main process reads it back) and True, or the shard's bytes and False."""
        data = self._dumps(sorted(entries.items()))
        if self._keep_file(group, data):
            return hashlib.sha1(data, usedforsecurity=False).digest(), True
        return data, False

    def keep(self, group: int, entries: ParsedEntries) -> None:
        """In the main process: write one whole shard parsed here, as :meth:`pack` does,
        and record it as :meth:`unpack` does (the papers are the ones given)."""
        items = sorted(entries.items())
        self.where.update(dict.fromkeys(entries, group))
        if self._keep_file(group, self._dumps(items)):
            self.digests[group] = _shard_digest(items)

    def _keep_file(self, group: int, data: bytes) -> bool:
        """Write a shard; False if it cannot be (a cache that cannot be written costs time only)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._write(group, data)
        except OSError:
            return False
        return True

    def unpack(self, group: int, data: bytes, written: bool) -> ParsedEntries | None:
        """The papers of a packed shard, read back from its file when a worker wrote it;
        None if that file is no longer the one written. A written shard is not written
        again unless its papers change (see :func:`_shard_digest`)."""
        if written:
            try:
                text = (self.folder / f"{group:02d}.pickle").read_bytes()
            except OSError:
                return None
            if hashlib.sha1(text, usedforsecurity=False).digest() != data:
                return None  # replaced meanwhile (by another build of this site)
            data = text
        shard: ParsedEntries = pickle.loads(data)[1]
        self.where.update(dict.fromkeys(shard, group))
        if written:
            self.digests[group] = _shard_digest(sorted(shard.items()))
        return shard
