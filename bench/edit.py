"""Time one edited paper in a large site: save to complete site, in ``build`` and ``serve``.

Writes the benchmark's synthetic papers (``bench/synth.py``, the same corpus as
``bench/run.py``) as a sitegen site in a temporary folder and builds it once.
Then, per round, it appends a sentence to one paper's abstract and times:

* **build**: from just before the file is written to the exit of
  ``sitegen build`` in a new process (start-up included);
* **serve**: from just before the file is written to the arrival of the
  live-reload message at a client connected the way livereload.js does, with
  the preview server already running: noticing the change, the debounce wait,
  the edited paper's quick page (``sitegen/serve/quick.py``) or the
  incremental build, and the message; the paper's page is then fetched from the
  preview and must hold the edit;
* **serve build**: from just before the file is written to the end of the
  preview's whole incremental build (every page up to date);
* **serve search** (with ``--default``, search on): from just before the file
  is written until the preview's search finds the edit: the preview serves the
  index it makes of the quick page alone (``sitegen/outputs/search_edits.py``),
  named in the parts file it serves, and its entry holds the new sentence;
* **serve search, whole index**: until the edited page's part of the index has
  been made again (the search record is rewritten after the parts are swapped
  in; the index is then checked for the new sentence).

With ``--default`` the site is what ``sitegen init`` writes over untagged
papers (automatic tags and search on), as ``bench/run.py``'s ``sitegen-default``.

Prints every round, then the medians::

    python -m bench.edit --papers 10000 --rounds 7
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import http.client
import json
import resource
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
from sitegen.serve import DEBOUNCE, PREVIEW_OUTPUT, PreviewServer  # noqa: E402


def make_site(root: Path, count: int, variant: str = "sitegen") -> Path:
    """The benchmark's first ``count`` papers as a sitegen site (``variant``: the comparable
    outputs, ``sitegen-full`` for every default output but search, ``sitegen-default`` for
    what ``sitegen init`` writes); returns the file to edit."""
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


def _search_record(root: Path) -> Path:
    from sitegen.outputs.search import RECORD
    from sitegen.serve import PREVIEW_CACHE

    return root / PREVIEW_CACHE / RECORD


def _index_holds(output: Path, text: str) -> bool:
    """True when a fragment of the preview's search index holds ``text``."""
    needle = text.encode("utf-8")
    for fragment in (output / "pagefind").glob("**/fragment/*.pf_fragment"):
        if needle in gzip.decompress(fragment.read_bytes()):
            return True
    return False


def _edit_index_holds(server: PreviewServer, text: str) -> bool:
    """True when the preview serves a parts file naming an edit index whose entry holds
    ``text`` (it serves them from memory: ``sitegen/outputs/search_edits.py``)."""
    from sitegen.outputs.search_parts import PARTS_FILE

    files = server.state.files
    listed = files.get(f"pagefind/{PARTS_FILE}")
    if listed is None or "edits" not in json.loads(listed):
        return False
    return any(text.encode("utf-8") in gzip.decompress(data)
               for name, data in files.items() if name.endswith(".pf_fragment"))


async def _search_done(server: PreviewServer, text: str, before: int, started: float
                       ) -> tuple[float, float]:
    """Seconds from ``started`` until the preview's search finds ``text`` (an edit index
    holds it, or the whole index does), and until its record changes from ``before``."""
    record = _search_record(server.root)
    found: float | None = None
    while True:
        now = time.perf_counter() - started
        if found is None and _edit_index_holds(server, text):
            found = now
        try:
            if record.stat().st_mtime_ns != before:
                return (now if found is None else found), now
        except OSError:
            pass
        await asyncio.sleep(0.005)


def served_page(server: PreviewServer, path: str) -> bytes:
    """The page at ``path`` as the preview serves it."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": f"127.0.0.1:{server.port}"})
        return conn.getresponse().read()
    finally:
        conn.close()


async def _drain(conn: WebSocketClientConnection) -> None:
    """Read the messages already sent."""
    while True:
        try:
            await asyncio.wait_for(conn.read_message(), 0.05)
        except TimeoutError:
            return


async def measure_serve(server: PreviewServer, paper: Path, rounds: int,
                        search: bool = False) -> tuple[list[float], ...]:
    """Seconds from saving ``paper`` to the reload message, to the end of the whole build,
    and (``search``) to search finding the edit and to the whole index holding it, per
    round."""
    conn = await client(server.port)
    while not server.hub.clients:
        await asyncio.sleep(0.01)
    original = paper.read_text("utf-8")
    root = server.root
    url = f"/papers/{paper.stem}/"
    times, built, searched, indexed = [], [], [], []
    for number in range(rounds):
        await asyncio.sleep(1.0)  # let the previous round (and its search index) settle
        await _drain(conn)  # the whole build's own reload, after a quick page's
        before = _search_record(root).stat().st_mtime_ns if search else 0
        builds = server.builds
        text = f"Edit number {number}."
        started = time.perf_counter()
        paper.write_text(edited(original, number), "utf-8")
        # Watched from the save on, beside the build: the edit index comes before its end.
        searching = asyncio.ensure_future(asyncio.wait_for(
            _search_done(server, text, before, started), 120)) if search else None
        message = await asyncio.wait_for(conn.read_message(), 60)
        elapsed = time.perf_counter() - started
        assert message and json.loads(message)["command"] == "reload", message
        assert text.encode() in served_page(server, url), number
        times.append(elapsed)
        while server.builds == builds:
            await asyncio.sleep(0.005)
        built.append(time.perf_counter() - started)
        result = server.last_result
        assert result is not None
        line = (f"serve round {number + 1:2d}: {elapsed * 1000:6.0f} ms save-to-reload, "
                f"{built[-1] * 1000:.0f} ms save-to-build (build {result.seconds * 1000:.0f} ms, "
                f"{result.written} of {result.pages} files written)")
        if searching is not None:
            found, whole = await searching
            assert _index_holds(root / PREVIEW_OUTPUT, text), number
            searched.append(found)
            indexed.append(whole)
            line += (f"; {found * 1000:.0f} ms save-to-search, "
                     f"{whole * 1000:.0f} ms save-to-whole-index")
        print(line, flush=True)
    conn.close()
    return times, built, searched, indexed


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_build(root: Path, paper: Path, rounds: int) -> tuple[list[float], list[float]]:
    """Seconds from saving ``paper`` to the end of ``sitegen build``, and CPU seconds of
    the build's processes, per round."""
    command = [sys.executable, "-m", "sitegen.cli", "build", "--site", str(root)]
    original = paper.read_text("utf-8")
    times, cpu = [], []
    for number in range(rounds):
        started, used = time.perf_counter(), _children_cpu()
        paper.write_text(edited(original, 1000 + number), "utf-8")
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - started)
        cpu.append(_children_cpu() - used)
        last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        print(f"build round {number + 1:2d}: {times[-1] * 1000:6.0f} ms save-to-site, "
              f"CPU {cpu[-1] * 1000:.0f} ms ({last})", flush=True)
    return times, cpu


def _summary(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    return (f"{name}: median {statistics.median(ms):.0f} ms, min {ms[0]:.0f} ms, "
            f"max {ms[-1]:.0f} ms over {len(ms)} rounds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--full", action="store_true",
                        help="build every default output but search (sitegen-full), not only "
                             "the outputs comparable with Hugo and Pelican")
    parser.add_argument("--default", action="store_true",
                        help="build what sitegen init writes: automatic tags and search on "
                             "(sitegen-default); also times the search index in serve")
    args = parser.parse_args()
    variant = ("sitegen-default" if args.default else
               "sitegen-full" if args.full else "sitegen")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "site"
        paper = make_site(root, args.papers, variant)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sitegen.cli", "build", "--site", str(root),
                        "--quiet"], check=True)
        print(f"{args.papers} papers ({variant}); first build "
              f"{time.perf_counter() - started:.2f} s", flush=True)
        built, cpu = measure_build(root, paper, args.rounds)
        started = time.perf_counter()
        with PreviewServer(root, port=0, quiet=True) as server:
            print(f"preview started in {time.perf_counter() - started:.2f} s; "
                  f"debounce {DEBOUNCE * 1000:.0f} ms", flush=True)
            if args.default:  # the preview's first search index, untimed
                record = _search_record(root)
                while not record.exists():
                    time.sleep(0.1)
            served, whole, searched, indexed = asyncio.run(
                measure_serve(server, paper, args.rounds, args.default))
    print(_summary("build (save to complete site, new process)", built))
    print(_summary("build CPU (user + system of its processes)", cpu))
    print(_summary("serve (save to reload message)", served))
    print(_summary("serve build (save to the whole preview built)", whole))
    if searched:
        print(_summary("serve search (save to search finding the edit)", searched))
        print(_summary("serve search, whole index (save to its part indexed again)", indexed))


if __name__ == "__main__":
    main()
