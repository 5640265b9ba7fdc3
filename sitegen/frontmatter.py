"""Parse one content file's text (YAML front matter and Markdown body) into a :class:`Paper`.

Parsing keeps the line of every front-matter key so that each problem is
reported as ``path:line: message``. String fields take the scalar's source
text, so ``title: 1.10`` stays ``"1.10"`` and ``tags: [no, yes]`` stays two
strings. Every problem in a file is reported, not just the first.

Control characters, stray byte order marks, YAML aliases and deep nesting are
refused before any field is read (see :mod:`sitegen.frontmatter_checks`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import yaml

from sitegen.errors import Problem
from sitegen.frontmatter_checks import (
    plain_shape,
    shape_problem,
    split_front_matter,
    stray_character,
)
from sitegen.model import LINK_KINDS, Link, Organization, Paper, Source, classify_link
from sitegen.slugs import SLUG_RE

MAX_BODY_BYTES = 1_000_000
MAX_TITLE_CHARS = 1_000
_SAFE_SCHEMES = ("http://", "https://")
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN_TAGS: dict[str, str] = {}  # short unquoted scalar -> its YAML type tag
_PLAIN_TAGS_MAX = 4096


class _Loader(_SafeLoader):  # type: ignore[misc,valid-type]
    """The safe loader, remembering the types of short unquoted scalars.

    libyaml hands every unquoted scalar to the Python resolver, which tries a
    list of regular expressions on it; the field names (``title``, ``tags``)
    are the same in every file. The type of an unquoted scalar depends on its
    text alone (safe loaders have no path resolvers), so it can be remembered.
    """

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is not yaml.ScalarNode or not implicit[0] or len(value) > 32:
            return str(super().resolve(kind, value, implicit))
        tag = _PLAIN_TAGS.get(value)
        if tag is None:
            tag = str(super().resolve(kind, value, implicit))
            if len(_PLAIN_TAGS) < _PLAIN_TAGS_MAX:
                _PLAIN_TAGS[value] = tag
        return tag


class FieldError(Exception):
    """A bad front-matter value; the caller adds the file and line."""



def decode(data: bytes, label: str) -> tuple[str | None, Problem | None]:
    """Decode UTF-8 text (BOM and CRLF accepted); refuse NUL bytes and other encodings."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, Problem(label, 1, "is UTF-16 text; save it as UTF-8")
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return None, Problem(label, line, "contains a NUL byte; this is not a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start]
        return None, Problem(label, line, f"is not UTF-8 text (byte 0x{bad:02x}); save it as UTF-8")
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


def _scalar(node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        kind = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
        raise FieldError(f"expected {what}, got {kind}")
    return str(node.value)


def _is_null(node: yaml.Node) -> bool:
    # A plain (unquoted) null; libyaml reports the plain style as "", PyYAML as None.
    return isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null") and not node.style


def _text(node: yaml.Node) -> str:
    return _scalar(node, "text").strip()


def _int(node: yaml.Node) -> int:
    raw = _scalar(node, "a whole number").strip().replace("_", "")
    if not re.fullmatch(r"\d{1,12}", raw):
        raise FieldError(f"expected a whole number, got {raw!r}")
    return int(raw)


# YYYY-MM-DD, optionally followed by a YAML timestamp's time and zone (ignored).
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"
                   r"(?:[ \t]*[tT ][ \t]*\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?"
                   r"(?:[ \t]*(?:[zZ]|[+-]\d{1,2}(?::?\d{2})?))?)?")


_PARTIAL = re.compile(r"(\d{4})(?:-(\d{1,2}))?")


def _when(node: yaml.Node) -> tuple[date, str]:
    """A paper's date and its precision: ``2023`` and ``2023-12`` are not January 1."""
    raw = _scalar(node, "a date").strip()
    match = _PARTIAL.fullmatch(raw)
    if match is None:
        return _date(node), "day"
    month = int(match.group(2) or 1)
    if not 1 <= month <= 12:
        raise FieldError(f"{raw!r} is not a valid date (month must be 1 to 12)")
    return date(int(match.group(1)), month, 1), "month" if match.group(2) else "year"


def _bool(node: yaml.Node) -> bool:
    raw = _scalar(node, "true or false").strip().lower()
    if raw not in ("true", "yes", "on", "false", "no", "off"):
        raise FieldError(f"expected true or false, got {raw[:40]!r}")
    return raw in ("true", "yes", "on")


def _date(node: yaml.Node) -> date:
    raw = _scalar(node, "a date").strip()
    match = _DATE.fullmatch(raw)
    if not match:
        raise FieldError(f"{raw!r} is not a date (expected YYYY-MM-DD)")
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError as exc:
        raise FieldError(f"{raw!r} is not a valid date ({exc})") from None


def _str_list(node: yaml.Node) -> list[str]:
    if isinstance(node, yaml.ScalarNode):
        return [part.strip() for part in str(node.value).split(",") if part.strip()]
    if not isinstance(node, yaml.SequenceNode):
        raise FieldError("expected a list of text values, got a mapping")
    # Interned: tag names (and some authors) repeat across thousands of papers.
    return [sys.intern(_text(item)) for item in node.value if not _is_null(item) and _text(item)]


def _mapping(node: yaml.Node, what: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise FieldError(f"expected {what}")
    return {_text(k): v for k, v in node.value}


def _organization(node: yaml.Node) -> Organization:
    if isinstance(node, yaml.ScalarNode):
        text = _text(node)
        return Organization(text, text)
    parts = _mapping(node, "a mapping with 'id' and 'name'")
    org_id = _text(parts["id"]) if "id" in parts else ""
    name = _text(parts["name"]) if "name" in parts else org_id
    if not (org_id or name):
        raise FieldError("needs an 'id' or a 'name'")
    return Organization(org_id or name, name)


def _url(raw: str) -> str:
    url = raw.strip()
    if not url.lower().startswith(_SAFE_SCHEMES) or any(c in url for c in "\x00\n\r\t \"'<>`") \
            or not url.split("://", 1)[1].split("/", 1)[0]:
        raise FieldError(f"{url[:80]!r} is not an http(s) URL")
    return url


def _links(node: yaml.Node) -> list[Link]:
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    links: list[Link] = []
    for item in items:
        if isinstance(item, yaml.ScalarNode):
            url = _url(_text(item))
            links.append(Link(classify_link(url), url))
            continue
        parts = _mapping(item, "a URL or a mapping with 'kind' and 'url'")
        if "url" not in parts:
            raise FieldError("a link needs a 'url'")
        url = _url(_text(parts["url"]))
        kind = _text(parts["kind"]).lower() if "kind" in parts else classify_link(url)
        if kind not in LINK_KINDS:
            raise FieldError(f"link kind {kind!r} is not one of {', '.join(LINK_KINDS)}")
        links.append(Link(kind, url))
    return links


def _sources(node: yaml.Node) -> list[Source]:
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    out = []
    for item in items:
        parts = _mapping(item, "a mapping with 'kind' and 'file'")
        has_listed = "listed" in parts and not _is_null(parts["listed"])
        listed = _date(parts["listed"]) if has_listed else None
        kind = _text(parts["kind"]) if "kind" in parts else "unknown"
        out.append(Source(kind, _text(parts["file"]) if "file" in parts else "", listed))
    return out


def _counts(node: yaml.Node) -> dict[date, tuple[int | None, int | None]]:
    """``{2026-01-09: [upvotes, comments]}``, a count unknown as null, oldest date first."""
    out: dict[date, tuple[int | None, int | None]] = {}
    for day, pair in _mapping(node, "a mapping of date: [upvotes, comments]").items():
        when = _date(yaml.ScalarNode("tag:yaml.org,2002:str", day))
        if not isinstance(pair, yaml.SequenceNode) or len(pair.value) != 2:
            raise FieldError(f"{day}: expected [upvotes, comments]")
        upvotes, comments = (None if _is_null(n) else _int(n) for n in pair.value)
        out[when] = (upvotes, comments)
    return dict(sorted(out.items()))


def _slug(node: yaml.Node) -> str:
    raw = _text(node)
    if not SLUG_RE.fullmatch(raw):
        raise FieldError(
            f"{raw[:80]!r} is not a valid slug (use lowercase letters, digits and single hyphens)"
        )
    return raw


def _hashes(node: yaml.Node) -> dict[str, str]:
    return {key: _text(value) for key, value in _mapping(node, "a mapping").items()}


_FIELDS: dict[str, Callable[[yaml.Node], Any]] = {
    "title": _text,
    "slug": _slug,
    "date": _when,
    "authors_complete": _bool,
    "entry_type": lambda node: _text(node).lower(),
    "venue": _text,
    "event": _text,
    "volume": _text,
    "number": _text,
    "pages": _text,
    "publisher": _text,
    "journal_ref": _text,
    "bibtex_key": _text,
    "arxiv_version": _int,
    "primary_category": _text,
    "categories": _str_list,
    "classes": _str_list,
    "arxiv_comment": _text,
    "github_stars": _int,
    "ai_summary": _text,
    "keywords": _str_list,
    "thumbnail": lambda node: _url(_text(node)),
    "hf_url": lambda node: _url(_text(node)),
    "origin": _hashes,
    "authors": _str_list,
    "author_count": _int,
    "organization": _organization,
    "comments": _int,
    "upvotes": _int,
    "tags": _str_list,
    "links": _links,
    "arxiv": _text,
    "doi": _text,
    "listed": _date,
    "source": _sources,
    "counts": _counts,
    "imported": _hashes,
}


def parse_paper(text: str, label: str) -> tuple[Paper | None, list[Problem]]:
    """Parse one content file's text; ``label`` names it in messages."""
    stray = stray_character(text, label)
    if stray is not None:
        return None, [stray]
    parts = split_front_matter(text)
    if parts is None:
        return None, [Problem(label, 1, "no front matter: the file must start with a '---' line "
                                        "and the fields must end with another '---' line")]
    front, body, body_line = parts
    root, problem = _compose_yaml(front, label)
    if problem is not None:
        return None, [problem]
    if root is None or _is_null(root):
        return None, [Problem(label, 1, "missing required field 'title'")]
    if not isinstance(root, yaml.MappingNode):
        return None, [Problem(label, 2, "front matter must be a mapping of 'field: value' lines")]
    return _build(root, body, label, body_line, front)


def _compose_yaml(front: str, label: str) -> tuple[yaml.Node | None, Problem | None]:
    """The node tree of any front matter, by libyaml, or the YAML error as a problem."""
    loader = None
    try:
        loader = _Loader(front)
        return loader.get_single_node(), None
    except yaml.MarkedYAMLError as exc:
        line, message = _yaml_problem(exc, front)
        return None, Problem(label, line, f"invalid YAML: {message}")
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (e.g. BEL, ESC)
        line = front.count("\n", 0, max(exc.position, 0)) + 2
        return None, Problem(label, line, f"invalid YAML: {exc.reason} (U+{exc.character:04X})")
    finally:
        if loader is not None:
            loader.dispose()


def _yaml_problem(exc: yaml.MarkedYAMLError, front: str) -> tuple[int, str]:
    """The front-matter line (file line numbers) and text of a YAML syntax error."""
    if exc.context == "while scanning a quoted scalar" and exc.context_mark is not None:
        return exc.context_mark.line + 2, "the quoted value that starts on this line is not closed"
    mark = exc.problem_mark or exc.context_mark
    message = str(exc.problem or exc.context)
    if mark is None:
        return 1, message
    lines = front.split("\n")
    text = lines[mark.line] if mark.line < len(lines) else ""
    if text[mark.column:mark.column + 1] == "\t" and "tab" not in message:
        message += " (a tab character: indent with spaces)"
    return mark.line + 2, message


def _build(root: yaml.MappingNode, body: str, label: str,
           body_line: int = 1, front: str = "") -> tuple[Paper | None, list[Problem]]:
    problems: list[Problem] = []
    careful = not plain_shape(root, front)  # else no value can have a shape problem
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    extra: dict[str, Any] = {}
    seen: set[int] = {id(root)}
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 2
        # Interned: every paper has the same few keys, and 100,000 papers are kept in memory.
        key = sys.intern(str(key_node.value)) if isinstance(key_node, yaml.ScalarNode) else ""
        if key in lines:
            problems.append(Problem(label, line, f"duplicate field '{key}'"))
            continue
        lines[key] = line
        shape = careful and (shape_problem(key_node, seen) or shape_problem(value_node, seen))
        if shape:
            problems.append(Problem(label, line, f"{key}: {shape}" if key else shape))
            continue
        try:
            if key in _FIELDS:
                if not _is_null(value_node):
                    values[key] = _FIELDS[key](value_node)
            else:
                extra[key] = _construct(value_node)
        except (FieldError, yaml.YAMLError, ValueError, TypeError) as exc:
            # A YAML error's text adds "in <unicode string>, line ..." lines: the problem only.
            text = getattr(exc, "problem", None) or str(exc)
            problems.append(Problem(label, line, f"{key}: {text}"))
    for required in ("title", "date"):
        if required not in lines:
            problems.append(Problem(label, 1, f"missing required field '{required}'"))
        elif required not in values and not any(f"{required}:" in p.message for p in problems):
            problems.append(Problem(label, lines[required], f"{required}: must not be empty"))
    if "title" in values and not values["title"]:
        problems.append(Problem(label, lines["title"], "title: must not be empty"))
    elif len(values.get("title", "")) > MAX_TITLE_CHARS:
        problems.append(Problem(label, lines["title"], f"title: longer than {MAX_TITLE_CHARS} "
                                                       "characters"))
    body = body.strip("\n")
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        problems.append(Problem(label, body_line, f"the abstract is larger than "
                                                  f"{MAX_BODY_BYTES:,} bytes"))
    if problems:
        return None, problems
    if "date" in values:
        values["date"], values["precision"] = values["date"]
    paper = Paper(body=body, extra=extra, lines=lines, **values)
    return paper, []


MAX_EXTRA_NODES = 10_000


def _count_nodes(node: yaml.Node, budget: int) -> int:
    """Nodes in ``node`` with every alias expanded, counting down from ``budget`` (stops at 0)."""
    stack = [node]
    while stack and budget > 0:
        item = stack.pop()
        budget -= 1
        if isinstance(item, yaml.SequenceNode):
            stack.extend(item.value)
        elif isinstance(item, yaml.MappingNode):
            for key, value in item.value:
                stack += [key, value]
    return budget


def _construct(node: yaml.Node) -> Any:
    # Aliases share nodes, so a few lines can stand for billions of values ("billion laughs").
    if _count_nodes(node, MAX_EXTRA_NODES) <= 0:
        raise FieldError(f"more than {MAX_EXTRA_NODES:,} values (counting every YAML alias "
                         "as a copy); make it smaller")
    loader = _Loader("")
    try:
        value = loader.construct_object(node, deep=True)
    finally:
        loader.dispose()
    return _freeze_dates(value)


def _freeze_dates(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value
