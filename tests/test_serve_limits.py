"""The preview server under load: out of file descriptors, and hostile websocket messages.

- A preview server in a child process whose open-file limit is lowered gets
  more connections than it may hold: it does not spin (its CPU time while
  flooded stays low), reports the problem in a line or two (not a traceback
  per turn of the event loop), serves again once the connections close, and
  stops cleanly.
- The depth of a websocket message is measured in linear time; the hostile
  messages themselves are cases of the corpus (``tests/hostile/serve/``, run
  by ``tests/test_corpus.py``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitegen.serve.http import MAX_JSON_DEPTH, json_depth

LIMIT = 128  # the child's open-file limit
FLOOD = 400  # connections opened against it

CHILD = textwrap.dedent("""
    import resource, sys, time
    resource.setrlimit(resource.RLIMIT_NOFILE, ({limit}, {limit}))
    from pathlib import Path
    from sitegen.serve import PreviewServer
    server = PreviewServer(Path(sys.argv[1]), port=0, quiet=True)
    server.start()
    print(server.port, flush=True)
    try:
        server.wait()
    finally:
        server.stop()
""")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _get(port: int, timeout: float = 5) -> int:
    """One GET of the home page over a fresh connection; its status code."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
                     .encode())
        head = conn.recv(64)
    return int(head.split()[1])


@pytest.fixture
def limited_server(example_site: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str],
                                                                         int, Path]]:
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as sink:
        child = subprocess.Popen([sys.executable, "-c", CHILD.format(limit=LIMIT),
                                  str(example_site)], stdout=subprocess.PIPE, stderr=sink,
                                 text=True)
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline() or 0)
        assert port, errors.read_text()
        yield child, port, errors
    finally:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@pytest.mark.slow
def test_running_out_of_descriptors_degrades_gracefully(
        limited_server: tuple[subprocess.Popen[str], int, Path]) -> None:
    child, port, errors = limited_server
    assert _get(port) == 200
    flood: list[socket.socket] = []
    try:
        for _ in range(FLOOD):
            flood.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(0.5)  # let it accept what it can and hit the limit
        before = _cpu_seconds(child.pid)
        time.sleep(3)
        spent = _cpu_seconds(child.pid) - before
        assert spent < 1.0, f"the flooded server used {spent:.2f} s of CPU in 3 s"
        assert child.poll() is None
    finally:
        for conn in flood:
            conn.close()
    deadline = time.monotonic() + 20
    status = 0
    while time.monotonic() < deadline and status != 200:
        try:
            status = _get(port)
        except OSError:
            time.sleep(0.2)
    assert status == 200, "the server did not serve again after the connections closed"
    report = errors.read_text()
    assert "Traceback" not in report
    assert len(report) < 2000, report[:2000]
    assert "cannot accept a connection" in report
    assert len(report.splitlines()) <= 2


def test_json_depth_is_linear_and_skips_strings() -> None:
    assert json_depth('{"a": [1, {"b": "[[[{{{"}], "c": "\\"["}') == 3
    assert json_depth("[" * 10_000) == 10_000
    assert json_depth('"' + '\\"[' * 20_000) == 0  # one unclosed string
    started = time.process_time()
    for text in ('"' + '\\"' * 32_000, "[" * 65_536, '"[' * 32_000, "\\" * 65_536):
        json_depth(text)
    assert time.process_time() - started < 1
    assert MAX_JSON_DEPTH >= 8
