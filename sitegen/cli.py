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
from sitegen.errors import SitegenError, visible


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


def _bounded(kind: type, low: float, high: float) -> Any:
    """An argparse type: a number of ``kind`` from ``low`` to ``high`` (no nan, no inf)."""
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= value <= high:  # also false for nan
            raise argparse.ArgumentTypeError(f"must be from {low:g} to {high:g}, got {text!r}")
        return value
    return parse


def _allow_empty(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-empty", action="store_true",
                        help="publish even when the content folder holds no papers while the "
                             "last build had some (default: refuse, keeping the previous "
                             "site)")


class _Help(argparse.RawDescriptionHelpFormatter):
    """Help that keeps the examples' line breaks and says what each option defaults to."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        shown = action.default not in (None, False, [], argparse.SUPPRESS)
        if shown and "%(default)" not in text and "default:" not in text:
            text += " (default: %(default)s)"
        return text


def _command(sub: Any, name: str, summary: str, examples: str) -> argparse.ArgumentParser:
    """A sub-command with a one-line description and an epilog of examples."""
    return sub.add_parser(name, help=summary, description=summary, formatter_class=_Help,
                          epilog="Examples:\n" + examples.strip("\n"))


def _site(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", type=Path, default=Path("."), metavar="DIR",
                        help="the site root holding sitegen.toml, content/ and templates/ "
                             "(default: the current folder)")


def _verbosity(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true",
                       help="print errors only (default: a summary line)")
    group.add_argument("-v", "--verbose", action="store_true",
                       help="print every file written (default: a summary line)")


def _strict(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--strict", action="store_true",
                        help=f"fail on warnings, {what} (default: strict of sitegen.toml, "
                             "false unless set)")


def _waiting(parser: argparse.ArgumentParser) -> None:
    from sitegen.lock import DEFAULT_WAIT

    group = parser.add_mutually_exclusive_group()
    group.add_argument("--wait", type=_bounded(float, 0, 86400), default=DEFAULT_WAIT,
                       metavar="SECONDS",
                       help="while another sitegen process builds or imports into this "
                            "site, wait this long for it, then give up with exit 1")
    group.add_argument("--no-wait", dest="wait", action="store_const", const=0.0,
                       help="give up at once if another sitegen process holds the site "
                            "(default: wait, as --wait says)")


def _import_parser(sub: Any) -> None:
    imp = _command(sub, "import", "import papers into content/papers/ of a site", """
  sitegen import listing.txt                 # a Daily Papers listing
  sitegen import --arxiv 2312.11514 2401.00001
  sitegen import --init --site mysite refs.bib   # create mysite/ first
""")
    _site(imp)
    imp.add_argument("inputs", nargs="*", metavar="PATH",
                     help="input files, '-' for standard input, or another generator's "
                          "content folder: Hugo, Hugo Blox, Jekyll, al-folio (default: none)")
    imp.add_argument("--format", dest="fmt", metavar="NAME",
                     help="input format: listing, hf-capture, hf-api, arxiv-atom, arxiv-rss, "
                          "arxiv-oai, arxiv-jsonl, bibtex, ris, csl-json, semantic-scholar or "
                          "openalex (default: recognised from the content)")
    imp.add_argument("--listed", type=_date, metavar="YYYY-MM-DD",
                     help="the date the listing was viewed (default: from its header)")
    imp.add_argument("--from-url", dest="urls", action="append", default=[], metavar="URL",
                     help="fetch an input over the network, repeatable (default: none)")
    imp.add_argument("--arxiv", nargs="+", default=[], metavar="ID",
                     help="fetch these arXiv ids from the arXiv API (default: none)")
    imp.add_argument("--thumbnails", action="store_true",
                     help="also fetch each paper's thumbnail (Hugging Face 'thumbnail') into "
                          "static/thumbs/, checked and re-encoded; alone, fetch only "
                          "(default: no fetching of images)")
    imp.add_argument("--init", action="store_true",
                     help="create the site first (sitegen init) when --site has no "
                          "sitegen.toml (default: refuse a folder that is not a site)")
    imp.add_argument("--strict", action="store_true",
                     help="fail on warnings (such as skipped blocks), writing nothing "
                          "(default: warn and import the rest)")
    imp.add_argument("--enrich", action="store_true",
                     help="then run 'sitegen enrich': look up the papers without an arXiv "
                          "id (default: no lookup)")
    _waiting(imp)
    _verbosity(imp)


def _build_parser(sub: Any) -> None:
    build = _command(sub, "build", "build the static site into its output folder", """
  sitegen build                                   # into public/
  sitegen build --base-url https://you.github.io/papers/ --strict
  sitegen build --site mysite --output /tmp/site --clean
""")
    _site(build)
    build.add_argument("--output", type=Path, metavar="DIR",
                       help="output folder (default: output_dir of sitegen.toml, public)")
    build.add_argument("--base-url", metavar="URL",
                       help="the full URL the site is served from (default: base_url of "
                            "sitegen.toml)")
    _strict(build, "keeping the previous site")
    build.add_argument("--clean", action="store_true",
                       help="ignore the build cache (default: reuse unchanged files)")
    _allow_empty(build)
    _waiting(build)
    _verbosity(build)


def _serve_parser(sub: Any) -> None:
    serve = _command(sub, "serve", "preview the site with live reload", """
  sitegen serve                        # http://127.0.0.1:8000/
  sitegen serve --port 8080 --site mysite
  sitegen serve --base-url /papers/    # serve under /papers/ as deployed
""")
    _site(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=_bounded(int, 0, 65535), default=8000,
                       help="port to listen on, 0 for any free one")
    serve.add_argument("--output", type=Path, metavar="DIR",
                       help="build the preview into this folder, with the build cache "
                            "(default: a private folder in .sitegen-cache/serve/, so the "
                            "output folder is never touched)")
    serve.add_argument("--base-url", metavar="URL",
                       help="URL the site will be served from; its path is kept, its host is "
                            "the preview's (default: base_url of sitegen.toml)")
    _allow_empty(serve)
    _verbosity(serve)


def _init_parser(sub: Any) -> None:
    init = _command(sub, "init", "create a new site: sitegen.toml, content/, a Pages workflow",
                    """
  sitegen init mysite      # a new site in mysite/
  sitegen init             # in the current folder (it must not hold the files)
""")
    init.add_argument("directory", nargs="?", type=Path, default=Path("."), metavar="DIR",
                      help="the folder to create the site in (default: the current folder)")
    init.add_argument("--schedule", action="store_true",
                      help="write a workflow that runs 'sitegen update' every day, commits "
                           "the new papers and publishes the site, and an hf-daily source "
                           "(default: a workflow that publishes on every push)")


def _check_parser(sub: Any) -> None:
    check = _command(sub, "check", "check a built site for broken links, its sitemap and "
                                   "host limits", """
  sitegen check                          # public/ of the current site
  sitegen check --site mysite --output /tmp/site
  sitegen check --base-url https://you.github.io/papers/
""")
    _site(check)
    check.add_argument("--output", type=Path, metavar="DIR",
                       help="the built site (default: output_dir of sitegen.toml, public)")
    check.add_argument("--base-url", metavar="URL",
                       help="URL the site was built for (default: read from its sitemap)")
    _strict(check, "as the build does")


def _update_parser(sub: Any) -> None:
    update = _command(sub, "update", "fetch the site's [[sources]] and merge new papers and "
                                     "counts into content/papers/", """
  sitegen update                   # every source of ./sitegen.toml
  sitegen update mysite --dry-run  # show what would change, write nothing
  sitegen update --strict          # fail if any source fails
""")
    update.add_argument("directory", nargs="?", type=Path, default=None, metavar="SITE",
                        help="the site root (default: --site, or the current folder)")
    _site(update)
    update.add_argument("--dry-run", action="store_true",
                        help="fetch and show what would be added and changed, writing "
                             "nothing (default: write)")
    update.add_argument("--strict", action="store_true",
                        help="fail when any source fails or gives warnings, writing nothing "
                             "(default: report it, and fail only when every source failed)")
    _waiting(update)
    _verbosity(update)
# --- sitegen enrich ---------------------------------------------------------------------

def _enrich_parser(sub: Any) -> None:
    enrich = _command(sub, "enrich", "look up papers that have no arXiv id by title (arXiv, "
                                     "Hugging Face) and fill in id, authors and links", """
  sitegen enrich --dry-run     # list what would be filled in
  sitegen enrich mysite --strict
""")
    enrich.add_argument("site_dir", nargs="?", type=Path, default=None, metavar="SITE",
                        help="the site root (default: --site, or the current folder)")
    _site(enrich)
    enrich.add_argument("--dry-run", action="store_true",
                        help="look up and report, write nothing (default: fill in matches)")
    enrich.add_argument("--strict", action="store_true",
                        help="fail, writing nothing, when any paper is left ambiguous, "
                             "weak, refused or not found (default: list them, fill in the rest)")
    _waiting(enrich)
    _verbosity(enrich)


def _run_enrich(args: argparse.Namespace, after_import: bool = False) -> int:
    from sitegen.importers.enrich_run import run_command

    site = getattr(args, "site_dir", None) or args.site
    return run_command(site, dry_run=getattr(args, "dry_run", False), strict=args.strict,
                       quiet=args.quiet, verbose=args.verbose, wait=args.wait,
                       after_import=after_import)

# --- end of sitegen enrich ---------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    from sitegen import __version__

    parser = argparse.ArgumentParser(prog="sitegen", description="a static site generator for "
                                     "paper listings: import, build, preview, check",
                                     formatter_class=_Help, epilog="""Examples:
  sitegen init mysite && cd mysite
  sitegen import listing.txt && sitegen build && sitegen check
  sitegen COMMAND --help   # the options of one command""")
    parser.add_argument("--version", action="version", version=f"sitegen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_import_parser, _build_parser, _serve_parser, _init_parser, _check_parser,
                _update_parser, _enrich_parser):
        add(sub)
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if getattr(args, "output", None) is not None:
        out["output_dir"] = str(args.output)
    if getattr(args, "base_url", None):
        out["base_url"] = args.base_url
    if getattr(args, "strict", False):
        out["strict"] = True
    if getattr(args, "allow_empty", False):
        out["allow_empty"] = True
    return out


def _run(args: argparse.Namespace) -> int:
    if args.command == "init":
        from sitegen.scaffold import init_site

        return init_site(args.directory, schedule=args.schedule)
    from sitegen.config import CONFIG_NAME, require_site

    if args.command == "import":
        from sitegen.commands import do_import

        if args.init and not (args.site / CONFIG_NAME).is_file():
            from sitegen.scaffold import init_site

            init_site(args.site)
        require_site(args.site)
        code = do_import(args)
        return _run_enrich(args, after_import=True) if args.enrich and code == 0 else code
    if args.command == "update":
        from sitegen.commands import do_update

        args.site = args.directory or args.site
        require_site(args.site)
        return do_update(args)
    if args.command == "enrich":
        require_site(args.site_dir or args.site)
        return _run_enrich(args)
    require_site(args.site)  # build, serve and check need a site; nothing is written
    if args.command == "build":
        from sitegen.commands import do_build

        return do_build(args, _overrides(args))
    if args.command == "serve":
        from sitegen.serve import serve

        return serve(args.site, args.host, args.port, _overrides(args), quiet=args.quiet)
    if args.command == "check":
        from sitegen.check import run_check

        return run_check(args.site, _overrides(args))
    raise AssertionError(args.command)


def os_error_message(exc: OSError) -> str:
    """One line for an error the system raised, naming the file(s) it is about."""
    names = [os.fsdecode(name) if isinstance(name, bytes) else str(name)
             for name in (exc.filename, exc.filename2) if name is not None]
    where = "".join(f"{name}: " for name in names)
    return f"error: {where}{exc.strerror or exc}"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sitegen`` console command."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except SitegenError as exc:
        for problem in exc.problems:  # a Problem escapes its control characters itself
            print(f"error: {problem}" if not problem.path else str(problem), file=sys.stderr)
        return 1
    except OSError as exc:  # the machine refused (disk full, permissions): not a bug
        print(visible(os_error_message(exc)), file=sys.stderr)
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
