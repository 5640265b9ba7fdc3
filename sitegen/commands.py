"""The ``import`` and ``build`` commands: glue between the CLI and the pipeline."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from sitegen.config import CACHE_DIR
from sitegen.errors import InputError, Problem, StrictError, visible
from sitegen.lock import site_lock

if TYPE_CHECKING:
    from sitegen.importers.library import Report


def print_warnings(warnings: list[Problem]) -> None:
    """Print warnings gcc-style: ``path:line: warning: message``, control characters escaped."""
    for problem in warnings:
        where = str(Problem(problem.path, problem.line, "")).rstrip(": ")
        prefix = f"{where}: " if where else ""
        print(visible(f"{prefix}warning: {problem.message}"), file=sys.stderr)


def _skipped(warnings: list[Problem]) -> str:
    """How many warnings there were, and where the first ones are: many lines scroll by."""
    if not warnings:
        return ""
    first = ", ".join(str(Problem(p.path, p.line, "")).rstrip(": ") for p in warnings[:3])
    return (f"; {len(warnings)} warning(s): parts of the input not understood or not imported "
            f"(first: {first}); --strict makes them errors")


def do_import(args: argparse.Namespace) -> int:
    """Run ``sitegen import``; every message it prints has its control characters escaped."""
    only_thumbnails = args.thumbnails and not (args.inputs or args.urls or args.arxiv)
    code = 0
    if not only_thumbnails:
        code = _report(args, _import(args))
    if args.thumbnails:
        code = max(code, _thumbnails(args))
    return code


def _thumbnails(args: argparse.Namespace) -> int:
    """Fetch the papers' thumbnails; 1 when any failed or no paper has one."""
    from sitegen.config import load_config
    from sitegen.importers.thumbs import fetch_thumbnails

    config = load_config(args.site)
    with site_lock(args.site / CACHE_DIR, "import", args.wait):
        report = fetch_thumbnails(args.site, config.content_path)
    print_warnings(report.warnings)
    if not report.fetched and not report.present and not report.warnings:
        print("thumbnails: no paper has a thumbnail address (the Hugging Face API import "
              "gives one); nothing fetched", file=sys.stderr)
        return 1
    if not args.quiet:
        print(report.summary())
    return 1 if report.warnings else 0


def _report(args: argparse.Namespace, report: Report) -> int:
    print_warnings(report.warnings)
    if not args.quiet:
        for label in report.kept_edits:
            print(visible(f"kept hand edits: {label}"))
        if args.verbose:
            for name, shown in (("added", "added"), ("updated", "updated"),
                                 ("merged", "merged"), ("skipped", "not rewritten")):
                for label in getattr(report, name):
                    print(visible(f"{shown}: {label}"))
        print(visible(f"imported: {report.summary()}{_skipped(report.warnings)}"))
    return 0


def _import(args: argparse.Namespace) -> Report:
    from sitegen.importers import read_input, run_import

    folders = [path for path in args.inputs if path != "-" and os.path.isdir(path)]
    inputs = [read_input(path) for path in args.inputs if path not in folders]
    if args.urls or args.arxiv:
        from sitegen.importers.fetch import fetch_inputs

        inputs += fetch_inputs(args.urls, args.arxiv)
    if not inputs and not folders:
        raise InputError("nothing to import: give a file, '-' for standard input, "
                         "--from-url URL or --arxiv ID")
    with site_lock(args.site / CACHE_DIR, "import", args.wait):
        return run_import(args.site, inputs, args.fmt, args.listed, args.strict, folders)


def do_build(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    """Run ``sitegen build``."""
    from sitegen.config import load_config
    from sitegen.site import Site

    config = load_config(args.site, overrides)
    site = Site(config, quiet=args.quiet, verbose=args.verbose)
    with site_lock(site.cache_dir, "build", args.wait):
        result = site.build(use_cache=not args.clean)
    print_warnings(result.warnings)
    if config.strict and result.warnings:
        raise StrictError("build failed: --strict turns the warnings above into errors; "
                          "the previous site was left as it was")
    if not args.quiet:
        print(result.summary())
    return 0


def do_update(args: argparse.Namespace) -> int:
    """Run ``sitegen update``."""
    from sitegen.sources.update import print_outcome, run_update

    outcome = run_update(args.site, dry_run=args.dry_run, strict=args.strict, wait=args.wait)
    print_outcome(outcome, args.dry_run, args.quiet)
    return 0
