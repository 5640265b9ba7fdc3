"""Turn measured builds into Markdown tables (``bench/RESULTS.md``) and console lines."""

from __future__ import annotations

import os
import platform
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.measure import Sample
from bench.tools import SITEGEN_VARIANTS

CORE_KINDS = ("detail", "index", "tag", "tag_list")
_MB = 1024 * 1024


@dataclass
class Row:
    """All repetitions of one tool in one scenario at one size."""

    size: int
    scenario: str
    tool: str
    samples: list[Sample] = field(default_factory=list)
    pages: Counter[str] = field(default_factory=Counter)
    expected: dict[str, int] = field(default_factory=dict)
    error: str = ""

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples) if self.samples else 0.0

    @property
    def cpu(self) -> float:
        """Median CPU seconds (user + system) of the process tree."""
        return statistics.median(s.cpu for s in self.samples) if self.samples else 0.0

    @property
    def peak(self) -> int:
        """Bytes: the larger of the two memory figures, over all repetitions."""
        return max((max(s.max_rss, s.tree_rss) for s in self.samples), default=0)

    @property
    def pages_ok(self) -> bool:
        return all(self.pages[k] == self.expected.get(k, 0) for k in CORE_KINDS)


def machine() -> dict[str, str]:
    """Cores, CPU model, memory, OS and Python: what a reader needs to compare runs."""
    model = "unknown CPU"
    mem_kib = 0
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((ln.split(":", 1)[1].strip() for ln in handle
                          if ln.startswith("model name")), model)
        with open("/proc/meminfo", encoding="utf-8") as handle:
            mem_kib = next(int(ln.split()[1]) for ln in handle if ln.startswith("MemTotal"))
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "cores": str(os.cpu_count()),
        "cpu": model,
        "memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if a and b else "–"


def _row_line(row: Row) -> str:
    if row.error:
        return f"| {row.scenario} | {row.tool} | failed: {row.error} | | | | | | | |"
    times = [s.seconds for s in row.samples]
    biggest = max(s.max_rss for s in row.samples) / _MB
    tree = max(s.tree_rss for s in row.samples) / _MB
    core = "+".join(str(row.pages[k]) for k in CORE_KINDS)
    ok = "yes" if row.pages_ok else "**no**"
    return (f"| {row.scenario} | {row.tool} | {row.median:.2f} | {min(times):.2f}–{max(times):.2f} "
            f"| {row.cpu:.2f} | {biggest:,.0f} | {tree:,.0f} | {row.pages['html']:,} "
            f"| {row.pages['files']:,} "
            f"| {core} ({ok}) |")


# What each sitegen build is compared with: (tool, measure, column heading).
_COMPARED = (("hugo", "median", "wall /Hugo"), ("hugo", "cpu", "CPU /Hugo"),
             ("hugo+pagefind", "median", "wall /Hugo+Pagefind"),
             ("hugo+pagefind", "cpu", "CPU /Hugo+Pagefind"),
             ("pelican", "median", "wall /Pelican"), ("hugo", "peak", "memory /Hugo"),
             ("hugo+pagefind", "peak", "memory /Hugo+Pagefind"),
             ("pelican", "peak", "memory /Pelican"))


def _ratio_lines(rows: list[Row]) -> list[str]:
    by_key = {(r.scenario, r.tool): r for r in rows if not r.error}
    present = {r.tool for r in rows if not r.error}
    compared = [c for c in _COMPARED if c[0] in present]
    lines = ["| scenario | sitegen | " + " | ".join(c[2] for c in compared) + " |",
             "| --- | --- |" + " ---: |" * len(compared)]
    for scenario in dict.fromkeys(r.scenario for r in rows):
        for variant in SITEGEN_VARIANTS:
            mine = by_key.get((scenario, variant))
            if mine is None:
                continue
            cells = []
            for other, measure, _heading in compared:
                theirs = by_key.get((scenario, other))
                cells.append(_ratio(getattr(mine, measure), getattr(theirs, measure))
                             if theirs else "–")
            lines.append(f"| {scenario} | {variant} | " + " | ".join(cells) + " |")
    return lines


def size_section(size: int, rows: list[Row], skipped: list[str]) -> list[str]:
    """The Markdown section for one corpus size."""
    lines = [f"## {size:,} papers", ""]
    first = next((r for r in rows if r.expected), None)
    if first:
        exp = first.expected
        lines.append(f"Core pages expected after a cold build: {exp['detail']:,} detail + "
                     f"{exp['index']:,} home + {exp['tag']:,} tag + {exp['tag_list']} tag list "
                     f"= {sum(exp.values()):,}.")
    if skipped:
        lines.append(f"Skipped at this size: {', '.join(skipped)}.")
    lines += ["", "| scenario | tool | median s | min–max s | median CPU s "
              "| peak RSS MB, largest process "
              "| peak PSS MB, process tree | HTML files | all files "
              "| core pages detail+home+tag+list (as expected) |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    lines += [_row_line(r) for r in rows]
    lines += ["", "Ratios (below 1 means sitegen is faster or smaller):", ""]
    lines += _ratio_lines(rows)
    return [*lines, ""]


def document(command: str, versions: dict[str, str], settings: dict[str, str],
             sections: list[list[str]]) -> str:
    """The whole ``RESULTS.md``."""
    info = machine()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results: sitegen, Hugo and Pelican", "",
        f"- Date: {now}",
        f"- Command: `{command}`",
        f"- Machine: {info['cores']} cores ({info['cpu']}), {info['memory']} RAM, {info['os']}, "
        f"Python {info['python']}",
        "- Versions: " + ", ".join(f"{name} {value}" for name, value in versions.items()),
        "- Settings: " + ", ".join(f"{k} {v}" for k, v in settings.items()),
        "",
        "Times are the median wall time and the median CPU time (user + system of the "
        "whole process tree) of the repetitions, tools interleaved, each "
        "repetition starting with the next tool. Memory is the maximum over the "
        "repetitions. `sitegen` builds with the outputs Hugo's and Pelican's templates "
        "leave out switched off (feeds, top and monthly pages, `.bib` files, `papers.json`); "
        "`sitegen-full` builds every default output of its theme but search; "
        "`sitegen-default` is the `sitegen.toml` of `sitegen init` (automatic tags and "
        "search on) over untagged papers, `hugo+pagefind` Hugo then Pagefind with the same "
        "tags and page size. "
        "See `bench/README.md` for what each scenario means and what each tool renders.",
        "",
    ]
    for section in sections:
        lines += section
    return "\n".join(lines)


def console_line(row: Row) -> str:
    """A one-line progress report for the terminal."""
    if row.error:
        return f"{row.size:>7} {row.scenario:<5} {row.tool:<15} FAILED {row.error}"
    sample = row.samples[-1]
    return (f"{row.size:>7} {row.scenario:<5} {row.tool:<15} {sample.seconds:8.2f} s "
            f"{sample.cpu:8.2f} cpu "
            f"{max(sample.max_rss, sample.tree_rss) / _MB:8.0f} MB "
            f"{row.pages['html']:>8} html{'' if row.pages_ok else '  PAGES DIFFER'}")
