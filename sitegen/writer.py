"""Stage 4, render: reuse unchanged files, render the rest, in parallel when it pays.

Small changes go out as a :class:`~sitegen.publish.Patch` (only changed files
are written and moved into place); anything larger, or a first build, writes a
full tree into :class:`~sitegen.publish.Staging`. Rendering of many pages is
spread over the cores with forked workers, which inherit the loaded site and
write their share of files straight into staging; a large site is rendered in
many small tasks, each by a fresh fork (see :func:`_tasks`).
"""

from __future__ import annotations

import bisect
import itertools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from sitegen import gcpolicy
from sitegen.cache import OutputCheck, folder_times, folders_of
from sitegen.errors import BuildError, Problem, SitegenError, WorkerError
from sitegen.keys import Job
from sitegen.parallel import Report, Workers, can_fork, workers
from sitegen.progress import Progress
from sitegen.publish import MARKER, SEARCH_DIR, Patch, Staging

PARALLEL_MIN = 1500  # below this many pages to render, forking costs more than it saves
# A site with more files to render than RUN_JOBS per worker is rendered in more
# tasks than workers, each by a fresh fork (see _tasks): paper pages in tasks
# of TASK_JOBS, the other files (list pages, each showing many papers) of LIST_TASK_JOBS.
RUN_JOBS = 12_000
# Each fresh fork copies again what its task touches: at 100,000 papers, list tasks
# of 1,000 built in 61 s with a 1.83 GB peak, of 500 in 66-73 s with 1.85-1.87 GB
# (two list tasks ran at once more often), of 3,000 in 65 s with 2.09 GB. Paper tasks
# of 12,000 files (3,000 papers with their citation files) made the render stage of a
# default build of 100,000 papers peak at 3.79 GB, with 216 s of CPU (each task reads
# five related papers a page, spread over the whole heap); of 3,000, at 2.24-2.33 GB
# with 130 s of CPU (bench/stage_memory.py).
TASK_JOBS = 3_000
LIST_TASK_JOBS = 1_000
TAIL_SPLIT = 4  # the last run of paper pages goes as this many tasks
CHECK_EVERY = 32  # files this process renders between looks at its workers


@dataclass
class Plan:
    """Which jobs must be rendered, which reused and which old files must go."""

    jobs: list[Job] = field(default_factory=list)  # every output file of the site
    render: list[Job] = field(default_factory=list)
    reuse: list[Job] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    patch: bool = False

    def spend(self) -> None:
        """Drop what rendered the files, once they are written: each job's producer holds
        the loaded site, which a large build lets go before its search stage."""
        for job in self.jobs:
            job.produce = _spent


def _spent() -> bytes:
    raise RuntimeError("this file was written already; its producer was let go")


def make_plan(jobs: list[Job], old_keys: dict[str, str], out: Path,
              stamps: dict[str, int], check: OutputCheck) -> Plan:
    """Compare job keys with the last build's; choose a patch when the change is small.

    ``stamps`` are the modification times of the output's folders after the last
    build (see :func:`folder_stamps`), a cheap way to see that nothing was added;
    ``check`` names the files that are no longer what that build published (they
    are rendered again) and tells whether files were added (then the whole tree
    is written anew, which drops them).
    """
    plan = Plan(jobs=jobs)
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
    folders = folders_of(paths) - {""}
    return folder_times(out, folders, dict(old) if old is not None else {})


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
        return 600 if "/" not in path else 1  # a paper's own CSL-JSON is as small as its .bib
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
    if len(jobs) <= RUN_JOBS * count:
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


Problems = list[tuple[str, int, str]]  # template errors, as plain tuples (workers send them)


def render_run(jobs: list[Job], target: Staging, done: Callable[[str], None]) -> Problems:
    """Render and write one run of jobs (in a worker, or in this process); return problems."""
    try:
        _write_jobs(jobs, target, done)
    except WorkerError:  # noticed by ``done`` in this process: not a problem of these pages
        raise
    except SitegenError as exc:
        return [(p.path, p.line, p.message) for p in exc.problems]
    return []


def _in_worker(runs: list[list[Job]], target: Staging, index: int, report: Report) -> Problems:
    """A worker's task: run ``index``, telling the parent every few files how far it got."""
    count = 0

    def done(_path: str) -> None:
        nonlocal count
        count += 1
        if count == CHECK_EVERY:
            report(count)
            count = 0

    problems = render_run(runs[index], target, done)
    report(count)
    return problems


def render_all(jobs: list[Job], target: Staging, progress: Progress,
               on_write: Callable[[str], None] | None = None, parallel: bool = True) -> None:
    """Render and write ``jobs`` into ``target``, forking workers for large batches.

    ``parallel`` is off in threaded callers (the preview server): forking a
    process that runs threads is unsafe. ``on_write`` (``--verbose``) hears of each
    file as it is written in this process, or after the workers are done: printing
    must not make the build it reports on serial.
    """
    count = workers()
    if len(jobs) < PARALLEL_MIN or not parallel or not can_fork():
        def done(path: str) -> None:
            if on_write is not None:
                on_write(path)
            progress.advance()

        _write_jobs(jobs, target, done)
        return
    # Files that read every paper are this process's own: a worker would copy the site.
    whole = [job for job in jobs if job.whole]
    runs = _tasks([job for job in jobs if not job.whole], count)
    # One run per worker: this process renders the last run itself, with one
    # worker fewer. A page a forked worker touches is copied once by whichever
    # process writes it first, so each worker that the parent would have left
    # idle is a second copy of its share of the site (and a process to start).
    own = len(runs) == count
    task = partial(_in_worker, runs, target)
    with Workers("render", task, len(runs), count - own, fresh=True,
                 on_progress=progress.advance) as pool:
        problems: Problems = _render_own(whole, target, progress, pool)
        if own and (index := pool.take_back()) is not None:
            problems += _render_own(runs[index], target, progress, pool)
        for _, found in pool.results():
            problems += found
    if problems:
        raise BuildError(*sorted({Problem(*p) for p in problems}))
    if on_write is not None:
        for job in jobs:
            on_write(job.path)


def _render_own(jobs: list[Job], target: Staging, progress: Progress,
                pool: Workers[Problems]) -> Problems:
    """Render this process's run, looking at the workers every few files (so that one
    that died is noticed at once) and collecting the cycles rendering leaves behind,
    as workers do (see :mod:`sitegen.gcpolicy`)."""
    count = 0
    results: Problems = []

    def done(_path: str) -> None:
        nonlocal count
        progress.advance()
        count += 1
        if count % CHECK_EVERY == 0:
            for _, found in pool.ready():
                results.extend(found)

    with gcpolicy.collecting():
        problems = render_run(jobs, target, done)
    return problems + results


def write_plan(plan: Plan, target: Staging, quiet: bool, verbose: bool,
               parallel: bool = True) -> None:
    """Reuse unchanged files (hard links in a full build) and render the rest."""
    progress = Progress(len(plan.render) + len(plan.reuse), quiet=quiet)
    if not isinstance(target, Patch):
        for job in plan.reuse:
            if not target.reuse(job.path):
                plan.render.append(job)
            progress.advance()
    on_write = (lambda path: print(f"wrote {path}")) if verbose else None
    render_all(plan.render, target, progress, on_write, parallel)
    progress.close()
