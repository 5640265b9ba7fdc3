"""``sitegen serve`` is safe by default and stays up under load.

Paths that try to leave the output folder, foreign ``Host`` headers, websockets
from other origins, livereload's ``/forcereload`` and malformed messages are
all refused; 200 concurrent requests and 50 live-reload clients are served.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from sitegen.serve import PREVIEW_OUTPUT, PreviewServer

SECRET = "top secret, outside the output folder"
PAPER = "content/papers/ai-native-memory-a-pathway-from-llms-towards-agi.md"
SLUG = "ai-native-memory-a-pathway-from-llms-towards-agi"
HELLO = {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}


@pytest.fixture
def server(example_site: Path) -> Iterator[PreviewServer]:
    (example_site / "secret.txt").write_text(SECRET, "utf-8")
    with PreviewServer(example_site, port=0, quiet=True,
                       overrides={"base_url": "/papers/"}) as running:
        yield running


def get(server: PreviewServer, path: str, host: str | None = None) -> tuple[int, dict[str, str],
                                                                             bytes]:
    """One raw GET: the path and Host header are sent exactly as given."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", f"127.0.0.1:{server.port}" if host is None else host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


async def connect(server: PreviewServer, origin: str | None = "own",
                  host: str | None = None) -> WebSocketClientConnection:
    """A livereload websocket client with the given Origin ("own": the server's)."""
    host = host or f"127.0.0.1:{server.port}"
    headers = {"Host": host}
    if origin is not None:
        headers["Origin"] = f"http://{host}" if origin == "own" else origin
    request = HTTPRequest(f"ws://127.0.0.1:{server.port}/livereload", headers=headers,
                          request_timeout=10)
    return await websocket_connect(request)


async def handshake(conn: WebSocketClientConnection) -> None:
    await conn.write_message(json.dumps(HELLO))
    reply = json.loads(await asyncio.wait_for(conn.read_message(), 10) or "null")
    assert reply["command"] == "hello"
    await conn.write_message(json.dumps({"command": "info", "url": "http://x/"}))


async def wait_clients(server: PreviewServer, count: int) -> None:
    for _ in range(500):
        if len(server.hub.clients) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{len(server.hub.clients)} of {count} clients registered")


def edit(site: Path, old: str, new: str) -> None:
    path = site / PAPER
    path.write_text(path.read_text("utf-8").replace(old, new, 1), "utf-8")


TRAVERSALS = [
    "/papers/../secret.txt",
    "/papers/../../../secret.txt",
    "/papers/../../../../../../../../etc/passwd",
    "/papers/%2e%2e/%2e%2e/%2e%2e/secret.txt",
    "/papers/%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret.txt",
    "/papers/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/papers/..%2f..%2f..%2fsecret.txt",
    "/papers/..%5c..%5c..%5csecret.txt",
    "/papers/..\\..\\..\\secret.txt",
    "/papers/%252e%252e%252f%252e%252e%252fsecret.txt",
    "/papers/%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt",
    "/papers//etc/passwd",
    "/papers/%2fetc%2fpasswd",
    "//etc/passwd",
    "/etc/passwd",
    "/../secret.txt",
    "/papers/index.html%00.txt",
    "/papers/.sitegen-output",
    "/papers/leak.txt",
    "/papers/leakdir/passwd",
    "/papers/leakdir/",
]


def test_nothing_outside_the_output_folder_is_served(server: PreviewServer,
                                                     example_site: Path) -> None:
    out = example_site / PREVIEW_OUTPUT
    (out / "leak.txt").symlink_to(example_site / "secret.txt")
    (out / "leakdir").symlink_to("/etc")
    (out / "inner.html").symlink_to(out / "404.html")  # a link that stays inside is fine
    assert get(server, "/papers/inner.html")[0] == 200
    for path in TRAVERSALS:
        status, _, body = get(server, path)
        assert status == 404, path
        assert SECRET.encode() not in body and b"root:" not in body, path


def test_no_open_redirects(server: PreviewServer) -> None:
    for path in ("//evil.example/", "//evil.example/papers", "/papers//evil.example",
                 "/papers/%2f%2fevil.example"):
        status, headers, _ = get(server, path)
        assert status == 404 or not headers.get("Location", "").startswith("//"), path
    status, headers, _ = get(server, "/papers//tags")
    assert status == 302 and headers["Location"] == "/papers/tags/"


def test_foreign_host_headers_are_refused(server: PreviewServer) -> None:
    port = server.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LOCALHOST:{port}"):
        assert get(server, "/papers/", host=host)[0] == 200, host
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}",
                 f"127.0.0.1.evil.example:{port}", "", f"10.0.0.1:{port}"):
        assert get(server, "/papers/", host=host)[0] == 403, host
        assert get(server, "/livereload.js", host=host)[0] == 403, host


def test_forcereload_is_not_routed(server: PreviewServer) -> None:
    for path in ("/forcereload", "/forcereload?path=x", "/papers/forcereload"):
        assert get(server, path)[0] == 404, path
    assert server.hub.reloads == 0


def test_websockets_from_other_origins_or_hosts_are_refused(server: PreviewServer) -> None:
    port = server.port

    async def scenario() -> None:
        refused = [("http://evil.example", None), (f"http://evil.example:{port}", None),
                   (f"https://127.0.0.1:{port}", None), ("null", None), (None, None),
                   ("own", f"evil.example:{port}")]  # DNS rebinding: Origin matches Host
        for origin, host in refused:
            with pytest.raises(HTTPClientError) as caught:
                await connect(server, origin, host)
            assert caught.value.code == 403, (origin, host)
        conn = await connect(server, f"http://localhost:{port}", f"localhost:{port}")
        await handshake(conn)
        await wait_clients(server, 1)
        conn.close()

    asyncio.run(scenario())


def test_a_malformed_message_closes_only_that_connection(server: PreviewServer,
                                                         example_site: Path) -> None:
    async def scenario() -> None:
        good = await connect(server)
        await handshake(good)
        await wait_clients(server, 1)
        for bad_message in ("{not json", "[]", '"hello"', "{}", '{"command": 5}', "x" * 70000,
                            b"\xff\xfe"):
            bad = await connect(server)
            await bad.write_message(bad_message, binary=isinstance(bad_message, bytes))
            assert await asyncio.wait_for(bad.read_message(), 10) is None  # closed
        assert len(server.hub.clients) == 1
        builds = server.builds
        edit(example_site, "Large language models", "Huge language models")
        message = await asyncio.wait_for(good.read_message(), 30)
        assert json.loads(message or "null")["command"] == "reload"
        # The paper's quick page reloads before its whole build is done.
        assert server.wait_for_builds(builds + 1, timeout=30)
        good.close()

    asyncio.run(scenario())
    assert get(server, f"/papers/papers/{SLUG}/")[0] == 200


@pytest.mark.slow
def test_concurrent_requests_and_websocket_clients(server: PreviewServer,
                                                   example_site: Path) -> None:
    """200 requests at once plus 50 live clients; bounded, and every answer checked."""
    out = example_site / PREVIEW_OUTPUT
    files = ["static/style.css", f"papers/{SLUG}/index.html", "index.html", "tags/index.html"]
    expected = {name: (out / name).read_bytes() for name in files}

    async def fetch(name: str) -> tuple[str, int, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        path = "/papers/" + name.removesuffix("index.html")
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                     "Connection: close\r\n\r\n".encode())
        data = await reader.read()
        writer.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return name, int(head.split()[1]), body

    async def scenario() -> None:
        clients = [await connect(server) for _ in range(50)]
        await asyncio.gather(*(handshake(c) for c in clients))
        await wait_clients(server, 50)
        results = await asyncio.gather(*(fetch(files[i % len(files)]) for i in range(200)))
        for name, status, body in results:
            assert status == 200, name
            if name.endswith(".css"):
                assert body == expected[name]
            else:  # the page as built, with the live-reload script added
                assert body.replace(body[body.index(b"<script src=\"/livereload.js"):
                                         body.index(b"</head>")], b"") == expected[name]
        edit(example_site, "Large language models", "Loaded language models")
        messages = await asyncio.gather(*(asyncio.wait_for(c.read_message(), 30)
                                          for c in clients))
        assert all(json.loads(m or "null")["command"] == "reload" for m in messages)
        for client in clients:
            client.close()

    started = time.monotonic()
    asyncio.run(asyncio.wait_for(scenario(), 120))
    assert time.monotonic() - started < 120
    assert b"Loaded language models" in get(server, f"/papers/papers/{SLUG}/")[2]
