"""The one place sitegen forks: worker processes for the CPU-bound work of a stage.

Parsing and rendering a large site are spread over the cores by forked
workers. Forking hands the loaded site over once: a worker inherits it
copy-on-write and needs nothing sent to it; it takes task numbers from a
counter it shares with this process and sends each result back, pickled,
through a pipe of its own.

:class:`Workers` is the one interface (:func:`fork_imap` and :func:`fork_share`
are the two ways the parse stage uses it). It runs no helper threads, unlike
``multiprocessing.Pool`` and ``ProcessPoolExecutor``, which fork replacement
workers from one of theirs, so nothing ever forks while a thread runs; a
caller with threads of its own (the preview server) gets no workers at all.

A worker that dies before it is done (SIGKILL, the out-of-memory killer)
closes its pipe: the stage fails at once with a :class:`WorkerError` naming
the worker and the signal, after every other worker is killed and reaped.
Nothing can wait on a dead worker: the shared counter is guarded by a record
lock, which the kernel releases when its holder dies. A worker whose parent
dies goes too (``PR_SET_PDEATHSIG``), so a killed build leaves no worker
writing into a folder the next build will use.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import select
import signal
import struct
import threading
from collections import deque
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Generic, NoReturn, TypeVar

from sitegen import gcpolicy
from sitegen.errors import SitegenError, WorkerError

T = TypeVar("T")
R = TypeVar("R")
Report = Callable[[int], None]  # in a worker: "this many more units of work are done"
Task = Callable[[int, Report], R]  # does task number i

_FRAME = struct.Struct("<IB")  # payload length (for progress: the count), kind
_RESULT, _PROGRESS, _ERROR = 0, 1, 2
_ENDS = struct.Struct("<qq")
PIPE_BYTES = 1 << 20  # a pipe this large takes a worker's result without making it wait
CHUNK = 256  # items per task of fork_imap: few are in flight, yet tasks are not tiny


def workers() -> int:
    """How many processes to use: the usable cores, at most 8."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        count = os.cpu_count() or 1
    return max(1, min(count, 8))


def can_fork() -> bool:
    """True when forking workers is both useful (two cores) and safe (no other thread)."""
    return workers() >= 2 and threading.active_count() == 1


class _Tasks:
    """Task numbers not yet taken, shared by this process (the back) and workers (the front).

    Kept in a small anonymous file under a POSIX record lock, which the kernel
    releases when its holder dies: a killed worker never leaves the others waiting.
    """

    def __init__(self, count: int) -> None:
        try:
            self.fd = os.memfd_create("sitegen-tasks", os.MFD_CLOEXEC)
        except (AttributeError, OSError):  # pragma: no cover - not Linux
            import tempfile

            with tempfile.TemporaryFile() as handle:
                self.fd = os.dup(handle.fileno())
        os.pwrite(self.fd, _ENDS.pack(0, count), 0)

    def take(self, front: bool = True) -> int | None:
        """The next number from the front or the back; None when all are taken."""
        fcntl.lockf(self.fd, fcntl.LOCK_EX)
        try:
            first, end = _ENDS.unpack(os.pread(self.fd, _ENDS.size, 0))
            if first >= end:
                return None
            first, end = (first + 1, end) if front else (first, end - 1)
            os.pwrite(self.fd, _ENDS.pack(first, end), 0)
            return first - 1 if front else end
        finally:
            fcntl.lockf(self.fd, fcntl.LOCK_UN)

    def remaining(self) -> int:
        first, end = _ENDS.unpack(os.pread(self.fd, _ENDS.size, 0))
        return max(0, end - first)


@dataclass
class _Child:
    pid: int
    pipe: int  # the read end of the pipe it sends results through
    buffer: bytearray = field(default_factory=bytearray)


class Workers(Generic[R]):
    """Forked workers doing the numbered tasks of one stage; results come as they finish.

    ``run(i, report)`` does task ``i`` in a worker (``report(n)`` moves the
    caller's progress on by ``n``). Workers take numbers from the front;
    this process may take some from the back (:meth:`take_back`) and do them
    itself. Long-lived workers take tasks until none is left; with ``fresh``
    each task gets a new fork, which copies only the memory that task touches.
    """

    def __init__(self, role: str, run: Task[R], tasks: int, count: int, fresh: bool = False,
                 on_progress: Report | None = None) -> None:
        self.role = role  # names the workers in messages: "a render worker (pid N) ..."
        self.run = run
        self.count = max(1, count)
        self.fresh = fresh
        self.on_progress = on_progress
        self._tasks = _Tasks(tasks)
        self._children: dict[int, _Child] = {}  # by pipe
        self._poll = select.poll()
        self._results: deque[tuple[int, R]] = deque()
        self._frozen = contextlib.ExitStack()

    def __enter__(self) -> Workers[R]:
        self._frozen.enter_context(gcpolicy.frozen())
        try:
            _prctl()  # looked up here, before forking, not in each worker
            self._fill()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        """Kill and reap the workers left (none, once :meth:`results` has run out)."""
        try:
            for child in list(self._children.values()):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGKILL)
                self._forget(child)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(child.pid, 0)
            os.close(self._tasks.fd)
        finally:
            self._frozen.close()

    def take_back(self) -> int | None:
        """A task for this process to do itself, from the back; None when none is left."""
        return self._tasks.take(front=False)

    def results(self) -> Generator[tuple[int, R], None, None]:
        """Every result ``(task number, value)``, in the order they come; waits for them."""
        while self._children or self._results:
            if not self._results:
                self._wait(None)
            while self._results:
                yield self._results.popleft()

    def ready(self) -> list[tuple[int, R]]:
        """The results in so far, without waiting; raises if a worker died."""
        if self._children:
            self._wait(0)
        done = list(self._results)
        self._results.clear()
        return done

    def _fill(self) -> None:
        """Start workers in the free places while tasks are left for them.

        A fresh worker is given its task here; long-lived ones, all started at
        once, take theirs.
        """
        if not self.fresh:
            for _ in range(min(self.count, self._tasks.remaining()) - len(self._children)):
                self._start(None)
            return
        while len(self._children) < self.count and (number := self._tasks.take()) is not None:
            self._start(number)

    def _start(self, number: int | None) -> None:
        read_end, write_end = os.pipe()
        with contextlib.suppress(OSError, AttributeError):  # a larger pipe is only faster
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            self._worker(parent, read_end, write_end, number)
        os.close(write_end)
        self._children[read_end] = _Child(pid, read_end)
        self._poll.register(read_end, select.POLLIN)

    def _worker(self, parent: int, read_end: int, out: int, number: int | None) -> NoReturn:
        """The forked worker's whole life: take tasks, send results, exit (never returns)."""
        code = 1
        try:
            os.close(read_end)
            for child in self._children.values():  # other workers' pipes, inherited
                os.close(child.pipe)
            _die_with(parent)
            gcpolicy.in_worker()
            code = self._serve(out, number)
        except KeyboardInterrupt:
            code = 130
        finally:
            os._exit(code)

    def _serve(self, out: int, number: int | None) -> int:
        """Do task ``number``, or (None) take tasks until none is left; send each result."""
        def report(count: int) -> None:
            _write_all(out, _FRAME.pack(count, _PROGRESS))

        if number is None:
            number = self._tasks.take()
        while number is not None:
            try:
                value = self.run(number, report)
            except Exception as exc:  # noqa: BLE001 - raised again in the parent
                _send(out, _ERROR, _pickled_error(exc, self.role))
                return 1
            _send(out, _RESULT, pickle.dumps((number, value), pickle.HIGHEST_PROTOCOL))
            number = None if self.fresh else self._tasks.take()
        return 0

    def _wait(self, timeout: float | None) -> None:
        """Read what workers sent (waiting up to ``timeout`` s for something); reap the ended."""
        for fd, _event in self._poll.poll(None if timeout is None else int(timeout * 1000)):
            child = self._children.get(fd)
            if child is None:
                continue
            data = os.read(fd, PIPE_BYTES)
            if data:
                child.buffer += data
                self._frames(child)
            else:
                self._ended(child)
        if self.fresh:
            self._fill()

    def _frames(self, child: _Child) -> None:
        """Take the complete messages out of a worker's buffer."""
        buffer, head = child.buffer, _FRAME.size
        while len(buffer) >= head:
            size, kind = _FRAME.unpack_from(buffer)
            if kind == _PROGRESS:
                del buffer[:head]
                if self.on_progress is not None:
                    self.on_progress(size)
                continue
            if len(buffer) < head + size:
                return
            with memoryview(buffer) as view:
                value = pickle.loads(view[head:head + size])
            del buffer[:head + size]
            if kind == _ERROR:
                raise value
            self._results.append(value)

    def _ended(self, child: _Child) -> None:
        """A worker closed its pipe, so it exited: fine if it exited on its own."""
        self._forget(child)
        _, status = os.waitpid(child.pid, 0)
        if status == 0 and not child.buffer:
            return
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 130:
            raise KeyboardInterrupt
        raise WorkerError(f"a {self.role} worker (pid {child.pid}) {_fate(status)}")

    def _forget(self, child: _Child) -> None:
        self._children.pop(child.pipe, None)
        with contextlib.suppress(KeyError, ValueError):
            self._poll.unregister(child.pipe)
        with contextlib.suppress(OSError):
            os.close(child.pipe)


def _fate(status: int) -> str:
    """What ended a worker, in words."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "unknown"
        hint = "; the system may have run out of memory" if number == signal.SIGKILL else ""
        return f"was killed by signal {number} ({name}{hint})"
    return f"exited with status {os.waitstatus_to_exitcode(status)} before its work was done"


def _pickled_error(exc: Exception, role: str) -> bytes:
    """An exception raised in a worker, to raise again in the parent (with its traceback)."""
    import traceback

    if not isinstance(exc, SitegenError):  # a bug: keep where it happened
        exc.add_note(f"in a {role} worker:\n" + "".join(traceback.format_exception(exc)))
    try:
        return pickle.dumps(exc, pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an exception that cannot be pickled
        return pickle.dumps(RuntimeError(f"in a {role} worker: {type(exc).__name__}: {exc}"))


def _send(fd: int, kind: int, payload: bytes) -> None:
    _write_all(fd, _FRAME.pack(len(payload), kind))
    _write_all(fd, payload)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


@lru_cache(maxsize=1)
def _prctl() -> Any:
    """Linux's ``prctl``, or None (ctypes is loaded only by builds that fork)."""
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return None


def _die_with(parent: int) -> None:
    """In a worker: be killed when the parent dies (and exit if it already has)."""
    prctl = _prctl()
    if prctl is not None:
        prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def fork_imap(role: str, func: Callable[[T], R], items: Sequence[T], minimum: int,
              chunk: int = CHUNK) -> Generator[R, None, None]:
    """``func(x) for x in items``, in order, in forked workers when there are ``minimum`` or
    more (and forking is safe, see :func:`can_fork`).

    Results come as soon as their chunk and those before it are done, so the
    caller handles them while the workers go on; a worker's pipe holds a few
    chunks at most, so neither side ever holds all the results twice over.
    """
    if len(items) < minimum or not can_fork():
        yield from (func(item) for item in items)
        return

    def run(index: int, _report: Report) -> list[R]:
        return [func(item) for item in items[index * chunk:(index + 1) * chunk]]

    waiting: dict[int, list[R]] = {}
    turn = 0
    with Workers(role, run, -(-len(items) // chunk), workers()) as pool:
        for index, part in pool.results():
            waiting[index] = part
            while turn in waiting:
                yield from waiting.pop(turn)
                turn += 1


def fork_share(role: str, func: Callable[[T], R], items: Sequence[T],
               here: Callable[[T], R] | None, first: Callable[[], None] | None = None
               ) -> Generator[tuple[int, R], None, None]:
    """``(i, result)`` for every item, in no set order: forked workers take items from
    the front (``func``), this process takes them from the back (``here``; None leaves
    every item to the workers). ``first`` runs in this process once the workers have
    started, so its cost is shared out like an item's.

    For work whose results this process must keep anyway: what it computes itself
    needs no pickling, and one worker fewer is started. Between its own items it
    passes on what the workers sent, so the two ends meet where the work is evenly
    shared.
    """
    if len(items) < 2 or not can_fork():
        local = here or func
        yield from ((index, local(item)) for index, item in enumerate(items))
        return
    count = workers() - (here is not None)
    with Workers(role, lambda index, _report: func(items[index]), len(items), count) as pool:
        if first is not None:
            first()
        while here is not None and (index := pool.take_back()) is not None:
            yield index, here(items[index])
            yield from pool.ready()
        yield from pool.results()
