"""The ``sitegen`` command line: parse options, run a command, turn errors into one line each.

Exit codes: 0 success; 1 a user-facing problem (bad input, invalid content,
refused output, failed check, warnings under ``--strict``); 2 wrong usage;
130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sitegen import gcpolicy
from sitegen.errors import SitegenError


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


def _site(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", type=Path, default=Path("."), metavar="DIR",
                        help="the site root holding sitegen.toml, content/ and templates/ "
                             "(default: the current folder)")


def _verbosity(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    group.add_argument("-v", "--verbose", action="store_true", help="print every file written")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    parser = argparse.ArgumentParser(prog="sitegen", description=__doc__.splitlines()[0])
    from sitegen import __version__

    parser.add_argument("--version", action="version", version=f"sitegen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    imp = sub.add_parser("import", help="import papers into content/papers/")
    _site(imp)
    imp.add_argument("inputs", nargs="*", metavar="PATH", help="input files ('-' for stdin)")
    imp.add_argument("--format", dest="fmt", metavar="NAME",
                     help="input format: listing, hf-api, arxiv-atom, arxiv-jsonl or bibtex "
                          "(default: recognised from the content)")
    imp.add_argument("--listed", type=_date, metavar="YYYY-MM-DD",
                     help="the date the listing was viewed (default: from its header)")
    imp.add_argument("--from-url", dest="urls", action="append", default=[], metavar="URL",
                     help="fetch an input over the network (repeatable)")
    imp.add_argument("--arxiv", nargs="+", default=[], metavar="ID",
                     help="fetch these arXiv ids from the arXiv API")
    imp.add_argument("--strict", action="store_true", help="fail on warnings, writing nothing")
    _verbosity(imp)

    build = sub.add_parser("build", help="build the static site")
    _site(build)
    build.add_argument("--output", type=Path, metavar="DIR", help="output folder (default: public)")
    build.add_argument("--base-url", metavar="URL", help="URL the site is served from")
    build.add_argument("--strict", action="store_true", help="fail on warnings")
    build.add_argument("--clean", action="store_true", help="ignore the build cache")
    _verbosity(build)

    serve = sub.add_parser("serve", help="preview the site with live reload")
    _site(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument("--base-url", metavar="URL", help="URL the site will be served from")
    _verbosity(serve)

    init = sub.add_parser("init", help="create a new site")
    init.add_argument("directory", nargs="?", type=Path, default=Path("."), metavar="DIR")

    check = sub.add_parser("check", help="check a built site for broken links and host limits")
    _site(check)
    check.add_argument("--output", type=Path, metavar="DIR",
                       help="the built site (default: public)")
    check.add_argument("--base-url", metavar="URL",
                       help="URL the site was built for (default: read from its sitemap)")
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if getattr(args, "output", None) is not None:
        out["output_dir"] = str(args.output)
    if getattr(args, "base_url", None):
        out["base_url"] = args.base_url
    if getattr(args, "strict", False):
        out["strict"] = True
    return out


def _run(args: argparse.Namespace) -> int:
    if args.command == "import":
        from sitegen.commands import do_import

        return do_import(args)
    if args.command == "build":
        from sitegen.commands import do_build

        return do_build(args, _overrides(args))
    if args.command == "serve":
        from sitegen.serve import serve

        return serve(args.site, args.host, args.port, _overrides(args), quiet=args.quiet)
    if args.command == "init":
        from sitegen.scaffold import init_site

        return init_site(args.directory)
    if args.command == "check":
        from sitegen.check import run_check

        return run_check(args.site, _overrides(args))
    raise AssertionError(args.command)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sitegen`` console command."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except SitegenError as exc:
        for problem in exc.problems:
            print(f"error: {problem}" if not problem.path else str(problem), file=sys.stderr)
        return 1
    except OSError as exc:  # the machine refused (disk full, permissions): not a bug
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    """The console command: run, flush, and exit without tearing down the loaded site.

    Freeing hundreds of thousands of objects one by one at exit costs a large
    site a quarter of a second and changes nothing on disk: every file was
    written and closed by then. For the same reason the cycle collector stays
    off: a one-shot command holds what it loaded until it exits, and a full
    collection over a large site's papers at the end of a build finds nothing.
    The preview server is the exception: it runs for hours, and every rebuild
    leaves the previous build's papers behind in cycles (neighbour links).
    """
    gcpolicy.for_command(sys.argv[1] if len(sys.argv) > 1 else None)
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
