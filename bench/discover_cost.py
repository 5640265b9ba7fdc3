"""What related papers and social cards cost on the benchmark's synthetic papers.

* **related**: :func:`sitegen.related.compute` for N papers (TF-IDF vectors,
  pruning and the top five of every paper), each run in a fresh process so
  that the CPU time (user + system, ``getrusage``) includes importing numpy and
  scipy; the peak resident memory of that process; ``--repeat`` runs.
* **overlap**: how many of each paper's five related papers the exact method
  (``compute(..., exact=True)``: the cosine of every pair) also lists, on the
  example site's papers, on the docstrings of numpy and scipy (real technical
  text) and on N synthetic papers.
* **card CPU**: :func:`sitegen.outputs.social.draw_card` on N synthetic papers
  in this process, CPU time (``getrusage``: user + system, so that other work
  on a shared machine counts less than in wall time) per card, three times;
  once with the per-process word cache warm, as in a build, and once with it
  cleared before every card (no word drawn before: the worst case). With
  ``--card-module FILE``, the ``draw_card`` of another version of ``social.py``
  (e.g. ``git show REV:sitegen/outputs/social.py > old.py``) is timed instead.
* **cards**: cold builds of the comparable site (``bench/trees.py``) with the
  default (one site card) and with ``social_cards = true``, and a build into an
  empty output with the card cache of ``.sitegen-cache/cards/`` kept
  (``--clean`` drops only the page record, so every card is looked up rather
  than drawn); CPU time of the build processes and their workers.

Usage::

    python -m bench.discover_cost --related 10000,100000 --overlap 10000 \
        --card-cpu 2000 --cards 10000
"""


from __future__ import annotations

import argparse
import importlib.util
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import synth, trees  # noqa: E402

REPEATS = 3


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


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _draw_card(module: str) -> tuple[Any, Any]:
    """``draw_card`` of this version, or of the ``social.py`` in ``module``; and a function
    that empties its per-process caches (none for a version without them)."""
    if not module:
        from sitegen.outputs import social
    else:
        spec = importlib.util.spec_from_file_location("sitegen.outputs.social_other", module)
        assert spec is not None and spec.loader is not None
        social = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(social)
    caches = [getattr(social, name) for name in ("_word", "_base") if hasattr(social, name)]
    return social.draw_card, lambda: [cache.cache_clear() for cache in caches]


def card_cpu(count: int, module: str = "") -> list[str]:
    """CPU ms per card over ``count`` synthetic cards, word cache warm and cleared."""
    draw, clear = _draw_card(module)
    texts = [(p.title, ", ".join(p.authors[:3]) + (f" and {len(p.authors) - 3} more"
                                                  if len(p.authors) > 3 else ""),
              "NeurIPS 2025" if p.index % 3 == 0 else "", "Papers")
             for p in synth.make_papers(count)]
    rows = []
    for label, cold in (("warm", False), ("cleared before each card", True)):
        clear()
        draw(*texts[0])  # fonts loaded, as in a build's worker after its first card
        runs, sizes = [], [0]
        for _ in range(REPEATS):
            started = _cpu(resource.RUSAGE_SELF)
            sizes = []
            for text in texts:
                if cold:
                    clear()
                sizes.append(len(draw(*text)))
            runs.append((_cpu(resource.RUSAGE_SELF) - started) / count * 1000)
        rows.append(f"| {module or 'this version'} | {label} | {count:,} | "
                    f"{' / '.join(f'{r:.2f}' for r in runs)} | "
                    f"{statistics.median(runs) * 10:.1f} | "
                    f"{statistics.mean(sizes) / 1000:.1f} / {max(sizes) / 1000:.1f} |")
    return rows


def _build(site: Path, *extra: str) -> tuple[float, float]:
    """Wall and CPU seconds (the build and its workers) of one build."""
    started, cpu = time.perf_counter(), _cpu(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "sitegen.cli", "build", "--site", str(site), "-q",
                    *extra], check=True)
    return time.perf_counter() - started, _cpu(resource.RUSAGE_CHILDREN) - cpu


def card_cost(count: int, work: Path) -> str:
    """Cold builds with the site card and with a card per paper, and with the cache kept;
    median CPU of :data:`REPEATS` runs each."""
    site = work / "site"
    trees.write_site("sitegen", site, synth.make_papers(count))
    config = site / "sitegen.toml"
    plain = config.read_text("utf-8")
    cpu: dict[str, list[float]] = {"site": [], "paper": [], "kept": []}
    for _ in range(REPEATS):
        for which, text in (("site", plain), ("paper", plain + "social_cards = true\n")):
            config.write_text(text, "utf-8")
            shutil.rmtree(site / ".sitegen-cache", ignore_errors=True)
            shutil.rmtree(site / "public", ignore_errors=True)
            cpu[which].append(_build(site)[1])
        shutil.rmtree(site / "public")
        cpu["kept"].append(_build(site, "--clean")[1])
    cards = len(list((site / "public" / "papers").glob("*/card.png")))
    site_card, paper_cards, kept = (statistics.median(cpu[k]) for k in ("site", "paper", "kept"))
    return (f"| {count:,} | {site_card:.1f} | {paper_cards:.1f} | {kept:.1f} | "
            f"{(paper_cards - site_card) / max(1, cards) * 1000:.2f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--related", default="10000,100000",
                        help="paper counts (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs (default: %(default)s)")
    parser.add_argument("--overlap", default="10000",
                        help="synthetic paper counts, after the example site's papers "
                             "(default: %(default)s)")
    parser.add_argument("--card-cpu", default="2000",
                        help="cards drawn in this process (default: %(default)s)")
    parser.add_argument("--card-module", default="",
                        help="time the draw_card of this social.py instead")
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
    if args.card_cpu:
        print("\n| social.py | word cache | cards | CPU ms per card, 3 runs | CPU s per "
              "10,000 (median) | kB per card, mean / max |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        for row in card_cpu(int(args.card_cpu), args.card_module):
            print(row, flush=True)
    print("\n| papers | cold build, site card (default) CPU s | cold build, card per paper "
          "CPU s | empty output, card cache kept CPU s | CPU ms per card |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for count in filter(None, args.cards.split(",")):
        with tempfile.TemporaryDirectory(prefix="sitegen-cards-") as work:
            print(card_cost(int(count), Path(work)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
