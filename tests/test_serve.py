"""``sitegen serve``: builds, rebuilds on change (debounced), errors shown and recovered from.

Each test runs a real server on a free loopback port in background threads and
always stops it; the example site is copied to a temporary folder first.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from conftest import wait_until

import sitegen.serve as serve_module
from sitegen.serve import PREVIEW_OUTPUT, PreviewServer, allowed_hosts, is_loopback
from sitegen.serve.watch import PollSource, WatchdogSource, WatchPlan

PAPER = "content/papers/ai-native-memory-a-pathway-from-llms-towards-agi.md"
SLUG = "ai-native-memory-a-pathway-from-llms-towards-agi"
ABSTRACT = "Large language models (LLMs) have demonstrated"


def get(server: PreviewServer, path: str, host: str | None = None) -> tuple[int, dict[str, str],
                                                                             bytes]:
    """One raw GET (the path is sent exactly as given)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", f"127.0.0.1:{server.port}" if host is None else host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def edit(site: Path, old: str, new: str, rel: str = PAPER) -> None:
    path = site / rel
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def start(example_site: Path) -> Iterator[Callable[..., PreviewServer]]:
    """Start servers on free ports (keyword arguments go to PreviewServer); stop them after."""
    servers: list[PreviewServer] = []

    def run(site: Path = example_site, **kwargs: Any) -> PreviewServer:
        server = PreviewServer(site, port=0, quiet=True, **kwargs)
        servers.append(server)
        server.start()
        return server

    yield run
    for server in servers:
        server.stop()


def test_serves_the_site_with_live_reload_added_only_in_responses(
        start: Callable[..., PreviewServer], example_site: Path) -> None:
    server = start()
    status, headers, body = get(server, "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'<script src="/livereload.js?host=127.0.0.1&amp;port=' in body
    assert body.index(b"livereload.js") < body.index(b"</head>")
    out = example_site / PREVIEW_OUTPUT
    pages = list(out.rglob("*.html"))
    assert len(pages) > 20
    assert not any(b"livereload" in page.read_bytes() for page in pages)
    assert not (example_site / "public").exists()  # the preview leaves public/ alone
    status, _, script = get(server, "/livereload.js")
    assert status == 200 and b"LiveReload" in script


def test_base_url_path_is_served_under_that_path(start: Callable[..., PreviewServer]) -> None:
    server = start(overrides={"base_url": "https://example.org/papers/"})
    assert server.url.endswith("/papers/")
    status, headers, _ = get(server, "/")
    assert status == 302 and headers["Location"] == "/papers/"
    status, headers, _ = get(server, "/papers")
    assert status == 302 and headers["Location"] == "/papers/"
    status, _, body = get(server, "/papers/")
    assert status == 200 and b'href="/papers/tags/"' in body
    status, headers, _ = get(server, "/papers/tags")
    assert status == 302 and headers["Location"] == "/papers/tags/"
    assert get(server, "/papers/tags/")[0] == 200
    assert get(server, f"/papers/papers/{SLUG}/")[0] == 200
    status, _, body = get(server, "/index.html")
    assert status == 404 and b"livereload.js" in body  # the site's 404 page, live too


def test_explicit_output_folder_is_used(start: Callable[..., PreviewServer],
                                        example_site: Path) -> None:
    server = start(overrides={"output_dir": "preview"})
    assert (example_site / "preview" / "index.html").is_file()
    assert get(server, "/")[0] == 200


@pytest.mark.parametrize("watcher", [WatchdogSource, PollSource])
def test_a_burst_of_saves_causes_one_rebuild_showing_the_last_save(
        start: Callable[..., PreviewServer], example_site: Path, watcher: type,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve_module, "open_source", watcher)
    # Saves 20 ms apart; a debounce well above that, so that the test process being
    # descheduled for a moment on a busy machine does not end the burst early.
    server = start(debounce=0.5)
    builds = server.builds
    papers = sorted((example_site / "content" / "papers").glob("*.md"))[:5]
    originals = [path.read_text("utf-8") for path in papers]
    for number in range(50):  # 50 saves over five files in about one second
        index = number % 5
        text = originals[index].replace("\n---\n", f"\n---\n\nBurst save {number}.\n", 1)
        papers[index].write_text(text, encoding="utf-8")
        time.sleep(0.02)
    assert server.wait_for_builds(builds + 1, timeout=30)
    time.sleep(1.0)  # long enough for any further (wrong) build to start and finish
    assert server.builds == builds + 1
    assert server.state.problems == ()
    for number in range(45, 50):
        slug = papers[number % 5].stem
        assert f"Burst save {number}.".encode() in get(server, f"/papers/{slug}/")[2]


@pytest.mark.parametrize("watcher", [WatchdogSource, PollSource])
def test_watchers_see_changes_and_ignore_editor_files(tmp_path: Path, watcher: type) -> None:
    tree = tmp_path / "content"
    tree.mkdir()
    (tmp_path / "public").mkdir()
    source = watcher(WatchPlan(tmp_path, frozenset({"sitegen.toml", "content"}), (tree,)))
    try:
        assert not source.wait(0)
        (tree / ".paper.md.swp").write_text("x")
        (tree / "paper.md~").write_text("x")
        (tmp_path / "public" / "index.html").write_text("x")
        assert not source.wait(0.3)
        # A save is several events (create, write, close) that may be reported apart:
        # after each change, wait out the rest of it before the next step.
        (tree / "paper.md").write_text("x")
        assert source.wait(5)
        (tree / "new" / "deeper").mkdir(parents=True)
        source.wait(0.3)
        (tree / "new" / "deeper" / "paper.md").write_text("x")
        assert source.wait(5)
        source.wait(0.3)
        (tmp_path / "sitegen.toml").write_text("x")
        assert source.wait(5)
        source.wait(0.3)
        assert not source.wait(0.3)
    finally:
        source.close()


def test_editing_one_paper_rewrites_only_the_pages_that_show_it(
        start: Callable[..., PreviewServer], example_site: Path) -> None:
    server = start()
    out = example_site / PREVIEW_OUTPUT

    def pages() -> dict[Path, bytes]:
        """Every output file except the search index, which a post-processor rewrites."""
        return {p: p.read_bytes() for p in out.rglob("*")
                if p.is_file() and "pagefind" not in p.relative_to(out).parts}

    before = pages()
    # Pages link the paper; its citation files (and the site's) carry its abstract.
    showing = {p for p, data in before.items()
               if f"papers/{SLUG}/".encode() in data or ABSTRACT.encode() in data}
    builds = server.builds
    edit(example_site, ABSTRACT, "Large language models (LLMs) have REVISED")
    assert server.wait_for_builds(builds + 1, timeout=30)
    result = server.last_result
    assert result is not None and not result.skipped
    after = pages()
    changed = {p for p in after if before.get(p) != after[p]}
    assert out / "papers" / SLUG / "index.html" in changed
    assert changed <= showing
    assert 1 <= len(changed) <= result.written <= len(showing) < len(before) // 4


def test_changes_during_a_build_cause_another_build_then_one_reload(
        example_site: Path) -> None:
    class Racing(PreviewServer):
        """Saves the paper again just as the first rebuild starts."""

        raced = False

        def rebuild(self, edits: frozenset[Path] | None = None) -> bool:
            if self.builds >= 1 and not self.raced:
                self.raced = True
                edit(example_site, "FIRST", "SECOND")
            return super().rebuild(edits)

    with Racing(example_site, port=0, quiet=True) as server:
        builds = server.builds
        edit(example_site, ABSTRACT, "FIRST")
        assert server.wait_for_builds(builds + 2, timeout=30)
        assert wait_until(lambda: server.hub.reloads >= 2)
        time.sleep(0.5)
        assert server.builds == builds + 2
        # The paper's quick page (already "SECOND"), then one reload once the builds are
        # done: none in between, while the second build was due.
        assert server.hub.reloads == 2
        assert b"SECOND" in get(server, f"/papers/{SLUG}/")[2]


def test_broken_content_shows_an_escaped_error_and_recovers(
        start: Callable[..., PreviewServer], example_site: Path) -> None:
    server = start()
    good = get(server, "/")[2]
    builds = server.builds
    bad = example_site / "content/papers/<img src=x onerror=alert(1)>.md"
    bad.write_text("---\ntitle: Broken\ndate: 2024-01-01\ncomments: [oops\n---\n", "utf-8")
    assert server.wait_for_builds(builds + 1, timeout=30)
    for path in ("/", f"/papers/{SLUG}/", "/no-such-page/"):
        status, _, body = get(server, path)
        assert status in (200, 404)
        assert b'id="sitegen-error"' in body
        assert re.search(rb"content/papers/&lt;img src=x onerror=alert\(1\)&gt;\.md:\d+: "
                         rb"invalid YAML", body)
        assert b"<img src=x" not in body
    banner = re.compile(rb'<div id="sitegen-error".*?</pre></div>', re.DOTALL)
    assert banner.sub(b"", get(server, "/")[2]) == good  # the last good site, plus the banner
    bad.unlink()
    assert server.wait_for_builds(builds + 2, timeout=30)
    assert get(server, "/") == (200, ANY, good)


def test_a_template_error_names_the_template_line_and_recovers(
        start: Callable[..., PreviewServer], example_site: Path) -> None:
    server = start()
    builds = server.builds
    template = example_site / "templates" / "paper.html"
    template.parent.mkdir()
    template.write_text('{% extends "base.html" %}\n{% block main %}\n{{ paper.title( }}\n'
                        "{% endblock %}\n", "utf-8")
    assert server.wait_for_builds(builds + 1, timeout=30)
    body = get(server, f"/papers/{SLUG}/")[2]
    assert b"templates/paper.html:3: template error" in body
    template.write_text('{% extends "base.html" %}\n{% block main %}\n<h1>Custom {{ paper.title }}'
                        "</h1>\n{% endblock %}\n", "utf-8")
    assert server.wait_for_builds(builds + 2, timeout=30)
    body = get(server, f"/papers/{SLUG}/")[2]
    assert b"sitegen-error" not in body and b"<h1>Custom AI-native Memory" in body


def test_a_broken_config_is_reported_and_recovers(start: Callable[..., PreviewServer],
                                                  example_site: Path) -> None:
    server = start()
    builds = server.builds
    edit(example_site, "per_page = 12", 'per_page = "x"', "sitegen.toml")
    assert server.wait_for_builds(builds + 1, timeout=30)
    assert b"sitegen.toml:5: Config value &#x27;per_page&#x27;" in get(server, "/")[2]
    edit(example_site, 'per_page = "x"', "per_page = 5", "sitegen.toml")
    assert server.wait_for_builds(builds + 2, timeout=30)
    status, _, body = get(server, "/page/2/")
    assert status == 200 and b"sitegen-error" not in body


def test_a_first_build_that_fails_shows_an_error_page_until_fixed(
        start: Callable[..., PreviewServer], example_site: Path) -> None:
    edit(example_site, "comments: 0", "comments: [oops")
    server = start()
    status, _, body = get(server, "/")
    assert status == 500
    lines = (example_site / PAPER).read_text("utf-8").splitlines()
    line = lines.index("comments: [oops") + 2  # YAML notices on the line after
    assert f"{PAPER}:{line}: invalid YAML".encode() in body and b"livereload.js" in body
    builds = server.builds
    edit(example_site, "comments: [oops", "comments: 0")
    assert server.wait_for_builds(builds + 1, timeout=30)
    assert get(server, "/")[0] == 200


def test_requests_during_rebuilds_get_complete_pages(start: Callable[..., PreviewServer],
                                                     example_site: Path) -> None:
    server = start()
    stop = threading.Event()
    bad: list[tuple[int, int]] = []
    seen = 0

    def read() -> None:
        nonlocal seen
        while not stop.is_set():
            for path in ("/", f"/papers/{SLUG}/"):
                status, _, body = get(server, path)
                seen += 1
                if status != 200 or not body.rstrip().endswith(b"</html>"):
                    bad.append((status, len(body)))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for number in range(4):
            builds = server.builds
            edit(example_site, ABSTRACT if number == 0 else f"Version {number - 1}",
                 f"Version {number}")
            assert server.wait_for_builds(builds + 1, timeout=30)
    finally:
        stop.set()
        reader.join(timeout=30)
    assert seen > 0 and bad == []


def test_hosts_and_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("")
    assert allowed_hosts("127.0.0.1", 8000) == {"127.0.0.1:8000", "localhost:8000",
                                                "[::1]:8000"}
    assert "[fe80::1]:8000" in allowed_hosts("fe80::1", 8000)
    assert "localhost" in allowed_hosts("127.0.0.1", 80)


def test_a_non_loopback_host_prints_a_warning(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    class Fake:
        def __init__(self, *args: Any) -> None:
            self.url = "http://0.0.0.0:1/"

        def start(self) -> None: ...

        def wait(self) -> None: ...

        def stop(self) -> None: ...

    monkeypatch.setattr(serve_module, "PreviewServer", Fake)
    assert serve_module.serve(tmp_path, "0.0.0.0", 1, {}, quiet=True) == 0
    assert "other machines on the network" in capsys.readouterr().err
    assert serve_module.serve(tmp_path, "127.0.0.1", 1, {}, quiet=True) == 0
    assert capsys.readouterr().err == ""


def test_the_cli_serves_until_interrupted(example_site: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen([sys.executable, "-m", "sitegen.cli", "serve", "--site",
                              str(example_site), "--port", str(port)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        lines = [child.stdout.readline() for _ in range(1)]
        while lines[-1] and not lines[-1].startswith("serving") and len(lines) < 100:
            lines.append(child.stdout.readline())
        assert lines[-1].startswith(f"serving http://127.0.0.1:{port}/"), lines
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        conn.close()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
        assert child.returncode == 0, err
        assert "stopped" in out
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


@pytest.mark.parametrize(("command", "collects"), [("serve", True), ("build", False)])
def test_console_command_keeps_the_cycle_collector_on_only_for_the_preview(
        command: str, collects: bool, tmp_path: Path) -> None:
    """One-shot commands exit without collecting; the preview runs for hours, and each
    rebuild leaves the last build's papers in cycles, so it must keep collecting."""
    (tmp_path / "sitegen.toml").write_text("", encoding="utf-8")  # a site, if an empty one
    probe = (
        "import gc, sys\n"
        "import sitegen.cli, sitegen.commands, sitegen.serve\n"
        "report = lambda *a, **k: print('collector', gc.isenabled(), flush=True) or 0\n"
        "sitegen.serve.serve = report\n"
        "sitegen.commands.do_build = report\n"
        f"sys.argv = ['sitegen', {command!r}, '--site', {str(tmp_path)!r}]\n"
        "sitegen.cli.entry()\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == f"collector {collects}"
