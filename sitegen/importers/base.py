"""What every importer returns, and the helpers they share."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from sitegen.errors import InputError, Problem
from sitegen.model import Link, Paper, classify_link

# A URL inside prose: stops at whitespace, quotes, angle brackets and closing braces.
# Abstracts also name code hosts without a scheme ("github.com/org/repo", "www.x.org").
_URL = re.compile(r"https?://[^\s<>\"'`{}|\\^]+"
                  r"|(?<![\w/.@-])(?:www\.[a-z0-9-]+\.|(?:github\.com|gitlab\.com|huggingface\.co)/)"
                  r"[^\s<>\"'`{}|\\^]+", re.IGNORECASE)
# Punctuation that ends a sentence rather than a URL (ASCII and full-width forms).
_TRAILING = ".,;:!?)]}'\"*_~\u3002\uff0c\u3001\uff1b\uff1a\uff01\uff1f\uff09\u300d\u300f\u3011"
_PAIRS = {")": "(", "]": "[", "}": "{", "\uff09": "\uff08"}
# What a content file accepts as a link (see sitegen.content).
_SAFE_URL = re.compile(r"https?://[^\s\"'<>`\x00/?#]+[^\s\"'<>`\x00]*", re.IGNORECASE)


# Where JSON lines resume after a broken one: a line that starts an object or an array.
_NEXT_VALUE = re.compile(r"\n[{\[]")


@dataclass
class Parsed:
    """Papers read from one input, plus located warnings about what was skipped."""

    papers: list[Paper] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


class Skip(Exception):
    """One input record cannot become a paper; the message says why."""


def unwrap_latex_urls(text: str) -> str:
    r"""Replace ``\url{X}`` and ``\href{X}{Y}`` with the bare URL."""
    text = re.sub(r"\\url\s*\{([^{}]*)\}", r" \1 ", text)
    return re.sub(r"\\href\s*\{([^{}]*)\}\s*\{[^{}]*\}", r" \1 ", text)


def _balance(url: str) -> str:
    """Drop trailing punctuation, keeping a closing bracket that an opening one matches."""
    while url and url[-1] in _TRAILING:
        last = url[-1]
        if last in _PAIRS and url.count(_PAIRS[last]) >= url.count(last):
            break
        url = url[:-1]
    return url


def find_urls(text: str) -> list[str]:
    """Every distinct http(s) URL in ``text``, in order, trailing punctuation left out."""
    seen: list[str] = []
    for match in _URL.finditer(unwrap_latex_urls(text)):
        url = _balance(match.group(0))
        if "://" not in url:
            url = "https://" + url
        if "://" in url and len(url) > len("https://x") and url not in seen:
            seen.append(url)
    return seen


def safe_url(value: object) -> str | None:
    """``value`` as a URL a content file accepts, or None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    return url if _SAFE_URL.fullmatch(url) else None


def make_links(explicit: list[tuple[str, object]], prose: str) -> list[Link]:
    """Links given as (kind, url) first, then those found in ``prose``; no URL twice."""
    links: list[Link] = []
    for kind, value in explicit:
        url = safe_url(value)
        if url and all(link.url != url for link in links):
            links.append(Link(kind, url))
    for url in find_urls(prose):
        if safe_url(url) and all(link.url.rstrip("/") != url.rstrip("/") for link in links):
            links.append(Link(classify_link(url), url))
    return links


def collapse_ws(text: str) -> str:
    """Join hard-wrapped lines into one, squeezing runs of spaces."""
    return " ".join(text.split())


def unwrap_paragraphs(text: str) -> str:
    """Unwrap hard-wrapped text, keeping blank-line paragraph breaks."""
    paras = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(collapse_ws(p) for p in paras if p.strip())


def source_name(label: str) -> str:
    """How a source is recorded in a paper: a URL without its query, a file by its name."""
    if "://" in label:
        return label.split("?", 1)[0].split("#", 1)[0]
    return label.replace("\\", "/").rsplit("/", 1)[-1]


def iso_date(value: object) -> date | None:
    """The date at the start of an ISO 8601 text (``2026-02-26T17:08:18.000Z``), or None."""
    if not isinstance(value, str):
        return None
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value)
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def line_at(text: str, offset: int) -> int:
    """The 1-based line number of ``offset`` in ``text``."""
    return text.count("\n", 0, offset) + 1


@lru_cache(maxsize=1)
def _tex_converter() -> Any:
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=False)


def tex_to_text(value: str) -> str:
    r"""Plain Unicode text from TeX (``{\"o}`` -> ``ö``, ``\&`` -> ``&``, ``--`` -> ``–``):
    case-protecting braces go, ``$math$`` stays as written."""
    if "\\" not in value and "{" not in value and "-" not in value and "~" not in value:
        return collapse_ws(value)
    # A bare % is literal in BibTeX values but starts a comment in TeX.
    escaped = re.sub(r"(?<!\\)%", r"\\%", value)
    try:
        text = _tex_converter().latex_to_text(escaped)
    except Exception:  # pragma: no cover - pylatexenc is tolerant; keep the raw text if not
        text = value
    return collapse_ws(text.replace("\xa0", " "))


def json_records(text: str, label: str) -> tuple[list[tuple[int, int, Any]], list[Problem]]:
    """The values of a JSON array, a single JSON value or JSON lines, as (index, line, value).

    A value that is not valid JSON becomes a located warning and the rest is still read;
    text that is not JSON at all is an :class:`InputError`. Text after a top-level array
    (two saved answers pasted together, or JSON lines) is read as more values, so that
    nothing after the ``]`` is lost without a word.
    """
    start = _skip_ws(text, 0)
    if start < len(text) and text[start] == "[":
        records, warnings, end, count = _array_items(text, start + 1, label)
        more, more_warnings = _json_values(text, _skip_ws(text, end), label, count)
        return records + more, warnings + more_warnings
    return _json_values(text, start, label, None)


def _json_values(text: str, pos: int, label: str, after_array: int | None
                 ) -> tuple[list[tuple[int, int, Any]], list[Problem]]:
    """JSON values one after another from ``pos``.

    ``after_array`` is the item count of the array they follow: the input is then JSON
    already, so text that does not parse is a warning, never "is not JSON".
    """
    records: list[tuple[int, int, Any]] = []
    warnings: list[Problem] = []
    decoder = json.JSONDecoder()
    index = after_array or 0
    while pos < len(text):
        index += 1
        try:
            value, end = decoder.raw_decode(text, pos)
            records.append((index, line_at(text, pos), value))
        except json.JSONDecodeError as exc:
            if after_array is None and index == 1 and text[pos] not in "{[":
                raise InputError(Problem(label, exc.lineno, f"is not JSON: {exc.msg}")) from None
            what = ("text after the JSON array" if after_array is not None
                    and index == after_array + 1 else f"record {index}")
            warnings.append(Problem(label, exc.lineno, f"{what} is not valid JSON "
                                                       f"({exc.msg}); skipped"))
            nxt = _NEXT_VALUE.search(text, exc.pos)
            end = nxt.start() + 1 if nxt else len(text)
        pos = _skip_ws(text, end)
    return records, warnings


def _array_items(text: str, pos: int, label: str
                 ) -> tuple[list[tuple[int, int, Any]], list[Problem], int, int]:
    """Read a JSON array item by item so that one broken item does not lose the others.

    Also returns the offset just after the closing ``]``, where more values may follow,
    and the number of items, so that what follows is numbered after them.
    """
    decoder = json.JSONDecoder()
    records: list[tuple[int, int, Any]] = []
    warnings: list[Problem] = []
    index = 0
    while True:
        pos = _skip_ws(text, pos)
        if pos >= len(text):
            warnings.append(Problem(label, line_at(text, len(text)),
                                    "the JSON array is not closed with ']'; the input may be "
                                    "cut short"))
            return records, warnings, len(text), index
        if text[pos] == "]":
            return records, warnings, pos + 1, index
        index += 1
        try:
            value, end = decoder.raw_decode(text, pos)
            records.append((index, line_at(text, pos), value))
        except json.JSONDecodeError as exc:
            warnings.append(Problem(label, exc.lineno, f"item {index} is not valid JSON "
                                                       f"({exc.msg}); skipped"))
            end = _value_end(text, pos)
        pos = _skip_ws(text, end)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] != "]":
            warnings.append(Problem(label, line_at(text, pos), "expected ',' or ']' between "
                                                               "JSON items; skipped to the next"))
            pos = _value_end(text, pos) + 1


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _value_end(text: str, pos: int) -> int:
    """The offset of the ``,`` or ``]`` that ends the array item starting at ``pos``."""
    depth, in_string, escaped = 0, False, False
    for offset in range(pos, len(text)):
        char = text[offset]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            if depth == 0:
                return offset
            depth -= 1
        elif char == "," and depth == 0:
            return offset
    return len(text)


def as_int(value: object) -> int | None:
    """A non-negative whole number from JSON (``12`` or ``"12"``), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def as_text(value: object) -> str:
    """A JSON string with its whitespace collapsed; anything else gives ''."""
    return collapse_ws(value) if isinstance(value, str) else ""
