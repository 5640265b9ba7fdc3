"""What related papers and social cards cost on the benchmark's synthetic papers.

* **related**: :func:`sitegen.related.compute` for N papers (TF-IDF vectors,
  pruning and the top five of every paper), each run in a fresh process so
  that the CPU time (user + system, ``getrusage``) includes importing numpy and
  scipy; the peak resident memory of that process; ``--repeat`` runs.
* **overlap**: how many of each paper's five related papers the exact method
  (``compute(..., exact=True)``: the cosine of every pair) also lists, on the
  example site's papers, on the docstrings of numpy and scipy (real technical
  text) and on N synthetic papers.
* **cards**: cold builds of the comparable site (``bench/trees.py``) with
  ``social_cards`` off and on, and a build into an empty output with the card
  cache of ``.sitegen-cache/cards/`` kept (``--clean`` drops only the page
  record, so every card is looked up rather than drawn).

Usage::

    python -m bench.discover_cost --related 10000,100000 --overlap 10000 --cards 10000
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import synth, trees  # noqa: E402


def synth_texts(count: int) -> list[tuple[str, str]]:
    """``(slug, title and abstract)`` of ``count`` synthetic papers, sorted by slug."""
    return sorted((p.slug, f"{p.title}\n{p.abstract}") for p in synth.make_papers(count))


def example_texts() -> list[tuple[str, str]]:
    """``(slug, title and body)`` of the example site's papers, as the build gives them."""
    from sitegen.content import load_content

    root = Path(__file__).resolve().parent.parent
    loaded = load_content(root, root / "content")
    return sorted((p.slug or "", f"{p.title}\n{p.body}") for p in loaded.papers)


def docstring_texts() -> list[tuple[str, str]]:
    """Real technical English in a fixed order: the docstrings of 300 characters or more
    (cut at 1,500, an abstract's length) of the installed numpy and scipy, one per
    function, class or module, named by file and name."""
    import ast

    import numpy
    import scipy

    out: dict[str, str] = {}
    for package in (numpy, scipy):
        root = Path(str(package.__file__)).parent
        for path in sorted(root.rglob("*.py")):
            try:
                tree = ast.parse(path.read_text("utf-8"))
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                              | ast.Module):
                    doc = ast.get_docstring(node)
                    if doc and len(doc) >= 300:
                        name = f"{path.relative_to(root.parent).with_suffix('')}-" \
                               f"{getattr(node, 'name', 'module')}"
                        out.setdefault(name.replace("/", "-").lower(), doc[:1500])
    return sorted(out.items())


_CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from bench.discover_cost import synth_texts
texts = synth_texts({count})
start = resource.getrusage(resource.RUSAGE_SELF)
wall = time.perf_counter()
from sitegen.related import compute
compute(texts)
wall = time.perf_counter() - wall
end = resource.getrusage(resource.RUSAGE_SELF)
cpu = end.ru_utime - start.ru_utime + end.ru_stime - start.ru_stime
print(cpu, wall, end.ru_maxrss)
"""


def related_cost(count: int, repeat: int) -> str:
    """CPU and wall seconds of computing every related list (imports included) in a fresh
    process, and that process's peak memory, over ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        code = _CHILD.format(root=str(Path(__file__).resolve().parent.parent), count=count)
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                             text=True).stdout.split()
        runs.append((float(out[0]), float(out[1]), int(out[2]) / 1024))
    cpu = ", ".join(f"{r[0]:.2f}" for r in runs)
    wall = ", ".join(f"{r[1]:.2f}" for r in runs)
    return f"| {count:,} | {cpu} | {wall} | {max(r[2] for r in runs):.0f} |"


def overlap(name: str, texts: list[tuple[str, str]]) -> str:
    """The share of the pruned method's related papers that the exact method also lists."""
    from sitegen.related import compute

    pruned, exact = compute(texts), compute(texts, exact=True)
    shared = sum(len(set(pruned[s]) & set(exact[s])) for s in pruned)
    total = sum(len(exact[s]) for s in exact)
    same = sum(pruned[s] == exact[s] for s in pruned)
    return (f"| {name} | {len(texts):,} | {shared / total:.3f} | "
            f"{same / len(texts):.3f} |")


def _build(site: Path, *extra: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sitegen.cli", "build", "--site", str(site), "-q",
                    *extra], check=True)
    return time.perf_counter() - started


def card_cost(count: int, work: Path) -> str:
    """Cold builds without and with cards, and with the card cache kept."""
    site = work / "site"
    trees.write_site("sitegen", site, synth.make_papers(count))
    config = site / "sitegen.toml"
    times = []
    for cards in ("false", "true"):
        config.write_text(config.read_text("utf-8").replace(
            f"social_cards = {'true' if cards == 'false' else 'false'}",
            f"social_cards = {cards}"), "utf-8")
        shutil.rmtree(site / ".sitegen-cache", ignore_errors=True)
        shutil.rmtree(site / "public", ignore_errors=True)
        times.append(_build(site))
    shutil.rmtree(site / "public")
    warm = _build(site, "--clean")
    cards = len(list((site / "public" / "papers").glob("*/card.png")))
    return (f"| {count:,} | {times[0]:.2f} | {times[1]:.2f} | {warm:.2f} | "
            f"{(times[1] - times[0]) / max(1, cards) * 1000:.1f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--related", default="10000,100000",
                        help="paper counts (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs (default: %(default)s)")
    parser.add_argument("--overlap", default="10000",
                        help="synthetic paper counts, after the example site's papers "
                             "(default: %(default)s)")
    parser.add_argument("--cards", default="10000", help="paper counts (default: %(default)s)")
    args = parser.parse_args(argv)
    print("| papers | related lists, CPU s (each run) | wall s (each run) | peak memory MB |")
    print("| ---: | ---: | ---: | ---: |")
    for count in filter(None, args.related.split(",")):
        print(related_cost(int(count), args.repeat), flush=True)
    print("\n| papers | count | overlap@5 with the exact lists | same five, same order |")
    print("| --- | ---: | ---: | ---: |")
    if args.overlap:
        print(overlap("example site", example_texts()), flush=True)
        print(overlap("numpy and scipy docstrings", docstring_texts()), flush=True)
    for count in filter(None, args.overlap.split(",")):
        print(overlap("synthetic", synth_texts(int(count))), flush=True)
    print("\n| papers | cold build, cards off s | cold build, cards on s | empty output, "
          "card cache kept s | ms per card |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for count in filter(None, args.cards.split(",")):
        with tempfile.TemporaryDirectory(prefix="sitegen-cards-") as work:
            print(card_cost(int(count), Path(work)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
