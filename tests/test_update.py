"""``sitegen update`` against real HTTP servers on loopback.

The Hugging Face daily-papers service is played by a server that answers
``api/daily_papers?date=`` with recorded real items, another list per day
(provenance: tests/fixtures/sources/README.md); arXiv by the same server
answering with a real recorded API response. The day is set with
``SITEGEN_TODAY``. Waits between retries are made short through
:class:`~sitegen.sources.fetch.Politeness`; everything else runs as shipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import needs_shared, shared_fixture
from sources_server import DAY_ONE, DAY_TWO, Route, Services, real_day_responses, serve

from sitegen.errors import InputError, StrictError
from sitegen.frontmatter import parse_paper
from sitegen.importers.fetch import USER_AGENT
from sitegen.scaffold import init_site
from sitegen.sources.fetch import Politeness, dates_to_fetch, retry_after_seconds
from sitegen.sources.spec import read_sources
from sitegen.sources.state import STATE_NAME
from sitegen.sources.update import run_update

CliResult = tuple[int, str, str]
Run = Callable[[list[str]], CliResult]
pytestmark = needs_shared
ARXIV_XML = "arxiv_atom_2025format_all-electron.xml"


@pytest.fixture
def services() -> Iterator[Services]:
    routes = {"/api/daily_papers": Route(real_day_responses())}
    if shared_fixture(ARXIV_XML).is_file():
        routes["/api/query"] = Route({"": shared_fixture(ARXIV_XML).read_bytes()},
                                     "application/atom+xml")
    with serve(Services(routes=routes)) as running:
        yield running


def _site(tmp_path: Path, sources: str, top: str = "") -> Path:
    """A new site following ``sources``; ``top`` is put before every table."""
    site = tmp_path / "site"
    init_site(site)
    config = site / "sitegen.toml"
    config.write_text(top + config.read_text("utf-8") + "\n" + sources, "utf-8")
    return site


def _hf(services: Services, **extra: object) -> str:
    keys = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in extra.items())
    return f'[[sources]]\nkind = "hf-daily"\nurl = "{services.url}/api/daily_papers"\n{keys}'


def _papers(site: Path) -> dict[str, str]:
    return {p.name: p.read_text("utf-8") for p in sorted((site / "content/papers").glob("*.md"))}


def _run(run_cli: Run, monkeypatch: pytest.MonkeyPatch, day: str, *args: str) -> CliResult:
    monkeypatch.setenv("SITEGEN_TODAY", day)
    return run_cli(["update", *args])


def test_two_days_then_nothing_new(tmp_path: Path, services: Services, run_cli: Run,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path, _hf(services, days=2))
    code, out, err = _run(run_cli, monkeypatch, DAY_ONE, str(site))
    assert code == 0, err
    first = _papers(site)
    assert list(first) == ["large-multimodal-models-as-general-in-context-classifiers.md"]
    assert "added: content/papers/large-multimodal-models-as-general-in-context-classifiers.md" \
        in out
    assert [q["date"] for q in services.asked("/api/daily_papers")] == ["2026-03-05", DAY_ONE]
    assert all(agent == USER_AGENT for _, _, agent in services.log)

    code, out, err = _run(run_cli, monkeypatch, DAY_TWO, str(site))
    assert code == 0, err
    second = _papers(site)
    assert sorted(second) == ["large-multimodal-models-as-general-in-context-classifiers.md",
                              "scicode-a-research-coding-benchmark-curated-by-scientists.md"]
    assert "added: content/papers/scicode-a-research-coding-benchmark-curated-by-scientists.md" \
        in out
    paper, problems = parse_paper(second["large-multimodal-models-as-general-in-context-"
                                         "classifiers.md"], "x.md")
    assert not problems and paper is not None
    assert paper.counts == {date(2026, 3, 6): (10, 1), date(2026, 3, 7): (10, 1)}
    assert paper.listed == date(2026, 3, 6) and paper.upvotes == 10
    scicode, _ = parse_paper(second["scicode-a-research-coding-benchmark-curated-by-"
                                    "scientists.md"], "y.md")
    assert scicode is not None and scicode.listed == date(2026, 3, 7)
    assert scicode.counts == {date(2026, 3, 7): (17, None)}
    assert "  2026-03-07: [17, null]\n" in second["scicode-a-research-coding-benchmark-"
                                                 "curated-by-scientists.md"]
    state = (site / STATE_NAME).read_text("utf-8")
    assert '"last_success": "2026-03-07"' in state

    before = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    code, out, err = _run(run_cli, monkeypatch, DAY_TWO, str(site))
    assert code == 0, err
    assert "updated: nothing new (2 unchanged)" in out
    assert _papers(site) == second and (site / STATE_NAME).read_text("utf-8") == state
    after = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()
             and ".sitegen-cache" not in p.parts}
    assert after == {p: t for p, t in before.items() if ".sitegen-cache" not in p.parts}


def test_the_built_site_has_trending_and_listing_pages(
        tmp_path: Path, services: Services, run_cli: Run,
        monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path, _hf(services, days=1))
    for day in (DAY_ONE, DAY_TWO):
        assert _run(run_cli, monkeypatch, day, str(site))[0] == 0
    code, _, err = run_cli(["build", "--site", str(site)])
    assert code == 0, err
    public = site / "public"
    day_two = (public / "date" / DAY_TWO / "index.html").read_text("utf-8")
    assert "SciCode: A Research Coding Benchmark" in day_two
    assert f'rel="prev" href="/date/{DAY_ONE}/"' in day_two
    day_one = (public / "date" / DAY_ONE / "index.html").read_text("utf-8")
    assert f'rel="next" href="/date/{DAY_TWO}/"' in day_one
    assert "Large Multimodal Models as General" in day_one and "SciCode" not in day_one
    week = (public / "week" / "2026-W10" / "index.html").read_text("utf-8")
    month = (public / "month" / "2026-03" / "index.html").read_text("utf-8")
    for page in (week, month):  # both days, by upvotes: 17 before 10
        assert page.index("SciCode") < page.index("Large Multimodal Models")
    trend = (public / "trending" / "index.html").read_text("utf-8")
    assert "from 2026-03-01 to 2026-03-07" in trend
    assert trend.index("+17 upvotes") < trend.index("SciCode") < trend.index("+10 upvotes")
    home = (public / "index.html").read_text("utf-8")
    assert 'href="/trending/"' in home


def test_dry_run_shows_and_writes_nothing(tmp_path: Path, services: Services, run_cli: Run,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path, _hf(services, days=1))
    code, out, err = _run(run_cli, monkeypatch, DAY_ONE, str(site), "--dry-run")
    assert code == 0, err
    assert "would be added: content/papers/large-multimodal-models-as-general-in-context-" \
           "classifiers.md" in out
    assert "dry run: 1 file(s) would change; nothing was written" in out
    assert _papers(site) == {} and not (site / STATE_NAME).exists()


def test_hand_edits_are_kept(tmp_path: Path, services: Services, run_cli: Run,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path, _hf(services, days=1))
    assert _run(run_cli, monkeypatch, DAY_ONE, str(site))[0] == 0
    path = next((site / "content/papers").glob("*.md"))
    path.write_text(path.read_text("utf-8").replace(
        'title: "Large Multimodal Models as General In-Context Classifiers"',
        'title: "LMMs as In-Context Classifiers"'), "utf-8")
    services.routes["/api/daily_papers"].bodies[DAY_TWO] = \
        services.routes["/api/daily_papers"].bodies[DAY_ONE]
    code, out, err = _run(run_cli, monkeypatch, DAY_TWO, str(site))
    assert code == 0, err
    text = path.read_text("utf-8")
    assert 'title: "LMMs as In-Context Classifiers"' in text and "kept hand edits" in out
    assert "2026-03-07: [10, 1]" in text


def test_one_failing_source_is_reported_and_the_other_lands(
        tmp_path: Path, services: Services) -> None:
    services.routes["/broken"] = Route(always=503)
    site = _site(tmp_path, _hf(services, days=1) + f'\n[[sources]]\nkind = "url"\nname = '
                                                   f'"broken"\nurl = "{services.url}/broken"\n')
    sleeps: list[float] = []
    polite = Politeness(backoff=0.01, pauses={}, sleep=sleeps.append)
    outcome = run_update(site, polite=polite, today=date(2026, 3, 6))
    assert [spec.name for spec, _ in outcome.failed] == ["broken"]
    assert "503" in str(outcome.failed[0][1])
    assert len(services.asked("/broken")) == 1 + polite.retries  # retried, then given up
    assert sleeps[:3] == [0.01, 0.02, 0.04]  # growing waits
    assert len(_papers(site)) == 1
    assert '"broken"' not in (site / STATE_NAME).read_text("utf-8")

    with pytest.raises(StrictError, match="nothing was written"):
        run_update(site, polite=polite, today=date(2026, 3, 7), strict=True)
    assert len(_papers(site)) == 1  # day two's paper was not written


def test_every_source_failing_exits_1(tmp_path: Path, services: Services, run_cli: Run,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path, f'[[sources]]\nkind = "url"\nurl = "{services.url}/missing"\n')
    code, out, err = _run(run_cli, monkeypatch, DAY_ONE, "--site", str(site))
    assert code == 1
    assert "404" in err and "no source could be fetched; nothing was written" in err
    assert _papers(site) == {} and not (site / STATE_NAME).exists()


def test_no_sources_is_an_error(tmp_path: Path, run_cli: Run) -> None:
    site = _site(tmp_path, "")
    code, _, err = run_cli(["update", str(site)])
    assert code == 1 and "has no [[sources]]: nothing to update" in err


def test_429_waits_as_retry_after_says(tmp_path: Path, services: Services) -> None:
    services.routes["/api/daily_papers"].failures = [(429, {"Retry-After": "7"}),
                                                     (429, {"Retry-After": "9999"})]
    site = _site(tmp_path, _hf(services, days=1))
    sleeps: list[float] = []
    polite = Politeness(retry_cap=30, pauses={}, sleep=sleeps.append)
    outcome = run_update(site, polite=polite, today=date(2026, 3, 6))
    assert not outcome.failed and outcome.report.added
    assert sleeps == [7.0, 30.0]  # as asked, then capped


def test_arxiv_sources_keep_three_seconds_apart(tmp_path: Path, services: Services) -> None:
    if "/api/query" not in services.routes:
        pytest.skip(f"{ARXIV_XML} is not among the shared fixtures")
    site = _site(tmp_path, "".join(
        f'[[sources]]\nkind = "arxiv-query"\nquery = "all:electron"\nname = "q{n}"\n'
        f'url = "{services.url}/api/query"\nmax_papers = {m}\n\n' for n, m in ((1, 10), (2, 3))))
    now = [100.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    outcome = run_update(site, polite=Politeness(sleep=sleep, clock=lambda: now[0]),
                         today=date(2026, 3, 6))
    assert sleeps == [3.0]
    queries = services.asked("/api/query")
    assert queries[0] == {"search_query": "all:electron", "start": "0", "max_results": "10",
                          "sortBy": "submittedDate", "sortOrder": "descending"}
    assert [len(got.papers) for _, got in outcome.fetched] == [10, 3]
    assert "only the first 3 were taken" in str(outcome.report.warnings)
    assert len(_papers(site)) == 10


def test_url_and_feed_kinds_go_through_format_detection(tmp_path: Path,
                                                        services: Services) -> None:
    if "/api/query" not in services.routes:
        pytest.skip(f"{ARXIV_XML} is not among the shared fixtures")
    services.routes["/rss/cs.CL"] = services.routes["/api/query"]
    site = _site(tmp_path, f'[[sources]]\nkind = "arxiv-feed"\ncategory = "cs.CL"\n'
                           f'url = "{services.url}/rss/{{category}}"\n\n'
                           f'[[sources]]\nkind = "url"\nurl = "{services.url}/api/query"\n')
    outcome = run_update(site, polite=Politeness(pauses={}), today=date(2026, 3, 6))
    assert not outcome.failed
    assert [len(got.papers) for _, got in outcome.fetched] == [10, 10]
    assert len(outcome.report.added) == 10  # the same ten papers, merged


def test_arxiv_feed_reads_the_rss_of_rss_arxiv_org(tmp_path: Path, services: Services) -> None:
    """An rss.arxiv.org RSS 2.0 answer (a recorded one) lands through the feed reader."""
    feed = Path(__file__).parent / "fixtures" / "arxiv-rss" / "cs.AI-2025-09-18.xml"
    services.routes["/rss/cs.AI"] = Route({"": feed.read_bytes()}, "application/rss+xml")
    site = _site(tmp_path, f'[[sources]]\nkind = "arxiv-feed"\ncategory = "cs.AI"\n'
                           f'url = "{services.url}/rss/{{category}}"\n')
    outcome = run_update(site, polite=Politeness(pauses={}), today=date(2025, 9, 18))
    assert not outcome.failed and not outcome.report.warnings
    [text] = _papers(site).values()
    assert re.search(r'^arxiv: "\d{4}\.\d{4,5}"$', text, re.M), text


def test_sources_config_errors_name_the_key(tmp_path: Path, run_cli: Run) -> None:
    site = _site(tmp_path, '[[sources]]\nkind = "hf-daily"\n\n[[sources]]\nkind = "rss"\n\n'
                           '[[sources]]\nkind = "arxiv-query"\nmax_papers = 0\nurl = "ftp://x"\n')
    code, _, err = run_cli(["update", str(site)])
    lines = (site / "sitegen.toml").read_text("utf-8").splitlines()
    second = lines.index('kind = "rss"')  # its [[sources]] header is the line before
    assert code == 1
    assert (f"sitegen.toml:{second}: sources[2].kind: 'rss' is unknown (known kinds: "
            "hf-daily, arxiv-query, arxiv-feed, url)") in err
    assert "sources[3].query: a source of kind 'arxiv-query' needs one" in err
    assert "sources[3].url: expected an http(s) URL, got 'ftp://x'" in err
    assert "sources[3].max_papers: must be from 1 to 2000, got 0" in err
    assert "Traceback" not in err


def test_dates_to_fetch_cover_the_gap_since_the_last_success() -> None:
    [spec] = read_sources([{"kind": "hf-daily", "days": 2}])
    today = date(2026, 3, 10)
    assert dates_to_fetch(spec, today, None) == [date(2026, 3, 9), today]
    assert dates_to_fetch(spec, today, date(2026, 3, 5))[0] == date(2026, 3, 6)
    assert len(dates_to_fetch(spec, today, date(2025, 1, 1))) == 31  # at most MAX_DAYS


def test_retry_after_is_seconds_or_a_date() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 3, 6, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("12") == 12.0
    assert retry_after_seconds("Fri, 06 Mar 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_a_broken_state_file_is_a_clear_error(tmp_path: Path, services: Services) -> None:
    site = _site(tmp_path, _hf(services))
    (site / STATE_NAME).write_text("{not json", "utf-8")
    with pytest.raises(InputError, match=f"{STATE_NAME}: cannot be read"):
        run_update(site, today=date(2026, 3, 6))


def test_an_incremental_build_after_an_update_equals_a_clean_one(
        tmp_path: Path, services: Services, run_cli: Run,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The new pages' keys hold what they show: gains, neighbours and order change with
    the second day, and the pages reused from the first build must not go stale."""
    site = _site(tmp_path, _hf(services, days=2), top="search = false\n")
    incremental, clean = tmp_path / "incremental", tmp_path / "clean"
    assert _run(run_cli, monkeypatch, DAY_ONE, str(site))[0] == 0
    assert run_cli(["build", "--site", str(site), "--output", str(incremental)])[0] == 0
    assert _run(run_cli, monkeypatch, DAY_TWO, str(site))[0] == 0
    assert run_cli(["build", "--site", str(site), "--output", str(incremental)])[0] == 0
    assert run_cli(["build", "--site", str(site), "--output", str(clean), "--clean"])[0] == 0

    def tree(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and "pagefind" not in p.parts}

    built = tree(incremental)
    assert f"date/{DAY_TWO}/index.html" in built and "trending/index.html" in built
    assert built == tree(clean)
