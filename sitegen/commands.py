"""The ``import`` and ``build`` commands: glue between the CLI and the pipeline."""

from __future__ import annotations

import argparse
import re
import sys
from typing import TYPE_CHECKING, Any

from sitegen.errors import InputError, Problem, SitegenError, StrictError
from sitegen.lock import CACHE_DIR, site_lock

if TYPE_CHECKING:
    from sitegen.importers.library import Report


# Control characters (C0 with tab and newline, DEL, C1), noncharacters, surrogates and the
# Unicode line separators: none may reach a terminal raw.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff\u2028\u2029]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def printable(text: str) -> str:
    """``text`` with every control character written as an escape (``\\n``, ``\\x1b``): a file
    name with a newline must not start a second, forged message line, and an escape sequence
    in an imported title must not recolour or rewrite the terminal."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def print_warnings(warnings: list[Problem]) -> None:
    """Print warnings gcc-style: ``path:line: warning: message``, control characters escaped."""
    for problem in warnings:
        where = str(Problem(problem.path, problem.line, "")).rstrip(": ")
        prefix = f"{where}: " if where else ""
        print(printable(f"{prefix}warning: {problem.message}"), file=sys.stderr)


def do_import(args: argparse.Namespace) -> int:
    """Run ``sitegen import``; every message it prints has its control characters escaped."""
    try:
        report = _import(args)
    except SitegenError as exc:
        escaped = [Problem(printable(p.path), p.line, printable(p.message)) for p in exc.problems]
        raise type(exc)(*escaped) from None
    print_warnings(report.warnings)
    if not args.quiet:
        for label in report.kept_edits:
            print(printable(f"kept hand edits: {label}"))
        if args.verbose:
            for name, shown in (("added", "added"), ("updated", "updated"),
                                 ("merged", "merged"), ("skipped", "not rewritten")):
                for label in getattr(report, name):
                    print(printable(f"{shown}: {label}"))
        print(f"imported: {report.summary()}")
    return 0


def _import(args: argparse.Namespace) -> Report:
    from sitegen.importers import read_input, run_import

    inputs = [read_input(path) for path in args.inputs]
    if args.urls or args.arxiv:
        from sitegen.importers.fetch import fetch_inputs

        inputs += fetch_inputs(args.urls, args.arxiv)
    if not inputs:
        raise InputError("nothing to import: give a file, '-' for standard input, "
                         "--from-url URL or --arxiv ID")
    with site_lock(args.site / CACHE_DIR, "import", args.wait):
        return run_import(args.site, inputs, args.fmt, args.listed, args.strict)


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
