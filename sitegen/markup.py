"""Markdown to safe HTML, and plain-text excerpts.

Abstracts are untrusted. CommonMark (cmark-gfm, a C library: fast and linear
on pathological input) renders them with raw HTML allowed, then nh3 (the
ammonia sanitiser) keeps only harmless tags, attributes and URL schemes, so
``<sub>`` survives while ``<script>``, ``on*`` attributes and ``javascript:``
links do not.

Math: ``$...$`` and ``$$...$$`` become MathML at build time (latex2mathml), so
pages need no script and no outside host. Math spans are found before Markdown
runs (by pandoc's rules, so ``\\$`` and ``$5 and $10`` stay text), swapped for
placeholders, and put back after sanitising: Markdown never sees formula
source. The MathML is sanitised by its own allowlist (MathML elements and
presentational attributes only), and a formula that cannot be converted is
shown as its escaped source.

Hostile input stays bounded in time: every step is linear in the text. The
sanitiser's tree building is quadratic in the nesting depth of block containers,
and Pagefind's indexing in the nesting depth of any element (120,000 nested
``*emphasis*`` took 45 s to index), so an abstract whose Markdown nests block
quotes or lists, or whose sanitised HTML nests any elements, deeper than
``MAX_DEPTH`` is shown as escaped plain paragraphs of its source instead, as is
one with more than ``MAX_AMPERSANDS`` "&" in its HTML (the sanitiser's time grows
with their number times the text's length). Code
spans and formulas are found in one pass over precomputed delimiter positions,
and at most ``MAX_MATH_TOTAL`` characters of distinct LaTeX are converted per
text; later formulas stay escaped source text. The regular expressions that
see content text are written so that no match attempt scans past the next
delimiter (no ``[^]]*`` from every ``[`` of ``[[[[...``).
"""

from __future__ import annotations

import bisect
import hashlib
import html
import re
from dataclasses import dataclass
from functools import lru_cache

import nh3
from cmarkgfm.cmark import Options

from sitegen import gfm

_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_NOBREAKS
_SAFE_OPTIONS = Options.CMARK_OPT_NOBREAKS
MAX_RAW_TAGS = 2000  # more "<" than this in one abstract: raw HTML is left out
MAX_DEPTH = 200  # deeper nesting of Markdown containers: the text is shown flat
# More "&" than this in rendered HTML: the text is shown flat. The sanitiser's time grows
# with the number of "&" times the length of the text around them (1 MB of "&" took 9 s).
MAX_AMPERSANDS = 10_000
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


# A cleaner is built once: passing the allowlists to nh3.clean costs more than cleaning.
_CLEANER = nh3.Cleaner(tags=_TAGS, attributes=_ATTRS, url_schemes=_SCHEMES,
                       link_rel="nofollow noopener noreferrer", strip_comments=True)


def sanitize(fragment: str) -> str:
    """Keep only safe HTML; links get ``rel="nofollow noopener noreferrer"``."""
    return _CLEANER.clean(fragment)


def render_markdown(text: str) -> str:
    """Render an abstract (CommonMark with GFM tables and autolinks) to sanitised HTML."""
    if not text.strip():
        return ""
    # The sanitiser's tree building is quadratic in deeply nested raw HTML; a text with
    # that much markup gets cmark's safe mode, which drops raw HTML before sanitising.
    options = _OPTIONS if text.count("<") <= MAX_RAW_TAGS else _SAFE_OPTIONS
    rendered = gfm.to_html(text, options)
    if rendered.count("&") > MAX_AMPERSANDS or nesting_depth(rendered) > MAX_DEPTH:
        return plain_paragraphs(text)
    clean = sanitize(rendered).strip()
    # Fewer tags than MAX_DEPTH cannot nest deeper than it: most texts skip the scan.
    if clean.count("<") > MAX_DEPTH and element_depth(clean) > MAX_DEPTH:
        return plain_paragraphs(text)
    return clean


# Block containers that Markdown can nest without limit (">", "-", "1."); raw HTML
# nesting is bounded by MAX_RAW_TAGS instead.
_CONTAINER = re.compile(r"<(/?)(?:blockquote|ol|ul|li)\b", re.IGNORECASE)


def nesting_depth(rendered: str) -> int:
    """How deeply cmark's output nests containers, counted in one linear scan.

    Raw HTML can unbalance the count; that only errs towards showing a text flat.
    """
    depth = deepest = 0
    for match in _CONTAINER.finditer(rendered):
        depth = max(depth - 1, 0) if match.group(1) else depth + 1
        deepest = max(deepest, depth)
    return deepest


# A start or end tag of serialised HTML (attribute values always double-quoted).
_ELEMENT = re.compile(r'<(/?)([A-Za-z][A-Za-z0-9]*)(?:[^"<>]|"[^"]*")*>')
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"})


def element_depth(clean: str) -> int:
    """How deeply sanitised HTML nests its elements (any kind), in one linear scan."""
    depth = deepest = 0
    for match in _ELEMENT.finditer(clean):
        if match.group(2).lower() in _VOID:
            continue
        depth = max(depth - 1, 0) if match.group(1) else depth + 1
        deepest = max(deepest, depth)
    return deepest


def plain_paragraphs(text: str) -> str:
    """Source text as escaped paragraphs: safe without the sanitiser, and linear."""
    paragraphs = (" ".join(block.split()) for block in _BLANK_LINE.split(text))
    return "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs if p)


def render_abstract(text: str, math: bool = True) -> str:
    """An abstract as safe HTML; with ``math``, ``$...$`` spans become MathML."""
    spans = find_math(text) if math else []
    if not spans:
        return render_markdown(text)
    token = "sgmath" + hashlib.sha1(text.encode("utf-8", "surrogatepass"),
                                    usedforsecurity=False).hexdigest()[:12]
    parts, last = [], 0
    for number, span in enumerate(spans):
        parts += [text[last:span.start], f"{token}x{number}x"]
        last = span.end
    parts.append(text[last:])
    html_text = render_markdown("".join(parts))
    placeholder = re.compile(rf"{token}x(\d+)x")
    budget = within_budget(spans)

    def in_text(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index >= len(spans):
            return match.group(0)
        return math_html(spans[index]) if budget[index] else escape(spans[index].raw)

    def in_tag(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return escape(spans[index].raw) if index < len(spans) else match.group(0)

    pieces = _TAG.split(html_text)
    for index, piece in enumerate(pieces):
        # Odd pieces are tags (a placeholder there sits in an attribute): source text only.
        pieces[index] = placeholder.sub(in_tag if index % 2 else in_text, piece)
    return "".join(pieces)


def render_title(text: str, math: bool = True) -> str:
    """A title as safe HTML (escaped text; math rendered when enabled)."""
    if not math:
        return escape(text)
    out, last = [], 0
    spans = find_math(text)
    for span, convert in zip(spans, within_budget(spans), strict=True):
        shown = math_html(span) if convert else escape(span.raw)
        out += [escape(text[last:span.start].replace("\\$", "$")), shown]
        last = span.end
    out.append(escape(text[last:].replace("\\$", "$")))
    return "".join(out)


# Tags in html5ever's serialisation: attribute values are always double-quoted and a
# raw "<" never appears in text, so this splits sanitised HTML into text and tags.
_TAG = re.compile(r'(<(?:[^"<>]|"[^"]*")*>)')

MAX_MATH = 4000  # longer formulas are shown as source (latex2mathml recurses per brace)
MAX_SPANS = 500  # formulas converted per text; any further ones stay source text (bounded time)
MAX_MATH_TOTAL = 20_000  # LaTeX characters of distinct formulas converted per text


@dataclass(frozen=True)
class MathSpan:
    """A formula in a text: its offsets, its LaTeX and whether it is display math."""

    start: int
    end: int
    latex: str
    display: bool
    raw: str  # the formula with its dollar signs, as written


_TOKEN = re.compile(r"\\.|`+|\$", re.DOTALL)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def find_math(text: str) -> list[MathSpan]:
    """Math spans by pandoc's ``tex_math_dollars`` rules, skipping code spans.

    An opening ``$`` must be followed by a non-space, a closing one preceded by a
    non-space and not followed by a digit; ``\\$`` is never a delimiter and a
    blank line ends any attempt. ``$$...$$`` is display math. Closers are found
    by bisection over precomputed positions, so hostile input stays linear-ish.
    """
    if "$" not in text:  # every span starts at a dollar sign
        return []
    dollars = [m.start() for m in _TOKEN.finditer(text) if m.group() == "$"]
    inline = [e for e in dollars if e > 0 and not text[e - 1].isspace()
              and not text[e + 1:e + 2].isdigit()]
    double = [e for e in dollars if text.startswith("$$", e)]
    blanks = [m.start() for m in _BLANK_LINE.finditer(text)]
    runs = _backtick_runs(text) if "`" in text else {}
    spans: list[MathSpan] = []
    i = 0
    while (token := _TOKEN.search(text, i)) is not None:
        i = token.end()
        if token.group().startswith("`"):
            i = _skip_code(runs, token.start(), len(token.group()))
            continue
        if token.group() != "$":
            continue
        start = token.start()
        display = text.startswith("$$", start)
        end = _closer(double if display else inline, start + (2 if display else 1), blanks)
        # Sliced only once a closer is found: an unclosed "$" (end -1) would copy the rest.
        inner = "" if end < 0 else text[start + 2:end] if display else text[start + 1:end]
        if display and inner.strip():
            spans.append(MathSpan(start, end + 2, inner.strip(), True, text[start:end + 2]))
        elif not display and end > start + 1 and not text[start + 1].isspace():
            spans.append(MathSpan(start, end + 1, inner, False, text[start:end + 1]))
        else:
            i = start + (2 if display else 1)
            continue
        i = spans[-1].end
        if len(spans) >= MAX_SPANS:
            break
    return spans


def _closer(positions: list[int], start: int, blanks: list[int]) -> int:
    """The first position at or after ``start`` not past a blank line, or -1."""
    index = bisect.bisect_left(positions, start)
    if index == len(positions):
        return -1
    found = positions[index]
    blank = bisect.bisect_left(blanks, start)
    return -1 if blank < len(blanks) and blanks[blank] < found else found


def _backtick_runs(text: str) -> dict[int, list[int]]:
    """Start offsets of maximal backtick runs by length, so closers are found by bisection."""
    runs: dict[int, list[int]] = {}
    for match in re.finditer("`+", text):
        runs.setdefault(match.end() - match.start(), []).append(match.start())
    return runs


def _skip_code(runs: dict[int, list[int]], start: int, run: int) -> int:
    """The index after the code span opening at ``start``, or after its backticks if unclosed.

    The closer is the next maximal run of exactly ``run`` backticks (backslashes do
    not escape inside code spans); looking it up rather than searching keeps a text
    with many unclosed runs linear.
    """
    positions = runs.get(run, [])
    index = bisect.bisect_left(positions, start + run)
    return positions[index] + run if index < len(positions) else start + run


def within_budget(spans: list[MathSpan]) -> list[bool]:
    """Which spans to convert: distinct formulas until ``MAX_MATH_TOTAL`` characters.

    Each formula is bounded by ``MAX_MATH`` but many different ones are not; later
    spans stay source text. Repeats cost nothing (memoised), so they are not charged.
    """
    converted: set[tuple[str, bool]] = set()
    total, allowed = 0, []
    for span in spans:
        key, size = (span.latex, span.display), len(span.latex)
        if key not in converted and size <= MAX_MATH and total + size <= MAX_MATH_TOTAL:
            converted.add(key)
            total += size
        allowed.append(key in converted)
    return allowed


_MATH_TAGS = {
    "math", "maction", "menclose", "merror", "mfenced", "mfrac", "mi", "mmultiscripts", "mn",
    "mo", "mover", "mpadded", "mphantom", "mprescripts", "mroot", "mrow", "ms", "mspace",
    "msqrt", "mstyle", "msub", "msubsup", "msup", "mtable", "mtd", "mtext", "mtr", "munder",
    "munderover", "none",
}
_MATH_ATTRS = {
    "accent", "accentunder", "close", "columnalign", "columnlines", "columnspacing", "depth",
    "display", "displaystyle", "fence", "form", "frame", "height", "largeop", "linebreak",
    "linethickness", "lspace", "mathbackground", "mathcolor", "mathsize", "mathvariant",
    "maxsize", "minsize", "movablelimits", "notation", "open", "rowalign", "rowlines",
    "rowspacing", "rspace", "scriptlevel", "separator", "separators", "stretchy", "symmetric",
    "voffset", "width",
}


_MATH_CLEANER = nh3.Cleaner(tags=_MATH_TAGS, attributes={"*": _MATH_ATTRS}, url_schemes=set(),
                            strip_comments=True)


def math_html(span: MathSpan) -> str:
    """A formula as sanitised MathML, or its escaped source when it cannot be converted."""
    if len(span.latex) > MAX_MATH:
        return escape(span.raw)
    return _mathml(span.latex, span.display) or escape(span.raw)


@lru_cache(maxsize=4096)
def _mathml(latex: str, display: bool) -> str:
    """Sanitised MathML for one formula, or "" (memoised: formulas repeat across pages)."""
    from latex2mathml.converter import convert  # only sites with math pay for the import

    try:
        mathml = convert(latex, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - any converter failure falls back to the source text
        return ""
    # Only MathML elements and presentational attributes: no href, style, class or events;
    # anything else (e.g. HTML smuggled in through \text{...}) is dropped.
    clean = _MATH_CLEANER.clean(mathml)
    return clean if clean.startswith("<math") else ""


# The lookahead lets the regex engine skip to the next candidate character: without
# it, every position of the text is tried against each alternative (three times slower).
# No attempt scans past the next delimiter, so the whole substitution is linear: link
# text stops at "[" or "]", a link target at "[", "]" or an unbalanced parenthesis (one
# level of nesting is kept, for targets like ``wiki/Foo_(bar)``), a tag at "<" or ">".
# (``[^\]]*`` from each "[" of 100,000 "[" took 51 s.)
_MD_NOISE = re.compile(r"(?=[!\[*_`#><])(?:!?\[([^\[\]]*)\]"
                       r"\((?:[^()\[\]]|\([^()\[\]]*\))*\)|[*_`#>]+|<[^<>]*>)")


def excerpt(text: str, limit: int = 280) -> str:
    """A plain-text summary of Markdown: markup removed (formulas kept), cut at a word boundary."""
    pieces, last = [], 0
    for span in find_math(text) if "$" in text else []:
        pieces += [_MD_NOISE.sub(lambda m: m.group(1) or " ", text[last:span.start]), span.raw]
        last = span.end
    pieces.append(_MD_NOISE.sub(lambda m: m.group(1) or " ", text[last:]))
    plain = " ".join("".join(pieces).split())
    if len(plain) <= limit:
        return plain
    cut = plain[:limit].rsplit(" ", 1)[0].rstrip(",;:.-")
    return cut + "…"


def escape(text: str) -> str:
    """HTML-escape text for attribute and element content."""
    return html.escape(text, quote=True)
