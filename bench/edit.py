"""Time one edited paper in a large site: save to complete site, in ``build`` and ``serve``.

Writes the benchmark's synthetic papers (``bench/synth.py``, the same corpus as
``bench/run.py``) as a sitegen site in a temporary folder and builds it once.
Then, per round, it appends a sentence to one paper's abstract and times:

* **build**: from just before the file is written to the exit of
  ``sitegen build`` in a new process (start-up included);
* **serve**: from just before the file is written to the arrival of the
  live-reload message at a client connected the way livereload.js does, with
  the preview server already running: noticing the change, the debounce wait,
  the incremental build and the message.

Prints every round, then the medians::

    python -m bench.edit --papers 10000 --rounds 7
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tornado.httpclient import HTTPRequest  # noqa: E402
from tornado.websocket import WebSocketClientConnection, websocket_connect  # noqa: E402

from bench import synth, trees  # noqa: E402
from sitegen.serve import DEBOUNCE, PreviewServer  # noqa: E402


def make_site(root: Path, count: int, variant: str = "sitegen") -> Path:
    """The benchmark's first ``count`` papers as a sitegen site (``variant``: the comparable
    outputs, or ``sitegen-full`` for every default output); returns the file to edit."""
    papers = synth.make_papers(count, synth.DEFAULT_SEED)
    trees.write_site(variant, root, papers)
    return trees.paper_path(variant, root, papers[count // 2])


def edited(original: str, number: int) -> str:
    """The paper with one more sentence at the start of its abstract."""
    head, sep, body = original.partition("\n---\n")
    return f"{head}{sep}Edit number {number}. {body.lstrip()}"


async def client(port: int) -> WebSocketClientConnection:
    """A livereload.js stand-in that has finished the handshake."""
    origin = f"127.0.0.1:{port}"
    request = HTTPRequest(f"ws://{origin}/livereload",
                          headers={"Origin": f"http://{origin}", "Host": origin})
    conn = await websocket_connect(request)
    await conn.write_message(json.dumps({"command": "hello", "protocols": [
        "http://livereload.com/protocols/official-7"]}))
    await conn.read_message()
    await conn.write_message(json.dumps({"command": "info", "url": f"http://{origin}/"}))
    return conn


async def measure_serve(server: PreviewServer, paper: Path, rounds: int) -> list[float]:
    """Seconds from saving ``paper`` to the reload message, per round."""
    conn = await client(server.port)
    while not server.hub.clients:
        await asyncio.sleep(0.01)
    original = paper.read_text("utf-8")
    times = []
    for number in range(rounds):
        await asyncio.sleep(0.5)  # let the previous round settle
        started = time.perf_counter()
        paper.write_text(edited(original, number), "utf-8")
        message = await asyncio.wait_for(conn.read_message(), 30)
        elapsed = time.perf_counter() - started
        assert message and json.loads(message)["command"] == "reload", message
        result = server.last_result
        assert result is not None
        times.append(elapsed)
        print(f"serve round {number + 1:2d}: {elapsed * 1000:6.0f} ms save-to-reload "
              f"(build {result.seconds * 1000:.0f} ms, {result.written} of {result.pages} "
              "files written)", flush=True)
    conn.close()
    return times


def measure_build(root: Path, paper: Path, rounds: int) -> list[float]:
    """Seconds from saving ``paper`` to the end of ``sitegen build``, per round."""
    command = [sys.executable, "-m", "sitegen.cli", "build", "--site", str(root)]
    original = paper.read_text("utf-8")
    times = []
    for number in range(rounds):
        started = time.perf_counter()
        paper.write_text(edited(original, 1000 + number), "utf-8")
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - started)
        print(f"build round {number + 1:2d}: {times[-1] * 1000:6.0f} ms save-to-site "
              f"({done.stdout.strip()})", flush=True)
    return times


def _summary(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    return (f"{name}: median {statistics.median(ms):.0f} ms, min {ms[0]:.0f} ms, "
            f"max {ms[-1]:.0f} ms over {len(ms)} rounds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--full", action="store_true",
                        help="build every default output (sitegen-full), not only the "
                             "outputs comparable with Hugo and Pelican")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "site"
        paper = make_site(root, args.papers, "sitegen-full" if args.full else "sitegen")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sitegen.cli", "build", "--site", str(root),
                        "--quiet"], check=True)
        kind = "every default output" if args.full else "comparable outputs"
        print(f"{args.papers} papers ({kind}); first build {time.perf_counter() - started:.2f} s",
              flush=True)
        built = measure_build(root, paper, args.rounds)
        started = time.perf_counter()
        with PreviewServer(root, port=0, quiet=True) as server:
            print(f"preview started in {time.perf_counter() - started:.2f} s; "
                  f"debounce {DEBOUNCE * 1000:.0f} ms", flush=True)
            served = asyncio.run(measure_serve(server, paper, args.rounds))
    print(_summary("build (save to complete site, new process)", built))
    print(_summary("serve (save to reload message)", served))


if __name__ == "__main__":
    main()
