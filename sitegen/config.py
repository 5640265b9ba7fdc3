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

import os
import re
import shlex
import stat
import tomllib
import types
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

from sitegen.config_paths import (
    SOURCE_FOLDERS,
    expanded,
    file_kind,
    output_problem,
    path_problem,
    resolved,
    url_problem,
)
from sitegen.config_values import (
    KIND_NAMES,
    cname_problem,
    enrich_problem,
    language_problem,
    sources_problem,
    tag_rules_problem,
)
from sitegen.errors import ConfigError, Problem
from sitegen.sources.spec import KINDS

CONFIG_NAME = "sitegen.toml"
MAX_CONFIG_BYTES = 1_000_000  # a configuration file larger than this is not one
CACHE_DIR = ".sitegen-cache"  # the build cache and the site lock, in the site root
DOCS_PAGE = "docs/configuration.md"
# The options that each switch off one optional output (all on by default).
OPTIONAL_OUTPUTS = ("feeds", "top_pages", "archive", "bib_files", "papers_json")


# Checks beyond the type are in sitegen.config_values (values and tables) and
# sitegen.config_paths (paths and URLs): each says why a value is refused, or None.


def shown(value: Any, limit: int = 80) -> str:
    """``repr(value)`` for a message, cut to ``limit`` characters (a value may be huge)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def _names_problem(value: list[Any]) -> str | None:
    if not all(isinstance(name, str) and name.strip() for name in value):
        return "expected a list of names such as [\"Ada Lovelace\"]"
    return None


@dataclass(frozen=True)
class Option:
    """One option of ``sitegen.toml``: what the loader, ``sitegen init`` and the docs say."""

    name: str
    kind: type  # str, int, bool, dict (a TOML table) or list (an array of tables)
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
            return f"expected {KIND_NAMES[int]}, got {shown(value)}"
        # Kept apart so mypy does not narrow ``value``; a list is kept as a tuple.
        matches = isinstance(value, (list, tuple) if self.kind is list else self.kind)
        if not matches:
            return f"expected {KIND_NAMES[self.kind]}, got {shown(value)}"
        low, high = self.minimum, self.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            return f"must be from {low} to {high}, got {shown(value)}"
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
        check=url_problem, flag="--base-url URL",
        accepts="an http(s) URL with a host (https://host/path/), a protocol-relative "
                "//host/path/ (full URLs then use https), or a path starting with /")
    language: str = _option("en", "The language of the pages, as an HTML lang code "
                                  "(en, de, pt-BR, ...).",
                            check=language_problem, accepts="a language tag such as en or pt-BR")
    author: str = _option("", "Who keeps this list, shown on the pages and in the feed; "
                              "empty for nobody.")
    theme: str = _option("default", "The theme to render with: one shipped with sitegen or "
                                    "a folder in themes/. Override single templates in "
                                    "templates/.")
    per_page: int = _option(24, "How many papers a listing page shows before continuing on "
                                "the next one. The default fills whole rows of the default "
                                "theme's grid of 2 or 3 columns.", minimum=1, maximum=1000)
    output_dir: str = _option(
        "public", "Where 'sitegen build' writes the site, relative to this file. The GitHub "
                  "Pages workflow uploads public/: change it there too.", flag="--output DIR",
        check=path_problem, accepts="a path (~ is your home folder); not the site folder, "
                                    "your home folder or a folder sitegen reads from")
    content_dir: str = _option(
        "content", "Where the papers live (papers/*.md inside it, written by 'sitegen "
                   "import'); a folder inside the site.", check=path_problem,
        accepts="a path to a folder inside the site")
    feed_size: int = _option(50, "How many of the newest papers the feed holds.",
                             minimum=1, maximum=10000)
    auto_tags: bool = _option(True, "Tag papers by the words of the tag rules found in their "
                                    "title and abstract.")
    tag_rules: dict[str, list[str]] | None = _option(
        None, "The tag rules: tag name = list of words or phrases ('word*' matches any "
              "ending). Unset: the theme's tag_rules.toml.",
        check=tag_rules_problem, accepts="a table of tag = [words or phrases]",
        example=('llm = ["large language model*", "LLM*"]',
                 'retrieval = ["retrieval", "search engine*"]'))
    cname: str = _option("", "A custom domain such as papers.example.org; the build writes it "
                             "to a CNAME file for GitHub Pages. Empty: no custom domain.",
                         check=cname_problem, accepts="a host name, or empty")
    search: bool = _option(True, "Build a full-text search index and a search page.")
    # Optional outputs, each on by default: a site may leave out what it has no use for.
    feeds: bool = _option(True, "Write Atom feeds for the site and for each tag, and an RSS "
                                "feed (only with a full base_url).")
    top_pages: bool = _option(True, "Write top/: every paper ranked by upvotes, then comments.")
    archive: bool = _option(True, "Write archive/: a page per month and the list of months.")
    bib_files: bool = _option(True, "Write papers.bib and papers.csl.json with every entry, "
                                    "and .bib, .csl.json and .ris files beside each paper page "
                                    "(each paper page shows its BibTeX entry either way).")
    papers_json: bool = _option(True, "Write papers.json: every paper's metadata, for scripts "
                                      "and other sites.")
    related_papers: bool = _option(True, "Show each paper's five most similar papers (by the "
                                         "words of titles and abstracts) on its page; on "
                                         "100,000 papers this takes minutes whenever a text "
                                         "changes.")
    social_cards: bool = _option(False, "Draw a PNG card (title, authors, venue, site name) "
                                        "for each paper without a thumbnail, for link "
                                        "previews (og:image); off, those papers share one "
                                        "card of the site (title, description). A card costs "
                                        "1 to 2 ms of CPU when first drawn (10 to 17 s at "
                                        "10,000 papers), then is kept in "
                                        ".sitegen-cache/cards/.")
    math: bool = _option(True, "Render LaTeX math ($...$) in titles and abstracts.")
    build_timestamp: bool = _option(False, "Show the build date on the pages (off: rebuilding "
                                           "unchanged content gives identical files).")
    highlight_authors: list[str] = _option(  # kept as a tuple: a Config is frozen
        (), "Authors to emphasise on cards and pages (a lab's own people); names match as "
            "on author pages: case, accents and 'Last, First' order do not matter.",
        check=_names_problem)
    strict: bool = _option(False, "Treat warnings as errors in build and check.",
                           flag="--strict")
    listing_pages: bool = _option(True, "Write trending/ (upvotes gained over the last 7 days "
                                        "of recorded counts) and a page per listing day, "
                                        "week and month: date/, week/, month/.")
    sources: list[dict[str, Any]] | None = _option(
        None, "Where 'sitegen update' fetches papers from: one [[sources]] table each, with a "
              "kind (" + ", ".join(KINDS) + ") and its keys; see 'Sources' below.",
        check=sources_problem, accepts="an array of [[sources]] tables",
        example=('kind = "hf-daily"', "", "[[sources]]", 'kind = "arxiv-query"',
                 'query = "cat:cs.CL AND abs:retrieval"', "max_papers = 50"))
    enrich: dict[str, Any] | None = _option(
        None, "Where and how 'sitegen enrich' looks papers up (arXiv and Hugging Face "
              "endpoints, pace, title threshold, date window). Unset: the public APIs, one "
              "arXiv request per 3 seconds, similarity 0.9, 7 days.",
        check=enrich_problem, accepts="a table of endpoint, pace, threshold and window "
                                       "settings (see docs/enrich.md)")
    # Set by load_config: where the site lives and where the values came from.
    root: Path = field(default=Path("."), compare=False)
    source: str = field(default="", compare=False)
    # What load_config found questionable but builds anyway (a build reports them).
    warnings: tuple[Problem, ...] = field(default=(), compare=False, repr=False)
    # --allow-empty: publish a site without papers even where the last build had some.
    allow_empty: bool = field(default=False, compare=False, repr=False)

    @cached_property
    def base_path(self) -> str:
        """The path part of the base URL, always with leading and trailing slashes."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    @cached_property
    def absolute_base(self) -> str | None:
        """The base URL when it includes a host (needed for feeds and sitemaps); a
        protocol-relative one (``//host/path/``) is taken as https there."""
        parts = urlsplit(self.base_url)
        if parts.netloc:
            return f"{parts.scheme or 'https'}://{parts.netloc}{self.base_path}"
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
        """The real output folder: ``~`` expanded, every symbolic link followed."""
        return resolved(self.root, self.output_dir)

    @property
    def content_path(self) -> Path:
        return self.root / expanded(self.content_dir)


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
    """Refuse a folder without a readable ``sitegen.toml``, before anything is written.

    The file is looked at with ``stat`` before it is opened: a named pipe would
    make ``open`` wait for a writer forever, a device would never end.
    """
    path = site_root / CONFIG_NAME
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise ConfigError(Problem(str(path), 0, f"is a symbolic link to {os.readlink(path)!r}"
                                                    ", which does not exist")) from None
        raise ConfigError(no_site_message(site_root)) from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(Problem(str(path), 0, f"cannot be read: {reason}")) from None
    kind = file_kind(info.st_mode)
    if kind:
        raise ConfigError(Problem(str(path), 0, f"is {kind}, not a file; {CONFIG_NAME} must be "
                                                "a TOML file"))
    if info.st_size > MAX_CONFIG_BYTES:
        raise ConfigError(Problem(str(path), 0, f"is {info.st_size:,} bytes; a {CONFIG_NAME} "
                                                f"holds at most {MAX_CONFIG_BYTES:,}"))
    if not os.access(path, os.R_OK):
        raise ConfigError(Problem(str(path), 0, "cannot be read: permission denied; "
                                                "give yourself read access (chmod u+r)"))


def _key_line(text: str, key: str) -> int:
    """The line of ``key = ...`` (or ``[key]``, or the N-th ``[[key]]`` for ``key[N]``) in
    the TOML text, or 0."""
    name, _, nth = key.partition("[")
    count = int(nth.rstrip("]")) if nth.rstrip("]").isdigit() else 1
    pattern = re.compile(rf"^\s*(?:{re.escape(name)}\s*=|\[\[?\s*{re.escape(name)}\s*\]\]?)")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            count -= 1
            if count == 0:
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
        if reason and reason.startswith("["):  # inside an array of tables: name the entry
            for part in reason.splitlines():
                where = key + part.split("]", 1)[0] + "]"
                problems.append(Problem(label, _key_line(text, where), f"{key}{part}"))
            continue
        if reason:
            problems.append(Problem(label, line, f"Config value '{key}': {reason}"))
            continue
        values[key] = value
    if problems:
        raise ConfigError(*problems)
    return values


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    """The text of ``sitegen.toml`` and its parsed values, or one located error."""
    try:  # non-blocking: if it became a pipe since require_site looked, do not wait on it
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise ConfigError(Problem(str(path), 0, f"cannot be read: {exc.strerror}")) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError(Problem(str(path), 0, "is not a regular file"))
        raw = handle.read(MAX_CONFIG_BYTES + 1)
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(Problem(str(path), 0, f"holds more than {MAX_CONFIG_BYTES:,} bytes"))
    try:
        text = raw.decode("utf-8-sig")
        return text, tomllib.loads(text)
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError(Problem(CONFIG_NAME, line, f"is not UTF-8 text (byte "
                                  f"0x{raw[exc.start]:02x}); save it as UTF-8")) from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise ConfigError(Problem(CONFIG_NAME, 0, "invalid TOML: arrays or tables are nested "
                                                  "too deeply")) from None
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


def _flag(key: str) -> str:
    """The command-line flag that sets option ``key`` (``--output`` for output_dir)."""
    flag = _BY_NAME[key].flag
    return flag.split()[0] if flag else f"--{key.replace('_', '-')}"


def _path_problems(config: Config) -> list[tuple[str, str]]:
    """``(key, reason)`` for each path option that points somewhere it must not.

    Every path is resolved through symbolic links before it is compared with
    the folders it must stay inside or away from.
    """
    root = config.root
    real_root = resolved(root, ".")
    content = resolved(root, config.content_dir)
    problems = []
    if real_root not in content.parents:
        problems.append(("content_dir", f"{config.content_dir!r} is not a folder inside the "
                                        "site"))
    sources = [config.content_path] + [root / name for name in SOURCE_FOLDERS]
    reason = output_problem(root, config.output_dir, sources)
    if reason:
        problems.append(("output_dir", reason))
    return problems


def load_config(site_root: Path, overrides: dict[str, Any] | None = None,
                origin: str | None = None) -> Config:
    """Read ``sitegen.toml`` under ``site_root`` and apply command-line overrides.

    ``origin`` (``http://host:port``) replaces the scheme and host of the base
    URL: the preview server serves the site at its own address.
    """
    require_site(site_root)
    text, data = _read(site_root / CONFIG_NAME)
    values = _from_mapping(data, CONFIG_NAME, text)
    flags = {key: value for key, value in (overrides or {}).items() if value is not None}
    allow_empty = bool(flags.pop("allow_empty", False))  # a flag of the run, not an option
    for key, value in flags.items():
        problem = check_value(key, value)
        if problem:
            raise ConfigError(f"option {_flag(key)}: {problem}")
        values[key] = value
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    config = Config(root=site_root, source=CONFIG_NAME, allow_empty=allow_empty, **values)
    problems = _path_problems(config)
    if problems:
        raise ConfigError(*(Problem("", 0, f"option {_flag(key)}: {reason}") if key in flags
                            else Problem(CONFIG_NAME, _key_line(text, key),
                                         f"Config value '{key}': {reason}")
                            for key, reason in problems))
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
