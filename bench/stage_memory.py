"""Where a cold build's memory peaks: the process tree's PSS within each build stage.

Writes the benchmark's synthetic papers (``bench/synth.py``) as a ``sitegen-default``
site (what ``sitegen init`` writes, as in ``bench/run.py``), runs one cold
``sitegen build --verbose`` over it, and samples the proportional set size of the
whole process tree (``bench/measure.py``: workers and Pagefind included) every
``--interval`` seconds. The stage lines that ``--verbose`` prints tell which stage
each sample falls in; the largest sample of each stage is printed::

    python -m bench.stage_memory --papers 100000

``--site DIR`` builds an existing site instead (written once with ``--keep DIR``), its
output and cache moved aside first into ``DIR/../stage-memory-trash/``: deleting the
hundreds of thousands of files of a 100,000-paper build right before the next one
slows that build's file creation on some file systems.

``bench/run.py`` gives the build's peak; this says which stage makes it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import synth, trees
from bench.measure import tree_rss

STAGES = ("load", "derive", "plan", "render", "post-process", "publish")


def sample(process: subprocess.Popen[str], stage: list[str], peaks: dict[str, int],
           interval: float) -> None:
    """Keep the largest tree PSS seen while each stage ran, until the build exits."""
    while process.poll() is None:
        try:
            size = tree_rss(process.pid)
        except OSError:  # a process of the tree ended while it was read
            continue
        peaks[stage[0]] = max(peaks.get(stage[0], 0), size)
        time.sleep(interval)


def measure(site: Path, interval: float) -> dict[str, int]:
    """Build ``site`` once with ``--verbose``; the peak tree PSS of each stage, in bytes."""
    process = subprocess.Popen([sys.executable, "-m", "sitegen.cli", "build", "--verbose"],
                               cwd=site, stdout=subprocess.PIPE, text=True)
    stage: list[str] = [STAGES[0]]
    peaks: dict[str, int] = {}
    sampler = threading.Thread(target=sample, args=(process, stage, peaks, interval),
                               daemon=True)
    sampler.start()
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("stage "):  # "stage render: 3.19 s (CPU 5.69 s)": render is done
            print(line.rstrip(), flush=True)
            done = line.split()[1].rstrip(":")
            following = STAGES.index(done) + 1
            stage[0] = STAGES[following] if following < len(STAGES) else "end"
    if process.wait() != 0:
        raise SystemExit(f"the build failed (exit {process.returncode})")
    sampler.join()
    return peaks


def _cold(site: Path) -> Path:
    """``site`` with its last build's output and cache moved aside (not deleted)."""
    trash = site.parent / "stage-memory-trash" / str(time.time_ns())
    trash.mkdir(parents=True)
    for name in ("public", ".sitegen-cache"):
        if (site / name).exists():
            os.rename(site / name, trash / name)
    return site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10_000, help="synthetic papers")
    parser.add_argument("--interval", type=float, default=0.3,
                        help="seconds between samples (reading PSS walks page tables)")
    parser.add_argument("--seed", type=int, default=synth.DEFAULT_SEED)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--site", type=Path, help="build this site (see --keep) instead")
    where.add_argument("--keep", type=Path, help="write the site into this new folder and "
                                                 "keep it, to build again with --site")
    args = parser.parse_args()
    if args.site is not None:
        peaks = measure(_cold(args.site), args.interval)
    elif args.keep is not None:
        trees.write_site("sitegen-default", args.keep, synth.make_papers(args.papers, args.seed))
        peaks = measure(args.keep, args.interval)
    else:
        scratch = trees.HERE / "work"  # git-ignored, as bench/run.py's sites
        scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="stage-memory-", dir=scratch) as work:
            site = Path(work) / "site"
            trees.write_site("sitegen-default", site, synth.make_papers(args.papers, args.seed))
            peaks = measure(site, args.interval)
    for name in (*STAGES, "end"):
        if name in peaks:
            print(f"peak during {name}: {peaks[name] / 2**20:,.0f} MB")
    print(f"peak of the build: {max(peaks.values()) / 2**20:,.0f} MB")


if __name__ == "__main__":
    main()
