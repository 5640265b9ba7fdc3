"""The built example site, served by a real nginx as any static host would serve it.

nginx is started on 127.0.0.1 with a configuration written here: plain files,
``try_files $uri $uri/ =404`` and the site's 404 page, nothing sitegen-specific.
A crawler starting at the home page follows every internal link and asset, so
every URL the site writes (under a subpath or at the root) must exist.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

NGINX = Path("/usr/sbin/nginx")
MAX_URLS = 3000  # the example site has about a hundred pages; bounds a runaway crawl

pytestmark = [
    pytest.mark.nginx,
    pytest.mark.skipif(not NGINX.exists(), reason="nginx is not installed (/usr/sbin/nginx)"),
]

# No proxy: the crawler talks to nginx on the loopback only.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(prefix: Path, root: Path, port: int, base_path: str) -> str:
    temp = "\n".join(f"    {name}_temp_path {prefix / name};"
                     for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the temp folder
    return f"""{user}daemon off;
worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
{temp}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {root};
        location {base_path} {{
            try_files $uri $uri/ =404;
            error_page 404 {base_path}404.html;
        }}
    }}
}}
"""


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[Callable[[Path, int, str], None]]:
    """``start(root, port, base_path)`` runs nginx serving ``root``; stopped at teardown."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(root: Path, port: int, base_path: str) -> None:
        prefix = tmp_path / "nginx"
        prefix.mkdir()
        conf = prefix / "nginx.conf"
        conf.write_text(_config(prefix, root, port, base_path), encoding="utf-8")
        proc = subprocess.Popen([str(NGINX), "-p", str(prefix), "-c", str(conf),
                                 "-e", str(prefix / "error.log")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(proc)
        for _ in range(200):  # up to about 10 s for nginx to listen
            if proc.poll() is not None:
                raise AssertionError(f"nginx exited: {proc.stderr.read().decode()}"
                                     if proc.stderr else "nginx exited")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nginx did not start listening")

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes


def fetch(url: str) -> Response:
    try:
        with OPENER.open(url, timeout=10) as resp:
            return Response(resp.status, resp.headers.get_content_type(), resp.read())
    except urllib.error.HTTPError as err:
        return Response(err.code, err.headers.get_content_type(), err.read())


class _Links(HTMLParser):
    """Every href, src and srcset URL of a page (written independently of sitegen.check)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if not value:
                continue
            if name in ("href", "src"):
                self.urls.append(value)
            elif name == "srcset":
                self.urls += [part.split()[0] for part in value.split(",") if part.split()]


def links_of(response: Response) -> list[str]:
    if response.content_type == "text/html":
        parser = _Links()
        parser.feed(response.body.decode("utf-8"))
        return parser.urls
    if response.content_type == "text/css":
        return re.findall(r"""url\(\s*['"]?([^'")]+)""", response.body.decode("utf-8"))
    return []


@dataclass
class Crawl:
    statuses: dict[str, int] = field(default_factory=dict)
    referrers: dict[str, str] = field(default_factory=dict)

    def broken(self) -> list[str]:
        return [f"{url} -> {status} (linked from {self.referrers.get(url, 'start')})"
                for url, status in sorted(self.statuses.items()) if status != 200]


def crawl(start: str, base: str) -> Crawl:
    """Fetch every internal URL reachable from ``start`` (breadth first, bounded)."""
    result = Crawl()
    queue = [start]
    while queue:
        url = queue.pop(0)
        if url in result.statuses:
            continue
        assert len(result.statuses) < MAX_URLS, "crawl did not end"
        response = fetch(url)
        result.statuses[url] = response.status
        for link in links_of(response):
            target = urldefrag(urljoin(url, link)).url
            if target.startswith(base) and target not in result.statuses:
                result.referrers.setdefault(target, url)
                queue.append(target)
    return result


def _serve_example(example_site: Path, build_site: Callable[..., Path], nginx: Callable,
                   tmp_path: Path, base_path: str) -> tuple[str, Path]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}{base_path}"
    www = tmp_path / "www"
    out = www / base_path.strip("/") if base_path != "/" else www
    build_site(example_site, out, base_url=base)
    nginx(www, port, base_path)
    return base, out


def _check_served_site(base: str, out: Path, example_site: Path) -> None:
    result = crawl(base, base)
    broken = result.broken()
    assert not broken, "\n".join(broken)
    pages = [u for u in result.statuses if urlsplit(u).path.endswith("/")]
    papers = list((example_site / "content" / "papers").glob("*.md"))
    reached = [u for u in pages if re.fullmatch(re.escape(base) + r"papers/[^/]+/", u)]
    assert len(reached) == len(papers) > 10
    assert any(u.endswith(".css") or ".css?" in u for u in result.statuses)

    # Every page of the sitemap is served at the URL the sitemap gives.
    sitemap = fetch(base + "sitemap.xml")
    assert sitemap.status == 200
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap.body.decode("utf-8"))
    assert len(locs) >= len(papers)
    assert all(loc.startswith(base) and fetch(loc).status == 200 for loc in locs)

    # A missing page, however deep, gets the site's 404 page, whose links all work there.
    for missing in ("no-such-page", "papers/no/such/paper/"):
        response = fetch(base + missing)
        assert response.status == 404
        assert response.body == (out / "404.html").read_bytes()
        links = [urldefrag(urljoin(base + missing, link)).url
                 for link in links_of(response) if not link.startswith("#")]
        internal = [link for link in links if link.startswith(base)]
        assert internal, "the 404 page links back into the site"
        statuses = {link: fetch(link).status for link in internal}
        assert {link: status for link, status in statuses.items() if status != 200} == {}


def test_served_under_a_subpath(example_site: Path, build_site: Callable[..., Path],
                                nginx: Callable, tmp_path: Path) -> None:
    base, out = _serve_example(example_site, build_site, nginx, tmp_path, "/papers/")
    _check_served_site(base, out, example_site)
    assert fetch(base.rstrip("/")).status == 200  # nginx redirects /papers to /papers/


def test_served_at_the_root(example_site: Path, build_site: Callable[..., Path],
                            nginx: Callable, tmp_path: Path) -> None:
    base, out = _serve_example(example_site, build_site, nginx, tmp_path, "/")
    _check_served_site(base, out, example_site)
