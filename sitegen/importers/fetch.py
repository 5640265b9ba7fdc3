"""Fetch import inputs over the network: any http(s) URL, or arXiv ids via the arXiv API.

Every failure (offline, timeout, HTTP error, binary or oversized answer) is an
:class:`InputError` naming the URL, raised before anything is imported.
"""

from __future__ import annotations

import contextlib
import contextvars
import http.client
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Protocol

from sitegen import __version__
from sitegen.errors import InputError, Problem
from sitegen.frontmatter import decode
from sitegen.importers.limits import MAX_INPUT_BYTES

ARXIV_API = "https://export.arxiv.org/api/query"
TIMEOUT = 30.0  # seconds of silence before a connection or a read gives up
DEADLINE = 60.0  # seconds for a whole download, however the server paces it
MAX_BYTES = MAX_INPUT_BYTES
ARXIV_BATCH = 100  # ids per API call
ARXIV_PAUSE = 3.0  # seconds between API calls, as arXiv asks
USER_AGENT = f"sitegen/{__version__}"
_ARXIV_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z.\-]*/\d{7})(?:v\d+)?$", re.IGNORECASE)


class ServerAnswered(InputError):
    """The server answered with an HTTP error: its status and ``Retry-After`` are kept so
    that a caller can decide to try again (``sitegen update`` does on 429 and 5xx)."""

    def __init__(self, url: str, code: int, reason: str, retry_after: str | None) -> None:
        super().__init__(Problem(url, 0, f"the server answered {code} {reason}"))
        self.code = code
        self.retry_after = retry_after


class Unreachable(InputError):
    """The download failed on the way (no connection, timeout, cut short): worth a retry."""


class Opener(Protocol):
    """What :func:`urllib.request.build_opener` returns, as far as fetching needs it."""

    def open(self, fullurl: Any, data: Any = None, timeout: float = ...) -> Any: ...


class _Watch:
    """The overall deadline of one download, and the sockets it cuts when it passes.

    A server that answers one byte at a time never trips the per-read ``TIMEOUT``; at the
    deadline a timer shuts the connection down, which ends any read that is waiting.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Watch:
        self._token = _WATCH.set(self)
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _WATCH.reset(self._token)

    def left(self) -> float:
        return self.end - time.monotonic()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


_WATCH: contextvars.ContextVar[_Watch | None] = contextvars.ContextVar("watch", default=None)


class _WatchedHTTP(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        watch = _WATCH.get()
        if watch is not None:
            watch.add(self.sock)


class _WatchedHTTPS(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        watch = _WATCH.get()
        if watch is not None:
            watch.add(self.sock)


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_WatchedHTTP, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        args: dict[str, Any] = {"context": getattr(self, "_context", None)}
        check_hostname = getattr(self, "_check_hostname", None)  # Python 3.11 only
        if check_hostname is not None:
            args["check_hostname"] = check_hostname
        return self.do_open(_WatchedHTTPS, req, **args)


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http(s) addresses only, checked at every step (urllib would
    follow one to ``ftp://``)."""

    def http_error_302(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                       headers: Any) -> Any:
        location = headers.get("location") or headers.get("uri")
        if location:
            target = urllib.parse.urljoin(req.full_url, location)
            if urllib.parse.urlsplit(target).scheme.lower() not in ("http", "https"):
                raise InputError(Problem(req.full_url, 0, (
                    f"the server redirects to {target}, which is not an http:// or https:// "
                    "address; not followed")))
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def default_opener() -> Opener:
    """The opener used when none is given (tests replace it): http and https only, every
    redirect checked, every connection under the deadline of its download."""
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), urllib.request.UnknownHandler(),
                    _HTTPHandler(), _HTTPSHandler(), urllib.request.HTTPDefaultErrorHandler(),
                    _RedirectHandler(), urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener


def arxiv_query_id(raw: str) -> str:
    """``arXiv:2312.11514v2`` or an abs/pdf URL -> ``2312.11514v2``, or an InputError."""
    text = raw.strip()
    text = re.sub(r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/", "", text)
    text = re.sub(r"(?i)^arxiv:\s*", "", text)
    text = re.sub(r"\.pdf$", "", text)
    if not _ARXIV_ID.match(text):
        raise InputError(f"--arxiv {raw!r} is not an arXiv id (like 2312.11514 or "
                         "hep-th/9608091)")
    return text


def arxiv_query_url(ids: list[str]) -> str:
    """The arXiv API URL that returns the Atom entries of ``ids``."""
    query = urllib.parse.urlencode({"id_list": ",".join(ids), "max_results": len(ids)})
    return f"{ARXIV_API}?{query}"


def fetch_inputs(urls: list[str], arxiv_ids: list[str],
                 opener: Opener | None = None) -> list[tuple[str, str]]:
    """Download every URL and the arXiv entries of ``arxiv_ids`` as (text, label) inputs."""
    ids = list(dict.fromkeys(arxiv_query_id(raw) for raw in arxiv_ids))
    opener = opener or default_opener()
    inputs = [(fetch_text(url, opener, DEADLINE), url) for url in urls]
    for start in range(0, len(ids), ARXIV_BATCH):
        if start:
            time.sleep(ARXIV_PAUSE)
        url = arxiv_query_url(ids[start:start + ARXIV_BATCH])
        inputs.append((fetch_text(url, opener, DEADLINE), url))
    return inputs


def fetch_text(url: str, opener: Opener, deadline: float = DEADLINE) -> str:
    """The text at ``url``: UTF-8 (or the charset the server names), never binary, received
    whole (as long as the server said) within ``deadline`` seconds."""
    if not url.lower().startswith(("http://", "https://")):
        raise _error(url, "only http:// and https:// addresses can be fetched")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with _Watch(deadline) as watch:
        try:
            with opener.open(request, timeout=min(TIMEOUT, deadline)) as response:
                data = _read(response, url, watch)
                charset = _charset(response)
        except urllib.error.HTTPError as exc:
            raise ServerAnswered(url, exc.code, exc.reason, exc.headers.get("Retry-After")) \
                from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise _failure(url, exc, watch, transient=True) from None
    if not data.strip():
        raise _error(url, "the answer is empty; nothing to import")
    text, problem = decode(data, url)
    if problem and charset and charset.lower().replace("-", "") != "utf8" and b"\0" not in data:
        try:
            return data.decode(charset).replace("\r\n", "\n").replace("\r", "\n")
        except (LookupError, UnicodeDecodeError):
            pass
    if text is None or problem:  # decode gives text or a problem, never both or neither
        message = problem.message if problem else "cannot be decoded as text"
        raise _error(url, message.replace("this is not a text file",
                                          "this looks like a binary file"))
    return text


def fetch_bytes(url: str, opener: Opener, limit: int, deadline: float = DEADLINE) -> bytes:
    """The bytes at ``url``, at most ``limit`` of them, received whole within ``deadline``
    seconds (a thumbnail: the caller checks what they are)."""
    if not url.lower().startswith(("http://", "https://")):
        raise _error(url, "only http:// and https:// addresses can be fetched")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with _Watch(deadline) as watch:
        try:
            with opener.open(request, timeout=min(TIMEOUT, deadline)) as response:
                return _read(response, url, watch, limit)
        except urllib.error.HTTPError as exc:
            raise _error(url, f"the server answered {exc.code} {exc.reason}") from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise _failure(url, exc, watch) from None


def _read(response: Any, url: str, watch: _Watch, limit: int = MAX_BYTES) -> bytes:
    """The body, read piece by piece so that the deadline and the size limit are checked
    as it arrives; an answer shorter than its ``Content-Length`` is an error."""
    read = getattr(response, "read1", None) or response.read
    parts: list[bytes] = []
    size = 0
    while True:
        if watch.left() <= 0:
            raise _late(url, watch)
        part = read(65536)
        if not part:
            break
        parts.append(part)
        size += len(part)
        if size > limit:
            raise _error(url, f"the answer is larger than {limit:,} bytes; not imported")
    if watch.expired:
        raise _late(url, watch)
    length = _content_length(response)
    if length is not None and size != length:
        raise _error(url, f"the answer was cut short ({size:,} of {length:,} bytes received); "
                          "not imported, try again")
    return b"".join(parts)


def _error(url: str, message: str) -> InputError:
    return InputError(Problem(url, 0, message))


def _failure(url: str, exc: BaseException, watch: _Watch, transient: bool = False
             ) -> InputError:
    """The error for a download that failed with ``exc`` (:class:`Unreachable` when
    ``transient``: the network, not the answer, failed)."""
    error = _failure_message(url, exc, watch)
    return Unreachable(*error.problems) if transient else error


def _failure_message(url: str, exc: BaseException, watch: _Watch) -> InputError:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if watch.expired:
        return _late(url, watch)
    if isinstance(reason, TimeoutError):
        return _error(url, f"no answer within {TIMEOUT:.0f} seconds; try again later")
    if isinstance(exc, http.client.IncompleteRead):
        return _error(url, "the answer was cut short (the connection closed before its end); "
                           "not imported, try again")
    if isinstance(exc, urllib.error.URLError):
        return _error(url, f"cannot connect ({exc.reason}); check the address and that this "
                           "computer is online")
    return _error(url, f"download failed ({exc or type(exc).__name__})")


def _late(url: str, watch: _Watch) -> InputError:
    unit = "second" if watch.seconds == 1 else "seconds"
    return _error(url, f"the download did not finish within {watch.seconds:g} {unit}; stopped, "
                       "nothing imported (the server is too slow; try again later)")


def _content_length(response: Any) -> int | None:
    """The ``Content-Length`` the server announced for an unencoded body, if any."""
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("Content-Length")
    if value is None or (headers.get("Transfer-Encoding") or "").lower() == "chunked":
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _charset(response: Any) -> str | None:
    headers = getattr(response, "headers", None)
    getter = getattr(headers, "get_content_charset", None)
    return getter() if callable(getter) else None
