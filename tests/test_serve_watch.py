"""The preview's file watchers: each implementation sees the edits a build depends on, and
nothing else, and turns a burst of saves into one change.

Every test runs against both :class:`WatchdogSource` (watchdog's native observer) and
:class:`PollSource` (the fallback), on real files in a temporary site folder.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import sitegen.serve.watch as serve_watch
from sitegen.serve.watch import PollSource, Source, WatchdogSource, WatchPlan, open_source

QUIET = 0.3  # long enough for any event of an earlier step to have arrived
SEEN = 5.0  # how long a change may take to show (polling scans every 0.1 s)

Open = Callable[..., Source]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site folder with a content tree, a theme tree outside it, and an output folder."""
    root = tmp_path / "site"
    (root / "content" / "papers").mkdir(parents=True)
    (root / "content" / "papers" / "one.md").write_text("one\n", encoding="utf-8")
    (root / "public").mkdir()
    (root / "sitegen.toml").write_text('title = "x"\n', encoding="utf-8")
    (tmp_path / "theme" / "templates").mkdir(parents=True)
    return root


def plan_for(site: Path, *ignore: Path) -> WatchPlan:
    trees = (site / "content", site.parent / "theme")
    return WatchPlan(site, frozenset({"sitegen.toml", "content", "templates"}), trees, ignore)


@pytest.fixture(params=[WatchdogSource, PollSource])
def watch(request: pytest.FixtureRequest) -> Iterator[Open]:
    """Open sources of one implementation; close them after the test."""
    opened: list[Source] = []

    def run(plan: WatchPlan) -> Source:
        source: Source = request.param(plan)
        opened.append(source)
        return source

    yield run
    for source in opened:
        source.close()


def settled(source: Source) -> bool:
    """Wait out the rest of a change; True if the source then stays quiet.

    One save is several events (create, write, close), which a watcher may report
    apart: the first makes ``wait`` return, the others may come just after.
    """
    source.wait(QUIET)
    return not source.wait(QUIET)


def drain(source: Source) -> None:
    """Let the events of an earlier step arrive and be taken, however many there are."""
    deadline = time.monotonic() + SEEN
    while source.wait(QUIET) and time.monotonic() < deadline:
        pass


def test_a_new_file_is_seen(site: Path, watch: Open) -> None:
    source = watch(plan_for(site))
    assert not source.wait(QUIET)
    (site / "content" / "papers" / "two.md").write_text("two\n", encoding="utf-8")
    assert source.wait(SEEN)
    assert settled(source)


def test_a_modified_file_is_seen(site: Path, watch: Open) -> None:
    source = watch(plan_for(site))
    (site / "content" / "papers" / "one.md").write_text("one, longer\n", encoding="utf-8")
    assert source.wait(SEEN)
    assert settled(source)


def test_a_deleted_file_is_seen(site: Path, watch: Open) -> None:
    source = watch(plan_for(site))
    (site / "content" / "papers" / "one.md").unlink()
    assert source.wait(SEEN)
    assert settled(source)


@pytest.mark.parametrize(("old", "new"), [
    ("content/papers/one.md", "content/papers/renamed.md"),  # within the tree
    ("content/papers/one.md", "outside.md"),  # out of every watched place
    ("outside.md", "content/papers/moved-in.md"),  # in from an unwatched place
    ("content/papers/.one.md.tmp", "content/papers/one.md"),  # an editor's atomic save
    ("content/papers/one.md", "content/papers/one.md~"),  # an editor's backup
    ("sitegen.toml", "sitegen.toml.bak"),  # a top-level name
])
def test_a_renamed_file_is_seen(site: Path, watch: Open, old: str, new: str) -> None:
    for name in (old, new):
        (site / name).parent.mkdir(parents=True, exist_ok=True)
    if not (site / old).exists():
        (site / old).write_text("new text\n", encoding="utf-8")
    source = watch(plan_for(site))
    os.rename(site / old, site / new)
    assert source.wait(SEEN)
    assert settled(source)


def test_files_in_new_folders_and_in_a_tree_outside_the_site_are_seen(site: Path,
                                                                       watch: Open) -> None:
    source = watch(plan_for(site))
    deeper = site / "content" / "new" / "deeper"
    deeper.mkdir(parents=True)
    drain(source)  # each new folder may count as a change, and may be reported late
    (deeper / "paper.md").write_text("x\n", encoding="utf-8")
    assert source.wait(SEEN)
    assert settled(source)
    (site.parent / "theme" / "templates" / "base.html").write_text("<p>\n", encoding="utf-8")
    assert source.wait(SEEN)
    assert settled(source)
    (site / "sitegen.toml").write_text('title = "y"\n', encoding="utf-8")
    assert source.wait(SEEN)
    assert settled(source)


def test_editor_files_output_and_other_top_level_files_are_ignored(site: Path,
                                                                   watch: Open) -> None:
    inside = site / "content" / "built"  # an output folder someone put inside a tree
    inside.mkdir()
    source = watch(plan_for(site, inside))
    papers = site / "content" / "papers"
    for name in (".one.md.swp", "one.md~", "#one.md#", "4913", "one.md.tmp", ".hidden"):
        (papers / name).write_text("x\n", encoding="utf-8")
    (site / "content" / ".git").mkdir()
    (site / "content" / ".git" / "index").write_text("x\n", encoding="utf-8")
    (site / "public" / "index.html").write_text("x\n", encoding="utf-8")
    (site / "public" / "papers").mkdir()
    (site / ".sitegen-cache").mkdir()
    (site / ".sitegen-cache" / "parsed").write_text("x\n", encoding="utf-8")
    (site / "README.md").write_text("x\n", encoding="utf-8")
    (inside / "index.html").write_text("x\n", encoding="utf-8")
    (papers / "one.md").read_text("utf-8")  # reading (as every build does) is no change
    assert not source.wait(QUIET)
    (papers / "one.md").write_text("changed\n", encoding="utf-8")
    assert source.wait(SEEN)  # and the watch still works


def test_a_burst_of_saves_is_one_change(site: Path, watch: Open) -> None:
    """Saves nobody waited for make one True, not one per save; a debounce that waits for
    a quiet spell ends once, after the last save."""
    source = watch(plan_for(site))
    papers = site / "content" / "papers"
    for number in range(50):
        (papers / f"p{number % 5}.md").write_text(f"save {number}\n", encoding="utf-8")
    time.sleep(1.0)  # every event of the burst has arrived by now, even on a busy machine
    assert source.wait(0)
    assert not source.wait(QUIET)

    started = time.monotonic()
    for number in range(20):  # one save every 20 ms, with the caller debouncing
        (papers / f"p{number % 5}.md").write_text(f"again {number}\n", encoding="utf-8")
        time.sleep(0.02)
    last_save = time.monotonic()
    assert source.wait(SEEN)
    while source.wait(0.5):  # the preview's debounce loop, with a generous quiet spell
        assert time.monotonic() - started < 30
    assert time.monotonic() >= last_save + 0.5
    assert not source.wait(QUIET)


def test_the_native_observer_falls_back_to_polling_when_it_cannot_start(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_for(site)
    source = open_source(plan)
    try:
        assert type(source) is WatchdogSource
    finally:
        source.close()

    class Exhausted(serve_watch.Observer):  # type: ignore[misc,valid-type]
        """An observer whose start fails as inotify does when it is out of watches."""

        def start(self) -> None:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(serve_watch, "Observer", Exhausted)
    source = open_source(plan)
    try:
        assert type(source) is PollSource and source.plan == plan
        (site / "content" / "papers" / "one.md").write_text("changed\n", encoding="utf-8")
        assert source.wait(SEEN)
    finally:
        source.close()


def test_closing_ends_the_observer_threads(site: Path) -> None:
    import threading

    before = set(threading.enumerate())
    source = WatchdogSource(plan_for(site))
    assert set(threading.enumerate()) - before
    source.close()
    assert not {t for t in set(threading.enumerate()) - before if t.is_alive()}


def test_edits_name_the_files_whose_contents_alone_changed(site: Path, watch: Open) -> None:
    """What the preview's quick page relies on: one file's contents changed, and nothing
    came, went or moved (anything else is None: only a whole build can tell)."""
    source = watch(plan_for(site))
    paper = (site / "content" / "papers" / "one.md").resolve()
    assert source.edits() == frozenset()
    paper.write_text("one, edited in place\n", encoding="utf-8")
    assert source.wait(SEEN)
    drain(source)
    assert source.edits() == frozenset({paper})
    assert source.edits() == frozenset()  # taken: the next call starts afresh
    (site / "content" / "papers" / "two.md").write_text("two\n", encoding="utf-8")
    paper.write_text("one, edited again\n", encoding="utf-8")
    assert source.wait(SEEN)
    drain(source)
    assert source.edits() is None  # a file came
    replacement = paper.with_name(".one.md.tmp")
    replacement.write_text("one, saved by a rename\n", encoding="utf-8")
    os.replace(replacement, paper)
    assert source.wait(SEEN)
    drain(source)
    assert source.edits() is None  # a new file took the old one's place
    (site.parent / "theme" / "templates" / "base.html").write_text("<p>\n", encoding="utf-8")
    drain(source)
    source.edits()
    (site.parent / "theme" / "templates" / "base.html").write_text("<p>x\n", encoding="utf-8")
    assert source.wait(SEEN)
    drain(source)
    assert source.edits() == frozenset({(site.parent / "theme" / "templates" /
                                         "base.html").resolve()})
