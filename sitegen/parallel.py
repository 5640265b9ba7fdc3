"""Spread CPU-bound work over the cores with forked workers.

Workers are forked, so they inherit the loaded site and need nothing sent to
them but slice numbers; each returns its results (or writes files itself).
Only for single-threaded callers: forking a process that runs threads is
unsafe, so the preview server turns this off.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # multiprocessing is imported when a pool is made: most rebuilds need none
    from multiprocessing.pool import Pool

T = TypeVar("T")
R = TypeVar("R")
_TASK: tuple[Callable[[Any], Any], Sequence[Any], int] | None = None
_SHARED: tuple[Callable[[Any], Any], Sequence[Any], Any] | None = None


def workers() -> int:
    """How many processes to use: the usable cores, at most 8."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        count = os.cpu_count() or 1
    return max(1, min(count, 8))


def _worker_start() -> None:
    # The inherited site is frozen (see forked_pool), so collections in the
    # worker look only at what it makes itself: rendering leaves cycles behind.
    gc.enable()


@contextlib.contextmanager
def forked_pool(count: int, recycle: bool = False) -> Iterator[Pool]:
    """A pool of ``count`` forked workers that share the loaded site copy-on-write.

    Everything loaded so far is frozen out of the cycle collector first: a
    collection writes to every object it visits, which would make each worker
    copy the whole site's memory. With ``recycle`` each worker does one task and
    is replaced by a fresh fork: a worker copies every page of memory it touches
    (reference counts are writes), so a long-lived worker ends up holding a copy
    of most of the site, while one per task holds only what its task touched.
    """
    import multiprocessing

    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(
                count, initializer=_worker_start,
                maxtasksperchild=1 if recycle else None) as pool:
            yield pool
    finally:
        gc.unfreeze()


CHUNK = 256  # items a worker handles per message: small enough that few are in flight


def _run_chunk(index: int) -> list[Any]:
    assert _TASK is not None
    func, items, size = _TASK
    return [func(item) for item in items[index * size:(index + 1) * size]]


def fork_imap(func: Callable[[T], R], items: Sequence[T], minimum: int,
              chunk: int = CHUNK) -> Generator[R, None, None]:
    """``func(x) for x in items``, in forked workers when there are ``minimum`` or more.

    Results come in order, each as soon as its chunk is done, so the caller
    handles them while the workers go on. Workers take ``chunk`` items per
    message, so neither they nor the pipe ever hold more than a few chunks:
    sending all of a worker's results in one message would hold them twice over
    (objects and their pickle) until the end.
    """
    count = workers()
    if len(items) < minimum or count < 2:
        yield from (func(item) for item in items)
        return
    global _TASK
    _TASK = (func, items, chunk)
    try:
        with forked_pool(count) as pool:
            for part in pool.imap(_run_chunk, range(-(-len(items) // chunk))):
                yield from part
    finally:
        _TASK = None


def fork_share(func: Callable[[T], R], items: Sequence[T], here: Callable[[T], R] | None,
               first: Callable[[], None] | None = None
               ) -> Generator[tuple[int, R], None, None]:
    """``(i, result)`` for every item, in no set order: forked workers take items
    from the front (``func``), this process takes them from the back (``here``;
    None leaves every item to the workers). ``first`` runs in this process once
    the workers have started, so its cost is shared out like an item's.

    For work whose results this process must keep anyway: what it computes itself
    needs no pickling, and one worker fewer is started. Items are handed out one
    at a time, and the workers' results are passed on between this process's own
    items, so the two ends meet where the work (with the caller's) is evenly shared.
    """
    count = workers()
    if count < 2 or len(items) < 2:
        local = here or func
        yield from ((index, local(item)) for index, item in enumerate(items))
        return
    import multiprocessing

    global _SHARED
    bounds = multiprocessing.get_context("fork").Array("q", [0, len(items)])
    _SHARED = (func, items, bounds)
    try:
        with forked_pool(count if here is None else count - 1) as pool:
            taken = pool.imap_unordered(_take_front, range(len(items)))
            if first is not None:
                first()
            while here is not None and (index := _take(bounds, front=False)) is not None:
                yield index, here(items[index])
                yield from _arrived(taken)
            yield from (result for result in taken if result is not None)
    finally:
        _SHARED = None


def _arrived(results: Iterator[tuple[int, Any] | None]) -> Iterator[tuple[int, Any]]:
    """The results of ``imap_unordered`` already in, without waiting (calls that found
    every item taken give None and are passed over)."""
    import multiprocessing

    while True:
        try:
            result = results.next(timeout=0)  # type: ignore[attr-defined]
        except (multiprocessing.TimeoutError, StopIteration):
            return
        if result is not None:
            yield result


def _take(bounds: Any, front: bool) -> int | None:
    """The next item not yet taken, from the front or the back; None when all are."""
    with bounds.get_lock():
        first, end = bounds[0], bounds[1]
        if first >= end:
            return None
        if front:
            bounds[0] = first + 1
            return int(first)
        bounds[1] = end - 1
        return int(end - 1)


def _take_front(_call: int) -> tuple[int, Any] | None:
    """Worker body of :func:`fork_share`: one item from the front, if any is left."""
    assert _SHARED is not None
    func, items, bounds = _SHARED
    index = _take(bounds, front=True)
    return None if index is None else (index, func(items[index]))
