"""``sitegen check``: is the built site whole, and will a static host take it?

It reads every built page once: broken internal links and missing assets,
pages missing from ``sitemap.xml`` (which must exist and list absolute URLs: a
site built without a full ``base_url`` has none, and fails), file names hosts
refuse and the size
limits of GitHub Pages (errors) and Cloudflare Pages (warnings). Links are
resolved the way a static host serves the files, so a site that passes here
works under its base path on GitHub Pages, nginx or any other static host.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from sitegen.check.scan import PageScan, Ref, scan_css, scan_html
from sitegen.check.sitemap import SITEMAP, Resolver, Target, guess_base_url, read_sitemap
from sitegen.config import Config, load_config
from sitegen.errors import CheckError, Problem, visible
from sitegen.outputs.hosting import LIMITS, bad_names, case_collisions, format_size
from sitegen.tag_report import papers_json_report

#: Problems printed in full; the rest are counted (a broken nav link repeats on every page).
MAX_SHOWN = 100
NOT_FOUND_PAGE = "404.html"
_KIND_WORDS = {"link": "broken link", "asset": "missing asset", "redirect": "redirect to missing"}


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"



@dataclass
class CheckReport:
    """What :func:`check_site` found; ``errors`` fail the check, ``warnings`` do not."""

    output: str
    base_url: str
    pages: int = 0
    files: int = 0
    refs: int = 0
    size: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # the tag report, from papers.json

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """One line: what was checked and how it went."""
        counts = (f"{self.pages:,} pages, {self.refs:,} internal links, {self.files:,} files, "
                  f"{format_size(self.size)}")
        if self.errors:
            return f"check failed: {_count(len(self.errors), 'problem')} in {self.output}/ " \
                   f"({counts})"
        warned = f", {_count(len(self.warnings), 'warning')}" if self.warnings else ""
        return f"check passed: {self.output}/ ({counts}){warned}"


def _walk(output: Path) -> tuple[dict[str, int], set[str]]:
    """Every file (relative POSIX path -> size) and folder under ``output``, in one pass."""
    files: dict[str, int] = {}
    dirs: set[str] = set()
    root = str(output)
    for folder, subdirs, names in os.walk(root):
        rel_folder = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if rel_folder == "." else rel_folder + "/"
        dirs.update(prefix + name for name in subdirs)
        for name in names:
            files[prefix + name] = os.stat(os.path.join(folder, name)).st_size
    return files, dirs


def _scans(output: Path, files: dict[str, int]) -> Iterator[tuple[str, PageScan]]:
    for rel in sorted(files):
        if rel.endswith((".html", ".htm")):
            text = (output / rel).read_text(encoding="utf-8", errors="replace")
            yield rel, scan_html(text)
        elif rel.endswith(".css"):
            yield rel, scan_css((output / rel).read_text(encoding="utf-8", errors="replace"))


def _describe(ref: Ref, target: Target) -> str:
    written = ref.url.split("#")[0].split("?")[0]
    note = f" (written {ref.url!r})" if written != target.path else ""
    if target.outside:
        return f"{_KIND_WORDS[ref.kind]} {target.path}{note}: outside the site's base path"
    return f"{_KIND_WORDS[ref.kind]} {target.path}{note}"


class _Checker:
    """One pass over the scanned files; fragment links are checked once all ids are known."""

    def __init__(self, config: Config, report: CheckReport, files: dict[str, int],
                 dirs: set[str]) -> None:
        self.report = report
        self.label = report.output
        self.resolver = Resolver(config.base_url, files, dirs)
        self.ids: dict[str, set[str]] = {}
        self.fragments: list[tuple[str, Ref, Target]] = []
        self.unlisted: set[str] = set()  # redirect stubs, noindex pages and 404.html
        # Broken targets, each with every place it is used (a nav link breaks on every page).
        self.broken: dict[str, list[Problem]] = {}

    def page(self, rel: str, scan: PageScan) -> None:
        """Check every reference of one file."""
        page_url = self.resolver.page_url(rel)
        if scan.base_href:
            page_url = urljoin(page_url, scan.base_href)
        if rel.endswith((".html", ".htm")):
            self.report.pages += 1
            self.ids[rel] = scan.ids
            if scan.redirect or scan.noindex or rel == NOT_FOUND_PAGE:
                self.unlisted.add(rel)
        seen: set[str] = set()
        for ref in scan.refs:
            if ref.url in seen:
                continue
            seen.add(ref.url)
            if rel == NOT_FOUND_PAGE and not ref.url.startswith(("/", "#", "http:", "https:")):
                self._relative_in_404(ref)
            target = self.resolver.resolve(page_url, ref.url)
            if target is None:
                continue
            self.report.refs += 1
            if target.file is None:
                message = _describe(ref, target)
                self.broken.setdefault(message, []).append(
                    Problem(f"{self.label}/{rel}", ref.line, message))
            elif target.fragment and target.file.endswith((".html", ".htm")):
                self.fragments.append((rel, ref, target))

    def _relative_in_404(self, ref: Ref) -> None:
        if ":" in ref.url.split("/")[0]:
            return  # mailto:, data:, ...
        self.report.errors.append(Problem(
            f"{self.label}/{NOT_FOUND_PAGE}", ref.line,
            f"relative URL {ref.url!r} breaks when this page is served for a missing nested "
            "path; write it root-relative (with the base path)"))

    def report_broken(self) -> None:
        """One error per broken target: the first page using it, and how many others do."""
        for message, places in self.broken.items():
            first = places[0]
            others = len({p.path for p in places}) - 1
            also = f" (also on {others:,} other page{'s' if others > 1 else ''})" if others else ""
            self.report.errors.append(Problem(first.path, first.line, message + also))

    def check_fragments(self) -> None:
        """Warn about ``#fragment`` links whose page has no such id (often made by scripts)."""
        for rel, ref, target in self.fragments:
            fragment = unquote(target.fragment)
            if fragment != "top" and fragment not in self.ids.get(target.file or "", set()):
                self.report.warnings.append(Problem(
                    f"{self.label}/{rel}", ref.line,
                    f"link {target.path}#{target.fragment}: no element with id {fragment!r}"))


def _check_sitemap(checker: _Checker, locs: list[str]) -> None:
    report, resolver, label = checker.report, checker.resolver, checker.label
    listed: set[str] = set()
    relative = [loc for loc in locs if not _is_absolute(loc)]
    if relative:
        report.errors.append(Problem(
            f"{label}/{SITEMAP}", 0, f"lists {_count(len(relative), 'URL')} without scheme "
            f"and host, such as {relative[0]}: the sitemap protocol requires absolute URLs; "
            "rebuild with a full base_url (https://host/path/)"))
    for loc in locs:
        parts = urlsplit(loc)
        # Without a host in the base URL, only the path of each <loc> can be checked.
        path_only = parts.path if not resolver.netloc and parts.netloc else loc
        target = resolver.resolve(resolver.base_path, path_only)
        if target is None or target.outside:
            report.errors.append(Problem(f"{label}/{SITEMAP}", 0,
                                         f"lists {loc}, which is not under the base URL "
                                         f"{report.base_url}"))
        elif target.file is None:
            report.errors.append(Problem(f"{label}/{SITEMAP}", 0,
                                         f"lists {loc}, which is not in the site"))
        else:
            listed.add(target.file)
    for rel in sorted(checker.ids):
        if rel not in listed and rel not in checker.unlisted:
            report.errors.append(Problem(f"{label}/{rel}", 0, f"is not listed in {SITEMAP}"))


def _is_absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _missing_sitemap(label: str, config: Config) -> Problem:
    """Why there is no sitemap: most likely a build without a full base URL."""
    if config.absolute_base:
        return Problem(f"{label}/{SITEMAP}", 0, "is missing (pages cannot be checked against it)")
    return Problem(f"{label}/{SITEMAP}", 0,
                   f"is missing: the site was built for base_url {config.base_url!r}, which is "
                   "not absolute, so the sitemap, the feeds and canonical links were left out; "
                   "set base_url to https://host/path/ or build with --base-url")


def _check_limits(report: CheckReport, files: dict[str, int]) -> None:
    """Compare the site with each host limit; every limit is stated with its source."""
    largest = max(files.items(), key=lambda item: (item[1], item[0]), default=("", 0))
    measured = {"site bytes": report.size, "file bytes": largest[1], "files": len(files)}
    shown = {"site bytes": f"site {format_size(report.size)}",
             "file bytes": f"largest file {format_size(largest[1])}",
             "files": f"{len(files):,} files"}
    for limit in LIMITS:
        over = measured[limit.what] > limit.value
        state = ("error" if limit.error else "warn") if over else "ok"
        severity = "" if limit.error else " [warning only]"
        report.limits.append(f"{state:<5} {shown[limit.what]}: {limit.describe()}{severity}")
        if not over:
            continue
        problems = report.errors if limit.error else report.warnings
        if limit.what == "file bytes":
            problems += [Problem(f"{report.output}/{rel}", 0,
                                 f"is {format_size(size)}: {limit.describe()}")
                         for rel, size in sorted(files.items()) if size > limit.value]
        else:
            problems.append(Problem(report.output, 0,
                                    f"has {shown[limit.what]}: {limit.describe()}"))


def _label(output: Path) -> str:
    try:
        return str(output.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(output)


def _base_hint(checker: _Checker) -> list[Problem]:
    """When most links are broken, the base URL is the likely culprit: say so first."""
    broken = sum(len(places) for places in checker.broken.values())
    if checker.report.refs < 10 or broken * 2 < checker.report.refs:
        return []
    return [Problem(checker.label, 0, f"{broken:,} of {checker.report.refs:,} internal links "
                                      f"are broken: was the site built for another base URL "
                                      f"than {checker.report.base_url}?")]


def check_site(output: Path, config: Config) -> CheckReport:
    """Check the built site in ``output`` as served from ``config.base_url``."""
    report = CheckReport(_label(output), config.base_url)
    files, dirs = _walk(output)
    report.files, report.size = len(files), sum(files.values())
    report.errors += [Problem(report.output, 0, message) for message in bad_names(files)]
    report.warnings += [Problem(report.output, 0, message) for message in case_collisions(files)]
    if "index.html" not in files:
        report.errors.append(Problem(report.output, 0, "has no index.html (the home page)"))
    locs, problems = read_sitemap(files, lambda rel: (output / rel).read_bytes(), report.output)
    if SITEMAP not in files:
        problems = [_missing_sitemap(report.output, config)]
    report.errors += problems
    checker = _Checker(config, report, files, dirs)
    for rel, scan in _scans(output, files):
        checker.page(rel, scan)
    report.errors[:0] = _base_hint(checker)
    checker.report_broken()
    checker.check_fragments()
    if not problems:
        _check_sitemap(checker, locs)
    _check_limits(report, files)
    tags = papers_json_report(output / "papers.json")
    report.tags = tags.lines() if tags is not None else []
    return report


def site_config(site_root: Path, overrides: dict[str, Any]) -> tuple[Config, str]:
    """The configuration to check with, and where its base URL came from.

    The base URL given to ``sitegen build --base-url`` is not in ``sitegen.toml``,
    so unless one is given here it is read off the built ``sitemap.xml``.
    """
    config = load_config(site_root, overrides)
    output = config.output_path
    configured = "sitegen.toml" if config.source else "the default"
    if overrides.get("base_url"):
        return config, "the command line"
    if not (output / SITEMAP).is_file():
        return config, configured
    files, _ = _walk(output)
    locs, problems = read_sitemap(files, lambda rel: (output / rel).read_bytes(), "")
    guessed = guess_base_url(locs, files) if not problems else None
    if guessed and guessed != config.base_url:
        return replace(config, base_url=guessed), SITEMAP
    return config, configured


def _print(report: CheckReport, base_from: str) -> None:
    print(visible(f"checking {report.output}/ as served from {report.base_url} "
                  f"(from {base_from})"))
    print("host limits:")
    for line in report.limits:
        print(f"  {line}")
    if report.tags:
        print("tags (see docs/tags.md to tune the keyword rules):")
        for line in report.tags:
            print(f"  {line}")
    for problem in report.warnings[:MAX_SHOWN]:
        print(str(Problem(problem.path, problem.line, f"warning: {problem.message}")),
              file=sys.stderr)
    if len(report.warnings) > MAX_SHOWN:
        print(f"... and {len(report.warnings) - MAX_SHOWN:,} more warnings", file=sys.stderr)


def run_check(site_root: Path, overrides: dict[str, Any]) -> int:
    """Run ``sitegen check``: print the report; raise :class:`CheckError` on problems."""
    config, base_from = site_config(site_root, overrides)
    output = config.output_path
    if not output.is_dir():
        raise CheckError(Problem(_label(output), 0, "no built site here; run 'sitegen build' "
                                                    "first (or give --output DIR)"))
    report = check_site(output, config)
    _print(report, base_from)
    if report.errors:
        shown = report.errors[:MAX_SHOWN]
        if len(report.errors) > MAX_SHOWN:
            shown.append(Problem("", 0, f"... and {len(report.errors) - MAX_SHOWN:,} more "
                                        "problems"))
        raise CheckError(*shown, Problem("", 0, report.summary()))
    if config.strict and report.warnings:
        raise CheckError(Problem("", 0, f"{report.summary()}; strict turns warnings into "
                                        "errors"))
    print(report.summary())
    return 0
