"""Smoke tests of the benchmark harness in ``bench/`` at a tiny size.

They check that the harness measures what it claims: the same deterministic
papers for every tool, page counts that follow from the generator, and memory
figures that include child processes. They never assert on timings. Hugo and
Pelican run only when already installed in the benchmark's own environment.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import run, synth, tools, trees  # noqa: E402
from bench.measure import run_measured  # noqa: E402

SIZE = 30
BENCH_VENV = ROOT / "bench" / "work" / ".venv"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    for tool in tools.TOOLS:
        trees.write_site(tool, tmp_path / "a" / tool, synth.make_papers(SIZE, seed=7))
        trees.write_site(tool, tmp_path / "b" / tool, synth.make_papers(SIZE, seed=7))
        trees.write_site(tool, tmp_path / "c" / tool, synth.make_papers(SIZE, seed=8))
        first = _files(tmp_path / "a" / tool)
        assert first == _files(tmp_path / "b" / tool)
        assert first != _files(tmp_path / "c" / tool)


def test_a_paper_does_not_depend_on_the_corpus_size() -> None:
    assert synth.make_papers(10) == synth.make_papers(SIZE)[:10]
    assert synth.make_paper(SIZE) not in synth.make_papers(SIZE)


def test_papers_look_like_the_brief() -> None:
    papers = synth.make_papers(200)
    assert len({p.slug for p in papers}) == len(papers)
    assert {p.date.year for p in papers} >= set(range(2014, 2024))
    for paper in papers:
        assert 2 <= len(paper.tags) <= 4 and set(paper.tags) <= set(synth.TAGS)
        assert 1000 <= len(paper.abstract) <= 1500
        assert "*" in paper.abstract and "`" in paper.abstract and "](https://" in paper.abstract


def test_the_three_trees_hold_the_same_papers(tmp_path: Path) -> None:
    papers = synth.make_papers(SIZE)
    for tool in tools.TOOLS:
        want = {p.slug: (p.title, p.date, trees.as_written(tool, p).tags) for p in papers}
        trees.write_site(tool, tmp_path / tool, papers)
        assert trees.read_back(tool, tmp_path / tool) == want, tool
    # The default builds: sitegen derives the tags, Hugo is handed the same ones.
    assert all(trees.as_written("sitegen-default", p).tags == () for p in papers)
    derived = [trees.as_written("hugo+pagefind", p).tags for p in papers]
    assert sum(bool(tags) for tags in derived) > len(papers) // 2


def test_sitegen_reads_the_generated_papers_back(tmp_path: Path) -> None:
    from sitegen.content import load_content

    papers = synth.make_papers(SIZE)
    trees.write_site("sitegen", tmp_path, papers)
    loaded = load_content(tmp_path, tmp_path / "content")
    assert loaded.errors == []
    got = {p.slug: (p.title, p.date, tuple(p.tags), p.body, p.upvotes) for p in loaded.papers}
    assert got == {p.slug: (p.title, p.date, p.tags, p.abstract, p.upvotes) for p in papers}


def test_expected_pages_follow_from_the_papers() -> None:
    papers = synth.make_papers(SIZE)
    counts = synth.tag_counts(papers)
    expected = synth.expected_pages(papers, per_page=5)
    assert expected["detail"] == SIZE and expected["index"] == 6 and expected["tag_list"] == 1
    assert expected["tag"] == sum(-(-n // 5) for n in counts.values())
    assert synth.pages(0) == 1 and synth.pages(50) == 1 and synth.pages(51) == 2


@pytest.mark.parametrize(("path", "kind"), [
    ("index.html", "index"), ("page/2/index.html", "index"), ("papers/x/index.html", "detail"),
    ("tags/index.html", "tag_list"), ("tags/llm/index.html", "tag"),
    ("tags/llm/page/3/index.html", "tag"), ("top/index.html", "other"), ("404.html", "other"),
    ("archive/2020/01/index.html", "other"),
])
def test_output_paths_are_classified(path: str, kind: str) -> None:
    assert tools.classify(path) == kind


def test_memory_covers_grandchildren(tmp_path: Path) -> None:
    child = "import time; data = b'x' * (200 << 20); time.sleep(0.5)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    sample = run_measured([sys.executable, "-c", parent], cwd=tmp_path, log=tmp_path / "log")
    assert sample.returncode == 0
    assert sample.max_rss >= 200 << 20
    assert sample.tree_rss >= 200 << 20


def _run_bench(tmp_path: Path, tool_names: str, venv: Path) -> tuple[int, str]:
    out = tmp_path / "RESULTS.md"
    code = run.main(["--sizes", str(SIZE), "--repeat", "1", "--tools", tool_names,
                     "--work", str(tmp_path / "work"), "--venv", str(venv), "--out", str(out),
                     "--no-install", "--keep-sites"])
    return code, out.read_text(encoding="utf-8")


def _rows(text: str, tool: str) -> list[str]:
    """The results-table rows of ``tool`` (ten cells; the ratio table has fewer)."""
    return [line for line in text.splitlines()
            if line.startswith("| ") and line.split(" | ")[1:2] == [tool]
            and line.count(" | ") >= 9]


def test_smoke_run_builds_sitegen_with_the_expected_pages(tmp_path: Path) -> None:
    code, text = _run_bench(tmp_path, "sitegen,sitegen-full", tmp_path / "no-venv")
    assert code == 0, text
    expected = synth.expected_pages(synth.make_papers(SIZE + 1))
    outputs = {}
    for variant in ("sitegen", "sitegen-full"):
        rows = _rows(text, variant)
        assert [row.split(" | ")[0] for row in rows] == ["| cold", "| noop", "| edit", "| add"]
        assert all(row.endswith("(yes) |") for row in rows), rows
        # After "add" with --repeat 1 the site holds one paper more than it started with.
        public = tmp_path / "work" / "sites" / str(SIZE) / variant / "public"
        pages = tools.count_pages(public)
        assert {k: pages[k] for k in expected} == expected
        outputs[variant] = {p.relative_to(public).as_posix() for p in public.rglob("*")}
    # The comparable build leaves out what Hugo's and Pelican's templates leave out.
    extra = {"feed.xml", "rss.xml", "papers.json", "papers.bib", "top/index.html",
             "archive/index.html"}
    assert extra <= outputs["sitegen-full"]
    assert not extra & outputs["sitegen"]
    assert not any(name.endswith(".bib") for name in outputs["sitegen"])
    assert "sitegen" in text.split("- Versions:")[1].splitlines()[0]
    ratio_rows = [line for line in text.splitlines()
                  if line.startswith("| cold | sitegen") and line.count(" | ") < 9]
    assert [row.split(" | ")[1] for row in ratio_rows] == ["sitegen", "sitegen-full"]


def test_smoke_run_of_the_defaults(tmp_path: Path) -> None:
    """sitegen's defaults (tags from the rules, search) and, when Hugo is installed, Hugo
    with Pagefind: the same core pages at the default page size, and a search index."""
    names = "sitegen-default" + (",hugo+pagefind" if tools.tools_available(BENCH_VENV)["hugo"]
                                 else "")
    code, text = _run_bench(tmp_path, names, BENCH_VENV)
    assert code == 0, text
    for tool in names.split(","):
        rows = _rows(text, tool)
        assert len(rows) == 4 and all(row.endswith("(yes) |") for row in rows), rows
        public = tmp_path / "work" / "sites" / str(SIZE) / tool / "public"
        assert (public / "pagefind" / "pagefind-entry.json").is_file(), tool
        cpu = [float(row.split(" | ")[4]) for row in rows]
        assert all(c > 0 for c in cpu), rows


@pytest.mark.parametrize("tool", ["hugo", "pelican"])
def test_smoke_run_of_other_tools_when_installed(tmp_path: Path, tool: str) -> None:
    if not tools.tools_available(BENCH_VENV)[tool]:
        pytest.skip(f"{tool} is not installed in bench/work/.venv (python -m bench.run "
                    "installs it); the benchmark itself does not need it for this test")
    code, text = _run_bench(tmp_path, tool, BENCH_VENV)
    rows = _rows(text, tool)
    assert code == 0, text
    assert len(rows) == 4 and all(row.endswith("(yes) |") for row in rows), rows


def test_memory_of_forked_workers_counts_shared_pages_once(tmp_path: Path) -> None:
    # 300 MB touched before forking two workers that only sleep: resident in all
    # three processes (an RSS sum would say about 900 MB), held once.
    script = ("import os, time\n"
              "data = bytearray(300 << 20)\n"
              "for _ in range(2):\n"
              "    if os.fork() == 0:\n"
              "        time.sleep(1.0)\n"
              "        os._exit(0)\n"
              "os.wait(); os.wait()\n")
    sample = run_measured([sys.executable, "-c", script], cwd=tmp_path, log=tmp_path / "log")
    assert sample.returncode == 0
    assert 300 << 20 <= sample.tree_rss < 450 << 20


def test_cold_moves_outputs_and_caches_into_the_trash(tmp_path: Path) -> None:
    site, trash = tmp_path / "site", tmp_path / "trash"
    (site / "public" / "papers").mkdir(parents=True)
    (site / "public" / "papers" / "index.html").write_text("old")
    (site / ".sitegen-cache").mkdir()
    tool = tools.make_tool("sitegen", tmp_path / "venv", ["sitegen"])
    tool.make_cold(site, trash)
    assert not (site / "public").exists() and not (site / ".sitegen-cache").exists()
    moved = sorted(p.name.split("-")[1] for p in trash.iterdir())
    assert moved == ["public", "sitegen"]
    assert any((p / "papers" / "index.html").is_file() for p in trash.iterdir())


def test_edit_benchmark_times_build_and_serve(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import edit

    old_argv = sys.argv
    sys.argv = ["bench.edit", "--papers", "40", "--rounds", "2"]
    try:
        edit.main()
    finally:
        sys.argv = old_argv
    out = capsys.readouterr().out
    assert out.count("save-to-site") == 2 and out.count("save-to-reload") == 2
    assert "build (save to complete site, new process): median" in out
    assert "serve (save to reload message): median" in out
    # Every round re-rendered the edited paper's page: the edit reached the site.
    assert all(" 0 written" not in line for line in out.splitlines() if "round" in line)
