"""The HTTP side of ``sitegen serve``: the built site, livereload's script and its socket.

It is a tornado application made from livereload's ``LiveReloadHandler`` and
``LiveReloadJSHandler`` plus our own file handler. livereload's defaults suit a
tool trusted on its network, not a server that any web page in the browser can
reach, so this module changes them:

* ``LiveReloadHandler.check_origin`` accepts every origin; :class:`ReloadSocket`
  requires an ``Origin`` equal to the server's own ``http://host:port``.
* livereload keeps connected browsers in a class attribute shared by every
  server in the process; here each server has its own :class:`Hub`.
* livereload's ``/forcereload`` route lets any page trigger reloads; it is not routed.
* livereload's ``StaticFileHandler`` (tornado's) follows symbolic links out of
  its root and caches file versions by path; :class:`SiteHandler` resolves every
  request against the output folder as it is at that moment (a build swaps the
  folder) and refuses anything that lands outside it.
* Every request must name one of the server's own hosts in ``Host`` (DNS rebinding).
* A malformed websocket message closes that one connection; so does one nested
  deeper than :data:`MAX_JSON_DEPTH` (``json`` would recurse until RecursionError).
* Out of file descriptors, the server backs off instead of spinning (see
  :mod:`sitegen.serve.accept`); a file it cannot open for that reason is a 503.

The live-reload ``<script>`` is added to HTML responses here, never written
into built files; while the last build failed, an error banner is added too.
"""

from __future__ import annotations

import errno
import html
import json
import mimetypes
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, unquote

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from tornado import web
from tornado.websocket import WebSocketClosedError

RELOAD_PATH = "/livereload"  # fixed by livereload.js
SCRIPT_PATH = "/livereload.js"
MAX_MESSAGE = 64 * 1024
MAX_JSON_DEPTH = 32  # livereload's messages nest two or three levels
# What the system raises when the process or the system has no descriptor (or memory) left.
_OUT_OF_DESCRIPTORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
CHUNK = 64 * 1024
HELLO = {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"],
         "serverName": "sitegen"}
RELOAD = {"command": "reload", "path": "/", "liveCSS": False, "liveImg": False}

_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
_BODY_OPEN = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)
# Every colour the banner shows is set here, on each element: a site's style sheet (a `pre`
# background, a dark-mode text colour) must not change it. White on #7f1d1d is 10:1 (WCAG AA
# asks 4.5:1), the same in light and dark mode.
_BANNER_STYLE = ("position:fixed;top:0;left:0;right:0;z-index:2147483647;max-height:60vh;"
                 "overflow:auto;margin:0;padding:12px 16px;background:#7f1d1d;color:#fff;"
                 "font:14px/1.45 ui-monospace,monospace;text-align:left;color-scheme:only light")
_BANNER_TEXT = "color:#fff;background:#7f1d1d;"
_BANNER_PRE = (_BANNER_TEXT + "white-space:pre-wrap;margin:8px 0 0;padding:0;border:0;"
               "border-radius:0;font:inherit;overflow:visible")


@dataclass(frozen=True)
class PreviewState:
    """What requests see: the live output folder, its URL path and the last build's errors."""

    out: Path
    base_path: str = "/"
    problems: tuple[str, ...] = ()
    # Pages served in place of their files until the build under way ends, by the real
    # path of the file (the preview's quick page: sitegen.serve.quick).
    pages: Mapping[str, bytes] = field(default_factory=dict)
    # Files served from memory by their path under the base path, present or not in the
    # output (the quick page's search index: sitegen.outputs.search_edits).
    files: Mapping[str, bytes] = field(default_factory=dict)


class Preview(Protocol):
    """The server object the handlers read from (see :class:`sitegen.serve.PreviewServer`)."""

    state: PreviewState
    hub: Hub
    allowed_hosts: frozenset[str]


class Hub:
    """The browsers of one server that finished the livereload handshake (IOLoop thread only)."""

    def __init__(self) -> None:
        self.clients: set[ReloadSocket] = set()
        self.reloads = 0

    def reload(self) -> None:
        """Tell every connected page to reload."""
        self.reloads += 1
        message = json.dumps(RELOAD)
        for client in list(self.clients):
            try:
                client.write_message(message)
            except WebSocketClosedError:
                self.clients.discard(client)

    def close_all(self) -> None:
        for client in list(self.clients):
            client.close(1001, "server stopping")
        self.clients.clear()


class Guarded(web.RequestHandler):
    """Refuses requests whose ``Host`` is not ours; no caching, no content sniffing."""

    def initialize(self, preview: Preview) -> None:
        self.preview = preview

    def prepare(self) -> None:
        if self.request.headers.get("Host", "").lower() not in self.preview.allowed_hosts:
            raise web.HTTPError(403, reason="Unknown Host")

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    def compute_etag(self) -> None:
        return None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {self._reason}\n")


class ReloadSocket(Guarded, LiveReloadHandler):
    """livereload's socket, limited to our own origin and to this server's :class:`Hub`."""

    def prepare(self) -> None:
        super().prepare()
        origin = self.request.headers.get("Origin")
        if origin is None or not self.check_origin(origin):
            raise web.HTTPError(403, reason="Origin not allowed")

    def check_origin(self, origin: str) -> bool:
        # livereload returns True here, letting any web page connect.
        return origin.lower() == "http://" + self.request.headers.get("Host", "").lower()

    def on_message(self, message: str | bytes) -> None:
        # livereload's version raises on bad JSON and keeps waiters in a shared class set.
        try:
            if json_depth(message) > MAX_JSON_DEPTH:
                raise ValueError("nested too deeply")
            command = json.loads(message)["command"]
            if not isinstance(command, str):
                raise TypeError(command)
        except (ValueError, TypeError, KeyError, IndexError):
            self.close(1003, "malformed message")
            return
        if command == "hello":
            self.write_message(json.dumps(HELLO))
        elif command == "info":
            self.preview.hub.clients.add(self)

    def on_close(self) -> None:
        self.preview.hub.clients.discard(self)


# A string (to its end, or the text's: never rescanned) or a bracket; linear on any input.
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]++|\\.)*+"?|[\[\]{}]', re.DOTALL)


def json_depth(message: str | bytes) -> int:
    """How deeply a JSON text nests arrays and objects (strings skipped), in one linear scan."""
    data = message.encode("utf-8", "surrogatepass") if isinstance(message, str) else message
    depth = deepest = 0
    for match in _JSON_TOKEN.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


class ScriptHandler(Guarded, LiveReloadJSHandler):
    """livereload.js, served by us so pages never load code from another host."""


def split_host(value: str) -> tuple[str, int]:
    """``Host`` header to (host, port); livereload.js needs both to find the socket."""
    match = re.fullmatch(r"(\[[0-9A-Fa-f:.]*\]|[^:\[\]]*)(?::(\d{1,5}))?", value)
    if not match:
        return "", 80
    return match.group(1), int(match.group(2) or 80)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def resolve(out: Path, rel: str) -> Path | str | None:
    """The file for ``rel`` (a URL path below the base), a folder path to redirect to, or None.

    None for anything that would leave ``out`` (``..``, encoded or not, backslashes,
    symbolic links pointing elsewhere) and for hidden files other than ``.well-known``.
    """
    try:
        text = unquote(rel, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\\" in text or "\0" in text:
        return None
    parts = [part for part in text.split("/") if part]
    if any(p in (".", "..") or (p.startswith(".") and p != ".well-known") for p in parts):
        return None
    root = os.path.realpath(out)
    real = os.path.realpath(os.path.join(root, *parts))
    if not _inside(real, root):
        return None
    if os.path.isdir(real):
        if parts and not text.endswith("/"):
            return quote("/".join(parts)) + "/"
        real = os.path.realpath(os.path.join(real, "index.html"))
        if not _inside(real, root):
            return None
    return Path(real) if os.path.isfile(real) else None


def inject(page: bytes, script: bytes, banner: bytes = b"") -> bytes:
    """Add the live-reload script (end of head) and an error banner (start of body)."""
    if banner:
        match = _BODY_OPEN.search(page)
        at = match.end() if match else 0
        page = page[:at] + banner + page[at:]
    match = _HEAD_END.search(page) or _BODY_END.search(page)
    at = match.start() if match else len(page)
    return page[:at] + script + page[at:]


def banner(problems: tuple[str, ...]) -> bytes:
    """An escaped, fixed-position list of build errors."""
    if not problems:
        return b""
    items = "\n".join(html.escape(p) for p in problems)
    return (f'<div id="sitegen-error" role="alert" style="{_BANNER_STYLE}">'
            f'<strong style="{_BANNER_TEXT}">sitegen: the build failed; this page is from the '
            "last good build. Fix the file and save to reload.</strong>"
            f'<pre style="{_BANNER_PRE}">{items}</pre></div>').encode()


def error_page(problems: tuple[str, ...]) -> bytes:
    """Shown when no build has succeeded yet."""
    text = banner(problems) or b"<p>The site has not been built yet.</p>"
    return (b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>sitegen: build error'
            b"</title></head><body>" + text + b"</body></html>")


class SiteHandler(Guarded):
    """Files of the current output folder under the base path, with live reload added."""

    async def get(self) -> None:
        await self._serve(head=False)

    async def head(self) -> None:
        await self._serve(head=True)

    async def _serve(self, head: bool) -> None:
        state = self.preview.state
        path, base = self.request.path, state.base_path
        if base != "/" and path in ("/", base.rstrip("/")):
            self.redirect(base)
            return
        if path.startswith(base) and (kept := state.files.get(path[len(base):])) is not None:
            self._bytes(kept, path, head)
            return
        found = resolve(state.out, path[len(base):]) if path.startswith(base) else None
        if isinstance(found, str):
            self.redirect(base + found)
        elif found is None:
            await self._missing(state, head)
        elif (page := state.pages.get(str(found))) is not None:
            self._html(page, head, banner(state.problems))
        else:
            await self._send(found, state, head)

    async def _missing(self, state: PreviewState, head: bool) -> None:
        if not state.out.is_dir():
            self.set_status(500 if state.problems else 503)
            self._html(error_page(state.problems), head, b"")
            return
        self.set_status(404)
        page = resolve(state.out, "404.html")
        if isinstance(page, Path):
            await self._send(page, state, head)
        else:
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(b"" if head else b"404 Not Found\n")

    async def _send(self, file: Path, state: PreviewState, head: bool) -> None:
        try:
            handle = os.fdopen(os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), "rb")
        except OSError as exc:
            if exc.errno in _OUT_OF_DESCRIPTORS:  # busy, not missing: the browser may retry
                raise web.HTTPError(503, reason="Too Many Open Files") from None
            self.set_status(404)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(b"" if head else b"404 Not Found\n")
            return
        with handle:
            kind = _content_type(file.name)
            if kind == "text/html":
                self._html(handle.read(), head, banner(state.problems))
                return
            self.set_header("Content-Type", kind)
            self.set_header("Content-Length", os.fstat(handle.fileno()).st_size)
            while not head and (chunk := handle.read(CHUNK)):
                self.write(chunk)
                await self.flush()
        self.finish()

    def _bytes(self, data: bytes, path: str, head: bool) -> None:
        self.set_header("Content-Type", _content_type(path))
        self.set_header("Content-Length", len(data))
        self.finish(b"" if head else data)

    def _html(self, page: bytes, head: bool, extra: bytes) -> None:
        host, port = split_host(self.request.headers.get("Host", ""))
        src = f"{SCRIPT_PATH}?host={quote(host, safe='[]:')}&port={port}"
        script = f'<script src="{html.escape(src)}"></script>'.encode()
        body = inject(page, script, extra)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Length", len(body))
        self.finish(b"" if head else body)


def _content_type(name: str) -> str:
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if kind == "text/html":  # its charset is added with the live-reload script
        return kind
    if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
        kind += "; charset=utf-8"
    return kind


def make_app(preview: Preview) -> web.Application:
    """Routes: livereload's socket and script at the root, then the site."""
    args = {"preview": preview}
    return web.Application(
        [(RELOAD_PATH, ReloadSocket, args), (SCRIPT_PATH, ScriptHandler, args),
         (r"/.*", SiteHandler, args)],
        websocket_max_message_size=MAX_MESSAGE,
        log_function=lambda handler: None,
    )
