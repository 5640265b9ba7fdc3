"""Forked workers give exactly what one process gives."""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from sitegen import content, writer
from sitegen.pages import Job
from sitegen.parallel import fork_imap, fork_share, workers

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _no_stray_thread() -> None:
    """sitegen forks no worker while another thread runs: a thread left behind by an
    earlier test would make these tests see only the serial path."""
    import threading

    assert threading.active_count() == 1, [thread.name for thread in threading.enumerate()]


def _square(value: int) -> int:
    return value * value


def _tagged(tag: str, value: int) -> tuple[str, int]:
    time.sleep(0.002)  # long enough that both ends take items
    return tag, value * value


def test_fork_share_gives_every_result_once_from_both_ends() -> None:
    items = list(range(300))
    results = list(fork_share("test", partial(_tagged, "worker"), items, partial(_tagged, "here")))
    assert sorted(index for index, _ in results) == items
    assert all(value == items[index] ** 2 for index, (_, value) in results)
    here = sorted(index for index, (tag, _) in results if tag == "here")
    if workers() < 2:
        assert len(here) == len(items)
        return
    assert 0 < len(here) < len(items), "both this process and the workers should take items"
    assert here == list(range(here[0], len(items))), "this process takes items from the back"
    alone = list(fork_share("test", partial(_tagged, "worker"), items, None))
    assert sorted(alone) == [(i, ("worker", i * i)) for i in items]


@pytest.mark.skipif(workers() < 2, reason="needs two cores to fork workers")
def test_fork_share_runs_first_here_while_workers_take_items() -> None:
    """``first`` runs once in this process, after the workers have started: they take
    items meanwhile, so this process takes fewer."""
    items = list(range(100))
    calls = []

    def first() -> None:
        calls.append(time.perf_counter())
        time.sleep(0.1)

    results = list(fork_share("test", partial(_tagged, "worker"), items,
                              partial(_tagged, "here"), first))
    assert len(calls) == 1
    assert sorted(index for index, _ in results) == items
    worker_share = sum(1 for _, (tag, _) in results if tag == "worker")
    assert worker_share > len(items) // 2, "the workers parse while this process runs first"


def test_fork_imap_keeps_order_and_values() -> None:
    items = list(range(1001))
    assert list(fork_imap("test", _square, items, minimum=1)) == [v * v for v in items]
    assert list(fork_imap("test", _square, items, minimum=1, chunk=7)) == [v * v for v in items]


@pytest.mark.skipif(workers() < 2, reason="needs two cores to fork workers")
def test_parallel_parse_equals_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(REPO / "content", tmp_path / "content")
    prepare = _derive(tmp_path)
    serial = content.load_content(tmp_path, tmp_path / "content", {}, parallel=False,
                                  prepare=prepare)
    monkeypatch.setattr(content, "PARALLEL_PARSE", 1)
    cache: content.ParsedEntries = {}
    forked = content.load_content(tmp_path, tmp_path / "content", cache, parallel=True,
                                  prepare=prepare)
    assert [p.title for p in forked.papers] == [p.title for p in serial.papers]
    assert forked.papers == serial.papers
    assert forked.prepared == serial.prepared and forked.labels == serial.labels
    assert all(derived.summary and derived.key for derived in forked.prepared)
    assert sorted(cache) == sorted(str(p.path.relative_to(tmp_path)) for p in forked.papers
                                   if p.path)



def _derive(root: Path) -> Any:
    """The derive stage's per-paper function, with default settings."""
    from sitegen.config import Config
    from sitegen.derive import derive_paper, make_settings

    return partial(derive_paper, settings=make_settings(Config(root=root)))


def _load(root: Path, cache: content.ParsedEntries, **options: Any) -> content.LoadResult:
    """Load the content under ``root``, each paper derived where it is parsed."""
    return content.load_content(root, root / "content", cache, prepare=_derive(root), **options)


def _cached_contents(folder: Path) -> dict[str, tuple[object, ...]]:
    """Every kept paper of a parse cache, with its stat key and derived values."""
    from sitegen.cache import ParseCache

    return dict(ParseCache(folder).load().items())


@pytest.mark.skipif(workers() < 2, reason="needs two cores to fork workers")
@pytest.mark.parametrize("sharing", [True, False])
def test_parse_workers_keep_whole_shards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         sharing: bool) -> None:
    """A first build's workers write the parse cache; it holds what one process keeps.

    Without ``sharing`` (a large site), the workers parse every shard."""
    from sitegen import cache as cache_module

    shutil.copytree(REPO / "content", tmp_path / "content")
    bad = tmp_path / "content" / "papers" / "zz-broken.md"
    bad.write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    serial_cache = cache_module.ParseCache(tmp_path / "serial")
    serial = _load(tmp_path, serial_cache.load())
    serial_cache.save()

    monkeypatch.setattr(content, "PARALLEL_PARSE", 1)
    if not sharing:
        monkeypatch.setattr(content, "SHARE_PARSE_MAX", 0)
    writes: list[int] = []
    write = cache_module.ParseCache._write
    monkeypatch.setattr(cache_module.ParseCache, "_write",
                        lambda self, index, data: (writes.append(index), write(self, index, data)))
    parsed = cache_module.ParseCache(tmp_path / "forked")
    forked = _load(tmp_path, parsed.load(), parallel=True,
                                  sink=parsed)
    assert forked.papers == serial.papers and forked.errors == serial.errors
    assert [e.path for e in forked.errors] == ["content/papers/zz-broken.md"]
    # This process parses shards from the back, the worker from the front; each
    # writes what it parsed, once.
    shards = sorted(int(p.stem) for p in (tmp_path / "forked" / "content").glob("*.pickle"))
    if not sharing:
        assert writes == [] and len(shards) > 1, "the workers should write every shard"
        parsed.save()
        assert writes == [], "what the workers wrote is not written again"
        assert _cached_contents(tmp_path / "forked") == _cached_contents(tmp_path / "serial")
        return
    assert writes, "this process should parse (and keep) some of the shards itself"
    assert len(set(writes)) == len(writes), "no shard is written twice"
    assert set(writes) < set(shards), "the worker should write the other shards"
    assert min(writes) > min(set(shards) - set(writes)), "this process works from the back"
    parsed.save()
    assert len(writes) == len(set(writes)), "what was written is not written again"
    assert _cached_contents(tmp_path / "forked") == _cached_contents(tmp_path / "serial")


@pytest.mark.skipif(workers() < 2, reason="needs two cores to fork workers")
def test_a_shard_replaced_before_it_is_read_back_is_parsed_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The main process reads back the shards the worker wrote; one that another build
    replaced meanwhile is not trusted: its files are parsed again, nothing is lost."""
    from sitegen import cache as cache_module

    shutil.copytree(REPO / "content", tmp_path / "content")
    serial = _load(tmp_path, {})
    monkeypatch.setattr(content, "PARALLEL_PARSE", 1)
    unpack = cache_module.ParseCache.unpack
    replaced: list[int] = []

    def unpack_after_replacing(self: cache_module.ParseCache, group: int, data: bytes,
                               written: bool) -> content.ParsedEntries | None:
        if written and not replaced:
            replaced.append(group)
            self._write(group, self._dumps([]))  # what another build might have left
        return unpack(self, group, data, written)

    monkeypatch.setattr(cache_module.ParseCache, "unpack", unpack_after_replacing)
    parsed = cache_module.ParseCache(tmp_path / "cache")
    forked = _load(tmp_path, parsed.load(), parallel=True,
                                  sink=parsed)
    assert replaced, "the worker should have written a shard"
    assert forked.papers == serial.papers and forked.errors == serial.errors
    parsed.save()
    fresh = cache_module.ParseCache(tmp_path / "fresh")
    _load(tmp_path, fresh.load())
    fresh.save()
    assert _cached_contents(tmp_path / "cache") == _cached_contents(tmp_path / "fresh")


@pytest.mark.skipif(workers() < 2, reason="needs two cores to fork workers")
def test_parse_workers_leave_mixed_shards_to_the_parse_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shards that also hold unchanged papers are written by the main process, whole."""
    from sitegen.cache import ParseCache

    shutil.copytree(REPO / "content", tmp_path / "content")
    papers = sorted((tmp_path / "content" / "papers").glob("*.md"))
    monkeypatch.setattr(content, "PARALLEL_PARSE", 1)
    parsed = ParseCache(tmp_path / "cache")
    _load(tmp_path, parsed.load(), parallel=True, sink=parsed)
    for path in papers[::3]:
        path.write_text(path.read_text(encoding="utf-8").replace("\ntitle: \"",
                                                                 "\ntitle: \"Edited "),
                        encoding="utf-8")
    parsed = ParseCache(tmp_path / "cache")
    again = _load(tmp_path, parsed.load(), parallel=True,
                                 sink=parsed)
    parsed.save()
    edited = [p for p in again.papers if p.title.startswith("Edited ")]
    assert len(edited) == len(papers[::3])
    fresh = ParseCache(tmp_path / "fresh")
    _load(tmp_path, fresh.load())
    fresh.save()
    assert _cached_contents(tmp_path / "cache") == _cached_contents(tmp_path / "fresh")


def test_shards_are_runs_of_the_sorted_labels_that_labels_keep() -> None:
    """Shards follow path order (papers read back lie in memory in rendering order);
    an existing label keeps its shard, a new one joins its predecessor's."""
    from sitegen.cache import MAX_SHARD_SHARE, SHARDS, assign_shards

    labels = [f"content/papers/p{number:05d}.md" for number in range(1000)]
    fresh = assign_shards(labels, {})
    assert [fresh[label] for label in labels] == sorted(fresh.values())
    assert set(fresh.values()) == set(range(SHARDS))
    assert max(Counter(fresh.values()).values()) <= 1000 // SHARDS + 1

    grown = sorted([*labels, "content/papers/a-first.md", "content/papers/p00500x.md"])
    later = assign_shards(grown, fresh)
    assert all(later[label] == fresh[label] for label in labels)
    assert later["content/papers/p00500x.md"] == fresh["content/papers/p00500.md"]
    assert later["content/papers/a-first.md"] == fresh[labels[0]]

    # Most labels new: laid out afresh. One shard grown past its share: likewise.
    renamed = [label.replace("p0", "q0") for label in labels]
    assert assign_shards(renamed, fresh) == assign_shards(renamed, {})
    appended = sorted(labels + [f"content/papers/z{number:05d}.md"
                                for number in range(MAX_SHARD_SHARE * (1000 // SHARDS + 1))])
    assert assign_shards(appended, fresh) == assign_shards(appended, {})
    assert assign_shards(labels[:-1], fresh) == {label: fresh[label] for label in labels[:-1]}
    assert assign_shards([], fresh) == {}


def _jobs(paths: list[str]) -> list[Job]:
    return [Job(path, "key", lambda: b"") for path in sorted(paths)]


@pytest.mark.parametrize("papers", [3000, 2 * writer.RUN_JOBS - 1])
def test_small_sites_get_one_run_per_worker(papers: int) -> None:
    jobs = _jobs([f"papers/p{i:05d}/index.html" for i in range(papers)] + ["index.html"])
    runs = writer._tasks(jobs, 2)
    assert len(runs) == 2
    assert [job.path for run in runs for job in run] == [job.path for job in jobs]


@pytest.fixture
def tasks_from_task_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sites turn to tasks above ``TASK_JOBS`` files per worker, so that the tests below
    need only a few tasks' worth of files."""
    monkeypatch.setattr(writer, "RUN_JOBS", writer.TASK_JOBS)


@pytest.mark.usefixtures("tasks_from_task_size")
def test_large_sites_get_small_tasks_and_list_pages_smaller_ones() -> None:
    papers = [f"papers/p{i:06d}/index.html" for i in range(3 * writer.TASK_JOBS)]
    lists = ["index.html"] + [f"page/{n}/index.html" for n in range(2, 1200)] + \
        [f"tags/t{n:04d}/index.html" for n in range(2000)]
    jobs = _jobs(papers + lists)
    runs = writer._tasks(jobs, 2)
    kinds = ["papers" if run[0].path.startswith("papers/") else "lists" for run in runs]
    assert kinds.count("papers") == 2 + writer.TAIL_SPLIT  # the last run split
    assert kinds.count("lists") == -(-len(lists) // writer.LIST_TASK_JOBS)
    assert kinds[:8] == ["papers", "lists"] * 4  # taking turns
    for run, kind in zip(runs, kinds, strict=True):
        assert all(job.path.startswith("papers/") == (kind == "papers") for job in run)
        assert len(run) <= (writer.TASK_JOBS if kind == "papers" else writer.LIST_TASK_JOBS) + 1
    rendered = Counter(job.path for run in runs for job in run)
    assert rendered == Counter(job.path for job in jobs)


@pytest.mark.usefixtures("tasks_from_task_size")
def test_the_last_run_of_paper_pages_goes_as_shorter_tasks() -> None:
    """The last tasks decide when the build ends: a whole paper run among them would
    leave the other workers idle, so it is split."""
    papers = [f"papers/p{i:06d}/index.html" for i in range(3 * writer.TASK_JOBS)]
    jobs = _jobs(papers + ["index.html", "tags/index.html"])
    runs = writer._tasks(jobs, 2)
    quarter = writer.TASK_JOBS // writer.TAIL_SPLIT
    assert [len(run) for run in runs] == [writer.TASK_JOBS, 2, writer.TASK_JOBS] + [
        quarter] * writer.TAIL_SPLIT
    assert [job.path for run in runs for job in run] == papers[:writer.TASK_JOBS] + [
        "index.html", "tags/index.html"] + papers[writer.TASK_JOBS:]


@pytest.mark.usefixtures("tasks_from_task_size")
def test_a_large_site_without_paper_pages_is_still_dealt() -> None:
    jobs = _jobs([f"extra/f{i:05d}/index.html" for i in range(3 * writer.TASK_JOBS)])
    runs = writer._tasks(jobs, 2)
    assert sum(len(run) for run in runs) == len(jobs) and all(runs)


@pytest.mark.skipif(workers() < 2, reason="needs two cores to fork workers")
def test_no_thread_runs_when_workers_are_forked(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fork of a build (parse, derive, render) happens with no other thread alive;
    with another thread running, the build forks nothing and gives the same site."""
    import os
    import threading

    from sitegen import derive
    from sitegen.cli import main

    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "sitegen.toml", site / "sitegen.toml")
    monkeypatch.setattr(content, "PARALLEL_PARSE", 1)
    monkeypatch.setattr(derive, "PARALLEL_DERIVE", 1)
    monkeypatch.setattr(writer, "PARALLEL_MIN", 1)
    threads: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        threads.append(threading.active_count())
        return real_fork()

    monkeypatch.setattr(os, "fork", fork)
    out = ["--site", str(site), "-q"]
    assert main(["build", *out]) == 0  # parse by shards, render
    forks = len(threads)
    (site / "templates").mkdir()
    (site / "templates" / "partials").mkdir()
    card = (REPO / "themes" / "default" / "templates" / "partials" / "card.html")
    (site / "templates" / "partials" / "card.html").write_text(
        card.read_text("utf-8") + "<!-- edited -->\n", "utf-8")
    assert main(["build", *out]) == 0  # every card derived again
    assert main(["build", *out, "--clean"]) == 0  # parse in order, render
    assert forks >= 2 and len(threads) >= forks + 4
    assert set(threads) == {1}
    built = {path.relative_to(site / "public"): path.read_bytes()
             for path in (site / "public").rglob("*") if path.is_file()}

    threads.clear()
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert main(["build", *out, "--clean"]) == 0
    finally:
        stop.set()
        other.join()
    assert threads == [], "nothing forks while another thread runs"
    assert {path.relative_to(site / "public"): path.read_bytes()
            for path in (site / "public").rglob("*") if path.is_file()} == built


def _pid_bytes(log: Path, path: str) -> bytes:
    """A job's bytes that also note which process made them."""
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"{os.getpid()} {path}\n")
    return path.encode("utf-8")


@pytest.mark.skipif(workers() < 2, reason="needs two cores to fork workers")
@pytest.mark.parametrize("task_jobs", [10_000, 100])
def test_files_that_read_every_paper_are_made_by_the_main_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, task_jobs: int) -> None:
    """``papers.json`` and the like touch every paper: a forked worker making one copies
    most of the site's memory (2 GB more at 100,000 papers), so the main process makes
    them, small site (one run per worker) or large (many tasks); workers make the rest."""
    from sitegen.progress import Progress
    from sitegen.publish import Staging

    monkeypatch.setattr(writer, "PARALLEL_MIN", 1)
    monkeypatch.setattr(writer, "TASK_JOBS", task_jobs)
    monkeypatch.setattr(writer, "RUN_JOBS", task_jobs)
    papers = 1000
    log = tmp_path / "pids.log"
    paths = sorted([f"papers/p{i:06d}/index.html" for i in range(papers)]
                   + [f"tags/t{n:03d}/index.html" for n in range(50)]
                   + ["index.html", "papers.bib", "papers.json", "papers.csl.json"])
    whole = {"papers.bib", "papers.json", "papers.csl.json"}
    jobs = [Job(path, "key", partial(_pid_bytes, log, path), whole=path in whole)
            for path in paths]
    target = Staging(tmp_path / "public")
    target.begin()
    writer.render_all(jobs, target, Progress(len(jobs), quiet=True))
    lines = [line.split(" ", 1) for line in log.read_text("utf-8").splitlines()]
    made = {path: pid for pid, path in lines}
    assert sorted(path for _, path in lines) == paths  # each job made once
    by_pid = Counter(made.values())
    here = str(os.getpid())
    assert {made[path] for path in whole} == {here}
    assert len(by_pid) >= 2 and sum(n for pid, n in by_pid.items() if pid != here) > papers / 4
    assert (target.path / "papers.json").read_bytes() == b"papers.json"


@pytest.mark.skipif(workers() < 2, reason="needs two cores to fork workers")
def test_verbose_names_every_file_and_still_renders_in_workers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--verbose`` prints a "wrote" line per file without making the render serial:
    its stage report has to time the build a user runs."""
    from sitegen.cli import main
    from sitegen.publish import Staging

    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "sitegen.toml", site / "sitegen.toml")
    monkeypatch.setattr(writer, "PARALLEL_MIN", 1)
    log = tmp_path / "pids.log"
    real_write = Staging.write

    def write(self: Staging, rel: str, data: bytes | list[bytes]) -> None:
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n")
        real_write(self, rel, data)

    monkeypatch.setattr(Staging, "write", write)
    assert main(["build", "--site", str(site), "--verbose"]) == 0
    printed = {line[len("wrote "):] for line in capsys.readouterr().out.splitlines()
               if line.startswith("wrote ")}
    files = {p.relative_to(site / "public").as_posix() for p in (site / "public").rglob("*")
             if p.is_file() and p.name != ".sitegen-output"
             and not p.relative_to(site / "public").as_posix().startswith("pagefind/")}
    assert printed == files
    assert len(set(log.read_text("utf-8").split())) >= 2  # written by more than one process
