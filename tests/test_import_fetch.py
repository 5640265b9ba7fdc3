"""Fetching against a real HTTP server on loopback: deadline, redirects, truncated bodies.

The server (a threaded ``http.server``) misbehaves on purpose: it drip-feeds
its answer, sends its headers one byte at a time, redirects to ``ftp://`` or
``file://``, closes the connection before the announced ``Content-Length`` or
in the middle of a chunked body. Each is an error naming the URL, and nothing
is imported. The overall deadline is an argument of ``fetch_text`` (the
command uses ``fetch.DEADLINE``), so the drip tests take about a second.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import wrote_nothing

from sitegen.errors import InputError
from sitegen.importers import fetch

CliResult = tuple[int, str, str]
pytestmark = pytest.mark.import_site
Run = Callable[[list[str]], CliResult]
BODY = (b'[{"title": "Fetched Paper", "publishedAt": "2024-01-02T00:00:00.000Z", '
        b'"paper": {"id": "2401.00001"}}]')


class Handler(http.server.BaseHTTPRequestHandler):
    """Answers by path: ``/ok`` well, every other path in one bad way."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base name
        pass

    def _head(self, status: int = 200, **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        route = ROUTES.get(self.path.split("?")[0])
        if route is None:
            self._head(404, Content_Length="0")
            return
        try:
            route(self)
        except OSError:  # the client hung up, as it should on a bad answer
            self.close_connection = True


def _ok(h: Handler) -> None:
    h._head(Content_Length=str(len(BODY)), Content_Type="application/json")
    h.wfile.write(BODY)


def _drip(h: Handler) -> None:
    h._head(Content_Length=str(len(BODY)))
    for byte in BODY:  # one byte every 0.1 s: every read succeeds, the whole takes 10 s
        h.wfile.write(bytes([byte]))
        h.wfile.flush()
        time.sleep(0.1)


def _drip_headers(h: Handler) -> None:
    h.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for _ in range(100):
        h.wfile.write(b"X")
        h.wfile.flush()
        time.sleep(0.1)


def _redirect(target: str) -> Callable[[Handler], None]:
    def answer(h: Handler) -> None:
        location = target.replace("{port}", str(h.server.server_address[1]))
        h._head(302, Location=location, Content_Length="0")
    return answer


def _short(h: Handler) -> None:
    h._head(Content_Length=str(len(BODY) + 100))
    h.wfile.write(BODY)
    h.close_connection = True


def _chunked_cut(h: Handler) -> None:
    h._head(Transfer_Encoding="chunked")
    h.wfile.write(b"%x\r\n%s\r\n" % (len(BODY), BODY))  # no final 0-length chunk
    h.wfile.flush()
    h.close_connection = True


def _chunked_whole(h: Handler) -> None:
    h._head(Transfer_Encoding="chunked")
    half = len(BODY) // 2
    for part in (BODY[:half], BODY[half:]):
        h.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
    h.wfile.write(b"0\r\n\r\n")


ROUTES: dict[str, Callable[[Handler], None]] = {
    "/ok": _ok,
    "/drip": _drip,
    "/drip-headers": _drip_headers,
    "/to-ftp": _redirect("ftp://127.0.0.1/papers.json"),
    "/to-file": _redirect("file:///etc/passwd"),
    "/to-ok": _redirect("http://127.0.0.1:{port}/ok"),
    "/to-to-ftp": _redirect("http://127.0.0.1:{port}/to-ftp"),
    "/short": _short,
    "/chunked-cut": _chunked_cut,
    "/chunked": _chunked_whole,
}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("path", ["/ok", "/to-ok", "/chunked"])
def test_good_answers_are_imported(run_cli: Run, tmp_path: Path, server: str, path: str) -> None:
    code, out, err = run_cli(["import", "--site", tmp_path, "--from-url", server + path])
    assert code == 0, err
    assert "1 added" in out
    text = (tmp_path / "content" / "papers" / "fetched-paper.md").read_text("utf-8")
    assert f'file: "{server}{path}"' in text


@pytest.mark.parametrize("path", ["/drip", "/drip-headers"])
def test_overall_deadline(server: str, path: str) -> None:
    start = time.monotonic()
    with pytest.raises(InputError) as caught:
        fetch.fetch_text(server + path, fetch.default_opener(), deadline=1.0)
    took = time.monotonic() - start
    assert str(caught.value) == (f"{server}{path}: the download did not finish within 1 second; "
                                 "stopped, nothing imported (the server is too slow; try again "
                                 "later)")
    assert 0.9 <= took < 5, took


def test_deadline_through_the_command(run_cli: Run, tmp_path: Path, server: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert fetch.DEADLINE == 60
    monkeypatch.setattr(fetch, "DEADLINE", 1.0)
    code, out, err = run_cli(["import", "--site", tmp_path / "site", "--from-url",
                              server + "/drip"])
    assert code == 1 and out == ""
    assert err == (f"{server}/drip: the download did not finish within 1 second; stopped, "
                   "nothing imported (the server is too slow; try again later)\n")
    assert wrote_nothing(tmp_path / "site")


@pytest.mark.parametrize(("path", "target"), [
    ("/to-ftp", "ftp://127.0.0.1/papers.json"),
    ("/to-file", "file:///etc/passwd"),
    ("/to-to-ftp", "ftp://127.0.0.1/papers.json"),  # checked at the second redirect too
])
def test_redirect_to_other_schemes_is_refused(run_cli: Run, tmp_path: Path, server: str,
                                              path: str, target: str) -> None:
    code, out, err = run_cli(["import", "--site", tmp_path / "site", "--from-url",
                              server + path])
    assert code == 1 and out == ""
    last = f"{server}/to-ftp" if path == "/to-to-ftp" else server + path
    assert err == (f"{last}: the server redirects to {target}, which is not an http:// or "
                   "https:// address; not followed\n")
    assert wrote_nothing(tmp_path / "site")


@pytest.mark.parametrize(("path", "message"), [
    ("/short", f"the answer was cut short ({len(BODY)} of {len(BODY) + 100} bytes received); "
               "not imported, try again"),
    ("/chunked-cut", "the answer was cut short (the connection closed before its end); not "
                     "imported, try again"),
])
def test_truncated_answer_is_refused(run_cli: Run, tmp_path: Path, server: str, path: str,
                                     message: str) -> None:
    code, out, err = run_cli(["import", "--site", tmp_path / "site", "--from-url",
                              server + path])
    assert code == 1 and out == ""
    assert err == f"{server}{path}: {message}\n"
    assert wrote_nothing(tmp_path / "site")


def test_only_http_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The opener knows no ftp, file or data handler to fall back on."""
    for name in ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    opener = fetch.default_opener()
    assert set(opener.handle_open) == {"http", "https", "unknown"}  # type: ignore[attr-defined]
