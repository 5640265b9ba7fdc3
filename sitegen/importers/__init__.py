"""Importers: turn listings, API responses and bibliographies into content files.

Each format module offers ``looks_like(text) -> bool`` and
``parse(text, label) -> Parsed``; :func:`formats` lists them in detection order
(``arxiv-jsonl``, ``hf-api``, ``arxiv-atom``, ``bibtex``, then ``listing``).
Every input is parsed before anything is written, so a failure leaves the
site as it was.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from sitegen.errors import InputError, Problem, StrictError
from sitegen.frontmatter import decode
from sitegen.importers import listing
from sitegen.importers.base import Parsed
from sitegen.importers.clean import scrub
from sitegen.importers.duplicates import duplicates
from sitegen.importers.library import Library, Report, write_all
from sitegen.importers.limits import MAX_INPUT_BYTES


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
    """The decoded text of ``path`` (``-`` for standard input) and the label for messages.

    At most :data:`MAX_INPUT_BYTES` are read, from a file or a pipe alike; anything but a
    regular file (a named pipe, a device such as ``/dev/zero``) is refused before it is read.
    """
    if path == "-":
        label = "<stdin>"
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1) if sys.stdin else b""
    else:
        label = path
        data = _read_file(path)
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(Problem(label, 0, _TOO_LARGE))
    if not data.strip():
        raise InputError(Problem(label, 0, "is empty; nothing to import"))
    text, problem = decode(data, label)
    if text is None or problem:  # decode gives text or a problem, never both or neither
        found = problem or Problem(label, 0, "cannot be decoded as text")
        message = found.message.replace("this is not a text file",
                                        "this looks like a binary file")
        raise InputError(Problem(label, found.line, message))
    return text, label


_TOO_LARGE = f"is larger than {MAX_INPUT_BYTES:,} bytes, the limit for one input; not imported"
_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def _read_file(path: str) -> bytes:
    """The bytes of the regular file at ``path``, one more than the limit at most.

    Opened without blocking, so that a named pipe nobody writes to is refused instead of
    waiting forever; its type is checked on the open file, not on the name.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(Problem(path, 0, "no such file")) from None
    except IsADirectoryError:
        raise InputError(Problem(path, 0, "is a folder, not a file")) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        reason = getattr(exc, "strerror", None) or "not a valid file name"
        raise InputError(Problem(path, 0, f"cannot be read: {reason}")) from None
    try:
        info = os.fstat(fd)
        problem = _not_a_file(info.st_mode)
        if problem:
            raise InputError(Problem(path, 0, problem))
        if info.st_size > MAX_INPUT_BYTES:
            raise InputError(Problem(path, 0, _TOO_LARGE))
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise InputError(Problem(path, 0, f"cannot be read: {exc.strerror}")) from None
    finally:
        os.close(fd)


def _not_a_file(mode: int) -> str | None:
    """Why a file of this mode cannot be imported, if it cannot."""
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    for test, kind in _KINDS:
        if test(mode):
            return (f"is {kind}, not a file; not read (to import a stream, give '-' and send "
                    "it to standard input)")
    return None


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
    accepted = 0
    for text, label in inputs:
        fmt = detect(text, label, fmt_name, listed)
        parsed = fmt.parse(text, label)
        library.report.warnings.extend(parsed.warnings)
        library.report.warnings.extend(duplicates(parsed.papers, label))
        if not parsed.papers and not parsed.warnings:  # never skipped without a word
            library.report.warnings.append(Problem(label, 0, "no paper found in this input"))
        for paper in parsed.papers:
            if listed is not None:
                paper.listed = listed
                paper.source = [replace(src, listed=listed) for src in paper.source]
            library.report.warnings.extend(scrub(paper, label))
            accepted += library.add(paper, label)
    writes = library.plan()
    report = library.report
    if strict and report.warnings:
        raise StrictError(*report.warnings, "import stopped: --strict turns these warnings into "
                                            "errors; nothing was written")
    if not accepted:
        names = ", ".join(label for _, label in inputs)
        raise InputError(*report.warnings, f"nothing imported: no paper could be read from "
                                           f"{names}")
    write_all(writes)
    return report
