"""What related papers and social cards cost on the benchmark's synthetic papers.

* **related**: :func:`sitegen.related.compute` in this process for N papers
  (TF-IDF fit and the top five of every paper), one process and with the
  derive stage's forked workers; import time of scikit-learn apart.
* **cards**: cold builds of the comparable site (``bench/trees.py``) with
  ``social_cards`` off and on, and a build into an empty output with the card
  cache of ``.sitegen-cache/cards/`` kept (``--clean`` drops only the page
  record, so every card is looked up rather than drawn).

Usage::

    python -m bench.discover_cost --related 10000,100000 --cards 10000
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


def related_cost(count: int) -> str:
    """Seconds to compute every paper's related list, in one process and in workers."""
    started = time.perf_counter()
    import sklearn.feature_extraction.text  # noqa: F401
    imported = time.perf_counter() - started
    from sitegen.related import compute

    texts = sorted((p.slug, f"{p.title}\n{p.abstract}") for p in synth.make_papers(count))
    started = time.perf_counter()
    one = compute(texts)
    single = time.perf_counter() - started
    started = time.perf_counter()
    assert compute(texts, parallel=True) == one
    forked = time.perf_counter() - started
    return (f"| {count:,} | {single:.2f} | {forked:.2f} | {imported:.2f} |")


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
    parser.add_argument("--cards", default="10000", help="paper counts (default: %(default)s)")
    args = parser.parse_args(argv)
    print("| papers | related, one process s | related, forked workers s | import s |")
    print("| ---: | ---: | ---: | ---: |")
    for count in filter(None, args.related.split(",")):
        print(related_cost(int(count)), flush=True)
    print("\n| papers | cold build, cards off s | cold build, cards on s | empty output, "
          "card cache kept s | ms per card |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for count in filter(None, args.cards.split(",")):
        with tempfile.TemporaryDirectory(prefix="sitegen-cards-") as work:
            print(card_cost(int(count), Path(work)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
