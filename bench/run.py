"""Benchmark sitegen against Hugo and Pelican on the same synthetic papers.

Run from the repository root with sitegen's Python:  ``python -m bench.run``
(``python bench/run.py`` works too). See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report, synth, tools, trees  # noqa: E402
from bench.measure import Sample, run_measured  # noqa: E402

HERE = Path(__file__).resolve().parent
SCENARIOS = ("cold", "noop", "edit", "add")


def _ints(text: str) -> list[int]:
    try:
        items = [int(part.strip().replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        items = []
    if not items or min(items) < 1:
        raise argparse.ArgumentTypeError("expected positive numbers separated by commas")
    return items


def _names(choices: tuple[str, ...]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        items = [part.strip() for part in text.split(",") if part.strip()]
        if not items or any(item not in choices for item in items):
            raise argparse.ArgumentTypeError(f"expected some of {','.join(choices)}")
        return items
    return parse


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command-line options; defaults give the full benchmark."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=_ints, default=[1000, 10000, 100000],
                        help="corpus sizes (default: 1000,10000,100000)")
    parser.add_argument("--tools", type=_names(tools.TOOLS), default=list(tools.TOOLS),
                        help="tools to run (default: sitegen,hugo,pelican)")
    parser.add_argument("--scenarios", type=_names(SCENARIOS), default=list(SCENARIOS),
                        help="scenarios in order (default: cold,noop,edit,add)")
    parser.add_argument("--repeat", type=int, default=3, help="builds per tool and scenario")
    parser.add_argument("--seed", type=int, default=synth.DEFAULT_SEED, help="corpus seed")
    parser.add_argument("--skip-pelican-above", type=int, default=10000, metavar="N",
                        help="leave Pelican out for corpora larger than N (default: 10000)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="results file")
    parser.add_argument("--work", type=Path, default=HERE / "work",
                        help="scratch folder for sites and logs (default: bench/work)")
    parser.add_argument("--venv", type=Path, default=None,
                        help="virtual environment for Hugo and Pelican (default: WORK/.venv)")
    parser.add_argument("--no-install", action="store_true",
                        help="do not install Hugo or Pelican; leave out the ones missing")
    parser.add_argument("--sitegen", default=None, metavar="CMD",
                        help="sitegen command (default: this Python with -m sitegen.cli)")
    parser.add_argument("--keep-sites", action="store_true",
                        help="keep each size's generated sites and outputs in WORK/sites")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    args.venv = args.venv or args.work / ".venv"
    return args


class SizeRun:
    """One corpus size: the three sites, their current papers, and the scenarios run on them."""

    def __init__(self, size: int, args: argparse.Namespace, active: dict[str, tools.Tool]) -> None:
        self.size, self.args, self.active = size, args, active
        self.root = args.work / "sites" / str(size)
        self.sites = {name: self.root / name for name in active}
        self.papers = synth.make_papers(size, args.seed)
        self.next_index = size
        self.revision = 0
        self.built: set[str] = set()

    def generate(self) -> None:
        """Write every active tool's site from scratch."""
        for name, site in self.sites.items():
            trees.write_site(name, site, self.papers)

    def _change(self, scenario: str) -> synth.SynthPaper | None:
        """Apply the scenario's content change to the paper list; the paper to write, if any."""
        if scenario == "edit":
            self.revision += 1
            position = self.size // 2
            self.papers[position] = synth.edited(self.papers[position], self.revision)
            return self.papers[position]
        if scenario == "add":
            paper = synth.make_paper(self.next_index, self.args.seed)
            self.next_index += 1
            self.papers.append(paper)
            return paper
        return None

    def _build(self, name: str, log: Path) -> Sample:
        tool, site = self.active[name], self.sites[name]
        # Untimed: the previous build's files go to disk now, not during this build.
        os.sync()
        return run_measured(tool.argv(site), cwd=site, log=log)

    @staticmethod
    def _failed(row: report.Row, sample: Sample, log: Path, what: str = "") -> bool:
        """Mark ``row`` failed (and show the log's end) if the build did not succeed."""
        if sample.returncode == 0:
            return False
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        print(f"--- {row.tool} {what}failed (exit {sample.returncode}); end of {log.name}:\n"
              f"{tail}", file=sys.stderr)
        row.error = f"{what}exit {sample.returncode}"
        return True

    def _record(self, row: report.Row, sample: Sample, log: Path) -> None:
        if self._failed(row, sample, log):
            return
        row.samples.append(sample)
        counts = tools.count_pages(self.sites[row.tool] / self.active[row.tool].output)
        if len(row.samples) == 1 or row.pages_ok:  # keep the first mismatch on show
            row.pages, row.expected = counts, trees.expected(row.tool, self.papers)
        self.built.add(row.tool)
        print(report.console_line(row), file=sys.stderr, flush=True)

    def scenario(self, scenario: str) -> list[report.Row]:
        """Run ``scenario`` --repeat times, tools interleaved in turn; one row per tool."""
        rows = {name: report.Row(self.size, scenario, name) for name in self.active}
        logs = self.args.work / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for name in self.active:
            if scenario != "cold" and name not in self.built:  # untimed: a site to rebuild
                log = logs / f"{name}-warmup.log"
                if not self._failed(rows[name], self._build(name, log), log, "warm-up build "):
                    self.built.add(name)
        names = list(rows)
        for turn in range(self.args.repeat):
            change = self._change(scenario)
            # Each repetition starts with the next tool, so that what follows writing the
            # sites (a slow disk for a while) does not fall on the same tool every time.
            shift = turn % len(names) if names else 0
            for name in names[shift:] + names[:shift]:
                row = rows[name]
                if row.error:
                    continue
                if scenario == "cold":
                    self.active[name].make_cold(self.sites[name], self.args.work / "trash")
                elif change is not None:
                    trees.write_paper(name, self.sites[name], change)
                log = logs / f"{name}.log"
                self._record(row, self._build(name, log), log)
        return list(rows.values())


def _active_tools(args: argparse.Namespace, size: int, sitegen_cmd: list[str],
                  available: dict[str, bool]) -> tuple[dict[str, tools.Tool], list[str]]:
    active: dict[str, tools.Tool] = {}
    skipped: list[str] = []
    for name in args.tools:
        if name == "pelican" and size > args.skip_pelican_above:
            skipped.append(f"pelican (--skip-pelican-above {args.skip_pelican_above})")
        elif not available[name]:
            skipped.append(f"{name} (not installed)")
        else:
            active[name] = tools.make_tool(name, args.venv, sitegen_cmd)
    return active, skipped


def run_size(size: int, args: argparse.Namespace, sitegen_cmd: list[str],
             available: dict[str, bool]) -> list[str]:
    """Generate, build and measure one size; its Markdown section."""
    active, skipped = _active_tools(args, size, sitegen_cmd, available)
    run = SizeRun(size, args, active)
    started = time.perf_counter()
    run.generate()
    print(f"{size:>7} generated {len(active)} site(s) in {time.perf_counter() - started:.1f} s",
          file=sys.stderr, flush=True)
    rows: list[report.Row] = []
    for scenario in args.scenarios:
        rows += run.scenario(scenario)
    if not args.keep_sites:
        shutil.rmtree(run.root, ignore_errors=True)
    return report.size_section(size, rows, skipped)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the results file; 1 if any build failed."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    sitegen_cmd = shlex.split(args.sitegen) if args.sitegen else [sys.executable, "-m",
                                                                    "sitegen.cli"]
    if {"hugo", "pelican"} & set(args.tools) and not args.no_install:
        tools.ensure_venv(args.venv)
    available = tools.tools_available(args.venv)
    versions = tools.versions(args.venv, sitegen_cmd,
                              [t for t in args.tools if available[t]])
    settings = {"seed": str(args.seed), "per_page": str(synth.PER_PAGE),
                "repeat": str(args.repeat)}
    command = shlex.join(["python", "-m", "bench.run", *argv])
    sections: list[list[str]] = []
    try:
        for size in args.sizes:
            sections.append(run_size(size, args, sitegen_cmd, available))
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(report.document(command, versions, settings, sections),
                                encoding="utf-8")
    finally:
        shutil.rmtree(args.work / "trash", ignore_errors=True)  # outputs moved aside when cold
    print(f"results written to {args.out}", file=sys.stderr)
    failed = any("| failed:" in line for section in sections for line in section)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
