"""A real HTTP server on loopback that plays the services ``sitegen update`` fetches.

Answers are set per path and per ``date=`` query value (``api/daily_papers``
gives another list each day); a path can also be told to fail a number of
times first (``429`` with ``Retry-After``, ``503``) or always. Every request
is logged with its path, query and User-Agent, so tests see what was asked.
"""

from __future__ import annotations

import http.server
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from conftest import shared_fixture

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "sources"
DAY_ONE, DAY_TWO = "2026-03-06", "2026-03-07"


def real_day_responses() -> dict[str, bytes]:
    """The ``api/daily_papers`` answers of two days (provenance: fixtures/sources/README.md)."""
    first = shared_fixture("hf_api_daily_papers_item_2602.23229.json").read_bytes()
    second = (FIXTURES / "hf_paper_2407.13168.json").read_bytes()
    return {DAY_ONE: b"[" + first.strip() + b"]", DAY_TWO: b"[" + second.strip() + b"]"}


@dataclass
class Route:
    """What one path answers: a body per ``date`` value ('' for any), and failures first."""

    bodies: dict[str, bytes] = field(default_factory=dict)
    content_type: str = "application/json"
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    always: int = 0  # a status to answer every time (0: none)


@dataclass
class Services:
    """The server's routes and its log of (path, query, user agent)."""

    url: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    log: list[tuple[str, dict[str, str], str]] = field(default_factory=list)

    def asked(self, path: str) -> list[dict[str, str]]:
        return [query for asked, query, _ in self.log if asked == path]


class _Handler(http.server.BaseHTTPRequestHandler):
    services: Services

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        parts = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.services.log.append((parts.path, query, self.headers.get("User-Agent", "")))
        route = self.services.routes.get(parts.path)
        if route is None:
            self._send(404, b"not found", {})
            return
        if route.always:
            self._send(route.always, b"failing", {})
            return
        if route.failures:
            status, headers = route.failures.pop(0)
            self._send(status, b"try later", headers)
            return
        body = route.bodies.get(query.get("date", ""), route.bodies.get("", b"[]"))
        self._send(200, body, {"Content-Type": route.content_type})


@contextmanager
def serve(services: Services) -> Iterator[Services]:
    """Serve ``services`` on 127.0.0.1 (a free port) for the ``with`` block."""
    handler = type("Handler", (_Handler,), {"services": services})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    services.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield services
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
