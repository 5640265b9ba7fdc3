"""The search index in parts, so that an edit re-indexes one part instead of every page.

Pagefind cannot update an index, and indexing 10,000 pages takes seconds. So
the paper pages are split into parts by a stable hash of their path, each part
is a Pagefind index of its own, and the browser merges them (Pagefind's
``mergeIndex``; see the theme's ``search.js``). A build re-indexes only the
parts whose pages changed (each part is keyed by its pages' keys) and keeps the
others; parts are indexed side by side, one Pagefind process per core (one at a
time when they are large, to bound memory).

The number of parts grows with the site in powers of two (:func:`part_count`),
so a page stays in its part until the site doubles. Every query fetches one
index chunk from each part, so parts are kept large: :data:`PART_PAGES` pages,
and there are never more than :data:`MAX_PARTS`.

Layout of ``pagefind/``: part 0 is Pagefind's own output, with its script and
WebAssembly; part *n* is ``part-NNN/``, its index files only (a merged index
uses the first one's WebAssembly); :data:`PARTS_FILE` lists the merged parts.
Each part is indexed from sorted pages and made reproducible, so a clean
build and an incremental one give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sitegen.keys import make_key
from sitegen.outputs.pagefind_feed import index_pages
from sitegen.outputs.pagefind_files import make_reproducible
from sitegen.views import SiteData

FORMAT = 2
PART_PAGES = 2500  # pages a part holds at most, on average, before the parts double
# Every query fetches one chunk and one metadata file from each part (about 25 KB a
# part): beyond 8 parts a query fetches more than 1.5 times what one index costs it,
# so larger sites get larger parts instead.
MAX_PARTS = 8
# A Pagefind process (and sitegen's copy of the index it hands back) for a part this
# large holds about a gigabyte: such parts are indexed one at a time.
LARGE_PART = 5000
PARTS_FILE = "sitegen-parts.json"
ENTRY = "pagefind-entry.json"
# What Pagefind writes besides the index: the first part keeps them, merged parts drop them.
BUNDLE_SUFFIXES = (".js", ".css", ".pagefind")


def part_count(pages: int) -> int:
    """How many parts ``pages`` paper pages are split into: a power of two."""
    count = 1
    while pages > count * PART_PAGES and count < MAX_PARTS:
        count *= 2
    return count


def part_of(path: str, count: int) -> int:
    """The part of the page at site path ``path`` (stable across builds and machines)."""
    digest = hashlib.sha1(path.encode("utf-8"), usedforsecurity=False).digest()
    return int.from_bytes(digest[:4], "big") % count


def part_folder(number: int) -> str:
    """Where part ``number`` lives inside ``pagefind/`` ("" for the first)."""
    return f"part-{number:03d}" if number else ""


@dataclass(frozen=True)
class Part:
    """One part: its number, key and pages (site path of each page file)."""

    number: int
    key: str
    pages: tuple[str, ...]


def plan_parts(data: SiteData, base_key: str) -> list[Part]:
    """The parts of ``data``'s paper pages, each keyed by its pages' keys."""
    count = part_count(len(data.papers))
    grouped: list[list[tuple[str, str]]] = [[] for _ in range(count)]
    for view in data.papers:
        page = view.path + "index.html"
        grouped[part_of(page, count)].append((page, view.key))
    parts = []
    for number, pages in enumerate(grouped):
        pages.sort()
        key = make_key("pagefind-part", FORMAT, base_key, count, number, pages)
        parts.append(Part(number, key, tuple(page for page, _ in pages)))
    return parts


def entry_hash(folder: Path) -> str | None:
    try:
        return hashlib.sha1((folder / ENTRY).read_bytes(), usedforsecurity=False).hexdigest()
    except OSError:
        return None


@dataclass(frozen=True)
class Indexer:
    """How to run Pagefind: its binary, the selectors left out, the command wrapper."""

    binary: Path
    exclude: tuple[str, ...]
    wrap: Callable[[list[str]], list[str]]

    def index(self, part: Part, sources: tuple[Path, ...], output: Path,
              live: Path | None = None) -> None:
        """Index ``part`` into ``output``, reading each page from the first of ``sources``
        that has it (a patch's new pages, then the tree); the files that ``live`` (the
        published index) already holds for this part are linked from it."""
        pages = []
        for page in part.pages:
            found = next((s / page for s in sources if (s / page).is_file()),
                         sources[-1] / page)
            pages.append((page, found))
        reuse = live / part_folder(part.number) if live is not None else None
        index_pages(self.binary, output, pages, self.exclude, self.wrap, reuse=reuse)
        make_reproducible(output)
        if part.number:
            for item in output.iterdir():
                if item.is_file() and item.name.endswith(BUNDLE_SUFFIXES):
                    item.unlink()


def index_parts(indexer: Indexer, parts: list[Part], sources: tuple[Path, ...],
                scratch: Path, live: Path | None = None) -> dict[int, Path]:
    """Index ``parts`` (side by side, one Pagefind per core) into folders under
    ``scratch``; part number -> its new folder. Raises the first failure."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    folders = {part.number: scratch / f"part-{part.number:03d}" for part in parts}
    workers = max(1, min(len(parts), os.cpu_count() or 1))
    if any(len(part.pages) > LARGE_PART for part in parts):
        workers = 1
    with ThreadPoolExecutor(workers, thread_name_prefix="pagefind-part") as pool:
        futures = [pool.submit(indexer.index, part, sources, folders[part.number], live)
                   for part in parts]
        for future in futures:
            future.result()
    return folders


def parts_text(count: int) -> str:
    """The list of merged parts that the browser reads."""
    names = [part_folder(n) + "/" for n in range(1, count)]
    return json.dumps({"parts": names}, separators=(",", ":")) + "\n"


def _link_copy(source: Path, target: Path, skip_parts: bool) -> None:
    """Hard-link ``source``'s files into ``target`` (a part's folder, or the first part's
    files without the other parts)."""
    def ignore(folder: str, names: list[str]) -> list[str]:
        if not skip_parts or Path(folder) != source:
            return []
        return [n for n in names if n.startswith("part-") or n == PARTS_FILE]

    shutil.copytree(source, target, copy_function=os.link, ignore=ignore)


def assemble(target: Path, live: Path, fresh: dict[int, Path], count: int) -> None:
    """Make ``target`` (absent) the whole index: new parts from ``fresh``, the others
    hard-linked from the live index ``live``."""
    if 0 in fresh:
        os.rename(fresh[0], target)
    else:
        _link_copy(live, target, skip_parts=True)
    for number in range(1, count):
        name = part_folder(number)
        if number in fresh:
            os.rename(fresh[number], target / name)
        else:
            _link_copy(live / name, target / name, skip_parts=False)
    (target / PARTS_FILE).write_text(parts_text(count), encoding="utf-8")


def swap_in_place(target: Path, fresh: dict[int, Path], count: int) -> None:
    """Put the new parts into the live index ``target`` with renames only."""
    if 0 in fresh:  # the first part is the folder itself: move the kept parts into it
        new = fresh[0]
        for number in range(1, count):
            name = part_folder(number)
            os.rename(fresh[number] if number in fresh else target / name, new / name)
        (new / PARTS_FILE).write_text(parts_text(count), encoding="utf-8")
        replace_folder(new, target)
        return
    for number, folder in sorted(fresh.items()):
        replace_folder(folder, target / part_folder(number))
    for extra in target.glob("part-*"):
        if extra.name > part_folder(count - 1) or count == 1:
            shutil.rmtree(extra)
    text = parts_text(count)
    if (target / PARTS_FILE).is_file() and (target / PARTS_FILE).read_text("utf-8") == text:
        return
    (target / PARTS_FILE).write_text(text, encoding="utf-8")


def replace_folder(new: Path, target: Path) -> None:
    """Put ``new`` at ``target``, swapping out any old folder with renames."""
    if not target.exists():
        os.rename(new, target)
        return
    old = target.with_name(f".{target.name}.sitegen-old")
    shutil.rmtree(old, ignore_errors=True)
    os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)
