"""``sitegen enrich`` against arXiv and Hugging Face search answers served on loopback.

The site is the real Daily Papers listing of the example site, imported as a
person would. The server answers title searches with the files of
``tests/fixtures/enrich/`` (constructed in the real formats, see its README)
and an empty answer for every other title, and records when each request
came. Checked: a strong match is filled in (with the code repository only
Hugging Face knows), a weak one and an ambiguous one are listed with their
scores and left alone, a date that disagrees is refused, hand edits are kept,
requests to arXiv are paced, answers are cached, and no quiet success.
"""

from __future__ import annotations

import http.server
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml

from sitegen.importers.enrich import Candidate, Settings, decide
from sitegen.model import Paper

CliResult = tuple[int, str, str]
Run = Callable[[list[str]], CliResult]
pytestmark = pytest.mark.import_site
FIXTURES = Path(__file__).parent / "fixtures" / "enrich"
LISTING = Path(__file__).parent.parent / "examples" / "hf-daily-papers-2026-01-09.txt"
ARXIV = {"flash": "arxiv_llm_in_a_flash.xml", "mamba": "arxiv_bi_mamba.xml",
         "routing": "arxiv_doing_more_with_less.xml",
         "hierarchical memory transformer": "arxiv_hmt_ambiguous.xml",
         "bigram": "arxiv_bigram_subnetworks.xml"}
HF = {"mamba": "hf_search_bi_mamba.json"}
PAPERS = "content/papers/"
FLASH = PAPERS + "llm-in-a-flash-efficient-large-language-model-inference-with-limited-memory.md"
MAMBA = PAPERS + "bi-mamba-towards-accurate-1-bit-state-space-models.md"
ROUTING = PAPERS + ("doing-more-with-less-implementing-routing-strategies-in-large-language-"
                    "model.md")
HMT = PAPERS + "hmt-hierarchical-memory-transformer-for-long-context-language-processing.md"
BIGRAM = PAPERS + "bigram-subnetworks-mapping-to-next-tokens-in-transformer-language-models.md"


# An arXiv API error answer, in the form the API's user manual documents (constructed).
ERROR_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
  <entry>
    <id>http://arxiv.org/api/errors#malformed_query</id>
    <title>Error</title>
    <summary>malformed query</summary>
    <updated>2026-01-09T00:00:00-05:00</updated>
    <link href="http://arxiv.org/api/errors#malformed_query" rel="alternate" type="text/html"/>
    <author>
      <name>arXiv api core</name>
    </author>
  </entry>
</feed>
"""


class Handler(http.server.BaseHTTPRequestHandler):
    """Answers ``/api/query`` (arXiv) and ``/api/papers/search`` (Hugging Face)."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base name
        pass

    def do_GET(self) -> None:  # noqa: N802 - the base class names it
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        self.server.requests.append((time.monotonic(), url.path, query))  # type: ignore[attr-defined]
        if url.path == "/api/query":
            text = query["search_query"][0]
            name = next((f for k, f in ARXIV.items() if k in text), "arxiv_no_results.xml")
            body, kind = (FIXTURES / name).read_bytes(), "application/atom+xml; charset=utf-8"
            if "malformed" in text:
                body = ERROR_FEED
        elif url.path == "/api/papers/search":
            name = next((f for k, f in HF.items() if k in query["q"][0].lower()), "")
            body = (FIXTURES / name).read_bytes() if name else b"[]"
            kind = "application/json; charset=utf-8"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[http.server.ThreadingHTTPServer]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def configure(site: Path, server: http.server.ThreadingHTTPServer, pace: float = 0.0) -> None:
    port = server.server_address[1]
    (site / "sitegen.toml").write_text(
        f'[enrich]\narxiv_endpoint = "http://127.0.0.1:{port}/api/query"\n'
        f'hf_endpoint = "http://127.0.0.1:{port}/api/papers/search"\n'
        f"arxiv_pace = {pace}\nhf_pace = 0\n", encoding="utf-8")


def front(site: Path, name: str) -> dict[str, object]:
    text = (site / name).read_text("utf-8")
    return yaml.safe_load(text.split("---\n")[1])


def imported_site(tmp_path: Path, run_cli: Run, server: http.server.ThreadingHTTPServer,
                  pace: float = 0.0) -> Path:
    site = tmp_path / "site"
    code, _, err = run_cli(["import", "--site", site, LISTING])
    assert code == 0, err
    configure(site, server, pace)
    return site


def hand_edit(site: Path, name: str, old: str, new: str) -> None:
    path = site / name
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def snapshot(site: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((site / PAPERS).glob("*.md"))}


def test_matches_are_filled_in_the_rest_listed_and_hand_edits_kept(
        tmp_path: Path, run_cli: Run, server: http.server.ThreadingHTTPServer) -> None:
    site = imported_site(tmp_path, run_cli, server)
    hand_edit(site, FLASH, "author_count: 8\n", 'authors:\n- "K. Alizadeh (typed by hand)"\n'
                                                 "author_count: 8\n")
    hand_edit(site, BIGRAM, "date: 2025-04-21\n", "date: 2021-04-21\n")
    before = snapshot(site)

    code, out, err = run_cli(["enrich", site, "--dry-run"])
    assert code == 0, err
    assert snapshot(site) == before  # a dry run writes nothing
    assert len(server.requests) == 2 * 39  # type: ignore[attr-defined]  # both sources, each paper
    assert f"matched: {MAMBA}: arXiv 2411.11843" in out
    assert f"matched: {FLASH}: arXiv 2312.11514" in out
    assert f"would write: {MAMBA}" in out and f"would write: {FLASH}" in out
    weak = re.search(rf"{re.escape(ROUTING)}: warning: weak match: .*\n  candidate: arXiv "
                     r"2502\.00409 .*\(title (0\.\d\d),", err)
    assert weak and 0.5 <= float(weak.group(1)) < 0.9, err
    assert f"{HMT}: warning: ambiguous: 2 candidates" in err
    assert "candidate: arXiv 2405.06067" in err and "candidate: arXiv 2405.99999" in err
    assert re.search(rf"{re.escape(BIGRAM)}: warning: date disagrees: .*2021-04-21.*\n"
                     r"  candidate: arXiv 2504\.15471 .*\(title 1\.00, 2025-04-21", err)
    assert "enrich: 39 looked up, 2 matched (2 would be filled in), 1 ambiguous, " \
           "1 refused (date), 1 weak, 34 not found; 78 requests, 0 answers from the cache" in out

    code, out, err = run_cli(["enrich", "--site", site])
    assert code == 0, err
    assert len(server.requests) == 78  # type: ignore[attr-defined]  # every answer was cached
    assert "78 answers from the cache" in out
    mamba = front(site, MAMBA)
    assert mamba["arxiv"] == "2411.11843"
    assert mamba["authors"] == ["Shengkun Tang", "Liqun Ma", "Haonan Li", "Mingjie Sun",
                                "Zhiqiang Shen"]
    assert mamba["author_count"] == 5
    assert {"kind": "code", "url": "https://github.com/Tangshengku/Bi-Mamba"} in mamba["links"]
    flash = front(site, FLASH)
    assert flash["arxiv"] == "2312.11514"
    assert flash["authors"] == ["K. Alizadeh (typed by hand)"]  # the hand edit is kept
    assert f"kept hand edits: {FLASH} (authors)" in out
    for name in (ROUTING, HMT, BIGRAM):
        assert (site / name).read_bytes() == before[Path(name).name], name
    assert sorted(n for n, b in snapshot(site).items() if b != before[n]) == sorted(
        Path(n).name for n in (FLASH, MAMBA))

    # Once more: the 37 left are looked up from the cache, and nothing new is found.
    code, out, err = run_cli(["enrich", "--site", site])
    assert code == 1
    assert "error: enrich found no match for any of the 37 papers it looked up" in err
    assert len(server.requests) == 78  # type: ignore[attr-defined]


def test_arxiv_requests_are_paced(tmp_path: Path, run_cli: Run,
                                  server: http.server.ThreadingHTTPServer) -> None:
    site = tmp_path / "site"
    (site / PAPERS).mkdir(parents=True)
    for number, title in enumerate(["LLM in a flash: Efficient Large Language Model Inference "
                                    "with Limited Memory", "Bi-Mamba: Towards Accurate 1-Bit "
                                    "State Space Models", "A paper nobody wrote"]):
        (site / PAPERS / f"p{number}.md").write_text(
            f'---\ntitle: "{title}"\ndate: 2024-11-18\n---\n\nText.\n', "utf-8")
    broken = '---\ntitle: "Broken\ndate: 2024-01-01\n---\n'
    (site / PAPERS / "broken.md").write_text(broken, "utf-8")
    configure(site, server, pace=0.4)
    code, out, err = run_cli(["enrich", "--site", site])
    assert code == 0, err
    assert re.search(r"content/papers/broken\.md:\d+: warning: cannot be read \(.*\); not "
                     r"looked up", err), err
    times = [t for t, path, _ in server.requests if path == "/api/query"]  # type: ignore[attr-defined]
    assert len(times) == 3
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.39, gaps
    assert "2 weak" not in out and "1 matched" in out  # the flash date is a year off: refused


def test_strict_fails_and_writes_nothing(tmp_path: Path, run_cli: Run,
                                         server: http.server.ThreadingHTTPServer) -> None:
    site = imported_site(tmp_path, run_cli, server)
    before = snapshot(site)
    code, out, err = run_cli(["enrich", "--site", site, "--strict"])
    assert code == 1
    assert "error: enrich failed: --strict, and 36 of 39 papers were left unresolved" in err
    assert "3 matched (3 would be filled in)" in out  # bigram's date agrees here
    assert snapshot(site) == before


def test_import_enrich_runs_after_the_import(tmp_path: Path, run_cli: Run,
                                             server: http.server.ThreadingHTTPServer) -> None:
    site = tmp_path / "site"
    site.mkdir()
    configure(site, server)
    code, out, err = run_cli(["import", "--site", site, LISTING, "--enrich"])
    assert code == 0, err
    assert "imported: 39 added" in out and "enrich: 39 looked up, 3 matched" in out
    assert front(site, MAMBA)["arxiv"] == "2411.11843"


def test_nothing_to_look_up_is_not_a_success(example_site: Path, run_cli: Run) -> None:
    code, _, err = run_cli(["enrich", example_site])
    assert code == 1
    assert "error: nothing to enrich: all 39 papers have an arXiv id" in err


def test_unreachable_source_is_reported_per_paper(tmp_path: Path, run_cli: Run) -> None:
    site = tmp_path / "site"
    (site / PAPERS).mkdir(parents=True)
    (site / PAPERS / "p.md").write_text('---\ntitle: "A Title"\ndate: 2024-01-01\n---\n',
                                        "utf-8")
    with socket_port() as port:  # nothing listens there
        (site / "sitegen.toml").write_text(
            f'[enrich]\narxiv_endpoint = "http://127.0.0.1:{port}/api/query"\n', "utf-8")
        code, _, err = run_cli(["enrich", "--site", site])
    assert code == 1
    assert f"{PAPERS}p.md: warning: lookup failed: http://127.0.0.1:{port}/api/query" in err
    assert "cannot connect" in err


class socket_port:  # noqa: N801 - used as a context manager
    """A loopback port that was free a moment ago (bound, then closed on entry)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.mark.parametrize(("days", "verdict"), [(7, "matched"), (-7, "matched"), (8, "date")])
def test_the_date_window_is_inclusive(days: int, verdict: str) -> None:
    paper = Paper(title="A Study of Things", date=date(2024, 5, 10))
    found = Candidate("2405.00001", "A study of things.", date.fromordinal(
        paper.date.toordinal() + days))
    assert decide(paper, [found], Settings()).verdict == verdict


def test_threshold_is_the_stated_similarity() -> None:
    paper = Paper(title="Scaling Laws for Tiny Models", date=date(2024, 5, 10))
    near = Candidate("2405.00001", "Scaling Laws for Tiny Model", paper.date)  # one letter
    assert decide(paper, [near], Settings(threshold=0.9)).verdict == "matched"
    assert decide(paper, [near], Settings(threshold=0.999)).verdict == "weak"


def test_an_error_answer_fails_the_lookup_and_is_not_cached(
        tmp_path: Path, run_cli: Run, server: http.server.ThreadingHTTPServer) -> None:
    site = tmp_path / "site"
    (site / PAPERS).mkdir(parents=True)
    (site / PAPERS / "p.md").write_text('---\ntitle: "A Malformed Query"\ndate: 2024-01-01\n---\n',
                                        "utf-8")
    configure(site, server)
    for attempt in (1, 2):
        code, _, err = run_cli(["enrich", "--site", site])
        assert code == 1
        assert "p.md: warning: lookup failed: " in err and "arXiv API error: malformed query" in err
        asked = [path for _, path, _ in server.requests]  # type: ignore[attr-defined]
        assert asked.count("/api/query") == attempt  # asked again: the error was not kept
