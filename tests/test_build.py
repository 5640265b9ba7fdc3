"""``sitegen build`` end to end: deterministic output, incremental builds equal clean
builds, tag normalisation and rules, pagination, and what survives in the output.

Expected values come from the fixture files: paper slugs from file names or
``slug:``, dates from front matter, ``per_page`` from ``sitegen.toml``.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from sitegen.config import OPTIONAL_OUTPUTS

Build = Callable[..., Path]
Snapshot = Callable[[Path], dict[str, bytes]]


def front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("\n---", 1)[0].removeprefix("---\n"))


def slug_of(path: Path) -> str:
    return str(front_matter(path).get("slug") or path.stem)


def write_paper(site: Path, name: str, title: str, day: str, tags: list[str] | None = None,
                body: str = "An abstract.") -> Path:
    front: dict[str, Any] = {"title": title, "date": day}
    if tags is not None:
        front["tags"] = tags
    path = site / "content" / "papers" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not (site / "sitegen.toml").exists():  # a folder without one is not a site
        (site / "sitegen.toml").write_text("", encoding="utf-8")
    path.write_text("---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
                    + "---\n\n" + body + "\n", encoding="utf-8")
    return path


def text_of(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def site_path(href: str, base_path: str = "/") -> str:
    """The output-relative page path of an internal link (``/tags/llm/`` → ``tags/llm/``)."""
    path = urlsplit(href).path
    assert path.startswith(base_path), href
    return path[len(base_path):]


def cards(page: Any) -> list[str]:
    """The paper links of the cards on a list page, in order."""
    return [a.get("href") for a in page.iterfind(".//*[@class='card-title']/a")]


def paper_tags(page: Any) -> list[str]:
    """The tag names shown on a paper page."""
    tag_list = page.find(".//article[@class='paper']//ul[@class='tags']")
    return [] if tag_list is None else [text_of(a) for a in tag_list.iter("a")]


# Determinism -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_clean_builds(tmp_path_factory: pytest.TempPathFactory,
                     copy_example: Callable[[Path], Path],
                     snapshot: Snapshot) -> list[dict[str, bytes]]:
    """The example site built clean twice: different site folders, output folders and hash
    seeds, each in its own process. Nothing of that may show in the output."""
    trees = []
    for number in range(2):
        root = tmp_path_factory.mktemp(f"determinism-{number}")
        site = copy_example(root / ("example" if number == 0 else "elsewhere/example-copy"))
        out = root / f"out-{number}"
        done = subprocess.run(
            [sys.executable, "-m", "sitegen.cli", "build", "--site", str(site), "--output",
             str(out), "--clean", "--base-url", "https://example.org/", "-q"],
            env={**os.environ, "PYTHONHASHSEED": str(number + 1)}, capture_output=True,
            text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr
        trees.append(snapshot(out))
    return trees


def _split(tree: dict[str, bytes], folder: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    inside = {k: v for k, v in tree.items() if k.startswith(folder + "/")}
    return {k: v for k, v in tree.items() if k not in inside}, inside


def test_two_clean_builds_are_byte_identical(
        two_clean_builds: list[dict[str, bytes]], tree_difference: Callable[..., str]) -> None:
    """Pages, feeds, data files and assets (the search index has its own test below)."""
    first, second = (_split(tree, "pagefind")[0] for tree in two_clean_builds)
    assert len(first) > 50
    assert not tree_difference(first, second), tree_difference(first, second)


def test_two_clean_builds_give_the_same_search_index(
        two_clean_builds: list[dict[str, bytes]], tree_difference: Callable[..., str]) -> None:
    first, second = (_split(tree, "pagefind")[1] for tree in two_clean_builds)
    assert first, "the example site has search on, so it should have an index"
    assert not tree_difference(first, second), tree_difference(first, second)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


PAPERS = Path("content") / "papers"


def _edit_title(site: Path) -> None:
    _edit(site / PAPERS / "long-term-memory-for-dialogue-agents.md",
          "title: Long-Term Memory for Dialogue Agents",
          "title: Long-Term Memory for Chatty Dialogue Agents")


def _edit_abstract(site: Path) -> None:
    _edit(site / PAPERS / "counting-authors-without-names.md", "| large | 0.77 |",
          "| large | 0.78 |\n| huge | 0.91 |")


def _add_paper(site: Path) -> None:
    write_paper(site, "a-brand-new-paper", "A Brand New Paper About Memory", "2024-02-25")


def _delete_paper(site: Path) -> None:
    (site / PAPERS / "large-language-models-are-few-shot-tables.md").unlink()


def _rename_paper(site: Path) -> None:
    (site / PAPERS / "a-quiet-paper.md").rename(site / PAPERS / "a-renamed-quiet-paper.md")


def _change_tag(site: Path) -> None:
    _edit(site / PAPERS / "sparse-attention-with-learned-routing.md",
          "tags: [LLM, Reasoning]", "tags: [LLM, Efficiency]")


def _hyphenated_tags(site: Path) -> None:
    _edit(site / PAPERS / "uber-grosse-sprachmodelle.md", '" Large  Language_Models"',
          "Large-Language-Models")
    _edit(site / PAPERS / "large-language-models-are-few-shot-tables.md",
          "tags: [large language models, LLM]", "tags: [large-language-models, LLM]")


def _spaced_tag_joins(site: Path) -> None:
    # The tag page is shared by spellings with the same slug; its name changes for
    # papers whose own front matter did not change.
    _edit(site / PAPERS / "a-quiet-paper.md", "date: 2022-07\n",
          "date: 2022-07\ntags: [Large Language Models]\n")


def _override_template(site: Path) -> None:
    (site / "templates").mkdir(exist_ok=True)
    theme_404 = Path(__file__).resolve().parent.parent / "themes/default/templates/404.html"
    text = theme_404.read_text(encoding="utf-8")
    assert "<h1>Page not found</h1>" in text
    (site / "templates" / "404.html").write_text(
        text.replace("<h1>Page not found</h1>", "<h1>Nothing here</h1>"), encoding="utf-8")


def _override_partial(site: Path) -> None:
    partials = site / "templates" / "partials"
    partials.mkdir(parents=True, exist_ok=True)
    theme = Path(__file__).resolve().parent.parent / "themes/default/templates/partials"
    text = (theme / "pagination.html").read_text(encoding="utf-8")
    assert "Older →" in text
    (partials / "pagination.html").write_text(text.replace("Older →", "Older papers →"),
                                              encoding="utf-8")


def _edit_override(site: Path) -> None:
    _edit(site / "templates" / "404.html", "<h1>Nothing here</h1>", "<h1>Still nothing</h1>")


def _per_page(site: Path) -> None:
    _edit(site / "sitegen.toml", "per_page = 2", "per_page = 3")


def _site_title(site: Path) -> None:
    _edit(site / "sitegen.toml", 'title = "Golden Papers"', 'title = "Silver Papers"')


def _tag_rules(site: Path) -> None:
    _edit(site / "sitegen.toml", '"memory" = ["memory", "memories"]',
          '"memory" = ["memory", "memories"]\n"quiet" = ["quiet"]')


OPTIONAL_OUTPUTS_OFF = "".join(f"{name} = false\n" for name in OPTIONAL_OUTPUTS)


def _outputs_off(site: Path) -> None:
    _edit(site / "sitegen.toml", "[tag_rules]", OPTIONAL_OUTPUTS_OFF + "[tag_rules]")


def _outputs_on(site: Path) -> None:
    _edit(site / "sitegen.toml", OPTIONAL_OUTPUTS_OFF, "")


def _add_static(site: Path) -> None:
    (site / "static").mkdir(exist_ok=True)
    (site / "static" / "humans.txt").write_text("Team: fixture maintainers\n", encoding="utf-8")


def _two_papers_one_citation_stem(site: Path) -> None:
    # Same first author, year and title word; another paper lies between them in time,
    # so deleting one does not change the other's neighbours.
    for number, day in ((1, "2022-01-01"), (2, "2022-12-01")):
        path = write_paper(site, f"memory-matters-{number}", f"Memory Matters, Part {number}",
                           day, tags=["memory"])
        _edit(path, "tags:", "authors: [Ann Lee]\ntags:")


def _delete_one_of_them(site: Path) -> None:
    # The older paper holds the unsuffixed citation key; the newer one inherits it.
    (site / PAPERS / "memory-matters-1.md").unlink()


SCENARIOS: dict[str, tuple[Callable[[Path], None] | None, Callable[[Path], None]]] = {
    "edit-title": (None, _edit_title),
    "edit-abstract": (None, _edit_abstract),
    "add-paper": (None, _add_paper),
    "delete-paper": (None, _delete_paper),
    "delete-paper-sharing-citation-stem": (_two_papers_one_citation_stem, _delete_one_of_them),
    "rename-paper": (None, _rename_paper),
    "change-tag": (None, _change_tag),
    "tag-spelling-joins-existing-tag": (_hyphenated_tags, _spaced_tag_joins),
    "add-template-override": (None, _override_template),
    "add-partial-override": (None, _override_partial),
    "edit-template-override": (_override_template, _edit_override),
    "config-per-page": (None, _per_page),
    "config-title": (None, _site_title),
    "config-tag-rules": (None, _tag_rules),
    "config-optional-outputs-off": (None, _outputs_off),
    "config-optional-outputs-on": (_outputs_off, _outputs_on),
    "add-static-file": (None, _add_static),
    "remove-static-file": (_add_static, lambda site: (site / "static" / "humans.txt").unlink()),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_incremental_build_equals_clean_build(
        scenario: str, tmp_path: Path, copy_site: Callable[..., Path], build_site: Build,
        snapshot: Snapshot, tree_difference: Callable[..., str]) -> None:
    setup, change = SCENARIOS[scenario]
    site = copy_site("golden")
    if setup:
        setup(site)
    live = tmp_path / "live"
    build_site(site, live)
    before = snapshot(live)
    change(site)
    build_site(site, live)
    incremental = snapshot(live)
    assert incremental != before, "the change did not change the site; the scenario is void"
    fresh = snapshot(build_site(site, tmp_path / "fresh", clean=True))
    difference = tree_difference(incremental, fresh)
    assert not difference, f"incremental build differs from a clean build:\n{difference}"



FORKED_SCENARIOS = ["edit-title", "edit-abstract", "add-paper", "delete-paper", "rename-paper",
                    "change-tag", "config-title"]


@pytest.mark.parametrize("scenario", FORKED_SCENARIOS)
def test_incremental_build_with_forked_parsing_equals_clean_build(
        scenario: str, tmp_path: Path, copy_site: Callable[..., Path], build_site: Build,
        snapshot: Snapshot, tree_difference: Callable[..., str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every parse in forked workers: the first build's workers write the parse cache,
    which the next builds read (and extend from the main process)."""
    import sitegen.content
    from sitegen.parallel import workers

    if workers() < 2:
        pytest.skip("one usable core: content is never parsed in parallel here")
    monkeypatch.setattr(sitegen.content, "PARALLEL_PARSE", 1)
    site = copy_site("golden")
    live = build_site(site, tmp_path / "live")
    assert list((site / ".sitegen-cache" / "content").glob("*.pickle"))
    before = snapshot(live)
    SCENARIOS[scenario][1](site)
    build_site(site, live)
    incremental = snapshot(live)
    assert incremental != before, "the change did not change the site; the scenario is void"
    monkeypatch.setattr(sitegen.content, "PARALLEL_PARSE", 10**9)
    fresh = snapshot(build_site(site, tmp_path / "fresh", clean=True))
    difference = tree_difference(incremental, fresh)
    assert not difference, f"incremental build differs from a clean build:\n{difference}"


def write_many_papers(site: Path, count: int) -> list[Path]:
    """A deterministic generated site: varied titles, tags, dates and upvotes.

    The search index is off: these sites test page rendering, and the index has a
    determinism test of its own (the example site's clean builds).
    """
    site.mkdir(parents=True, exist_ok=True)
    (site / "sitegen.toml").write_text("search = false\n", encoding="utf-8")
    words = ["memory", "retrieval", "agents", "reasoning", "transformer", "survey",
             "benchmark", "code", "vision", "audio", "alignment"]
    paths = []
    for number in range(count):
        pick = [words[(number * k + k) % len(words)] for k in (1, 3, 7)]
        front = {"title": f"{' '.join(pick).title()} {number}",
                 "date": f"{2015 + number % 10}-{1 + number % 12:02d}-{1 + number % 28:02d}",
                 "tags": sorted(set(pick[:2])), "upvotes": (number * 37) % 101}
        path = site / "content" / "papers" / f"paper-{number:04d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n\n"
                        + f"Abstract number {number} about {pick[2]}.\n", encoding="utf-8")
        paths.append(path)
    return paths


@pytest.mark.slow
def test_large_incremental_build_equals_clean_build(
        tmp_path: Path, build_site: Build, snapshot: Snapshot,
        tree_difference: Callable[..., str]) -> None:
    """Many changes at once (a full staging tree reusing unchanged files, not a patch)."""
    site = tmp_path / "site"
    paths = write_many_papers(site, 400)
    live = build_site(site, tmp_path / "live")
    before = snapshot(live)
    for path in paths[::4]:
        _edit(path, "Abstract number", "Edited abstract number")
    for path in paths[1::40]:
        path.unlink()
    build_site(site, live)
    incremental = snapshot(live)
    unchanged = [k for k in incremental if before.get(k) == incremental[k]]
    assert len(unchanged) > len(incremental) // 2, "the scenario should reuse most files"
    fresh = snapshot(build_site(site, tmp_path / "fresh", clean=True))
    difference = tree_difference(incremental, fresh)
    assert not difference, f"incremental build differs from a clean build:\n{difference}"


@pytest.mark.slow
def test_parallel_rendering_gives_the_same_bytes_as_serial(
        tmp_path: Path, build_site: Build, snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch,
        tree_difference: Callable[..., str]) -> None:
    import sitegen.writer

    if sitegen.writer.workers() < 2:
        pytest.skip("one usable core: pages are never rendered in parallel here")
    assert sitegen.writer.can_fork(), "another thread runs (left by an earlier test?)"
    threshold = sitegen.writer.PARALLEL_MIN
    site = tmp_path / "site"
    write_many_papers(site, threshold + 100)
    recorded = _record_runs(monkeypatch, tmp_path)
    parallel = snapshot(build_site(site, tmp_path / "parallel", clean=True))
    runs = sorted(recorded(), key=lambda run: run[2])  # in path order
    # The files that read every paper are made by the building process (see Job.whole).
    whole = [run for run in runs if run[2] in WHOLE_FILES]
    assert [pid for pid, _, _ in whole] == [str(os.getpid())]
    runs = [run for run in runs if run not in whole]
    # One run per worker, the last one rendered by the building process itself.
    assert len(runs) == sitegen.writer.workers()
    here = [index for index, (pid, _, _) in enumerate(runs) if pid == str(os.getpid())]
    assert here == [len(runs) - 1]
    assert all(int(size) > 0 for _, size, _ in runs)
    monkeypatch.setattr(sitegen.writer, "PARALLEL_MIN", 10**9)
    serial = snapshot(build_site(site, tmp_path / "serial", clean=True))
    assert len(serial) > threshold
    assert not tree_difference(parallel, serial), tree_difference(parallel, serial)


_RECORD: dict[str, Any] = {}
WHOLE_FILES = ("papers.bib", "papers.csl.json", "papers.json")  # the first file of such a run


def _recorded_render_run(jobs: list[Any], *rest: Any) -> list[tuple[str, int, str]]:
    """A render run that notes its process, size and first file (a module function:
    forked workers run it from the memory they inherit)."""

    with open(_RECORD["file"], "a", encoding="ascii") as handle:
        handle.write(f"{os.getpid()} {len(jobs)} {jobs[0].path if jobs else '-'}\n")
    result: list[tuple[str, int, str]] = _RECORD["render"](jobs, *rest)
    return result


def _record_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path
                 ) -> Callable[[], list[list[str]]]:
    """Make every render run note its process, size and first file; returns what they noted."""
    import sitegen.writer

    pids = tmp_path / "pids"
    monkeypatch.setitem(_RECORD, "file", pids)
    monkeypatch.setitem(_RECORD, "render", sitegen.writer.render_run)
    monkeypatch.setattr(sitegen.writer, "render_run", _recorded_render_run)
    return lambda: [line.split() for line in pids.read_text(encoding="ascii").splitlines()]


@pytest.mark.slow
def test_rendering_in_recycled_workers_gives_the_same_bytes_as_serial(
        tmp_path: Path, build_site: Build, snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch,
        tree_difference: Callable[..., str]) -> None:
    """A large site is rendered in more tasks than workers, each task by a fresh fork."""
    import sitegen.writer

    if sitegen.writer.workers() < 2:
        pytest.skip("one usable core: pages are never rendered in parallel here")
    assert sitegen.writer.can_fork(), "another thread runs (left by an earlier test?)"
    site = tmp_path / "site"
    write_many_papers(site, sitegen.writer.PARALLEL_MIN + 100)
    monkeypatch.setattr(sitegen.writer, "TASK_JOBS", 300)
    monkeypatch.setattr(sitegen.writer, "RUN_JOBS", 300)
    recorded = _record_runs(monkeypatch, tmp_path)
    recycled = snapshot(build_site(site, tmp_path / "recycled", clean=True))
    runs = recorded()
    whole = [run for run in runs if run[2] in WHOLE_FILES]
    assert [pid for pid, _, _ in whole] == [str(os.getpid())]  # see Job.whole
    tasks = [run for run in runs if run not in whole]
    assert len(tasks) >= 6
    assert len({pid for pid, _, _ in tasks}) == len(tasks), "each task should run in a new process"
    assert str(os.getpid()) not in {pid for pid, _, _ in tasks}
    written = [path for path in recycled
               if not path.startswith("pagefind/") and path != ".sitegen-output"]
    assert sum(int(size) for _, size, _ in runs) == len(written)  # the search index comes after
    monkeypatch.setattr(sitegen.writer, "PARALLEL_MIN", 10**9)
    serial = snapshot(build_site(site, tmp_path / "serial", clean=True))
    assert not tree_difference(recycled, serial), tree_difference(recycled, serial)


def test_rebuild_without_changes_keeps_every_file(
        tmp_path: Path, copy_site: Callable[..., Path], build_site: Build,
        snapshot: Snapshot) -> None:
    site = copy_site("golden")
    out = build_site(site, tmp_path / "out")
    before = snapshot(out)
    build_site(site, out)
    assert snapshot(out) == before
    build_site(site, out, clean=True)
    assert snapshot(out) == before


# Tags ------------------------------------------------------------------------------------


def test_tag_spellings_land_on_single_tag_pages(
        tmp_path: Path, build_site: Build, parse_page: Callable[[Path], Any]) -> None:
    site = tmp_path / "site"
    spellings = {"upper": "LLM", "lower": "llm", "spaced": " Large  Language_Models",
                 "plain": "large language models"}
    for number, (name, tag) in enumerate(spellings.items()):
        write_paper(site, name, f"Paper {name}", f"2024-05-{number + 1:02d}", tags=[tag])
    out = build_site(site, tmp_path / "out")
    tag_dirs = sorted(p.name for p in (out / "tags").iterdir() if p.is_dir())
    assert tag_dirs == ["large-language-models", "llm"]
    for slug, names in (("llm", {"upper", "lower"}), ("large-language-models",
                                                      {"spaced", "plain"})):
        listed = {site_path(h).split("/")[1] for h in cards(parse_page(out / "tags" / slug /
                                                                       "index.html"))}
        assert listed == names
        shown = {tuple(paper_tags(parse_page(out / "papers" / n / "index.html"))) for n in names}
        assert len(shown) == 1, f"papers of one tag show different names: {shown}"
    index = parse_page(out / "tags" / "index.html")
    names = [text_of(a) for a in index.iterfind(".//ul[@class='tag-index']//a")]
    assert names == ["large language models", "llm"]


def _rule_site(site: Path, config: str) -> None:
    site.mkdir(parents=True)
    (site / "sitegen.toml").write_text(config, encoding="utf-8")
    write_paper(site, "untagged-memory", "Remembering Things", "2024-01-03",
                body="We add long-term memory to a chatbot.")
    write_paper(site, "tagged-memory", "Tagged Already", "2024-01-02", tags=["Vision"],
                body="This one talks about memory too, but has its own tags.")
    write_paper(site, "untagged-other", "Nothing Matches", "2024-01-01",
                body="Plain words only.")


RULES = '[tag_rules]\n"Memory Systems" = ["memory", "memories"]\n"chat" = ["chatbot*"]\n'


def test_papers_without_tags_get_tags_from_config_rules(
        tmp_path: Path, build_site: Build, parse_page: Callable[[Path], Any]) -> None:
    site = tmp_path / "site"
    _rule_site(site, RULES)
    out = build_site(site, tmp_path / "out")
    shown = {name: set(paper_tags(parse_page(out / "papers" / name / "index.html")))
             for name in ("untagged-memory", "tagged-memory", "untagged-other")}
    assert shown == {"untagged-memory": {"chat", "memory systems"}, "tagged-memory": {"vision"},
                     "untagged-other": set()}
    assert sorted(p.name for p in (out / "tags").iterdir() if p.is_dir()) == \
        ["chat", "memory-systems", "vision"]


def test_auto_tags_false_gives_no_rule_tags(
        tmp_path: Path, build_site: Build, parse_page: Callable[[Path], Any]) -> None:
    site = tmp_path / "site"
    _rule_site(site, "auto_tags = false\n" + RULES)
    out = build_site(site, tmp_path / "out")
    assert paper_tags(parse_page(out / "papers" / "untagged-memory" / "index.html")) == []
    assert paper_tags(parse_page(out / "papers" / "tagged-memory" / "index.html")) == ["vision"]
    assert sorted(p.name for p in (out / "tags").iterdir() if p.is_dir()) == ["vision"]


def test_theme_rules_apply_without_config_rules(
        tmp_path: Path, build_site: Build, parse_page: Callable[[Path], Any]) -> None:
    rules_file = Path(__file__).resolve().parent.parent / "themes/default/tag_rules.toml"
    rules = tomllib.loads(rules_file.read_text(encoding="utf-8"))
    tag, words = next((t, w) for t, w in rules.items() if any("*" not in x for x in w))
    word = next(x for x in words if "*" not in x)
    site = tmp_path / "site"
    write_paper(site, "rule-paper", "A Paper", "2024-01-01", body=f"It is about {word}.")
    out = build_site(site, tmp_path / "out")
    assert tag in paper_tags(parse_page(out / "papers" / "rule-paper" / "index.html"))


# Pagination ------------------------------------------------------------------------------


def _follow_pages(out: Path, start: str, parse_page: Callable[[Path], Any],
                  base_path: str) -> list[list[str]]:
    """The card links of a list and of every page after it (following rel=next)."""
    pages, path = [], start
    while True:
        page = parse_page(out / path / "index.html")
        pages.append([site_path(h, base_path) for h in cards(page)])
        nxt = page.find(".//nav[@class='pagination']/a[@rel='next']")
        if nxt is None:
            return pages
        path = site_path(nxt.get("href"), base_path)
        assert len(pages) < 100


def test_home_pages_list_every_paper_newest_first(
        tmp_path: Path, copy_site: Callable[..., Path], build_site: Build,
        parse_page: Callable[[Path], Any]) -> None:
    site = copy_site("golden")
    config = tomllib.loads((site / "sitegen.toml").read_text(encoding="utf-8"))
    per_page = config["per_page"]
    base_path = urlsplit(config["base_url"]).path
    out = build_site(site, tmp_path / "out")
    sources = sorted((site / PAPERS).glob("*.md"))
    pages = _follow_pages(out, "", parse_page, base_path)
    assert len(pages) == math.ceil(len(sources) / per_page)
    assert all(len(p) <= per_page for p in pages) and all(pages)
    listed = [link for page in pages for link in page]
    # A date at month or year precision sorts as the first day of that month or year.
    dates = {f"papers/{slug_of(s)}/": date.fromisoformat(
        (str(front_matter(s)["date"]) + "-01-01")[:10]) for s in sources}
    assert sorted(listed) == sorted(dates)
    assert [dates[link] for link in listed] == sorted(dates.values(), reverse=True)


def test_tag_pages_paginate(
        tmp_path: Path, copy_site: Callable[..., Path], build_site: Build,
        parse_page: Callable[[Path], Any]) -> None:
    site = copy_site("golden")
    config = tomllib.loads((site / "sitegen.toml").read_text(encoding="utf-8"))
    out = build_site(site, tmp_path / "out")
    sources = sorted((site / PAPERS).glob("*.md"))
    tagged = {f"papers/{slug_of(s)}/" for s in sources
              if any(str(t).casefold() == "llm" for t in front_matter(s).get("tags") or [])}
    assert len(tagged) > config["per_page"], "the fixture should paginate the llm tag"
    pages = _follow_pages(out, "tags/llm/", parse_page, urlsplit(config["base_url"]).path)
    assert len(pages) == math.ceil(len(tagged) / config["per_page"])
    assert {link for page in pages for link in page} == tagged


# What the output keeps and drops ---------------------------------------------------------


def test_removed_papers_do_not_linger(
        tmp_path: Path, copy_site: Callable[..., Path], build_site: Build) -> None:
    site = copy_site("golden")
    out = build_site(site, tmp_path / "out")
    source = site / PAPERS / "uber-grosse-sprachmodelle.md"
    slug = slug_of(source)
    only_tag = "multilingual"
    assert (out / "papers" / slug / "index.html").is_file()
    assert (out / "tags" / only_tag / "index.html").is_file()
    source.unlink()
    build_site(site, out)
    assert not (out / "papers" / slug).exists()
    assert not (out / "tags" / only_tag).exists()
    leftovers = [p.relative_to(out).as_posix() for p in out.rglob("*")
                 if p.is_file() and slug.encode() in p.read_bytes()]
    assert leftovers == []
    assert not list(tmp_path.glob(".*sitegen-staging")) and not list(tmp_path.glob(".*-old"))


KEPT = {"CNAME": b"papers.example.org\n", ".htaccess": b"Options -Indexes\n",
        ".well-known/security.txt": b"Contact: mailto:security@example.org\n"}


@pytest.mark.parametrize("clean", [False, True], ids=["incremental", "clean"])
def test_cname_and_dot_files_survive_builds(
        clean: bool, tmp_path: Path, copy_site: Callable[..., Path], build_site: Build,
        snapshot: Snapshot) -> None:
    site = copy_site("golden")
    out = build_site(site, tmp_path / "out")
    for name, data in KEPT.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    for change in (_edit_title, _add_paper, _per_page):
        change(site)
        build_site(site, out, clean=clean)
        files = snapshot(out)
        for name, data in KEPT.items():
            assert files.get(name) == data, f"{name} lost after {change.__name__}"


@pytest.mark.parametrize("clean", [False, True], ids=["incremental", "clean"])
def test_files_sitegen_did_not_write_are_dropped(
        clean: bool, tmp_path: Path, copy_site: Callable[..., Path], build_site: Build,
        snapshot: Snapshot) -> None:
    """The output is sitegen's: a stray file must not outlive the next build, whichever
    kind of build it is (otherwise the output depends on the build history)."""
    site = copy_site("golden")
    out = build_site(site, tmp_path / "out")
    (out / "stray.html").write_bytes(b"<p>not from sitegen</p>")
    (out / "papers" / "stray").mkdir()
    (out / "papers" / "stray" / "index.html").write_bytes(b"<p>nor this</p>")
    _edit_title(site)
    build_site(site, out, clean=clean)
    fresh = build_site(site, tmp_path / "fresh", clean=True)
    assert sorted(snapshot(out)) == sorted(snapshot(fresh))


def test_an_empty_config_builds_with_defaults(
        tmp_path: Path, build_site: Build, parse_page: Callable[[Path], Any]) -> None:
    from sitegen.config import Config

    defaults = Config()
    site = tmp_path / "site"
    for number in range(defaults.per_page + 1):
        write_paper(site, f"paper-{number:02d}", f"Paper {number}", f"2024-01-{number + 1:02d}")
    assert (site / "sitegen.toml").read_text(encoding="utf-8") == ""
    out = build_site(site, tmp_path / "out")
    home = parse_page(out / "index.html")
    assert text_of(home.find(".//title")).endswith(defaults.title)
    assert home.get("lang") == defaults.language
    assert len(cards(home)) == defaults.per_page
    assert (out / "page" / "2" / "index.html").is_file()
    assert home.find(".//link[@rel='stylesheet']").get("href").startswith("/static/")


def test_empty_site_builds(tmp_path: Path, build_site: Build,
                           parse_page: Callable[[Path], Any]) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitegen.toml").write_text("", encoding="utf-8")
    (site / "content").mkdir()  # a missing content folder is refused (a typo in content_dir)
    out = build_site(site, tmp_path / "out")
    assert cards(parse_page(out / "index.html")) == []
    assert not (out / "papers").exists() or not any((out / "papers").iterdir())


def test_base_url_flag_overrides_config(
        tmp_path: Path, copy_site: Callable[..., Path], build_site: Build,
        parse_page: Callable[[Path], Any]) -> None:
    site = copy_site("golden")
    out = build_site(site, tmp_path / "out", base_url="https://user.github.io/papers")
    home = parse_page(out / "index.html")
    assert home.find(".//link[@rel='canonical']").get("href") == "https://user.github.io/papers/"
    assert home.find(".//a[@class='brand']").get("href") == "/papers/"


def test_quiet_default_and_verbose_output(
        tmp_path: Path, copy_site: Callable[..., Path],
        run_cli: Callable[[list[str]], tuple[int, str, str]]) -> None:
    site = copy_site("golden")
    base = ["build", "--site", str(site), "--output", str(tmp_path / "out")]
    code, out, err = run_cli([*base, "-q", "--clean"])
    assert (code, out, err) == (0, "", "")
    code, out, err = run_cli([*base, "--clean"])
    assert code == 0 and err == ""
    assert re.fullmatch(r"built \d+ files: \d+ written, \d+ unchanged \(\d+\.\d+ s\)\n", out)
    _edit_title(site)
    code, out, err = run_cli([*base, "-v"])
    assert code == 0 and err == ""
    assert "wrote papers/long-term-memory-for-dialogue-agents/index.html" in out.splitlines()
    # Each stage of the build, in order, with its time and the CPU time of its processes.
    stages = re.findall(r"^stage ([a-z-]+): \d+\.\d\d s \(CPU \d+\.\d\d s\)$", out,
                        re.MULTILINE)
    assert stages == ["load", "derive", "plan", "render", "post-process", "publish"]
    # The golden site has search off: the post-process stage says what it did.
    assert "search index: off" in out.splitlines()
