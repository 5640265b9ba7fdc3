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

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

from sitegen.errors import BuildError
from sitegen.keys import make_key
from sitegen.outputs.pagefind_feed import index_in_order, page_files
from sitegen.outputs.pagefind_files import make_reproducible
from sitegen.views import SiteData

FORMAT = 1
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
    """Everything the index depends on: each paper page and how pages are made."""
    return make_key("pagefind", FORMAT, pagefind_version(), GLOB, EXCLUDE, data.env_key,
                    [(v.slug, v.key) for v in data.papers])


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


def _dying_with_us(command: list[str]) -> list[str]:
    """``command`` started through :data:`_TRAMPOLINE`: it dies when sitegen does."""
    if not sys.platform.startswith("linux") or not sys.executable:
        return command
    return [sys.executable, "-I", "-S", "-c", _TRAMPOLINE, str(os.getpid()), *command]


def _entry_hash(folder: Path) -> str | None:
    try:
        return hashlib.sha1((folder / ENTRY).read_bytes(), usedforsecurity=False).hexdigest()
    except OSError:
        return None


def _record_path(data: SiteData) -> Path:
    return data.cache_dir / RECORD


def _record(data: SiteData) -> dict[str, str]:
    try:
        loaded = json.loads(_record_path(data).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def _save_record(data: SiteData, key: str, folder: Path) -> None:
    path = _record_path(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"key": key, "output": str(data.config.output_path), "entry": _entry_hash(folder)}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def build_index(data: SiteData, site: Path) -> str:
    """Give ``site`` an up-to-date ``pagefind/``; returns "kept", "reused", "indexed" or "empty".

    ``site`` is either a fresh staging tree or, for a patch build, the live output.
    """
    key = index_key(data)
    target = site / FOLDER
    if not data.papers:  # nothing to index, and Pagefind refuses an empty site
        shutil.rmtree(target, ignore_errors=True)
        return "empty"
    live = data.config.output_path / FOLDER
    record = _record(data)
    current = (record.get("key") == key and record.get("output") == str(data.config.output_path)
               and record.get("entry") == _entry_hash(live))
    same_tree = site.resolve() == data.config.output_path.resolve()
    if current and same_tree:
        return "kept"
    if current and not target.exists():
        shutil.copytree(live, target, copy_function=os.link)
        return "reused"
    fresh = site / f".{FOLDER}.sitegen-new"
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        # In sorted order: the command line would number pages in the order the file
        # system lists them (see pagefind_feed), so tmpfs and ext4 gave different indexes.
        index_in_order(pagefind_binary(), site, fresh, page_files(site, GLOB), EXCLUDE,
                       _dying_with_us)
        make_reproducible(fresh)
        _replace_folder(fresh, target)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    _save_record(data, key, target)
    return "indexed"


def _replace_folder(new: Path, target: Path) -> None:
    """Put ``new`` at ``target``, swapping out any old folder with renames."""
    if not target.exists():
        os.rename(new, target)
        return
    old = target.with_name(f".{target.name}.sitegen-old")
    shutil.rmtree(old, ignore_errors=True)
    os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)


def forget_index(cache_dir: Path) -> None:
    """Drop the record of the last index, so the next build indexes again."""
    (cache_dir / RECORD).unlink(missing_ok=True)


def remove_index(site: Path) -> None:
    """Drop a stale index when search is turned off (only matters for in-place patches)."""
    folder = site / FOLDER
    if (folder / ENTRY).is_file():
        shutil.rmtree(folder)


def update_index(data: SiteData, tree: Path) -> None:
    """The post-process stage: build (or carry over) the search index over a finished tree,
    or drop it when search is off.

    ``tree`` is the new tree, or the live output for an in-place patch; the
    index is keyed by the paper pages, so an unchanged one is carried over.
    """
    if data.config.search:
        build_index(data, tree)
    else:
        remove_index(tree)
