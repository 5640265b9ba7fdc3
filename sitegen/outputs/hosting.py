"""Files and limits of static hosts: what the build adds for them, what they refuse.

The build writes :func:`host_files` next to the site so that GitHub Pages serves
it as built (``.nojekyll``: no Jekyll pass that would drop ``_``-prefixed
files) under a custom domain when ``cname`` is set. ``sitegen check`` uses
:func:`check_names` and :data:`LIMITS` to catch what a host would refuse.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Protocol

#: A file or folder name longer than this (in UTF-8 bytes) cannot be stored by
#: common file systems (ext4, APFS, NTFS) nor unpacked from a host's archive.
MAX_NAME_BYTES = 255


class _HostConfig(Protocol):
    @property
    def cname(self) -> str: ...


def host_files(config: _HostConfig) -> dict[str, bytes]:
    """Extra top-level files for static hosts, by name.

    ``.nojekyll`` stops GitHub Pages from running Jekyll over the output, which
    would hide files and folders starting with ``_``; ``CNAME`` tells GitHub
    Pages the custom domain (``config.cname``) to serve the site on.
    """
    files = {".nojekyll": b""}
    if config.cname:
        files["CNAME"] = config.cname.strip().encode("ascii") + b"\n"
    return files


@dataclass(frozen=True)
class Limit:
    """One documented host limit; ``error`` limits fail ``sitegen check``, others warn."""

    host: str
    what: str  # what is measured: "site bytes", "file bytes" or "files"
    value: int
    error: bool
    rule: str  # the limit in words
    source: str  # where the host documents it

    def describe(self) -> str:
        """The limit in words, with where it is documented."""
        return f"{self.host}: {self.rule} ({self.source})"


GITHUB_PAGES_LIMITS_URL = (
    "https://docs.github.com/en/pages/getting-started-with-github-pages/github-pages-limits")
GITHUB_LARGE_FILES_URL = ("https://docs.github.com/en/repositories/working-with-files/"
                          "managing-large-files/about-large-files-on-github")
CLOUDFLARE_PAGES_LIMITS_URL = "https://developers.cloudflare.com/pages/platform/limits/"

MIB = 1024 * 1024

#: Host limits checked by ``sitegen check``. GitHub Pages is the default target,
#: so its limits are errors; other hosts' limits are warnings.
LIMITS: tuple[Limit, ...] = (
    # "Published GitHub Pages sites may be no larger than 1 GB" (taken as 10**9 bytes).
    Limit("GitHub Pages", "site bytes", 1_000_000_000, True,
          "a published site may be at most 1 GB", GITHUB_PAGES_LIMITS_URL),
    # GitHub blocks files larger than 100 MiB and warns about files larger than 50 MiB.
    Limit("GitHub", "file bytes", 100 * MIB, True,
          "a file may be at most 100 MiB", GITHUB_LARGE_FILES_URL),
    Limit("GitHub", "file bytes", 50 * MIB, False,
          "warns about files larger than 50 MiB", GITHUB_LARGE_FILES_URL),
    # Cloudflare Pages: one asset may be at most 25 MiB; 20,000 files per site (free plan).
    Limit("Cloudflare Pages", "file bytes", 25 * MIB, False,
          "a file may be at most 25 MiB", CLOUDFLARE_PAGES_LIMITS_URL),
    Limit("Cloudflare Pages", "files", 20_000, False,
          "a site may have at most 20,000 files on the free plan", CLOUDFLARE_PAGES_LIMITS_URL),
)


def format_size(size: int) -> str:
    """A byte count for people: ``512 B``, ``1.5 kB``, ``25 MiB``, ``1 GB``."""
    if size >= 1_000_000_000 and size % 1_000_000_000 == 0:
        return f"{size // 1_000_000_000} GB"
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MiB"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def _name_problem(name: str) -> str | None:
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "has a control character in its name"
    if "\\" in name:
        return "has a backslash in its name (a folder separator on some hosts)"
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        return f"has a name longer than {MAX_NAME_BYTES} bytes"
    return None


def _parts(path: str | PurePath) -> tuple[str, ...]:
    if isinstance(path, PurePath):
        return path.parts
    return tuple(part for part in path.split("/") if part)


def bad_names(paths: Iterable[str | PurePath]) -> list[str]:
    """Names that hosts refuse outright (control characters, backslashes, too long)."""
    seen: set[tuple[str, ...]] = set()
    problems: list[str] = []
    for path in paths:
        parts = _parts(path)
        for depth in range(1, len(parts) + 1):
            prefix = parts[:depth]
            if prefix in seen:
                continue
            seen.add(prefix)
            reason = _name_problem(prefix[-1])
            if reason:
                problems.append(f"{'/'.join(prefix)!r} {reason}")
    return problems


def case_collisions(paths: Iterable[str | PurePath]) -> list[str]:
    """Files or folders whose names differ only by case.

    GitHub Pages serves them apart, but case-insensitive hosts and file systems
    (macOS, Windows, some object stores behind CDNs) keep only one of them.
    """
    first: dict[tuple[str, ...], tuple[str, ...]] = {}
    reported: set[tuple[str, ...]] = set()
    problems: list[str] = []
    for path in paths:
        parts = _parts(path)
        for depth in range(1, len(parts) + 1):
            prefix = parts[:depth]
            other = first.setdefault(tuple(part.casefold() for part in prefix), prefix)
            # Only the first folder that clashes is reported, not everything inside it.
            if other != prefix and other[:-1] == prefix[:-1] and prefix not in reported:
                reported.add(prefix)
                problems.append(f"{'/'.join(prefix)!r} differs only by case from "
                                f"{'/'.join(other)!r}")
    return problems


def check_names(paths: Iterable[str | PurePath]) -> list[str]:
    """Every problem with the names of ``paths`` (relative to the output folder).

    Names starting with ``_`` are fine: the build writes ``.nojekyll``.
    """
    paths = list(paths)
    return bad_names(paths) + case_collisions(paths)
