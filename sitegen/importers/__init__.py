"""Importers: turn listings, API responses and bibliographies into content files.

Each format module offers ``looks_like(text) -> bool`` and
``parse(text, label) -> Parsed``; :func:`formats` lists them in detection order
(``arxiv-jsonl``, ``hf-api``, ``arxiv-atom``, ``bibtex``, then ``listing``).
Every input is parsed before anything is written, so a failure leaves the
site as it was.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from sitegen.errors import InputError, Problem, StrictError
from sitegen.frontmatter import decode
from sitegen.importers import listing
from sitegen.importers.base import Parsed
from sitegen.importers.library import Library, Report, write_all


@dataclass(frozen=True)
class Format:
    """One input format: its name, how to recognise it and how to parse it."""

    name: str
    looks_like: Callable[[str], bool]
    parse: Callable[[str, str], Parsed]


def _listing_parse(listed: date | None) -> Callable[[str, str], Parsed]:
    return lambda text, label: listing.parse_listing(text, label, listed)


def formats(listed: date | None = None) -> list[Format]:
    """Every known format, most specific first."""
    found = [Format("listing", listing.looks_like_listing, _listing_parse(listed))]
    try:
        from sitegen.importers import extra_formats
    except ModuleNotFoundError as exc:  # pragma: no cover - the module is optional
        if exc.name != "sitegen.importers.extra_formats":
            raise
        return found
    return extra_formats.formats() + found


def read_input(path: str) -> tuple[str, str]:
    """The decoded text of ``path`` (``-`` for standard input) and the label for messages."""
    if path == "-":
        data, label = sys.stdin.buffer.read(), "<stdin>"
    else:
        label = path
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise InputError(Problem(label, 0, "no such file")) from None
        except IsADirectoryError:
            raise InputError(Problem(label, 0, "is a folder, not a file")) from None
        except OSError as exc:
            raise InputError(Problem(label, 0, f"cannot be read: {exc.strerror}")) from None
    if not data.strip():
        raise InputError(Problem(label, 0, "is empty; nothing to import"))
    text, problem = decode(data, label)
    if text is None or problem:  # decode gives text or a problem, never both or neither
        found = problem or Problem(label, 0, "cannot be decoded as text")
        message = found.message.replace("this is not a text file",
                                        "this looks like a binary file")
        raise InputError(Problem(label, found.line, message))
    return text, label


def detect(text: str, label: str, name: str | None, listed: date | None) -> Format:
    """The format named by ``--format``, or the first whose ``looks_like`` accepts the text."""
    known = formats(listed)
    if name:
        for fmt in known:
            if fmt.name == name:
                return fmt
        raise InputError(f"--format {name!r} is not one of: {', '.join(f.name for f in known)}")
    for fmt in known:
        if fmt.looks_like(text):
            return fmt
    raise InputError(Problem(label, 0, "is in no format sitegen can import (known: "
                                       f"{', '.join(f.name for f in known)}); "
                                       "name one with --format"))


def run_import(site_root: Path, inputs: list[tuple[str, str]], fmt_name: str | None = None,
               listed: date | None = None, strict: bool = False) -> Report:
    """Import every (text, label) input into ``<content_dir>/papers`` (``content_dir`` from
    ``sitegen.toml``, default ``content``), matching against every file under
    ``content_dir``; nothing is written when ``strict`` and there are warnings."""
    from sitegen.config import load_config

    content = load_config(site_root).content_path
    library = Library(site_root, content / "papers", content)
    for text, label in inputs:
        fmt = detect(text, label, fmt_name, listed)
        parsed = fmt.parse(text, label)
        library.report.warnings.extend(parsed.warnings)
        for paper in parsed.papers:
            if listed is not None:
                paper.listed = listed
                paper.source = [replace(src, listed=listed) for src in paper.source]
            library.add(paper, label)
    writes = library.plan()
    report = library.report
    if strict and report.warnings:
        raise StrictError(*report.warnings, "import stopped: --strict turns these warnings into "
                                            "errors; nothing was written")
    write_all(writes)
    return report
