"""The site configuration: ``sitegen.toml``, typed, with errors that name the key.

Every option is declared once, as a field of :class:`Config` made by
:func:`_option` (type from the annotation; default, help and bounds in its
metadata). :data:`OPTIONS` is read off those fields, and from it come the
loader's validation here, the commented ``sitegen.toml`` that ``sitegen init``
writes (:func:`sitegen.scaffold.config_text`) and the reference page
``docs/configuration.md`` (:mod:`sitegen.config_docs`); tests hold the three
equal. A folder without ``sitegen.toml`` is not a site: every command that
reads one refuses it. Command-line flags override the file (see
:func:`load_config`).
"""

from __future__ import annotations

import re
import shlex
import tomllib
import types
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

from sitegen.errors import ConfigError, Problem

CONFIG_NAME = "sitegen.toml"
CACHE_DIR = ".sitegen-cache"  # the build cache and the site lock, in the site root
DOCS_PAGE = "docs/configuration.md"
# The options that each switch off one optional output (all on by default).
OPTIONAL_OUTPUTS = ("feeds", "top_pages", "archive", "bib_files", "papers_json",
                    "social_cards")
KIND_NAMES = {str: "a string", int: "an integer", bool: "true or false", dict: "a table",
              list: "a list of strings"}


# Validators beyond the type: each says why a value is refused, or returns None.
def _base_url_problem(value: str) -> str | None:
    parts = urlsplit(value)
    absolute = parts.scheme in ("http", "https") and parts.netloc
    if not absolute and (parts.scheme or parts.netloc or not value.startswith("/")):
        return f"must be an http(s) URL or a path starting with '/', got {value!r}"
    if parts.query or parts.fragment:
        return f"must not have a query or fragment, got {value!r}"
    return None


def _language_problem(value: str) -> str | None:
    # It names files of the search index too, so it must not hold '/' or '..'.
    if re.fullmatch(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*", value):
        return None
    return f"expected a language tag such as en or pt-BR, got {value!r}"


def _cname_problem(value: str) -> str | None:
    if not value or re.fullmatch(r"[A-Za-z0-9.-]+", value):
        return None
    return f"expected a host name such as papers.example.org, got {value!r}"


def _tag_rules_problem(value: dict[str, Any]) -> str | None:
    for tag, words in value.items():
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            return f"tag {tag!r}: expected a list of words or phrases"
    return None


def _names_problem(value: list[Any]) -> str | None:
    if not all(isinstance(name, str) and name.strip() for name in value):
        return "expected a list of names such as [\"Ada Lovelace\"]"
    return None


@dataclass(frozen=True)
class Option:
    """One option of ``sitegen.toml``: what the loader, ``sitegen init`` and the docs say."""

    name: str
    kind: type  # str, int, bool or dict (a TOML table)
    default: Any
    help: str
    minimum: int | None = None
    maximum: int | None = None
    check: Callable[[Any], str | None] | None = None
    accepts: str = ""  # what ``check`` lets through, in words
    flag: str = ""  # the ``sitegen build`` flag that overrides it for one run
    example: tuple[str, ...] = ()  # TOML lines of an example (for a table)

    def allowed(self) -> str:
        """The values accepted, in words (for docs and ``sitegen.toml``)."""
        if self.minimum is not None and self.maximum is not None:
            return f"{KIND_NAMES[self.kind]} from {self.minimum} to {self.maximum}"
        return self.accepts or KIND_NAMES[self.kind]

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not acceptable for this option, or None."""
        if self.kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            return f"expected {KIND_NAMES[int]}, got {value!r}"
        # Kept apart so mypy does not narrow ``value``; a list is kept as a tuple.
        matches = isinstance(value, (list, tuple) if self.kind is list else self.kind)
        if not matches:
            return f"expected {KIND_NAMES[self.kind]}, got {value!r}"
        low, high = self.minimum, self.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            return f"must be from {low} to {high}, got {value}"
        return self.check(value) if self.check else None


def _option(default: Any, help: str, **spec: Any) -> Any:
    """A :class:`Config` field that is an option of ``sitegen.toml`` (see :class:`Option`)."""
    return field(default=default, metadata={"option": {"help": help, **spec}})


@dataclass(frozen=True)
class Config:
    """Every option of ``sitegen.toml`` (declared here, once), and where the site lives."""

    title: str = _option("Papers", "The site's name: page titles, the header and the feed.")
    description: str = _option(
        "A list of research papers.",
        "One sentence about the site, for the home page, the feed and search engines "
        "(Markdown links allowed).")
    base_url: str = _option(
        "/",
        "Where the site is served, as a full URL such as https://you.github.io/papers/. "
        "The sitemap, the feeds, canonical links and the pages' metadata need it: with a "
        "path only (such as /papers/) they are left out and the build warns. The GitHub "
        "Pages workflow passes the right URL with --base-url; 'sitegen serve' uses its "
        "own address.",
        check=_base_url_problem, flag="--base-url URL",
        accepts="an http(s) URL with a host (https://host/path/), or a path starting with /")
    language: str = _option("en", "The language of the pages, as an HTML lang code "
                                  "(en, de, pt-BR, ...).",
                            check=_language_problem, accepts="a language tag such as en or pt-BR")
    author: str = _option("", "Who keeps this list, shown on the pages and in the feed; "
                              "empty for nobody.")
    theme: str = _option("default", "The theme to render with: one shipped with sitegen or "
                                    "a folder in themes/. Override single templates in "
                                    "templates/.")
    per_page: int = _option(25, "How many papers a listing page shows before continuing on "
                                "the next one.", minimum=1, maximum=1000)
    output_dir: str = _option(
        "public", "Where 'sitegen build' writes the site, relative to this file. The GitHub "
                  "Pages workflow uploads public/: change it there too.", flag="--output DIR")
    content_dir: str = _option(
        "content", "Where the papers live (papers/*.md inside it, written by 'sitegen "
                   "import'); a folder inside the site.")
    feed_size: int = _option(50, "How many of the newest papers the feed holds.",
                             minimum=1, maximum=10000)
    auto_tags: bool = _option(True, "Tag papers by the words of the tag rules found in their "
                                    "title and abstract.")
    tag_rules: dict[str, list[str]] | None = _option(
        None, "The tag rules: tag name = list of words or phrases ('word*' matches any "
              "ending). Unset: the theme's tag_rules.toml.",
        check=_tag_rules_problem, accepts="a table of tag = [words or phrases]",
        example=('llm = ["large language model*", "LLM*"]',
                 'retrieval = ["retrieval", "search engine*"]'))
    cname: str = _option("", "A custom domain such as papers.example.org; the build writes it "
                             "to a CNAME file for GitHub Pages. Empty: no custom domain.",
                         check=_cname_problem, accepts="a host name, or empty")
    search: bool = _option(True, "Build a full-text search index and a search page.")
    # Optional outputs, each on by default: a site may leave out what it has no use for.
    feeds: bool = _option(True, "Write Atom feeds for the site and for each tag, and an RSS "
                                "feed (only with a full base_url).")
    top_pages: bool = _option(True, "Write top/: every paper ranked by upvotes, then comments.")
    archive: bool = _option(True, "Write archive/: a page per month and the list of months.")
    bib_files: bool = _option(True, "Write papers.bib with every entry and a .bib file beside "
                                    "each paper page (each paper page shows its BibTeX entry "
                                    "either way).")
    papers_json: bool = _option(True, "Write papers.json: every paper's metadata, for scripts "
                                      "and other sites.")
    related_papers: bool = _option(True, "Show each paper's five most similar papers (by the "
                                         "words of titles and abstracts) on its page; on "
                                         "100,000 papers this takes minutes whenever a text "
                                         "changes.")
    social_cards: bool = _option(True, "Draw a PNG card (title, authors, site name) for each "
                                       "paper without a thumbnail, for link previews "
                                       "(og:image).")
    math: bool = _option(True, "Render LaTeX math ($...$) in titles and abstracts.")
    build_timestamp: bool = _option(False, "Show the build date on the pages (off: rebuilding "
                                           "unchanged content gives identical files).")
    highlight_authors: list[str] = _option(  # kept as a tuple: a Config is frozen
        (), "Authors to emphasise on cards and pages (a lab's own people); names match as "
            "on author pages: case, accents and 'Last, First' order do not matter.",
        check=_names_problem)
    strict: bool = _option(False, "Treat warnings as errors in build and check.",
                           flag="--strict")
    # Set by load_config: where the site lives and where the values came from.
    root: Path = field(default=Path("."), compare=False)
    source: str = field(default="", compare=False)
    # What load_config found questionable but builds anyway (a build reports them).
    warnings: tuple[Problem, ...] = field(default=(), compare=False, repr=False)

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

    @property
    def writes_feeds(self) -> bool:
        """Feeds are written (and linked): switched on, and the base URL is absolute."""
        return self.feeds and self.absolute_base is not None

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


def _kind(annotation: Any) -> type:
    """``str``, ``int``, ``bool`` or ``dict`` for a field's annotation (``X | None`` is X)."""
    if isinstance(annotation, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    kind = get_origin(annotation) or annotation
    if kind not in KIND_NAMES:
        raise TypeError(f"no TOML kind for {annotation!r}")
    return kind


def _declared() -> tuple[Option, ...]:
    hints = get_type_hints(Config)
    return tuple(Option(f.name, _kind(hints[f.name]), f.default, **f.metadata["option"])
                 for f in fields(Config) if "option" in f.metadata)


#: Every option, in declaration order.
OPTIONS: tuple[Option, ...] = _declared()
_BY_NAME = {option.name: option for option in OPTIONS}


def option_names() -> list[str]:
    """All option names, in declaration order (for docs and ``sitegen init``)."""
    return [option.name for option in OPTIONS]


def check_value(key: str, value: Any) -> str | None:
    """Why ``value`` is not acceptable for option ``key``, or None."""
    return _BY_NAME[key].problem(value)


def no_site_message(site_root: Path) -> str:
    """What to say when a command is pointed at a folder that is not a site."""
    return (f"no {CONFIG_NAME} in {site_root}; create a site with: "
            f"sitegen init {shlex.quote(str(site_root))}")


def require_site(site_root: Path) -> None:
    """Refuse a folder without ``sitegen.toml``, before anything is written."""
    if not (site_root / CONFIG_NAME).is_file():
        raise ConfigError(no_site_message(site_root))


def _key_line(text: str, key: str) -> int:
    """The line of ``key = ...`` (or ``[key]``) in the TOML text, or 0."""
    pattern = re.compile(rf"^\s*(?:{re.escape(key)}\s*=|\[\s*{re.escape(key)}\s*\])")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return 0


def _from_mapping(data: dict[str, Any], label: str, text: str) -> dict[str, Any]:
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key, value in data.items():
        line = _key_line(text, key)
        if key not in _BY_NAME:
            known = ", ".join(sorted(_BY_NAME))
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


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    """The text of ``sitegen.toml`` and its parsed values, or one located error."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
        return text, tomllib.loads(text)
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError(Problem(CONFIG_NAME, line, f"is not UTF-8 text (byte "
                                  f"0x{raw[exc.start]:02x}); save it as UTF-8")) from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else 0
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ConfigError(Problem(CONFIG_NAME, line, f"invalid TOML: {reason}")) from None


def _base_url_warning(config: Config, where: Problem) -> Problem:
    return Problem(where.path, where.line,
                   f"base_url {config.base_url!r} is not absolute (https://host/path/): "
                   "sitemap.xml, feeds and canonical links are left out; set base_url "
                   "or pass --base-url")


def load_config(site_root: Path, overrides: dict[str, Any] | None = None,
                origin: str | None = None) -> Config:
    """Read ``sitegen.toml`` under ``site_root`` and apply command-line overrides.

    ``origin`` (``http://host:port``) replaces the scheme and host of the base
    URL: the preview server serves the site at its own address.
    """
    require_site(site_root)
    text, data = _read(site_root / CONFIG_NAME)
    values = _from_mapping(data, CONFIG_NAME, text)
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        problem = check_value(key, value)
        if problem:
            raise ConfigError(f"option --{key.replace('_', '-')}: {problem}")
        values[key] = value
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    config = Config(root=site_root, source=CONFIG_NAME, **values)
    content = config.content_path.resolve()
    if site_root.resolve() not in content.parents:
        raise ConfigError(Problem(CONFIG_NAME, _key_line(text, "content_dir"),
                                  f"Config value 'content_dir': {config.content_dir!r} is "
                                  "not a folder inside the site"))
    base_url = origin.rstrip("/") + config.base_path if origin else config.base_url
    if not base_url.endswith("/"):
        base_url += "/"
    config = replace(config, base_url=base_url)
    if config.absolute_base is None:
        from_flag = bool((overrides or {}).get("base_url"))
        where = Problem("", 0, "") if from_flag else \
            Problem(CONFIG_NAME, _key_line(text, "base_url"), "")
        config = replace(config, warnings=(_base_url_warning(config, where),))
    return config
