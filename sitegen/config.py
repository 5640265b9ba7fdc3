"""The site configuration: ``sitegen.toml``, typed, with errors that name the key.

A site without ``sitegen.toml`` builds with the defaults below. Command-line
flags override the file (see :func:`load_config`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sitegen.errors import ConfigError, Problem

CONFIG_NAME = "sitegen.toml"
# The options that each switch off one optional output (all on by default).
OPTIONAL_OUTPUTS = ("feeds", "top_pages", "archive", "bib_files", "papers_json")


@dataclass(frozen=True)
class Config:
    """Every option of ``sitegen.toml``; ``sitegen init`` writes them all, commented."""

    title: str = "Papers"
    description: str = "A list of research papers."
    base_url: str = "/"
    language: str = "en"
    author: str = ""
    theme: str = "default"
    per_page: int = 25
    output_dir: str = "public"
    content_dir: str = "content"
    feed_size: int = 50
    auto_tags: bool = True
    tag_rules: dict[str, list[str]] | None = None
    cname: str = ""
    search: bool = True
    # Optional outputs, each on by default: a site may leave out what it has no use for.
    feeds: bool = True
    top_pages: bool = True
    archive: bool = True
    bib_files: bool = True
    papers_json: bool = True
    math: bool = True
    build_timestamp: bool = False
    strict: bool = False
    # Set by load_config: where the site lives and where the values came from.
    root: Path = field(default=Path("."), compare=False)
    source: str = field(default="", compare=False)

    @cached_property
    def base_path(self) -> str:
        """The path part of the base URL, always with leading and trailing slashes."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    @cached_property
    def absolute_base(self) -> str | None:
        """The base URL when it includes scheme and host (needed for feeds and sitemaps)."""
        parts = urlsplit(self.base_url)
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}{self.base_path}"
        return None

    def absolute(self, path: str) -> str:
        """An absolute URL for a site path such as ``papers/x/`` (host-relative without a host)."""
        base = self.absolute_base or self.base_path
        return base + path.lstrip("/")

    @property
    def output_path(self) -> Path:
        return (self.root / self.output_dir).resolve() if not Path(self.output_dir).is_absolute() \
            else Path(self.output_dir)

    @property
    def content_path(self) -> Path:
        return self.root / self.content_dir


_TYPES: dict[str, type] = {
    "title": str, "description": str, "base_url": str, "language": str, "author": str,
    "theme": str, "per_page": int, "output_dir": str, "content_dir": str, "feed_size": int,
    "auto_tags": bool, "tag_rules": dict, "cname": str, "search": bool, "feeds": bool,
    "top_pages": bool, "archive": bool, "bib_files": bool, "papers_json": bool, "math": bool,
    "build_timestamp": bool, "strict": bool,
}
_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false", dict: "a table"}


def _key_line(text: str, key: str) -> int:
    """The line of ``key = ...`` (or ``[key]``) in the TOML text, or 0."""
    pattern = re.compile(rf"^\s*(?:{re.escape(key)}\s*=|\[\s*{re.escape(key)}\s*\])")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return 0


def check_value(key: str, value: Any) -> str | None:
    """Why ``value`` is not acceptable for option ``key``, or None."""
    expected = _TYPES[key]
    if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
        return f"expected {_TYPE_NAMES[int]}, got {value!r}"
    matches = isinstance(value, expected)  # kept apart so mypy does not narrow ``value``
    if not matches:
        return f"expected {_TYPE_NAMES[expected]}, got {value!r}"
    if key in ("per_page", "feed_size") and value < 1:
        return f"must be at least 1, got {value}"
    if key == "base_url":
        parts = urlsplit(value)
        if parts.scheme not in ("", "http", "https") or (parts.scheme and not parts.netloc):
            return f"must be an http(s) URL or a path starting with '/', got {value!r}"
        if not parts.scheme and not value.startswith("/"):
            return f"must be an http(s) URL or a path starting with '/', got {value!r}"
        if parts.query or parts.fragment:
            return f"must not have a query or fragment, got {value!r}"
    if key == "tag_rules":
        for tag, words in value.items():
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                return f"tag {tag!r}: expected a list of words or phrases"
    if key == "language" and not re.fullmatch(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*", value):
        # It names files of the search index too, so it must not hold '/' or '..'.
        return f"expected a language tag such as en or pt-BR, got {value!r}"
    if key == "cname" and value and not re.fullmatch(r"[A-Za-z0-9.-]+", value):
        return f"expected a host name such as papers.example.org, got {value!r}"
    return None


def _from_mapping(data: dict[str, Any], label: str, text: str) -> dict[str, Any]:
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key, value in data.items():
        line = _key_line(text, key)
        if key not in _TYPES:
            known = ", ".join(sorted(_TYPES))
            problems.append(Problem(label, line, f"unknown key '{key}' (known keys: {known})"))
            continue
        reason = check_value(key, value)
        if reason:
            problems.append(Problem(label, line, f"Config value '{key}': {reason}"))
            continue
        values[key] = value
    if problems:
        raise ConfigError(*problems)
    return values


def load_config(site_root: Path, overrides: dict[str, Any] | None = None) -> Config:
    """Read ``sitegen.toml`` under ``site_root`` (if any) and apply command-line overrides."""
    path = site_root / CONFIG_NAME
    values: dict[str, Any] = {}
    source = text = ""
    if path.is_file():
        source = CONFIG_NAME
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
            data = tomllib.loads(text)
        except UnicodeDecodeError as exc:
            line = raw[:exc.start].count(b"\n") + 1
            raise ConfigError(Problem(CONFIG_NAME, line, f"is not UTF-8 text (byte "
                                      f"0x{raw[exc.start]:02x}); save it as UTF-8")) from None
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            line = int(match.group(1)) if match else 0
            reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
            raise ConfigError(Problem(CONFIG_NAME, line, f"invalid TOML: {reason}")) from None
        values = _from_mapping(data, CONFIG_NAME, text)
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        problem = check_value(key, value)
        if problem:
            raise ConfigError(f"option --{key.replace('_', '-')}: {problem}")
        values[key] = value
    config = Config(root=site_root, source=source, **values)
    content = config.content_path.resolve()
    if site_root.resolve() not in content.parents:
        raise ConfigError(Problem(source or CONFIG_NAME, _key_line(text, "content_dir")
                                  if source else 0,
                                  f"Config value 'content_dir': {config.content_dir!r} is "
                                  "not a folder inside the site"))
    if not config.base_url.endswith("/"):
        config = replace(config, base_url=config.base_url + "/")
    return config


def option_names() -> list[str]:
    """All option names, in declaration order (for docs and ``sitegen init``)."""
    return [f.name for f in fields(Config) if f.name in _TYPES]
