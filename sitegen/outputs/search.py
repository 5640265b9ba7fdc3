"""Search with Pagefind: a static index built after the pages, searched in the browser.

The ``pagefind`` binary ships inside the ``pagefind[extended]`` Python package,
so indexing needs no network. It reads only ``papers/**/*.html`` (the paper
pages, whose article carries ``data-pagefind-body``); titles, abstracts,
authors, organisations and tags are indexed, tags as a filter, and date,
upvotes and comments as sort keys (see the theme's ``paper.html``).

Pagefind numbers pages in the order it meets them; its command line meets
them in the order the file system lists them (tmpfs and ext4 differ), so
:mod:`sitegen.outputs.pagefind_feed` hands them to its service mode in sorted
order instead. Pagefind writes its filter and sort lists in hash-map order,
different on every run (its issue #638); :mod:`sitegen.outputs.pagefind_files`
puts them in order, so the same pages always give a byte-identical index. Pagefind cannot
update an index, and re-indexing costs seconds on large sites, so the index is
also keyed: the key (every paper page's key, the site settings and the
Pagefind version) is kept in ``.sitegen-cache/search-index.json`` with a hash
of the live index's ``pagefind-entry.json``. While both match, the live index
is hard-linked into the new tree (or, for an in-place patch build, left where
it is) instead of being rebuilt.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitegen.config import Config
from sitegen.errors import BuildError
from sitegen.keys import make_key
from sitegen.outputs.search_parts import (
    Indexer,
    Part,
    assemble,
    entry_hash,
    index_parts,
    part_folder,
    plan_parts,
    swap_in_place,
)
from sitegen.views import SiteData

FORMAT = 2
FOLDER = "pagefind"
ENTRY = "pagefind-entry.json"
RECORD = "search-index.json"
GLOB = "papers/**/*.html"
# Parts of the default theme's paper article that are not worth finding: the date and
# count line, the link buttons and the "Abstract" heading (they only clutter excerpts).
EXCLUDE = (".paper > header > .meta", ".paper > .links", "#abstract-heading")


def pagefind_binary() -> Path:
    """The Pagefind executable from the installed ``pagefind`` package (extended if present)."""
    found: Path | None = None
    try:
        from pagefind.service import get_executable

        found = get_executable()
    except ImportError:
        pass
    if found is None or not Path(found).is_file():
        raise BuildError("search: the Pagefind binary was not found; install sitegen's "
                         "dependencies (pagefind[extended]) or set search = false")
    return Path(found)


def pagefind_version() -> str:
    from importlib import metadata

    for name in ("pagefind_bin_extended", "pagefind_bin", "pagefind"):
        try:
            return f"{name} {metadata.version(name)}"
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


def index_key(data: SiteData) -> str:
    """What every part of the index depends on besides its own pages: how pages are made
    and indexed (each part adds its pages' keys, see ``search_parts.plan_parts``)."""
    return make_key("pagefind", FORMAT, pagefind_version(), GLOB, EXCLUDE, data.env_key)


# Started in place of Pagefind, this asks Linux to SIGKILL it when sitegen dies
# (PR_SET_PDEATHSIG survives exec), then becomes Pagefind. So a killed build leaves no
# indexer writing into a folder the next build will use. Done by a program of its own
# rather than between fork and exec in sitegen (a pre-exec hook), which is unsafe in a
# process with threads, such as the preview server.
_TRAMPOLINE = """
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
if os.getppid() != int(sys.argv[1]):  # sitegen is already gone
    sys.exit(1)
os.execv(sys.argv[2], sys.argv[2:])
"""


def dying_with_us(command: list[str]) -> list[str]:
    """``command`` started through :data:`_TRAMPOLINE`: it dies when sitegen does."""
    if not sys.platform.startswith("linux") or not sys.executable:
        return command
    return [sys.executable, "-I", "-S", "-c", _TRAMPOLINE, str(os.getpid()), *command]


@dataclass(frozen=True)
class IndexPlan:
    """What the search stage needs of the site: its settings and the parts of its paper
    pages, with their keys.

    Made from the site data before the pages are written, so that a large build can let
    the loaded site go while Pagefind, a process of its own, indexes the written pages.
    """

    config: Config
    cache_dir: Path
    parts: tuple[Part, ...]  # none when search is off or there is no paper page


def plan_index(data: SiteData) -> IndexPlan:
    """The search stage's plan for ``data``."""
    parts = plan_parts(data, index_key(data)) if data.config.search and data.papers else []
    return IndexPlan(data.config, data.cache_dir, tuple(parts))


def _record_path(index: IndexPlan) -> Path:
    return index.cache_dir / RECORD


def _record(index: IndexPlan) -> dict[str, Any]:
    try:
        loaded = json.loads(_record_path(index).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _save_record(index: IndexPlan, folder: Path) -> None:
    path = _record_path(index)
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = index.parts
    record = {"format": FORMAT, "output": str(index.config.output_path), "parts": [
        {"key": part.key, "entry": entry_hash(folder / part_folder(part.number))}
        for part in parts]}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _current(index: IndexPlan, live: Path) -> set[int]:
    """The parts whose live index the record vouches for: same key, same entry file."""
    record = _record(index)
    kept = record.get("parts")
    parts = index.parts
    if (record.get("format") != FORMAT or record.get("output") != str(index.config.output_path)
            or not isinstance(kept, list) or len(kept) != len(parts)):
        return set()
    return {part.number for part, old in zip(parts, kept, strict=True)
            if isinstance(old, dict) and old.get("key") == part.key
            and old.get("entry") == entry_hash(live / part_folder(part.number))}


def will_index(index: IndexPlan) -> bool:
    """Whether the search stage will run Pagefind: some part is not in the live index."""
    if not index.config.search or not index.parts:
        return False
    live = index.config.output_path / FOLDER
    return len(_current(index, live)) < len(index.parts)


def build_index(index: IndexPlan, site: Path, pending: Path | None = None
                ) -> tuple[str, Callable[[], None] | None]:
    """Give ``site`` an up-to-date ``pagefind/``: what was done ("kept", "reused",
    "indexed N of M parts" or "empty") and, for a patch, what puts it in place.

    ``site`` is either a fresh staging tree or, for a patch build, the live output;
    ``pending`` is the patch's folder of pages not yet moved into it. The new parts
    of a patch are put in place by the returned function, after the patch's pages.
    """
    target = site / FOLDER
    parts = index.parts
    if not parts:  # nothing to index, and Pagefind refuses an empty site
        shutil.rmtree(target, ignore_errors=True)
        return "empty", None
    live = index.config.output_path / FOLDER
    current = _current(index, live)
    same_tree = site.resolve() == index.config.output_path.resolve()
    stale = [part for part in parts if part.number not in current]
    if not stale and same_tree:
        return "kept", None
    if not stale and not target.exists():
        shutil.copytree(live, target, copy_function=os.link)
        _save_record(index, target)
        return "reused", None
    indexer = Indexer(pagefind_binary(), EXCLUDE, dying_with_us)
    scratch = site / f".{FOLDER}.sitegen-new"
    sources = (pending, site) if pending is not None else (site,)
    done = f"indexed {len(stale)} of {len(parts)} parts"
    try:
        fresh = index_parts(indexer, stale, sources, scratch, live if live.is_dir() else None)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise

    def finish() -> None:
        try:
            if same_tree:
                swap_in_place(target, fresh, len(parts))
            else:
                assemble(target, live, fresh, len(parts))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        _save_record(index, target)

    if pending is not None:
        return done, finish
    finish()
    return done, None


def forget_index(cache_dir: Path) -> None:
    """Drop the record of the last index, so the next build indexes again."""
    (cache_dir / RECORD).unlink(missing_ok=True)


def remove_index(site: Path) -> None:
    """Drop a stale index when search is turned off (only matters for in-place patches)."""
    folder = site / FOLDER
    if (folder / ENTRY).is_file():
        shutil.rmtree(folder)


def update_index(index: IndexPlan, tree: Path, pending: Path | None = None
                 ) -> tuple[str, Callable[[], None] | None]:
    """The post-process stage: build (or carry over) the search index over a finished tree,
    or drop it when search is off. What was done, and what is left for publishing.

    ``tree`` is the new tree, or the live output for an in-place patch (whose new
    pages wait in ``pending``); the index is in parts keyed by the paper pages, so
    only the parts whose pages changed are indexed again.
    """
    if index.config.search:
        return build_index(index, tree, pending)
    remove_index(tree)
    return "off", None
