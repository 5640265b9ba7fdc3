"""The checks every path option and every URL option of ``sitegen.toml`` goes through.

One layer per class of value, so that a new option of that kind is checked
the same way as the old ones:

- a path is text without control characters; ``~`` is expanded as a shell
  would; it is resolved through every symbolic link *before* it is compared
  with the folders it must stay away from (the file system's root, the home
  folder, the site folder, the folders sitegen reads from), so a link cannot
  carry a build into the home folder;
- a URL is an absolute ``http(s)`` URL with a host, a protocol-relative
  ``//host/path/``, or a path starting with ``/``, and holds nothing that could
  end an HTML attribute or a line (quotes, ``<``, ``>``, whitespace, controls).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from urllib.parse import urlsplit

# What a URL or path must not hold: controls, whitespace, quotes and markup brackets.
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\"'<>`\\\u2028\u2029\ufeff]")
_PATH_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: Folders of the site that sitegen reads from; an output folder must not overlap them.
SOURCE_FOLDERS = ("templates", "static", "themes")


def url_problem(value: str) -> str | None:
    """Why ``value`` is not an acceptable site URL, or None.

    Accepted: ``https://host/path/``, ``http://host/path/``, ``//host/path/``
    (protocol-relative: pages link by path; files that need a full URL use
    https) and ``/path/``.
    """
    bad = _URL_UNSAFE.search(value)
    if bad:
        return (f"must not contain whitespace, quotes, '<', '>', a backslash or control "
                f"characters (found {bad.group()!r}), got {value!r}")
    parts = urlsplit(value)
    relative_scheme = value.startswith("//")
    absolute = (parts.scheme in ("http", "https") or relative_scheme) and parts.netloc
    if relative_scheme and not parts.netloc:  # '//' or '///x': links would name a host
        return f"must name a host after '//', got {value!r}"
    if not absolute and (parts.scheme or parts.netloc or not value.startswith("/")):
        return (f"must be an http(s) URL, a protocol-relative //host/path/ or a path "
                f"starting with '/', got {value!r}")
    if parts.query or parts.fragment:
        return f"must not have a query or fragment, got {value!r}"
    if parts.netloc:
        try:
            parts.port  # noqa: B018 - raises on a port that is no number or out of range
        except ValueError:
            return f"has an invalid port, got {value!r}"
        if not parts.hostname or parts.username is not None:
            return f"must name a host (and no user), got {value!r}"
    return None


def path_problem(value: str) -> str | None:
    """Why ``value`` cannot be a path option at all (before it is resolved), or None."""
    if not value.strip():
        return "must not be empty"
    bad = _PATH_UNSAFE.search(value)
    if bad:
        return f"must not contain control characters (found {bad.group()!r}), got {value!r}"
    if value.startswith("~") and os.path.expanduser(value).startswith("~"):
        return f"names the home folder of an unknown user, got {value!r}"
    return None


def file_kind(mode: int) -> str:
    """What a file that is not a regular one is, in words ('' for a regular file)."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "" if stat.S_ISREG(mode) else "not a regular file"


def expanded(value: str) -> Path:
    """The path as written, with a leading ``~`` expanded (as a shell would)."""
    return Path(os.path.expanduser(value))


def resolved(root: Path, value: str) -> Path:
    """The real path of option ``value`` (relative to ``root``), every link followed."""
    return Path(os.path.realpath(root / expanded(value)))


def _within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def output_problem(root: Path, value: str, sources: list[Path]) -> str | None:
    """Why ``value`` must not be the output folder of the site at ``root``, or None.

    The output folder is replaced wholesale by every build, so it must not be
    (or hold) anything a person keeps: the checks run on the real path.
    """
    given = root / expanded(value)
    if given.is_symlink():
        return (f"refusing {value!r} as the output folder: it is a symbolic link (to "
                f"{os.readlink(given)!r}); give the real folder")
    target = Path(os.path.realpath(given))
    reason = _overlap(root, target, sources)
    if reason is None:
        return None
    shown = repr(value) if str(target) == value else f"{value!r} (really {str(target)!r})"
    return f"refusing {shown} as the output folder: it {reason}"


def _overlap(root: Path, target: Path, sources: list[Path]) -> str | None:
    if target == Path(target.anchor):
        return "is the root of the file system"
    if _within(Path(os.path.realpath(Path.home())), target):
        return "is the home folder or one of its parents"
    if _within(Path(os.path.realpath(root)), target):
        return "is the site folder or one of its parents"
    for source in sources:
        real = Path(os.path.realpath(source))
        if _within(target, real) or _within(real, target):
            return f"overlaps {source.name}/, which sitegen reads from"
    return None
