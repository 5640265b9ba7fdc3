"""Accepting connections for ``sitegen serve`` when file descriptors run out.

tornado's accept handler lets ``EMFILE`` escape. The listening socket stays
readable, so the event loop calls the handler again at once, forever: 100%
CPU and a traceback per turn (about 128 MB a minute with 1,100 connections
against a limit of 1,024). :class:`PreviewHTTPServer` accepts with
:func:`accept_with_backoff` instead, which stops accepting for a back-off that
doubles while the error lasts (up to :data:`MAX_BACKOFF`), says so at most once
per :data:`REPORT_EVERY` seconds, and keeps serving the connections it has.
"""

from __future__ import annotations

import errno
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop

MIN_BACKOFF = 0.05  # seconds without accepting after the system refused a descriptor
MAX_BACKOFF = 1.0
REPORT_EVERY = 10.0  # seconds between two reports of running out of descriptors
# What accept() raises when the process or the system has no descriptor (or memory) left.
_OUT_OF_DESCRIPTORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


class PreviewHTTPServer(HTTPServer):
    """tornado's HTTP server, accepting with :func:`accept_with_backoff`."""

    def add_sockets(self, sockets: Any) -> None:
        for sock in sockets:
            self._sockets[sock.fileno()] = sock
            self._handlers[sock.fileno()] = accept_with_backoff(sock, self._handle_connection)


class _Reporter:
    """Says that descriptors ran out at most once per :data:`REPORT_EVERY` seconds."""

    def __init__(self) -> None:
        self.last = -REPORT_EVERY
        self.missed = 0

    def __call__(self, exc: OSError) -> None:
        now = time.monotonic()
        if now - self.last < REPORT_EVERY:
            self.missed += 1
            return
        also = f" ({self.missed} more times since the last report)" if self.missed else ""
        print(f"sitegen serve: cannot accept a connection: {exc.strerror or exc}{also}; "
              "waiting for open connections to close", file=sys.stderr, flush=True)
        self.last, self.missed = now, 0


def accept_with_backoff(sock: socket.socket, callback: Callable[[socket.socket, Any], None],
                        report: Callable[[OSError], None] | None = None) -> Callable[[], None]:
    """Like ``tornado.netutil.add_accept_handler``, but out of descriptors it pauses.

    tornado lets ``EMFILE`` escape from its handler; the socket stays readable, so
    the loop calls it again at once, forever. Here accepting stops for a back-off
    that doubles while the error lasts, and the error is reported (rate-limited).
    Returns the function that stops accepting.
    """
    loop = IOLoop.current()
    report = report or _Reporter()
    state = {"removed": False, "paused": False, "backoff": MIN_BACKOFF}

    def accept(fd: Any, events: int) -> None:
        for _ in range(128):  # tornado's default backlog: other work gets its turn too
            if state["removed"] or state["paused"]:
                return
            try:
                connection, address = sock.accept()
            except BlockingIOError:
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:
                if exc.errno not in _OUT_OF_DESCRIPTORS:
                    raise
                pause(exc)
                return
            state["backoff"] = MIN_BACKOFF
            callback(connection, address)

    def pause(exc: OSError) -> None:
        loop.remove_handler(sock)
        state["paused"] = True
        report(exc)
        delay = float(state["backoff"])
        state["backoff"] = min(delay * 2, MAX_BACKOFF)
        loop.call_later(delay, resume)

    def resume() -> None:
        if state["removed"]:
            return
        state["paused"] = False
        loop.add_handler(sock, accept, IOLoop.READ)

    def remove() -> None:
        if not state["paused"]:
            loop.remove_handler(sock)
        state["removed"] = True

    loop.add_handler(sock, accept, IOLoop.READ)
    return remove
