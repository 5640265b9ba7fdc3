"""What every importer returns, and the helpers they share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import groupby
from typing import Any

from sitegen.errors import Problem
from sitegen.importers.limits import Warnings
from sitegen.model import Link, Paper, classify_link

# A URL inside prose: stops at whitespace, quotes, angle brackets and closing braces.
# Abstracts also name code hosts without a scheme ("github.com/org/repo", "www.x.org").
_URL = re.compile(r"https?://[^\s<>\"'`{}|\\^]+"
                  r"|(?<![\w/.@-])(?:www\.[a-z0-9-]+\.|(?:github\.com|gitlab\.com|huggingface\.co)/)"
                  r"[^\s<>\"'`{}|\\^]+", re.IGNORECASE)
# Punctuation that ends a sentence rather than a URL (ASCII and full-width forms).
_TRAILING = ".,;:!?)]}'\"*_~\u3002\uff0c\u3001\uff1b\uff1a\uff01\uff1f\uff09\u300d\u300f\u3011"
_PAIRS = {")": "(", "]": "[", "}": "{", "\uff09": "\uff08"}
_TRAILING_RUN = re.compile(f"[{re.escape(_TRAILING)}]+$")
# What a content file accepts as a link (see sitegen.content). The host part excludes
# "/?#" and the rest must start with one of them, so a URL that fails to match fails in
# one pass instead of trying every split of a long run of characters.
_SAFE_URL = re.compile(r"https?://[^\s\"'<>`\x00/?#]+(?:[/?#][^\s\"'<>`\x00]*)?",
                       re.IGNORECASE)


@dataclass
class Parsed:
    """Papers read from one input, plus located warnings about what was skipped."""

    papers: list[Paper] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=Warnings)


class Skip(Exception):
    """One input record cannot become a paper; the message says why."""


def unwrap_latex_urls(text: str) -> str:
    r"""Replace ``\url{X}`` and ``\href{X}{Y}`` with the bare URL."""
    text = re.sub(r"\\url\s*\{([^{}]*)\}", r" \1 ", text)
    return re.sub(r"\\href\s*\{([^{}]*)\}\s*\{[^{}]*\}", r" \1 ", text)


def _balance(url: str) -> str:
    """Drop trailing punctuation, keeping a closing bracket that an opening one matches.

    Works on runs of one character at a time (``)))``), with bracket counts kept as the
    end moves left: a URL followed by a long run of ``)`` costs one pass, not a count of
    the whole URL per character dropped.
    """
    run = _TRAILING_RUN.search(url)
    if run is None:
        return url
    counts = {char: url.count(char) for char in (*_PAIRS, *_PAIRS.values())}
    end = len(url)
    for char, group in groupby(reversed(url[run.start():])):
        length = len(list(group))
        drop = length
        if char in _PAIRS:
            drop = min(length, max(counts[char] - counts[_PAIRS[char]], 0))
            counts[char] -= drop
        end -= drop
        if drop < length:
            break
    return url[:end]


def find_urls(text: str) -> list[str]:
    """Every distinct http(s) URL in ``text``, in order, trailing punctuation left out."""
    seen: dict[str, None] = {}  # a dict keeps the order and finds repeats in one step
    for match in _URL.finditer(unwrap_latex_urls(text)):
        url = _balance(match.group(0))
        if "://" not in url:
            url = "https://" + url
        if "://" in url and len(url) > len("https://x"):
            seen.setdefault(url)
    return list(seen)


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
        if url and all(link.url != url for link in links):  # at most a handful
            links.append(Link(kind, url))
    known = {link.url.rstrip("/") for link in links}
    for url in find_urls(prose):
        if safe_url(url) and url.rstrip("/") not in known:
            known.add(url.rstrip("/"))
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


def set_extra(paper: Paper, extra: dict[str, Any]) -> None:
    """Give ``paper`` what a reader collected: the fields the model types (``venue``; a
    year-only date as ``precision``) go to their fields, the rest stays in ``extra``."""
    rest: dict[str, Any] = {}
    for name, value in extra.items():
        if name == "date_precision":
            paper.precision = value
        elif name in _TYPED_TEXT:
            setattr(paper, name, value)
        else:
            rest[name] = value
    paper.extra = rest


# Text fields of the model that readers of other formats fill (see docs/content-format.md).
_TYPED_TEXT = frozenset({"venue", "event", "volume", "number", "pages", "publisher"})
