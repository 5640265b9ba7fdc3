"""Checks a build makes on its inputs as a whole, before anything is written.

Each catches a mistake that would otherwise publish a wrong site without a
word: a content folder that is missing or empty (a typo in ``content_dir``
replaces the published site with an empty one), a static file that the build
would overwrite or that takes a name sitegen uses for its own bookkeeping, and
two tag spellings that end up on one page.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sitegen.cache import BuildCache
from sitegen.config import CONFIG_NAME, Config
from sitegen.errors import BuildError, ConfigError, ContentError, Problem
from sitegen.publish import JOURNAL, MARKER, SEARCH_DIR

if TYPE_CHECKING:
    from sitegen.model import Paper
    from sitegen.views import PaperView

#: File names sitegen keeps for itself in an output folder (and its staging folder).
OWN_NAMES = frozenset({MARKER, JOURNAL, JOURNAL + ".tmp"})
EMPTY_HINT = "pass --allow-empty to publish a site without papers"


def check_content_folder(config: Config) -> None:
    """Refuse a content folder that is missing or is not a folder (a typo in content_dir)."""
    folder = config.content_path
    where = Problem(CONFIG_NAME, 0, "")
    try:
        mode = folder.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(Problem(where.path, 0, f"Config value 'content_dir': the content "
                                  f"folder {config.content_dir!r} does not exist; create "
                                  "it or correct content_dir")) from None
    except OSError as exc:
        raise ConfigError(Problem(where.path, 0, f"Config value 'content_dir': cannot read "
                                  f"{config.content_dir!r}: {exc.strerror}")) from None
    if not stat.S_ISDIR(mode):
        raise ConfigError(Problem(where.path, 0, f"Config value 'content_dir': "
                                  f"{config.content_dir!r} is not a folder"))
    if not os.access(folder, os.R_OK | os.X_OK):
        raise ConfigError(Problem(where.path, 0, f"Config value 'content_dir': "
                                  f"{config.content_dir!r} cannot be read (permission "
                                  "denied)"))


def recorded_papers(cache: BuildCache) -> int:
    """How many paper pages the last build published, from its record."""
    return sum(1 for path in cache.keys
               if path.startswith("papers/") and path.endswith("/index.html"))


def check_not_emptied(config: Config, files: Sequence[object], cache_dir: Path) -> None:
    """Refuse to publish no papers where the last build had some, unless allowed."""
    if files or config.allow_empty:
        return
    before = recorded_papers(BuildCache.load(cache_dir))
    if before:
        raise ContentError(Problem(str(config.content_dir), 0, (
            f"no papers found, but the last build published {before}; the previous site "
            f"was kept (is content_dir right?); {EMPTY_HINT}")))


def check_static(static: Iterable[str], generated: Iterable[str], search: bool) -> None:
    """Refuse static files that the build would overwrite or that use sitegen's own names.

    ``static`` are the output paths of the site's own ``static/`` files,
    ``generated`` every other output path.
    """
    made = set(generated)
    problems = []
    for rel in sorted(static):
        name = rel.rsplit("/", 1)[-1]
        where = f"static/{rel}"
        if rel in made:
            problems.append(Problem(where, 0, f"would overwrite the generated {rel}; rename "
                                              "or move the static file"))
        elif search and (rel == SEARCH_DIR or rel.startswith(SEARCH_DIR + "/")):
            problems.append(Problem(where, 0, f"would be overwritten by the search index in "
                                              f"{SEARCH_DIR}/; move it, or set search = false"))
        elif name in OWN_NAMES:
            problems.append(Problem(where, 0, f"{name} is a name sitegen keeps for its own "
                                              "bookkeeping; rename the static file"))
    if problems:
        raise BuildError(*problems)


def tag_collisions(tagged: Iterable[tuple[str, Sequence[str]]],
                   slug_of: dict[str, str]) -> list[Problem]:
    """A warning for each tag spelling that shares its page with another spelling.

    ``tagged`` is each content file with its tag names, ``slug_of`` each name's
    slug. ``C++`` and ``cpp`` both become ``tags/cpp/``: they are shown as one
    tag, which is rarely what both files meant.
    """
    first: dict[str, dict[str, str]] = {}  # slug -> name -> the first file using it
    for label, names in tagged:
        for name in names:
            first.setdefault(slug_of[name], {}).setdefault(name, label)
    warnings = []
    for slug, spellings in sorted(first.items()):
        if len(spellings) < 2:
            continue
        spelled = sorted(spellings.items())
        shown = ", ".join(f"{name!r} ({label})" for name, label in spelled)
        warnings.append(Problem(spelled[0][1], 0, f"tags {shown} share the page tags/{slug}/ "
                                                  f"and are shown as one tag, "
                                                  f"{spelled[0][0]!r}; use one spelling"))
    return warnings


def view_tag_collisions(papers: Sequence[Paper], labels: Sequence[str],
                        views: Sequence[PaperView]) -> list[Problem]:
    """:func:`tag_collisions` over the papers of a build (``labels``: their content files)."""
    from sitegen.taxonomy import tag_slug

    label_of = {id(paper): label for paper, label in zip(papers, labels, strict=True)}
    tagged = [(label_of.get(id(view.paper), view.path), view.derived.tags) for view in views]
    return tag_collisions(tagged, {name: tag_slug(name) for _, names in tagged for name in names})
