"""The theme of a build: where its templates and static files are, and their hashes.

Read once per build, before anything else: the hashes go into the key that
decides whether anything changed (so a no-op build reads the theme but loads
no template engine), static files' hashes into their URLs, and the folders
into the :class:`~sitegen.render.Renderer`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sitegen.config import Config
from sitegen.errors import ConfigError, Problem

PACKAGE_DIR = Path(__file__).resolve().parent


def theme_dir(config: Config) -> Path:
    """The theme folder: the site's ``themes/NAME``, a path, or one shipped with sitegen."""
    candidates = [config.root / "themes" / config.theme, config.root / config.theme,
                  PACKAGE_DIR / "themes" / config.theme,
                  PACKAGE_DIR.parent / "themes" / config.theme]
    for path in candidates:
        if (path / "templates").is_dir():
            return path.resolve()
    raise ConfigError(Problem(config.source or "sitegen.toml", 0,
                              f"Config value 'theme': no theme named {config.theme!r} "
                              "(looked in themes/ of the site and of sitegen)"))


@dataclass(frozen=True)
class Theme:
    """What a build uses of its theme, read once: folders and content hashes."""

    folder: Path
    template_dirs: tuple[Path, ...]  # the site's templates/ first, then the theme's
    static: Mapping[str, str]  # theme static file (relative path) -> short content hash
    templates: str  # a hash of every template file
    rules: Path | None  # the theme's keyword rules for tags (tag_rules.toml)


def load_theme(config: Config) -> Theme:
    """Find and hash the theme (see :func:`theme_dir`); a template edit changes ``templates``,
    so every page is rendered again, and a static file's hash busts browser caches."""
    folder = theme_dir(config)
    template_dirs = (config.root / "templates", folder / "templates")
    static: dict[str, str] = {}
    if (folder / "static").is_dir():
        for path in sorted((folder / "static").rglob("*")):
            if path.is_file():
                static[path.relative_to(folder / "static").as_posix()] = hashlib.sha1(
                    path.read_bytes(), usedforsecurity=False).hexdigest()[:10]
    digest = hashlib.sha1(usedforsecurity=False)
    for templates in template_dirs:
        if templates.is_dir():
            for path in sorted(templates.rglob("*")):
                if path.is_file():
                    digest.update(str(path.relative_to(templates)).encode())
                    digest.update(path.read_bytes())
    rules = folder / "tag_rules.toml"
    return Theme(folder, template_dirs, static, digest.hexdigest(),
                 rules if rules.is_file() else None)
