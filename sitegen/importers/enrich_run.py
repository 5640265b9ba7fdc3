"""``sitegen enrich``: look up every paper without an arXiv id and fill in what a match knows.

A match is applied through the importers' own writing path
(:class:`~sitegen.importers.library.Library`): an incoming paper carrying
the arXiv id, the full author names, their count, a code repository when
Hugging Face knows one, the DOI when arXiv gives one, and the sources asked.
So a field a person edited is kept, as on any import, and the report says so.
The arXiv abstract and PDF links are not written as ``links``: every page
makes them from ``arxiv`` (``PaperView.links``), and writing them too would
show each twice.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.config import CACHE_DIR, load_config
from sitegen.errors import InputError, Problem, StrictError, visible
from sitegen.importers.base import source_name
from sitegen.importers.enrich import Decision, Lookup, Settings, decide, lookup_failed
from sitegen.importers.library import Library, write_all
from sitegen.model import Link, Paper, Source, normalize_arxiv

KIND = "title-search"  # how enriched papers record their source
UNRESOLVED = ("ambiguous", "date", "weak", "none", "failed", "taken")


@dataclass
class Outcome:
    """One looked-up paper: its file and what was decided."""

    label: str
    title: str
    decision: Decision


@dataclass
class Result:
    """What a run found and did."""

    outcomes: list[Outcome] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    kept_edits: list[str] = field(default_factory=list)
    total: int = 0  # papers in the site
    requests: int = 0
    cached: int = 0
    writes: list[tuple[Path, str]] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # unreadable files and the like

    def count(self, verdict: str) -> int:
        return sum(1 for o in self.outcomes if o.decision.verdict == verdict)

    def summary(self, dry_run: bool) -> str:
        done = "would be filled in" if dry_run else "filled in"
        parts = [f"{self.count('matched')} matched ({len(self.applied)} {done})"]
        names = {"ambiguous": "ambiguous", "date": "refused (date)", "weak": "weak",
                 "none": "not found", "failed": "failed", "taken": "id already used"}
        parts += [f"{self.count(v)} {name}" for v, name in names.items() if self.count(v)]
        return (f"enrich: {len(self.outcomes)} looked up, {', '.join(parts)}; "
                f"{self.requests} requests, {self.cached} answers from the cache")


def enrich_site(site_root: Path, lookup: Lookup | None = None) -> Result:
    """Look up every paper of the site without an arXiv id; the files a match changes are
    planned in ``Result.writes``, not written."""
    config = load_config(site_root)
    settings = Settings.from_table(config.enrich)
    lookup = lookup or Lookup(settings, site_root / CACHE_DIR / "enrich")
    content = config.content_path
    library = Library(site_root, content / "papers", content)
    result = Result(total=len(library.entries))
    used = {normalize_arxiv(e.paper.arxiv or "") for e in library.entries} - {None}
    for entry in list(library.entries):
        paper = entry.paper
        if normalize_arxiv(paper.arxiv or ""):
            continue
        label = _label(site_root, entry.path)
        try:
            decision = decide(paper, lookup.candidates(paper.title), settings)
        except InputError as exc:
            decision = lookup_failed(exc)
        if decision.chosen and decision.chosen.candidate.arxiv in used:
            decision = Decision("taken", None, [decision.chosen],
                                "another file already has this arXiv id")
        result.outcomes.append(Outcome(label, paper.title, decision))
        if decision.chosen is None:
            continue
        incoming = _incoming(paper, decision, settings)
        if library.match(incoming) is not entry:
            outcome = result.outcomes[-1]
            outcome.decision = Decision("taken", None, [decision.chosen],
                                        "its DOI or title matches another file")
            continue
        library.add(incoming, label)
        used.add(decision.chosen.candidate.arxiv)
    writes = library.plan()
    result.applied = [_label(site_root, path) for path, _ in writes]
    result.writes = writes
    result.kept_edits = library.report.kept_edits
    result.warnings = library.report.warnings + [
        Problem(_label(site_root, path), problem.line,
                f"cannot be read ({problem.message}); not looked up")
        for path, problem in sorted(library.broken.items())]
    result.requests, result.cached = lookup.requests, lookup.cached
    return result


def _label(site_root: Path, path: Path) -> str:
    try:
        return path.relative_to(site_root).as_posix()
    except ValueError:
        return path.as_posix()


def run_command(site_root: Path, dry_run: bool = False, strict: bool = False,
                quiet: bool = False, verbose: bool = False, wait: float | None = None,
                after_import: bool = False) -> int:
    """``sitegen enrich`` (and ``import --enrich``): look up, report, then write unless
    ``dry_run`` or ``strict`` with anything unresolved (then nothing is written)."""
    from sitegen.lock import DEFAULT_WAIT, site_lock

    with site_lock(site_root / CACHE_DIR, "enrich", DEFAULT_WAIT if wait is None else wait):
        result = enrich_site(site_root)
        blocked = strict and any(result.count(v) for v in UNRESOLVED)
        report(result, dry_run or blocked, quiet, verbose)
        code = exit_code(result, strict, after_import)
        if not dry_run:
            write_all(result.writes)
    return code


def _incoming(paper: Paper, decision: Decision, settings: Settings) -> Paper:
    """The paper a match brings, titled and dated as the file is so that only what the
    listing lacked differs."""
    assert decision.chosen is not None
    cand = decision.chosen.candidate
    sources = []
    if "arXiv" in cand.sources:
        sources.append(Source(KIND, source_name(settings.arxiv_endpoint)))
    if "Hugging Face" in cand.sources:
        sources.append(Source(KIND, source_name(settings.hf_endpoint)))
    return Paper(title=paper.title, date=paper.date, authors=list(cand.authors),
                 author_count=len(cand.authors) or None, arxiv=cand.arxiv, doi=cand.doi,
                 links=[Link("code", cand.code)] if cand.code else [], source=sources)


def report(result: Result, dry_run: bool, quiet: bool, verbose: bool) -> None:
    """Print each looked-up paper's outcome (unresolved ones always, to standard error)."""
    for problem in result.warnings:
        where = str(Problem(problem.path, problem.line, "")).rstrip(": ")
        print(visible(f"{where}: warning: {problem.message}"), file=sys.stderr)
    for outcome in result.outcomes:
        decision = outcome.decision
        if decision.verdict == "matched":
            if not quiet:
                print(visible(f"matched: {outcome.label}: {decision.chosen.describe()}"
                              if decision.chosen else outcome.label))
            continue
        print(visible(f"{outcome.label}: warning: {_VERDICTS[decision.verdict]}: "
                      f"{decision.reason}; not applied"), file=sys.stderr)
        for scored in decision.listed:
            print(visible(f"  candidate: {scored.describe()}"), file=sys.stderr)
    if quiet:
        return
    for label in result.kept_edits:
        print(visible(f"kept hand edits: {label}"))
    if verbose or dry_run:
        verb = "would write" if dry_run else "wrote"
        for label in result.applied:
            print(visible(f"{verb}: {label}"))
    print(result.summary(dry_run))


_VERDICTS = {"ambiguous": "ambiguous", "date": "date disagrees", "weak": "weak match",
             "none": "not found", "failed": "lookup failed", "taken": "not applied"}


def exit_code(result: Result, strict: bool, after_import: bool = False) -> int:
    """0 when something useful was found; 1 when nothing was, or under ``strict`` when
    anything was left unresolved (a StrictError says so)."""
    if not result.outcomes:
        if after_import:
            return 0
        raise InputError(f"nothing to enrich: all {result.total} papers have an arXiv id"
                         if result.total else "nothing to enrich: the site has no papers")
    unresolved = sum(result.count(v) for v in UNRESOLVED)
    if strict and unresolved:
        raise StrictError(f"enrich failed: --strict, and {unresolved} of "
                          f"{len(result.outcomes)} papers were left unresolved (listed above)")
    if not result.count("matched"):
        raise InputError(f"enrich found no match for any of the {len(result.outcomes)} papers "
                         "it looked up (listed above); nothing was changed")
    return 0
