"""Write planned jobs: reuse unchanged files, render the rest, in parallel when it pays.

Small changes go out as a :class:`~sitegen.output.Patch` (only changed files
are written and moved into place); anything larger, or a first build, writes a
full tree into :class:`~sitegen.output.Staging`. Rendering of many pages is
spread over the cores with forked workers, which inherit the loaded site and
write their share of files straight into staging.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.errors import BuildError, Problem, SitegenError
from sitegen.output import MARKER, Patch, Staging
from sitegen.pages import Job
from sitegen.progress import Progress

SEARCH_DIR = "pagefind"  # written by the search step, not by jobs
PARALLEL_MIN = 1500  # below this many pages to render, forking costs more than it saves
_JOBS: list[Job] = []
_TARGET: Staging | None = None


@dataclass
class Plan:
    """Which jobs must be rendered, which reused and which old files must go."""

    render: list[Job] = field(default_factory=list)
    reuse: list[Job] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    patch: bool = False


def make_plan(jobs: list[Job], old_keys: dict[str, str], out: Path) -> Plan:
    """Compare job keys with the last build's; choose a patch when the change is small."""
    plan = Plan()
    for job in jobs:
        if old_keys.get(job.path) == job.key and (out / job.path).is_file():
            plan.reuse.append(job)
        else:
            plan.render.append(job)
    current = {job.path for job in jobs}
    plan.removed = sorted(path for path in old_keys if path not in current)
    changes = len(plan.render) + len(plan.removed)
    plan.patch = bool(old_keys) and (out / MARKER).is_file() and \
        changes <= max(64, len(jobs) // 20) and _only_ours(out, old_keys)
    return plan


def _only_ours(out: Path, old_keys: dict[str, str]) -> bool:
    """True when the live output holds only what the last build wrote.

    A patch leaves every other file in place, so a folder with files sitegen did
    not write (or the user's top-level dot-files and CNAME aside) gets a full
    build, which drops them: the result never depends on the build history.
    """
    for dirpath, dirnames, filenames in os.walk(out):
        rel_dir = os.path.relpath(dirpath, out)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != SEARCH_DIR]
            names = [n for n in filenames if not n.startswith(".") and n != "CNAME"]
        else:
            names = filenames
        prefix = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        if any(prefix + name not in old_keys for name in names):
            return False
    return True


def workers() -> int:
    """How many processes render pages: the usable cores, at most 8."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        count = os.cpu_count() or 1
    return max(1, min(count, 8))


def _render_slice(index: int, step: int) -> list[tuple[str, int, str]]:
    """Worker body: render every ``step``-th job from ``index``; return problems."""
    assert _TARGET is not None
    for job in _JOBS[index::step]:
        try:
            _TARGET.write(job.path, job.produce())
        except SitegenError as exc:
            return [(p.path, p.line, p.message) for p in exc.problems]
    return []


def render_all(jobs: list[Job], target: Staging, progress: Progress,
               on_write: Callable[[str], None] | None = None, parallel: bool = True) -> None:
    """Render and write ``jobs`` into ``target``, forking workers for large batches.

    ``parallel`` is off in threaded callers (the preview server): forking a
    process that runs threads is unsafe.
    """
    count = workers()
    if len(jobs) < PARALLEL_MIN or count < 2 or on_write is not None or not parallel:
        for job in jobs:
            target.write(job.path, job.produce())
            if on_write is not None:
                on_write(job.path)
            progress.advance()
        return
    global _JOBS, _TARGET
    _JOBS, _TARGET = jobs, target
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(count) as pool:
            results = [pool.apply_async(_render_slice, (i, count)) for i in range(count)]
            problems = [p for r in results for p in r.get()]
    finally:
        _JOBS, _TARGET = [], None
    progress.advance(len(jobs))
    if problems:
        raise BuildError(*sorted({Problem(*p) for p in problems}))


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
