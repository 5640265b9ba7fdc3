"""``sitegen update``: fetch every source of the site, merge, and say what changed.

Each source is fetched on its own: one that fails is reported and the others
still land. Everything is merged through the import path (hand edits kept),
the content files are written atomically, and only then does each successful
source's date move forward in ``sources.lock.json``; a run interrupted before
that fetches the same days again next time, which changes nothing twice.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sitegen.config import CACHE_DIR, load_config
from sitegen.errors import InputError, Problem, StrictError, visible
from sitegen.importers.clean import scrub
from sitegen.importers.fetch import Opener, default_opener
from sitegen.importers.library import Library, Report, write_all
from sitegen.lock import site_lock
from sitegen.sources.fetch import Fetched, Politeness, fetch_source
from sitegen.sources.spec import SourceSpec, read_sources
from sitegen.sources.state import STATE_NAME, read_state, write_state

#: Set to YYYY-MM-DD to run as on that day (reproducible runs and tests); default: today, UTC.
TODAY_VARIABLE = "SITEGEN_TODAY"


@dataclass
class Outcome:
    """What one run did: the merge report and which sources failed."""

    report: Report
    failed: list[tuple[SourceSpec, InputError]] = field(default_factory=list)
    fetched: list[tuple[SourceSpec, Fetched]] = field(default_factory=list)
    state_changed: bool = False


def today_utc() -> date:
    """Today's date in UTC, or the date of ``SITEGEN_TODAY``."""
    forced = os.environ.get(TODAY_VARIABLE, "").strip()
    if forced:
        try:
            return date.fromisoformat(forced)
        except ValueError:
            raise InputError(f"{TODAY_VARIABLE}={forced!r} is not a date (YYYY-MM-DD)") \
                from None
    return datetime.now(UTC).date()


def run_update(site_root: Path, *, dry_run: bool = False, strict: bool = False,
               wait: float = 0.0, opener: Opener | None = None,
               polite: Politeness | None = None, today: date | None = None) -> Outcome:
    """Fetch, merge and (unless ``dry_run``) write; raises when nothing could be fetched."""
    config = load_config(site_root)
    specs = read_sources(config.sources)
    if not specs:
        raise InputError(Problem("sitegen.toml", 0, "has no [[sources]]: nothing to update "
                                 "(add one, such as kind = \"hf-daily\"; see "
                                 "docs/configuration.md)"))
    today = today or today_utc()
    state = read_state(site_root)
    opener, polite = opener or default_opener(), polite or Politeness()
    outcome = Outcome(Report())
    for spec in specs:
        try:
            got = fetch_source(spec, today, state.last.get(spec.name), opener, polite)
        except InputError as exc:
            outcome.failed.append((spec, exc))
            continue
        outcome.fetched.append((spec, got))
    if not outcome.fetched:
        raise InputError(*_failure_problems(outcome.failed),
                         "update failed: no source could be fetched; nothing was written")
    with site_lock(site_root / CACHE_DIR, "update", wait):
        content = config.content_path
        library = Library(site_root, content / "papers", content)
        for spec, got in outcome.fetched:
            library.report.warnings.extend(got.warnings)
            for paper in got.papers:
                library.report.warnings.extend(scrub(paper, spec.name))
                library.add(paper, spec.name)
        writes = library.plan()
        outcome.report = library.report
        if strict and (outcome.failed or outcome.report.warnings):
            raise StrictError(*_failure_problems(outcome.failed), *outcome.report.warnings,
                              "update stopped: --strict turns these into errors; nothing "
                              "was written")
        if dry_run:
            return outcome
        write_all(writes)
        for spec, _ in outcome.fetched:
            state.last[spec.name] = max(today, state.last.get(spec.name, today))
        outcome.state_changed = write_state(site_root, state)
    return outcome


def _failure_problems(failed: list[tuple[SourceSpec, InputError]]) -> list[Problem]:
    return [Problem("", 0, f"source {spec.name!r} failed: {problem}")
            for spec, exc in failed for problem in exc.problems]


def print_outcome(outcome: Outcome, dry_run: bool, quiet: bool) -> None:
    """What was added and changed (or would be, with ``--dry-run``), then a summary."""
    for problem in _failure_problems(outcome.failed):
        print(visible(f"error: {problem.message}"), file=sys.stderr)
    for problem in outcome.report.warnings:
        where = str(Problem(problem.path, problem.line, "")).rstrip(": ")
        print(visible(f"{where + ': ' if where else ''}warning: {problem.message}"),
              file=sys.stderr)
    if quiet:
        return
    verb = "would be " if dry_run else ""
    report = outcome.report
    for name, labels in (("added", report.added), ("updated", report.updated),
                         ("merged", report.merged)):
        for label in labels:
            print(visible(f"{verb}{name}: {label}"))
    for label in report.kept_edits:
        print(visible(f"kept hand edits: {label}"))
    for spec, got in outcome.fetched:
        print(visible(f"source {spec.name!r}: {len(got.papers)} papers from "
                      f"{len(got.requests)} request{'s' if len(got.requests) != 1 else ''}"))
    changed = len(report.added) + len(report.updated) + len(report.merged)
    state = f"; {STATE_NAME} updated" if outcome.state_changed else ""
    if dry_run:
        print(f"dry run: {changed} file(s) would change; nothing was written")
    elif changed:
        print(f"updated: {report.summary()}{state}")
    else:
        print(f"updated: nothing new ({len(report.unchanged)} unchanged){state}")
    ok, bad = len(outcome.fetched), len(outcome.failed)
    if bad:
        print(f"sources: {ok} fetched, {bad} failed")
