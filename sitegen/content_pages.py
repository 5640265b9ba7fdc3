"""Pages besides papers: ``content/pages/<name>.md`` becomes ``/<name>/``.

An About or "How to cite" page is the site author's own text, written the way
other generators take it: front matter in YAML (``---``), TOML (``+++``) or
JSON (``{ … }``), read by python-frontmatter, and a body rendered by
Python-Markdown with tables, footnotes, fenced code and a table of contents
(``[TOC]``). Abstracts are imported text and stay on cmark
(:mod:`sitegen.markup`). Both are sanitised by nh3; a page's allowlist adds
exactly what those extensions write (heading and footnote ids, table
alignment, the classes of the contents box and of code blocks).

A page may ask for a link in the navigation (``menu``). The navigation is on
every page, so its entries are folded into the key every page shares
(:func:`with_menu`): renaming a menu entry re-renders the site, editing a page
body re-renders that page only.
"""

from __future__ import annotations

import json
import re
import stat
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sitegen.content import MAX_FILE_BYTES, PAGES_FOLDER
from sitegen.errors import Problem
from sitegen.frontmatter import MAX_TITLE_CHARS, decode
from sitegen.keys import make_key
from sitegen.slugs import SLUG_RE

if TYPE_CHECKING:
    from frontmatter.default_handlers import BaseHandler


#: Top-level names the site's own outputs use: a page may not take them.
RESERVED = frozenset({"archive", "page", "pagefind", "papers", "search", "static", "tags", "top",
                      "trending", "date", "week", "month", "authors", "orgs"})
FIELDS = ("title", "description", "menu")
MENU_FIELDS = ("weight", "title")
TEMPLATE = "page.html"
_PAPER_FIELDS = frozenset({"date", "authors", "arxiv", "doi", "upvotes", "organization", "tags"})
_MENU_HELP = ("e.g. 'menu: {weight: 10}' or, with its own link text, "
              "'menu: {weight: 10, title: About}'")


@lru_cache(maxsize=1)
def _handlers() -> tuple[tuple[str, BaseHandler, str], ...]:
    """python-frontmatter's handlers: (syntax, handler, closing line), imported on first use
    (a site without pages does not pay for it)."""
    from frontmatter.default_handlers import BaseHandler, JSONHandler, YAMLHandler

    class TOMLHandler(BaseHandler):
        """TOML between ``+++`` lines, read with the standard library's ``tomllib``
        (python-frontmatter's own TOML handler exists only with the ``toml`` package)."""

        FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
        START_DELIMITER = END_DELIMITER = "+++"

        def load(self, fm: str, **kwargs: object) -> Any:
            return tomllib.loads(fm)

    return (("YAML", YAMLHandler(), "---"), ("TOML", TOMLHandler(), "+++"),
            ("JSON", JSONHandler(), "}"))


@dataclass(frozen=True)
class MenuEntry:
    """One link in the site's navigation."""

    weight: int
    title: str
    path: str  # site path, e.g. "about/"


@dataclass
class ContentPage:
    """One page: its file name gives its URL, its front matter its title and menu entry."""

    name: str
    label: str  # the source file, site-relative, for messages
    title: str
    body: str  # Markdown
    description: str = ""
    menu: MenuEntry | None = None

    @property
    def path(self) -> str:
        return f"{self.name}/"


@dataclass
class _Front:
    """Parsed front matter and where it sits in the file (for ``file:line`` messages)."""

    metadata: dict[str, Any]
    body: str
    syntax: str
    first: int  # file line of the opening delimiter
    lines: list[str]

    def line_of(self, key: str) -> int:
        """The line that sets ``key`` (found by its spelling in YAML, TOML or JSON)."""
        pattern = re.compile(rf"""^\s*(?:["']?{re.escape(key)}["']?\s*[:=]|\[{re.escape(key)}\])""")
        for index in range(self.first - 1, len(self.lines)):
            if pattern.match(self.lines[index]):
                return index + 1
        return self.first


# --- loading -------------------------------------------------------------------------------

def load_pages(files: Iterable[tuple[str, str, object]], content_dir: Path
               ) -> tuple[list[ContentPage], list[Problem]]:
    """Every page under ``<content_dir>/pages/`` (``files`` as the content scan found them),
    with every problem of every file."""
    folder = content_dir / PAGES_FOLDER
    pages: list[ContentPage] = []
    problems: list[Problem] = []
    for path, label, _ in files:
        source = Path(path)
        if source.parent != folder:
            top = label[: len(label) - len(source.relative_to(folder).as_posix())]
            problems.append(Problem(label, 0, f"pages cannot be in subfolders of {top}: "
                                              f"move it to {top}{source.name}"))
            continue
        page, found = load_page(source, label)
        problems += found
        if page is not None:
            pages.append(page)
    return sorted(pages, key=lambda p: p.name), sorted(problems)


def load_page(path: Path, label: str) -> tuple[ContentPage | None, list[Problem]]:
    """Read, decode and parse one page file."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return None, [Problem(label, 0, "is not a regular file; remove it from the "
                                            "pages folder")]
        if info.st_size > MAX_FILE_BYTES:
            return None, [Problem(label, 0, f"is {info.st_size:,} bytes; a page may be at most "
                                            f"{MAX_FILE_BYTES:,} bytes")]
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(label, 0, f"cannot be read: {exc.strerror}")]
    text, problem = decode(data, label)
    if problem is not None or text is None:
        return None, [problem] if problem else []
    return parse_page(text, label, path.stem)


def parse_page(text: str, label: str, name: str) -> tuple[ContentPage | None, list[Problem]]:
    """One page's text; ``name`` (the file name without ``.md``) becomes its URL path."""
    problems = _name_problems(name, label)
    front, problem = read_front_matter(text, label)
    if front is None:
        return None, problems + ([problem] if problem else [])
    values, found = _fields(front, label)
    problems += found
    if problems:
        return None, problems
    title = str(values["title"])
    menu = values.get("menu")
    entry = None
    if isinstance(menu, dict):
        entry = MenuEntry(int(menu["weight"]), str(menu.get("title") or title), f"{name}/")
    return ContentPage(name, label, title, front.body, str(values.get("description") or ""),
                       entry), []


def _name_problems(name: str, label: str) -> list[Problem]:
    if not SLUG_RE.fullmatch(name):
        return [Problem(label, 0, "a page's file name is its URL: use lowercase letters, digits "
                                  "and hyphens (e.g. about.md or how-to-cite.md)")]
    if name in RESERVED:
        return [Problem(label, 0, f"the name '{name}' is taken by the site's own pages "
                                  f"(/{name}/); rename the file")]
    return []


def read_front_matter(text: str, label: str) -> tuple[_Front | None, Problem | None]:
    """The front matter with python-frontmatter, or the problem with its file line."""
    import frontmatter

    stripped = text.strip()
    found = next(((syntax, handler, closing) for syntax, handler, closing in _handlers()
                  if handler.detect(stripped)), None)
    if found is None:
        return None, Problem(label, 1, "no front matter: start the file with a '---' line, "
                                       "then 'title: ...', then another '---' line")
    syntax, handler, closing = found
    assert handler.FM_BOUNDARY is not None
    opening = handler.FM_BOUNDARY.match(stripped)
    lead = len(text) - len(text.lstrip())
    first = text.count("\n", 0, lead) + 1
    # Where the parsers' line 1 is: the rest of the opening line (for JSON, its "{").
    start = text.count("\n", 0, lead + (opening.end() if opening else 0)) + 1
    if len(handler.FM_BOUNDARY.split(stripped, 2)) < 3:
        return None, Problem(label, first, f"the {syntax} front matter that starts here has no "
                                           f"closing '{closing}' line")
    try:
        post = frontmatter.loads(text, handler=handler)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = start + mark.line if mark is not None else first
        return None, Problem(label, line, f"invalid YAML: {exc.problem or exc.context}")
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (e.g. BEL)
        fm, _ = handler.split(stripped)
        line = start + fm.count("\n", 0, max(exc.position, 0))
        return None, Problem(label, line, f"invalid YAML: {exc.reason} (U+{exc.character:04X})")
    except yaml.YAMLError as exc:  # pragma: no cover - the two above are what PyYAML raises
        return None, Problem(label, first, f"invalid YAML: {exc}")
    except json.JSONDecodeError as exc:
        return None, Problem(label, start + exc.lineno - 1, f"invalid JSON: {exc.msg}")
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\s*\(at line (\d+), column \d+\)", str(exc))
        line = start + int(where.group(1)) - 1 if where else first
        message = str(exc)[: where.start()] if where else str(exc)
        return None, Problem(label, line, f"invalid TOML: {message}")
    metadata = dict(post.metadata)
    if not metadata:
        fm, _ = handler.split(stripped)
        if handler.load(fm) not in (None, {}):  # python-frontmatter drops a non-mapping
            return None, Problem(label, first + 1, "front matter must be 'field: value' pairs")
    return _Front(metadata, post.content, syntax, first, text.split("\n")), None


def _fields(front: _Front, label: str) -> tuple[dict[str, Any], list[Problem]]:
    """Check the front matter's fields; every problem, each on its line."""
    meta, problems = front.metadata, []
    for key in meta:
        if str(key) not in FIELDS:
            hint = (" (papers belong anywhere under the content folder except "
                    f"{PAGES_FOLDER}/)" if str(key) in _PAPER_FIELDS else "")
            problems.append(Problem(label, front.line_of(str(key)), f"unknown field '{key}': a "
                                    f"page has {', '.join(FIELDS)}{hint}"))
    values: dict[str, Any] = {}
    title = meta.get("title")
    if title is None:
        problems.append(Problem(label, front.first, "missing required field 'title'"))
    else:
        text, problem = _text("title", title, required=True)
        if problem:
            problems.append(Problem(label, front.line_of("title"), problem))
        values["title"] = text
    if meta.get("description") is not None:
        text, problem = _text("description", meta["description"])
        if problem:
            problems.append(Problem(label, front.line_of("description"), problem))
        values["description"] = text
    if meta.get("menu") is not None:
        problem = _menu_problem(meta["menu"])
        if problem:
            problems.append(Problem(label, front.line_of("menu"), problem))
        values["menu"] = meta["menu"]
    return values, problems


def _text(name: str, value: object, required: bool = False) -> tuple[str, str | None]:
    """One line of text: whitespace runs become single spaces."""
    if not isinstance(value, str):
        return "", (f"'{name}' must be text, not {type(value).__name__} "
                    f"(put the value in quotes)")
    text = " ".join(value.split())
    if required and not text:
        return "", f"'{name}' is empty"
    if len(text) > MAX_TITLE_CHARS:
        return "", f"'{name}' is {len(text):,} characters; at most {MAX_TITLE_CHARS:,} are allowed"
    return text, None


def _menu_problem(menu: object) -> str | None:
    if not isinstance(menu, dict):
        return f"'menu' must be a table with a 'weight' and an optional 'title', {_MENU_HELP}"
    unknown = sorted(str(key) for key in menu if str(key) not in MENU_FIELDS)
    if unknown:
        return f"unknown menu field '{unknown[0]}': a menu entry has {', '.join(MENU_FIELDS)}"
    weight = menu.get("weight")
    if not isinstance(weight, int) or isinstance(weight, bool):
        return f"'menu' needs a whole-number 'weight' (lower comes first), {_MENU_HELP}"
    if "title" in menu:
        return _text("menu title", menu["title"], required=True)[1]
    return None


# --- navigation ----------------------------------------------------------------------------

def menu_entries(pages: Iterable[ContentPage]) -> list[MenuEntry]:
    """The navigation entries of the pages, by weight, then link text, then path."""
    entries = [page.menu for page in pages if page.menu is not None]
    return sorted(entries, key=lambda e: (e.weight, e.title.casefold(), e.title, e.path))


def with_menu(env_key: str, pages: Iterable[ContentPage]) -> str:
    """The key every page shares, with the navigation folded in (unchanged without one)."""
    entries = menu_entries(pages)
    return make_key(env_key, "menu", entries) if entries else env_key
