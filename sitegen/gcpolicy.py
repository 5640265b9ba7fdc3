"""When the cycle collector runs: the whole policy, in one place.

A build holds every paper in memory until it ends, so the collector's full
passes over them (dozens per build) find nothing and cost about a quarter of
the time of a small rebuild. So:

- a one-shot command runs with the collector off (:func:`for_command`); the
  preview server, which runs for hours and leaves each build's papers behind
  in cycles (neighbour links), keeps it on between builds;
- a build pauses it (:func:`paused`);
- before workers are forked, everything loaded is frozen out of it
  (:func:`frozen`): a collection writes to every object it visits, which would
  make each worker copy the whole site's memory;
- a worker, and the main process while it renders its own share of pages,
  collect the cycles rendering leaves behind (:func:`in_worker`,
  :func:`collecting`): they look only at what was made after the freeze;
- a large build that lets the loaded site go once its pages are written
  collects it at once (:func:`release`), so that the search indexer it starts
  next does not come on top of it.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


def for_command(command: str | None) -> None:
    """Set the collector for a whole command: off unless it is the long-running preview."""
    if command != "serve":
        gc.disable()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No collections during a build; what it leaves behind is collected after, if enabled."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def frozen() -> Iterator[None]:
    """Keep what is loaded out of collections while forked workers share it."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def in_worker() -> None:
    """In a freshly forked worker: collect what it makes (the inherited site is frozen)."""
    gc.enable()


@contextlib.contextmanager
def collecting() -> Iterator[None]:
    """Collect while the main process does a worker's share of the work."""
    enabled = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not enabled:
            gc.disable()


def release() -> None:
    """Collect what was let go and hand the freed memory back to the system.

    Papers and their views hold one another in cycles (neighbour links), so only
    a collection frees them; the C library then keeps most of what they took
    (long strings, such as abstracts) until told to give it back.
    """
    import ctypes  # only here: most builds never let their site go

    gc.collect()
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # pragma: no cover - not the GNU C library
        return
    trim(0)
