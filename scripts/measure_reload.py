"""Measure ``sitegen serve``'s edit-to-reload time for one paper in a large site.

Writes a site of ``--papers`` generated papers into a temporary folder, starts
the preview server on a free loopback port and connects a live-reload client
the way livereload.js does (same-origin websocket, hello + info). Each round
edits one paper's abstract and times from just before the file is written to
the arrival of the reload message, so the figure includes noticing the change,
the debounce wait, the incremental build and the message. Prints every round,
then the median.

    python scripts/measure_reload.py --papers 1000 --rounds 15 [--no-search]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from sitegen.model import Paper
from sitegen.serve import DEBOUNCE, PreviewServer
from sitegen.store import dumps

WORDS = ["language", "model", "vision", "graph", "learning", "robust", "sparse", "diffusion",
         "planning", "memory", "retrieval", "reasoning", "alignment", "benchmark", "compression",
         "long", "context"]


def make_site(root: Path, count: int) -> Path:
    """``count`` papers with a few tags each, spread over a year; returns the edited file."""
    rng = random.Random(7)
    folder = root / "content" / "papers"
    folder.mkdir(parents=True)
    for number in range(count):
        paper = Paper(title=f"Paper {number}: " + " ".join(rng.sample(WORDS, 4)).title(),
                      date=date(2024, 1, 1) + timedelta(days=number % 365),
                      authors=[f"Author {rng.randint(1, 300)}" for _ in range(3)],
                      tags=rng.sample(WORDS, 3), upvotes=rng.randint(0, 200),
                      body=" ".join(rng.choices(WORDS, k=150)))
        (folder / f"paper-{number:04d}.md").write_text(dumps(paper), "utf-8")
    return folder / f"paper-{count // 2:04d}.md"


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


async def measure(server: PreviewServer, paper: Path, rounds: int) -> list[float]:
    conn = await client(server.port)
    while not server.hub.clients:
        await asyncio.sleep(0.01)
    original = paper.read_text("utf-8")
    times = []
    for number in range(rounds):
        await asyncio.sleep(0.5)  # let the previous round settle
        text = original.replace("\n\n", f"\n\nEdit number {number}. ", 1)
        started = time.perf_counter()
        paper.write_text(text, "utf-8")
        message = await asyncio.wait_for(conn.read_message(), 30)
        elapsed = time.perf_counter() - started
        assert message and json.loads(message)["command"] == "reload", message
        result = server.last_result
        assert result is not None
        times.append(elapsed)
        print(f"round {number + 1:2d}: {elapsed * 1000:6.0f} ms edit-to-reload "
              f"(build {result.seconds * 1000:.0f} ms, {result.written} of {result.pages} "
              "files written)")
    conn.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--no-search", action="store_true",
                        help="set search = false (no search index), to see what indexing costs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        paper = make_site(root, args.papers)
        if args.no_search:
            (root / "sitegen.toml").write_text("search = false\n", "utf-8")
        started = time.perf_counter()
        with PreviewServer(root, port=0, quiet=True) as server:
            print(f"{args.papers} papers; first build and start: "
                  f"{time.perf_counter() - started:.2f} s; debounce {DEBOUNCE * 1000:.0f} ms")
            times = asyncio.run(measure(server, paper, args.rounds))
    ms = sorted(t * 1000 for t in times)
    print(f"edit-to-reload over {len(ms)} rounds: median {statistics.median(ms):.0f} ms, "
          f"min {ms[0]:.0f} ms, max {ms[-1]:.0f} ms")


if __name__ == "__main__":
    main()
