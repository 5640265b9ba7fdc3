"""Write planned jobs: reuse unchanged files, render the rest, in parallel when it pays.

Small changes go out as a :class:`~sitegen.output.Patch` (only changed files
are written and moved into place); anything larger, or a first build, writes a
full tree into :class:`~sitegen.output.Staging`. Rendering of many pages is
spread over the cores with forked workers, which inherit the loaded site and
write their share of files straight into staging; a large site is rendered in
many small tasks, each by a fresh fork (see :func:`_tasks`).
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import itertools
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitegen.cache import OutputCheck
from sitegen.errors import BuildError, Problem, SitegenError
from sitegen.output import MARKER, Patch, Staging
from sitegen.pages import Job
from sitegen.parallel import forked_pool, workers
from sitegen.progress import Progress

SEARCH_DIR = "pagefind"  # written by the search step, not by jobs
PARALLEL_MIN = 1500  # below this many pages to render, forking costs more than it saves
# A site with more files to render than TASK_JOBS per worker is rendered in more
# tasks than workers, each by a fresh fork (see forked_pool): paper pages in tasks
# of TASK_JOBS, the other files (list pages, each showing many papers) of LIST_TASK_JOBS.
# Each fresh fork copies again what its task touches: at 100,000 papers, list tasks
# of 1,000 built in 61 s with a 1.83 GB peak, of 500 in 66-73 s with 1.85-1.87 GB
# (two list tasks ran at once more often), of 3,000 in 65 s with 2.09 GB.
TASK_JOBS = 12_000
LIST_TASK_JOBS = 1_000
TAIL_SPLIT = 4  # the last run of paper pages goes as this many tasks
_JOBS: list[list[Job]] = []
_TARGET: Staging | None = None
_DONE: Any = None  # a shared counter of rendered jobs, for the progress bar


@dataclass
class Plan:
    """Which jobs must be rendered, which reused and which old files must go."""

    render: list[Job] = field(default_factory=list)
    reuse: list[Job] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    patch: bool = False


def make_plan(jobs: list[Job], old_keys: dict[str, str], out: Path,
              stamps: dict[str, int], check: OutputCheck) -> Plan:
    """Compare job keys with the last build's; choose a patch when the change is small.

    ``stamps`` are the modification times of the output's folders after the last
    build (see :func:`folder_stamps`), a cheap way to see that nothing was added;
    ``check`` names the files that are no longer what that build published (they
    are rendered again) and tells whether files were added (then the whole tree
    is written anew, which drops them).
    """
    plan = Plan()
    root = str(out)
    # Unchanged folder times mean no file of the last build went missing, so the
    # files need not be looked at one by one.
    intact = (bool(old_keys) and not check.extra and (out / MARKER).is_file()
              and _only_ours(out, old_keys, stamps))
    changed = check.changed
    for job in jobs:
        if old_keys.get(job.path) == job.key and job.path not in changed and (
                intact or os.path.isfile(os.path.join(root, job.path))):
            plan.reuse.append(job)
        else:
            plan.render.append(job)
    current = {job.path for job in jobs}
    plan.removed = sorted(path for path in old_keys if path not in current)
    changes = len(plan.render) + len(plan.removed)
    plan.patch = intact and changes <= max(64, len(jobs) // 20)
    return plan


def folder_stamps(out: Path, paths: Iterable[str], old: dict[str, int] | None = None
                  ) -> dict[str, int]:
    """Modification times of every folder (below the top) that holds output files.

    A folder's time changes whenever an entry is added to or removed from it, so
    equal stamps mean no file appeared next to the ones sitegen wrote (or went
    missing). With ``old`` (the stamps before a patch) only the folders of
    ``paths`` (what the patch wrote or removed) are looked at again.
    """
    folders: set[str] = set()
    for path in paths:
        folder = path.rpartition("/")[0]
        while folder and folder not in folders:  # a folder seen before brought its parents
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    stamps = dict(old) if old is not None else {}
    prefix, stat = str(out) + os.sep, os.stat  # one stat per folder: thousands of them
    for folder in sorted(folders):
        try:
            stamps[folder] = stat(prefix + folder).st_mtime_ns
        except OSError:  # a folder the patch emptied and removed
            stamps.pop(folder, None)
    return stamps


def _only_ours(out: Path, old_keys: dict[str, str], stamps: dict[str, int]) -> bool:
    """True when the live output holds only what the last build wrote.

    A patch leaves every other file in place, so a folder with files sitegen did
    not write (the user's top-level dot-files and CNAME aside) gets a full
    build, which drops them: the result never depends on the build history.
    """
    tops = {path.partition("/")[0] for path in old_keys}
    present = set()
    for entry in os.scandir(out):
        name = entry.name
        present.add(name)
        if name.startswith(".") or name in ("CNAME", SEARCH_DIR):
            continue
        if name not in tops or (entry.is_file() and name not in old_keys):
            return False
    if not tops <= present:  # a top-level file or folder of the last build is gone
        return False
    prefix, stat = str(out) + os.sep, os.stat  # one stat per folder: thousands of them
    try:
        return all(stat(prefix + folder).st_mtime_ns == stamp for folder, stamp in stamps.items())
    except OSError:
        return False


def _write_jobs(jobs: Iterable[Job], target: Staging, done: Callable[[str], None]) -> None:
    """Render each job and write its file."""
    for job in jobs:
        target.write(job.path, job.produce())
        done(job.path)


def _cost(path: str) -> int:
    """About how long a file takes to render and write, relative to a paper's ``.bib``.

    Only for splitting the work evenly: a list page costs more than a paper page,
    a feed or a file that joins every paper (``papers.json``) far more.
    """
    if path.endswith(".html"):
        return 6 if path.startswith("papers/") else 9
    if path.endswith(".bib"):
        return 1 if "/" in path else 600
    if path.endswith(".xml"):
        return 100
    if path.endswith(".json"):
        return 600
    return 1


def _deal(jobs: list[Job], count: int) -> list[list[Job]]:
    """Split jobs (sorted by path) into ``count`` runs of about equal cost (:func:`_cost`).

    Each run ends at a folder boundary, so a folder's files are written by one
    worker that creates the folder once. Runs, rather than every n-th job,
    because the papers were loaded in path order: a worker rendering one run
    touches (and so copies from its parent) about its share of the site's
    memory, where dealing jobs in turn would make every worker copy all of it.
    """
    costs = list(itertools.accumulate(_cost(job.path) for job in jobs))
    total = costs[-1] if costs else 0
    shares: list[list[Job]] = []
    start = 0
    for number in range(1, count + 1):
        end = bisect.bisect_left(costs, total * number / count) + 1 if number < count else len(jobs)
        end = min(end, len(jobs))
        while 0 < end < len(jobs) and (jobs[end].path.rpartition("/")[0]
                                       == jobs[end - 1].path.rpartition("/")[0] != ""):
            end += 1
        end = max(end, start)
        shares.append(jobs[start:end])
        start = end
    shares[-1] += jobs[start:]
    return shares


def _tasks(jobs: list[Job], count: int) -> list[list[Job]]:
    """The jobs dealt to ``count`` workers: one run each, or for a large site many runs.

    A worker copies from its parent every page of memory it touches (reading an
    object writes its reference count), so one that renders for a whole build of
    100,000 papers ends up holding a copy of most of the site, while a fresh fork
    per task holds what its task touched. A list page touches every paper it
    shows, so list pages go in smaller tasks; paper pages and other files take
    turns, so that two list tasks seldom run at once.
    """
    if len(jobs) <= TASK_JOBS * count:
        return _deal(jobs, count)
    pages = [job for job in jobs if job.path.startswith("papers/")]
    others = [job for job in jobs if not job.path.startswith("papers/")]
    page_runs = _deal(pages, -(-len(pages) // TASK_JOBS)) if pages else []
    other_runs = _deal(others, -(-len(others) // LIST_TASK_JOBS)) if others else []
    # The last tasks end the build: a whole run of paper pages among them (seconds of
    # work at 100,000 papers) would leave the other workers idle, so the last run
    # goes as shorter tasks.
    if page_runs:
        page_runs[-1:] = [run for run in _deal(page_runs[-1], TAIL_SPLIT) if run]
    return [run for pair in itertools.zip_longest(page_runs, other_runs) for run in pair if run]


def _render_slice(index: int, tick: Callable[[], None] | None = None
                  ) -> list[tuple[str, int, str]]:
    """Worker body: render share ``index`` of the jobs; return problems.

    ``tick`` runs after each file (this process's own share updates the progress bar).
    """
    assert _TARGET is not None and _DONE is not None
    counter = _DONE

    def done(_path: str) -> None:
        with counter.get_lock():
            counter.value += 1
        if tick is not None:
            tick()

    try:
        _write_jobs(_JOBS[index], _TARGET, done)
    except SitegenError as exc:
        return [(p.path, p.line, p.message) for p in exc.problems]
    return []


def _render_own(index: int, show: Callable[[], None]) -> list[tuple[str, int, str]]:
    """Render run ``index`` in this process, collecting the cycles rendering leaves behind
    (as workers do, see :func:`sitegen.parallel.forked_pool`: the loaded site is frozen)."""
    enabled = gc.isenabled()
    gc.enable()
    try:
        return _render_slice(index, show)
    finally:
        if not enabled:
            gc.disable()


class _Background(threading.Thread):
    """Runs ``work`` at the lowest CPU priority, so that it mostly uses the time the
    render workers leave idle (waiting for the disk) rather than theirs."""

    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__(name="sitegen-meanwhile", daemon=True)
        self.work = work
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # a nice value is only a hint
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        try:
            self.work()
        except BaseException as exc:  # noqa: BLE001 - raised again by join()
            self.error = exc

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        if self.error is not None:
            raise self.error


def render_all(jobs: list[Job], target: Staging, progress: Progress,
               on_write: Callable[[str], None] | None = None, parallel: bool = True,
               meanwhile: Callable[[], None] = lambda: None) -> None:
    """Render and write ``jobs`` into ``target``, forking workers for large batches.

    ``parallel`` is off in threaded callers (the preview server): forking a
    process that runs threads is unsafe. ``meanwhile`` runs in this process
    while the workers render (or after rendering, without workers).
    """
    count = workers()
    if len(jobs) < PARALLEL_MIN or count < 2 or on_write is not None or not parallel:
        def done(path: str) -> None:
            if on_write is not None:
                on_write(path)
            progress.advance()

        _write_jobs(jobs, target, done)
        meanwhile()
        return
    global _JOBS, _TARGET, _DONE
    _JOBS, _TARGET = _tasks(jobs, count), target
    tasks = len(_JOBS)
    # One run per worker: this process renders the last run itself, with one
    # worker fewer. A page a forked worker touches is copied once by whichever
    # process writes it first, so each worker that the parent would have left
    # idle is a second copy of its share of the site (and a process to start).
    own = 1 if tasks == count else 0
    import multiprocessing

    _DONE = multiprocessing.get_context("fork").Value("q", 0)
    shown = 0

    def show() -> None:
        nonlocal shown
        value = _DONE.value
        progress.advance(value - shown)
        shown = value

    try:
        with forked_pool(count - own, recycle=tasks > count) as pool:
            results = [pool.apply_async(_render_slice, (i,)) for i in range(tasks - own)]
            # Started after the first forks; a recycled worker, forked later, inherits
            # this thread's memory but never uses what it holds (the parse cache).
            side = _Background(meanwhile)
            try:
                problems = _render_own(tasks - 1, show) if own else []
                for result in results:
                    while not result.ready():
                        result.wait(0.2)
                        show()
                problems += [p for r in results for p in r.get()]
            finally:
                side.join()  # also when a worker failed: nothing outlives the build
    finally:
        _JOBS, _TARGET, _DONE = [], None, None
    progress.advance(len(jobs) - shown)
    if problems:
        raise BuildError(*sorted({Problem(*p) for p in problems}))


def write_plan(plan: Plan, target: Staging, quiet: bool, verbose: bool,
               parallel: bool = True, meanwhile: Callable[[], None] = lambda: None) -> None:
    """Reuse unchanged files (hard links in a full build) and render the rest.

    ``meanwhile`` is work for this process while workers render (see :func:`render_all`).
    """
    progress = Progress(len(plan.render) + len(plan.reuse), quiet=quiet)
    if not isinstance(target, Patch):
        for job in plan.reuse:
            if not target.reuse(job.path):
                plan.render.append(job)
            progress.advance()
    on_write = (lambda path: print(f"wrote {path}")) if verbose else None
    render_all(plan.render, target, progress, on_write, parallel, meanwhile)
    progress.close()
