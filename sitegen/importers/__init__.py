"""Importers: turn listings, API responses and bibliographies into content files.

Each format module offers ``looks_like(text) -> bool`` and
``parse(text, label) -> Parsed``; :func:`formats` lists them in detection order
(JSON APIs, XML feeds, RIS, BibTeX, saved Hugging Face pages, then ``listing``;
see :mod:`sitegen.importers.extra_formats`).
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
    return extra_formats.formats(listed) + found


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
    return decode_input(data, label), label


def decode_input(data: bytes, label: str) -> str:
    """The text of one input's bytes, held to :data:`MAX_INPUT_BYTES`; refused when empty,
    binary or not UTF-8 (an :class:`InputError` naming ``label``)."""
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
    return text


def parse_input(data: str | bytes, label: str, fmt_name: str | None = None,
                listed: date | None = None) -> Parsed:
    """The papers of one input given as text or bytes (a download, a saved answer), in the
    format ``fmt_name`` or the one recognised from its content; nothing is written.

    For callers that fetch inputs themselves: every format's parser, one entry point.
    """
    text = decode_input(data, label) if isinstance(data, bytes) else data
    if len(text) > MAX_INPUT_BYTES:
        raise InputError(Problem(label, 0, _TOO_LARGE))
    return detect(text, label, fmt_name, listed).parse(text, label)


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
               listed: date | None = None, strict: bool = False,
               folders: list[str] | tuple[str, ...] = ()) -> Report:
    """Import every (text, label) input, and every generator content folder of ``folders``,
    into ``<content_dir>/papers`` (``content_dir`` from ``sitegen.toml``, default
    ``content``), matching against every file under ``content_dir``; nothing is written
    when ``strict`` and there are warnings."""
    from sitegen.config import load_config

    content = load_config(site_root).content_path
    library = Library(site_root, content / "papers", content)
    accepted = 0
    for text, label in inputs:
        fmt = detect(text, label, fmt_name, listed)
        accepted += _add(library, fmt.parse(text, label), label, listed)
    for folder in folders:
        accepted += _add(library, _read_folder(folder, content, fmt_name), folder, listed)
    writes = library.plan()
    report = library.report
    if strict and report.warnings:
        raise StrictError(*report.warnings, "import stopped: --strict turns these warnings into "
                                            "errors; nothing was written")
    if not accepted:
        names = ", ".join([label for _, label in inputs] + list(folders))
        raise InputError(*report.warnings, f"nothing imported: no paper could be read from "
                                           f"{names}")
    write_all(writes)
    return report


def _add(library: Library, parsed: Parsed, label: str, listed: date | None) -> int:
    """Add the papers of one input to ``library``; how many were accepted."""
    library.report.warnings.extend(parsed.warnings)
    library.report.warnings.extend(duplicates(parsed.papers, label))
    if not parsed.papers and not parsed.warnings:  # never skipped without a word
        library.report.warnings.append(Problem(label, 0, "no paper found in this input"))
    accepted = 0
    for paper in parsed.papers:
        if listed is not None:
            paper.listed = listed
            paper.source = [replace(src, listed=listed) for src in paper.source]
        library.report.warnings.extend(scrub(paper, label))
        accepted += library.add(paper, label)
    return accepted


def _read_folder(folder: str, content: Path, fmt_name: str | None) -> Parsed:
    """The papers of another generator's content folder (see :mod:`.generators`)."""
    from sitegen.importers.generators import read_folder

    if fmt_name:
        raise InputError(Problem(folder, 0, "is a folder: --format names the format of a file "
                                            "and does not apply to it"))
    root = Path(folder).resolve()
    own = content.resolve()
    if root == own or own in root.parents or root in own.parents:
        raise InputError(Problem(folder, 0, "is this site's own content (or holds it); "
                                            "sitegen imports another generator's folder"))
    return read_folder(root, folder)
