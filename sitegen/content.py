"""Stage 1, load: find and read the content files of a site into :class:`Paper` objects.

One walk of ``content/`` finds the files (with the stats the build cache
compares); changed files are parsed (see :mod:`sitegen.frontmatter`), in
forked workers when there are many, and slugs are checked to be unique. All
problems in all files are collected; nothing stops at the first. Whatever the
caller makes of a paper where it is parsed (``prepare``: the site derives it,
see :mod:`sitegen.derive`) is kept beside it, in the result and the cache.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from sitegen.errors import Problem
from sitegen.frontmatter import decode, parse_paper
from sitegen.model import Paper
from sitegen.parallel import can_fork, fork_imap, fork_share
from sitegen.slugs import SLUG_RE, slugify

MAX_FILE_BYTES = 2_000_000
#: ``<content_dir>/pages/`` holds pages besides papers (see :mod:`sitegen.content_pages`).
PAGES_FOLDER = "pages"


@dataclass
class LoadResult:
    """Everything read from ``content/``: papers, errors and warnings.

    ``prepared[i]`` is what ``prepare`` made of ``papers[i]`` (kept with it in the
    cache, None without ``prepare``) and ``labels[i]`` the file it was read from.
    """

    papers: list[Paper] = field(default_factory=list)
    prepared: list[Any] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class ContentScan:
    """The content files found, each with its site-relative label and stat key, and problems."""

    files: list[tuple[str, str, tuple[int, int, int] | None]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # The files under <content_dir>/pages/: pages, not papers.
    pages: list[tuple[str, str, tuple[int, int, int] | None]] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def content_files(content_dir: Path, site_root: Path) -> tuple[list[Path], list[Problem]]:
    """Every paper file (``*.md`` under ``content_dir`` but not in its ``pages/``), sorted;
    symlinks out of the site are errors."""
    scan = scan_content(content_dir, site_root)
    return [Path(path) for path, _, _ in scan.files], scan.problems


def scan_content(content_dir: Path, site_root: Path) -> ContentScan:
    """Walk ``content_dir`` once with ``os.scandir``: files, labels, stats and link problems.

    One pass serves both the no-change check and loading; a large site has
    tens of thousands of files, so this avoids a ``Path`` and a second stat per file.
    """
    scan = ContentScan()
    if not content_dir.is_dir():
        return scan
    root = site_root.resolve()
    found: list[tuple[str, tuple[int, int, int] | None]] = []
    folders = [str(content_dir)]
    while folders:
        folder = folders.pop()
        try:
            entries = list(os.scandir(folder))  # ``found`` is sorted below
        except OSError:
            continue
        for entry in entries:
            # The common case first, handled here: a plain Markdown file.
            if _content_name(entry.name) and entry.is_file(follow_symlinks=False):
                try:
                    info = entry.stat(follow_symlinks=False)
                    found.append((entry.path, (info.st_size, info.st_mtime_ns, info.st_ino)))
                except OSError:
                    found.append((entry.path, None))
                continue
            if _misnamed(entry):
                scan.warnings.append(Problem(_rel(Path(entry.path), site_root), 0, (
                    f"is not read: only files ending in '.md' (lowercase) are content; "
                    f"rename it to {entry.name[:-3] + '.md'!r}")))
                continue
            _scan_entry(entry, root, site_root, folders, found, scan.problems)
    found.sort(key=lambda item: item[0].split(os.sep))
    scan.problems.sort()
    scan.warnings.sort()
    # Every path found starts with the content folder's: its label is computed once.
    top = str(content_dir)
    rel = _rel(content_dir, site_root)
    prefix = "" if rel == "." else rel.rstrip("/") + "/"
    pages = prefix + PAGES_FOLDER + "/"
    for name, key in found:
        label = prefix + name[len(top) + 1:] if name.startswith(top + os.sep) else _rel(
            Path(name), site_root)
        if _CONTROL_NAME.search(label):  # it would reach pages and messages: refused
            scan.problems.append(Problem(label, 0, "the file name contains a control "
                                                   "character; rename the file"))
            continue
        label = label.replace(os.sep, "/")
        (scan.pages if label.startswith(pages) else scan.files).append((name, label, key))
    scan.problems.sort()
    return scan


_CONTROL_NAME = re.compile("[\x00-\x1f\x7f-\x9f]")


def _misnamed(entry: os.DirEntry[str]) -> bool:
    """A Markdown file by its name but for the case of ``.md`` (``X.MD``): not read, reported."""
    name = entry.name
    if name.endswith(".md") or name[-3:].lower() != ".md" or not _content_name(
            name[:-3] + ".md"):
        return False
    try:
        return entry.is_file()
    except OSError:  # a link loop: not a file
        return False


def _scan_entry(entry: os.DirEntry[str], root: Path, site_root: Path, folders: list[str],
                found: list[tuple[str, tuple[int, int, int] | None]],
                problems: list[Problem]) -> None:
    """Sort one directory entry into a folder to walk, a content file or a problem."""
    link = entry.is_symlink()
    try:
        is_dir = entry.is_dir()  # follows links: a linked folder is reported if it leaves the site
    except OSError:  # a link loop: reported below like a broken link
        is_dir = False
    if is_dir:
        if link:
            if not _inside(Path(entry.path), root):
                problems.append(Problem(_rel(Path(entry.path), site_root), 0,
                                        "is a symbolic link to a folder outside the site"))
        elif not entry.name.startswith("."):
            folders.append(entry.path)
        return
    if not _content_name(entry.name):
        return
    if link:
        path = Path(entry.path)
        if not path.exists():
            problems.append(Problem(_rel(path, site_root), 0, "is a symbolic link whose "
                                    "target does not exist (or that points to itself)"))
            return
        if not _inside(path, root):
            problems.append(Problem(_rel(path, site_root), 0,
                                    "is a symbolic link to a file outside the site"))
            return
    try:
        info = entry.stat()
        key: tuple[int, int, int] | None = (info.st_size, info.st_mtime_ns, info.st_ino)
    except OSError:
        key = None
    found.append((entry.path, key))


def _content_name(name: str) -> bool:
    """A Markdown file, not an editor's backup, lock or hidden file."""
    return name.endswith(".md") and not name.startswith((".", "#", "~")) and "~" not in name


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def load_file(path: Path, label: str) -> tuple[Paper | None, list[Problem]]:
    """Read, decode and parse one content file."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return None, [Problem(label, 0, "is not a regular file (a named pipe, socket or "
                                            "device); remove it from the content folder")]
        data = b"" if info.st_size > MAX_FILE_BYTES else _read(path, info.st_size)
        size = info.st_size if len(data) <= MAX_FILE_BYTES else path.stat().st_size  # it grew
        if size > MAX_FILE_BYTES:
            return None, [Problem(label, 0, f"is {size:,} bytes; a content file may be at most "
                                            f"{MAX_FILE_BYTES:,} bytes")]
    except OSError as exc:
        return None, [Problem(label, 0, f"cannot be read: {exc.strerror}")]
    text, problem = decode(data, label)
    if problem:
        return None, [problem]
    assert text is not None
    paper, problems = parse_paper(text, label)
    if paper is not None:
        paper.path = path
    return paper, problems


def _read(path: Path, size: int) -> bytes:
    """The file's bytes (at most one more than :data:`MAX_FILE_BYTES`) in four system
    calls; ``read_bytes`` makes nine, asking also (twice) how large the file is and
    where in it, and whether it is a terminal."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        parts, total = [], 0
        # The file may have grown since it was measured: read to its end, within the limit.
        while total <= MAX_FILE_BYTES and (part := os.read(fd, size + 1)):
            parts.append(part)
            total += len(part)
    finally:
        os.close(fd)
    return parts[0] if len(parts) == 1 else b"".join(parts)


StatKey = tuple[int, int, int]
# A file's stat key, its paper and what ``prepare`` made of it (see load_content).
ParsedEntries = dict[str, tuple[StatKey, Paper, Any]]


class ShardSink(Protocol):
    """Where parsed papers are kept between builds, in groups (shards) of files.

    Forked parse workers hand over a whole group at a time: the worker that
    parsed it writes the group's cache file, which the main process reads back,
    so the papers are pickled once, not once to send and again to keep. (Sent
    through a pipe, a shard would hold up its worker until the main process,
    busy parsing groups of its own, found time to read it.)
    """

    def assign(self, labels: list[str]) -> dict[str, int]:
        """The group of each content file (``labels`` sorted)."""

    def pack(self, group: int, entries: ParsedEntries) -> tuple[bytes, bool]:
        """In a worker: keep the group; what the main process needs to read it back."""

    def unpack(self, group: int, data: bytes, written: bool) -> ParsedEntries | None:
        """In the main process: the papers of a packed group (None: parse it again)."""

    def keep(self, group: int, entries: ParsedEntries) -> None:
        """In the main process: keep a whole group parsed there (no packing to send)."""


def load_content(site_root: Path, content_dir: Path, cache: ParsedEntries | None = None,
                 parallel: bool = False, scan: ContentScan | None = None,
                 prepare: Callable[[Paper], Any] | None = None,
                 sink: ShardSink | None = None,
                 meanwhile: Callable[[], None] | None = None) -> LoadResult:
    """Load every paper under ``content_dir``, then check slugs are unique.

    ``cache`` maps a file to its (size, mtime, inode), parsed paper and prepared
    value; entries for unchanged files are reused and the mapping is updated in
    place. With ``parallel``, many changed files are parsed in forked workers
    (by groups of ``sink``, when given, which then keeps them). ``prepare`` runs
    on each newly parsed paper, in the worker, so that its work (the site's
    derive stage) is spread over the cores too and kept in the cache.
    ``meanwhile`` runs in this process while workers parse (the site warms up
    its templates there).
    """
    result = LoadResult()
    scan = scan or scan_content(content_dir, site_root)
    result.errors = list(scan.problems)
    result.warnings = list(scan.warnings)
    entries = [_cached(path, label, key, cache) for path, label, key in scan.files]
    misses = [(path, label) for path, label, _, hit in entries if hit is None]
    minimum = PARALLEL_PARSE if parallel else len(misses) + 1
    load = partial(_load_pair, prepare=prepare)
    if sink is not None and len(misses) >= minimum and can_fork():
        parsed = _load_groups(entries, sink, load, meanwhile)
    else:  # results come back in the order of ``misses``, which is the order of ``entries``
        parsed = fork_imap("parse", load, misses, minimum)
    for _path, label, key, hit in entries:
        paper, prepared, problems = hit or next(parsed)
        result.errors.extend(problems)
        if paper is not None:
            result.papers.append(paper)
            result.prepared.append(prepared)
            result.labels.append(label)
        if cache is not None and hit is None:
            if paper is not None and key is not None:
                cache[label] = (key, paper, prepared)
            else:
                cache.pop(label, None)
    parsed.close()  # ends the workers now, not when the iterator is dropped
    if cache is not None:
        for stale in set(cache) - {label for _, label, _, _ in entries}:
            del cache[stale]
    _assign_slugs(result, site_root)
    result.errors.sort()
    return result


PARALLEL_PARSE = 2000  # fewer changed files than this are parsed in this process
# Up to this many content files, the main process parses a share of them itself
# (above it, see _load_groups); about where rendering turns to short-lived tasks.
SHARE_PARSE_MAX = 20_000
_Loaded = tuple[Paper | None, Any, list[Problem]]  # a paper, what prepare made, problems
_Entry = tuple[str, str, StatKey | None, _Loaded | None]
_Group = tuple[int, list[tuple[str, str, StatKey | None]], bool]


def _load_groups(entries: list[_Entry], sink: ShardSink,
                 load: Callable[[tuple[str, str]], _Loaded],
                 meanwhile: Callable[[], None] | None = None) -> Generator[_Loaded, None, None]:
    """Parse the changed files group by group in forked workers; yield in ``entries`` order.

    A group none of whose files came from the cache is packed whole by its worker.
    """
    groups: dict[int, list[tuple[str, str, StatKey | None]]] = {}
    kept = set()
    where = sink.assign([label for _, label, _, _ in entries])
    for path, label, key, hit in entries:
        number = where[label]
        if hit is None:
            groups.setdefault(number, []).append((path, label, key))
        else:
            kept.add(number)
    tasks: list[_Group] = [
        (number, files, number not in kept and all(key for _, _, key in files))
        for number, files in sorted(groups.items())]
    loaded: dict[str, _Loaded] = {}
    work = partial(_load_group, sink=sink, load=load)
    here = partial(_load_group, sink=sink, load=load, here=True)
    # A large site is rendered by short-lived workers, each copying the memory its
    # task touches: there the papers are better all read back from the shard files,
    # which lays them out compactly, shard after shard, in rendering order.
    sharing = here if len(entries) <= SHARE_PARSE_MAX else None
    for index, (packed, results) in fork_share("parse", work, tasks, sharing, meanwhile):
        papers = sink.unpack(tasks[index][0], *packed) if packed is not None else {}
        if papers is None:  # its file went missing: parse the group again, here
            packed, results = here(tasks[index])
        else:
            loaded.update((label, (paper, prepared, []))
                          for label, (_, paper, prepared) in papers.items())
        loaded.update(results)
    for _path, label, _key, hit in entries:
        if hit is None:
            yield loaded.pop(label)


def _load_group(task: _Group, sink: ShardSink, load: Callable[[tuple[str, str]], _Loaded],
                here: bool = False
                ) -> tuple[tuple[bytes, bool] | None, list[tuple[str, _Loaded]]]:
    """In a worker: parse one group's files; pack the group when it is whole.

    Returns the packed group (if any) and what is not in it: files with problems,
    or every file of a group that is not whole. ``here`` (in the main process)
    keeps a whole group in the sink and returns every file.
    """
    number, files, whole = task
    results = [(label, key, load((path, label))) for path, label, key in files]
    if not whole:
        return None, [(label, loaded) for label, _, loaded in results]
    good: ParsedEntries = {label: (key, loaded[0], loaded[1]) for label, key, loaded in results
                        if loaded[0] is not None and key is not None}
    if here:
        sink.keep(number, good)
        return None, [(label, loaded) for label, _, loaded in results]
    return (sink.pack(number, good),
            [(label, loaded) for label, _, loaded in results if loaded[0] is None])


def _load_pair(pair: tuple[str, str], prepare: Callable[[Paper], Any] | None = None
               ) -> _Loaded:
    """Parse one file and prepare the paper (in a worker, so in parallel)."""
    paper, problems = load_file(Path(pair[0]), pair[1])
    if paper is None:
        return None, None, problems
    paper.slug = default_slug(paper)  # as :func:`_assign_slugs` does; a packed shard keeps it
    return paper, prepare(paper) if prepare is not None else None, problems


def _cached(path: str, label: str, key: tuple[int, int, int] | None, cache: ParsedEntries | None
            ) -> tuple[str, str, tuple[int, int, int] | None, _Loaded | None]:
    """The file, its stat key, and its cached parse when the file is unchanged.

    The cached paper itself is used (not a copy): the build only reads it.
    """
    if key is None:
        return path, label, None, None
    hit = cache.get(label) if cache is not None else None
    if hit is not None and hit[0] == key:
        return path, label, key, (hit[1], hit[2], [])
    return path, label, key, None


def default_slug(paper: Paper) -> str:
    """The paper's slug: from its front matter, else from its file name."""
    if paper.slug is not None:
        return paper.slug
    assert paper.path is not None
    stem = paper.path.stem
    return stem if SLUG_RE.fullmatch(stem) else slugify(stem)


def _assign_slugs(result: LoadResult, site_root: Path) -> None:
    seen: dict[str, Paper] = {}
    for paper in result.papers:
        paper.slug = default_slug(paper)
        other = seen.get(paper.slug)
        if other is not None and other.path is not None and paper.path is not None:
            label = _rel(paper.path, site_root)
            result.errors.append(Problem(
                label, paper.lines.get("slug", 1),
                f"slug '{paper.slug}' is already used by {_rel(other.path, site_root)}; "
                "give one of them a different 'slug'"))
            continue
        seen[paper.slug] = paper
