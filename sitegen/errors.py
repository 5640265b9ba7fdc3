"""The few exception types sitegen raises for user mistakes.

Every user-facing problem is a :class:`Problem` (``path:line: message``); an
error carries one or more of them so that all problems are reported at once.
The CLI prints them, one per line, and exits with code 1; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One located message: a file (may be empty), a 1-based line (0 = none)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        if self.path and self.line:
            return f"{self.path}:{self.line}: {self.message}"
        if self.path:
            return f"{self.path}: {self.message}"
        return self.message


class SitegenError(Exception):
    """Base class: a user-facing failure made of one or more problems."""

    def __init__(self, *problems: Problem | str) -> None:
        self.problems = [p if isinstance(p, Problem) else Problem("", 0, p) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(SitegenError):
    """``sitegen.toml`` or a command-line option is wrong."""


class ContentError(SitegenError):
    """One or more content files are invalid."""


class InputError(SitegenError):
    """An input to ``sitegen import`` cannot be read at all."""


class BuildError(SitegenError):
    """Rendering or writing the site failed (template error, refused output)."""


class StrictError(SitegenError):
    """Warnings were raised and ``--strict`` turns them into a failure."""


class CheckError(SitegenError):
    """The built site has problems (``sitegen check`` failed)."""


class InitError(SitegenError):
    """``sitegen init`` cannot create the site (files in the way)."""


class WorkerError(BuildError):
    """A forked worker died (killed, out of memory) before it finished its share."""
