"""Read Hugging Face papers pages saved as Markdown or text.

Captures come from a browser's "save as text", from HTML-to-Markdown scrapers
and from notebook exports. Each line is turned back into the line a plain copy
of the page has (the layout :mod:`sitegen.importers.listing` reads), keeping
line numbers, and what only the capture carries is kept on the side:

- links, inline ``[text](url)`` or by reference ``[text][12]`` with a
  ``[12]: url`` definition, become their text; a title linked to
  ``…/papers/<id>`` (a ``### [Title](…)`` heading or a plain line) gives the
  paper's arXiv id;
- a link whose text runs over several lines (scrapers link a whole abstract or
  author list) loses its brackets where it opens and closes; in a heading it is
  joined into the heading's line, as a title is one line;
- hard line breaks go (a backslash before a line end or spaces, which scrapers
  leave inside wrapped titles and abstracts); other backslashes stay, as abstracts
  hold TeX (``50\\%``);
- the organization line of a paper (the line before its ``·``) links to the
  organization's page: the page's name is the organization id that a plain copy shows
  before the display name;
- text exports (notebook sources) put a link's address on its own line below its
  text: a huggingface.co address there belongs to the text above it;
- the comment count beside the date links to the paper's ``#community``
  discussion (set apart from a date it is glued to); on a line of its own it is
  joined to the date line;
- the upvote box, a number or ``-`` on its own line before a title (after a
  button drawn as ``[-]`` in text exports), gives ``upvotes`` (``-`` is none);
- a paper date without a year (``Jan 8``) is in the capture's year: the date
  in the capture's address or header (``papers/date/2026-01-09``,
  ``Published Time: 2026-01-09``, a ``retrieved:`` or ``captured:`` field),
  else ``--listed``, else today's;
- everything before the page's date (or the first paper) is navigation
  chrome and is dropped, and so are "Submitted by …" lines and list items that
  held only an image (the avatars of authors).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sitegen.importers import listing
from sitegen.importers.base import Parsed
from sitegen.importers.limits import check_lines
from sitegen.model import normalize_title

KIND = listing.KIND  # the same page as a plain copy: the same source
_REF_DEF = re.compile(r"^\s{0,3}\[([^\[\]\n]{1,100})\]:\s*<?([^\s<>]+)>?(?:\s+[\"'(].*)?$")
_INLINE = re.compile(r"(!?)\[([^\[\]\n]*)\]\(\s*<?([^()\s<>]*)>?(?:\s+\"[^\"\n]*\")?\s*\)")
_REFLINK = re.compile(r"(!?)\[([^\[\]\n]*)\]\[([^\[\]\n]{0,100})\]")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+|\s+#+\s*$")
_EMPTY_LINK = re.compile(r"\[\s*\]")
_PAPER = re.compile(r"(?:huggingface\.co)?/papers/(\d{4}\.\d{4,5})(?:v\d+)?/?(#community)?$")
_COUNT = re.compile(r"^(?:\[[ xX\-]?\]\s*)?(\d{1,9}|-)$")  # "[-] 12": a box
_BARE_URL = re.compile(r"^<?(https?://(?:www\.)?huggingface\.co(?:/\S*)?)>?$")
_URL_AFTER = 3  # lines: how far below its text a bare link target may stand
_YEARLESS = re.compile(rf"^((?:(?:published|submitted)(?:\s+on)?\s+)?{listing._MON}\s+\d{{1,2}})"
                       r"(?P<count>(?:\s+\d{1,9})?)$", re.IGNORECASE)
_CAPTURE_DATE = re.compile(r"(?:papers/date/|Published Time:\s*|^(?:[-*]\s+)?(?:date|retrieved|"
                           r"captured|exported|scraped|fetched)(?:\s*\(UTC\))?:\s*)"
                           r"(\d{4})-\d{2}-\d{2}", re.MULTILINE | re.IGNORECASE)
_PROFILE = re.compile(r"^https?://(?:www\.)?huggingface\.co/([\w.\-]{1,96})/?$")
_HARD_BREAK = re.compile(r"\\+(?=\s|$)")
_LINK_END = re.compile(r"\(\s*<?[^()\s<>]*>?(?:\s+\"[^\"\n]*\")?\s*\)|\[[^\[\]\n]{0,100}\]")
_PAIR = re.compile(r"\[[^\[\]]*\]")
_ESCAPED = re.compile(r"\\.")
_NESTING = 8
_SPAN_LINES = 60  # a link longer than this many lines is no link
_LINKED = re.compile(r"\]\(\s*<?(?:https?://huggingface\.co)?/papers/\d{4}\.\d{4,5}"
                     r"|^\s{0,3}\[[^\]\n]+\]:\s*<?https?://huggingface\.co/papers/\d{4}\.\d{4,5}",
                     re.MULTILINE)
_UPVOTE_WORDS = frozenset({"upvote", "upvoted"})


@dataclass
class _Line:
    text: str
    urls: list[str] = field(default_factory=list)


@dataclass
class Capture:
    """A capture turned into a plain copy, with the ids and upvotes found on the way."""

    text: str
    arxiv: dict[str, str] = field(default_factory=dict)  # normalized title -> arXiv id
    upvotes: dict[str, int | None] = field(default_factory=dict)


def looks_like(text: str) -> bool:
    """Text with links to Hugging Face paper pages."""
    return _LINKED.search(text[:2_000_000]) is not None


def _unlink(raw: str, refs: dict[str, str]) -> _Line:
    """The line's text with links replaced by their text, and the URLs they pointed to."""
    urls: list[str] = []

    def kept(image: str, text: str, url: str) -> str:
        urls.append(url)
        if image:
            return ""
        return f" {text}" if url.endswith("#community") else text  # a count glued to a date

    def inline(match: re.Match[str]) -> str:
        return kept(match.group(1), match.group(2), match.group(3))

    def by_ref(match: re.Match[str]) -> str:
        key = (match.group(3) or match.group(2)).strip().lower()
        if key not in refs:
            return "" if match.group(1) else match.group(2)
        return kept(match.group(1), match.group(2), refs[key])

    text = _INLINE.sub(inline, raw)
    text = _REFLINK.sub(by_ref, text)
    text = _INLINE.sub(inline, text)  # [![img](src)](href): the image went first
    text = _HARD_BREAK.sub(" ", text)
    text = " ".join(_EMPTY_LINK.sub("", _HEADING.sub("", text)).split())
    if urls and text in ("*", "-", "+"):  # a list item that held only an image (avatars)
        text = ""
    if text.casefold().startswith("submitted by "):  # who posted it: page chrome
        text = ""
    return _Line(text, urls)


def _capture_year(text: str, listed: date | None) -> tuple[int, bool]:
    """The year of the capture, and whether the capture itself says it."""
    found = _CAPTURE_DATE.search(text[:200_000])
    if found:
        return int(found.group(1)), True
    return (listed.year if listed else date.today().year), False


def _references(raw: list[str]) -> dict[str, str]:
    """The ``[12]: url`` definitions, by lowercased label; their lines become blank."""
    refs: dict[str, str] = {}
    for number, line in enumerate(raw):
        found = _REF_DEF.match(line)
        if found:
            refs.setdefault(found.group(1).strip().lower(), found.group(2))
            raw[number] = ""
    return refs


def _unmatched(line: str, opening: bool) -> int | None:
    """Where a bracket opens that the line does not close (``opening``), or where one
    closes that the line did not open. Matched pairs are blanked innermost first, at the
    regular expression engine's speed: what is left reads ``]]…[[``."""
    if ("[" if opening else "]") not in line:
        return None
    rest = _ESCAPED.sub("\0\0", line)
    for _ in range(_NESTING):  # bounded: brackets nested deeper are no links
        reduced = _PAIR.sub(lambda pair: "\0" * len(pair.group()), rest)
        if reduced == rest:
            break
        rest = reduced
    close = rest.find("]")
    if not opening:
        return close if close >= 0 else None
    start = rest.find("[")
    return start if start >= 0 and close < 0 else None


def _link_close(raw: list[str], number: int) -> tuple[int, int, int] | None:
    """The line, bracket and end of the ``](url)`` closing a link opened on line ``number``."""
    for end in range(number + 1, min(number + _SPAN_LINES, len(raw))):
        if _unmatched(raw[end], opening=True) is not None:
            return None  # another link opens first: not one link
        close = _unmatched(raw[end], opening=False)
        if close is not None:
            tail = _LINK_END.match(raw[end], close + 1)
            return (end, close, tail.end()) if tail else None
    return None


def _join_spanning_links(raw: list[str]) -> None:
    """Unwrap links whose text runs over several lines, keeping the line count."""
    number = 0
    while number < len(raw):
        start = _unmatched(raw[number], opening=True)
        found = _link_close(raw, number) if start is not None else None
        if start is None or found is None:
            number += 1
            continue
        end, close, after = found
        if _HEADING.match(raw[number]):  # a title is one line: join it there
            raw[number] = " ".join([raw[number], *raw[number + 1:end + 1]])
            raw[number + 1:end + 1] = [""] * (end - number)
        else:
            raw[number] = raw[number][:start] + raw[number][start + 1:]
            raw[end] = raw[end][:close] + raw[end][after:]
        number = end + 1


def normalize(text: str, listed: date | None = None) -> Capture:
    """The plain copy of a capture, line for line (see the module docstring)."""
    raw = text.split("\n")
    refs = _references(raw)
    _join_spanning_links(raw)
    lines = [_unlink(line, refs) for line in raw]
    _attach_bare_urls(lines)
    _organization_ids(lines)
    capture = Capture("")
    year, own_year = _capture_year(text, listed)
    first_title = None
    pending_upvote: int | None = None
    for number, line in enumerate(lines):
        if line.text.casefold() in _UPVOTE_WORDS and not line.urls:
            line.text = ""
            continue
        papers = [_PAPER.search(url) for url in line.urls]
        ids = [m.group(1) for m in papers if m and not m.group(2)]
        community = bool(papers) and all(m and m.group(2) for m in papers)
        if community and line.text.isdigit():
            _join_count(lines, number, line)
            continue
        if ids and line.text:
            key = normalize_title(line.text)
            capture.arxiv.setdefault(key, ids[0])
            if first_title is None:
                first_title = number
            if pending_upvote is not None:
                count = _COUNT.match(lines[pending_upvote].text)
                capture.upvotes[key] = int(count.group(1)) if count and count.group(1) != "-" \
                    else None
                lines[pending_upvote].text = ""
            pending_upvote = None
            continue
        if line.text and _COUNT.match(line.text) and not ids:  # the box may link to log in
            pending_upvote = number
        elif line.text:
            pending_upvote = None
        yearless = _YEARLESS.match(line.text) if first_title is not None else None
        if yearless:
            line.text = f"{yearless.group(1)}, {year}{yearless.group('count')}"
    page = _drop_chrome(lines, first_title)
    if own_year and page is not None and listing.HEADER_DATE.match(lines[page].text):
        lines[page].text += f", {year}"  # the page's date, in the year the capture was made
    capture.text = "\n".join(line.text for line in lines)
    return capture


def _attach_bare_urls(lines: list[_Line]) -> None:
    """Text exports write a link as its text, then its address on a line of its own: the
    address (of a huggingface.co page: chrome, never an abstract's link) goes to the text."""
    last: int | None = None
    for number, line in enumerate(lines):
        found = _BARE_URL.match(line.text) if not line.urls else None
        if found:
            if last is not None and not lines[last].urls and number - last <= _URL_AFTER:
                lines[last].urls.append(found.group(1))
            line.text = ""
        elif line.text:
            last = number


def _organization_ids(lines: list[_Line]) -> None:
    """Put the organization id (its page's name) before the name on a card's org line."""
    following = ""
    for line in reversed(lines):
        pages = [m for m in map(_PROFILE.match, line.urls) if m] if line.text else []
        page = pages[0] if len(pages) == 1 else None
        if page and following in listing.DOTS and not line.text.startswith(page.group(1)):
            line.text = f"{page.group(1)} {line.text}"
        following = line.text or following


def _join_count(lines: list[_Line], number: int, line: _Line) -> None:
    """Put a comment count that stands on its own line after the date it belongs to."""
    for before in range(number - 1, max(number - 4, -1), -1):
        if lines[before].text:
            if listing.DATE_LINE.match(lines[before].text) or _YEARLESS.match(lines[before].text):
                lines[before].text += f" {line.text}"
                line.text = ""
            return


def _drop_chrome(lines: list[_Line], first_title: int | None) -> int | None:
    """Blank the navigation before the page's date line (or the first paper); the line of
    the page's date, if there is one."""
    if first_title is None:
        return None
    stop = first_title
    between = False  # text other than an upvote box between this line and the first title
    for number in range(first_title - 1, -1, -1):
        text = lines[number].text
        if listing.HEADER_DATE.match(text) or (listing.DATE_LINE.match(text) and not between):
            stop = number
            break
        between = between or bool(text and not _COUNT.match(text))
    if stop == first_title:  # no page date: keep the upvote box before the first title
        while stop > 0 and (not lines[stop - 1].text or _COUNT.match(lines[stop - 1].text)):
            stop -= 1
    for line in lines[:stop]:
        line.text = ""
    return stop if stop < first_title else None


def parse(text: str, label: str, listed: date | None = None) -> Parsed:
    """Every paper of a saved Hugging Face papers page."""
    check_lines(text, label, "a saved Hugging Face papers page")
    capture = normalize(text, listed)
    result = listing.parse_listing(capture.text, label, listed)
    for paper in result.papers:
        key = normalize_title(paper.title)
        paper.arxiv = capture.arxiv.get(key, paper.arxiv)
        if key in capture.upvotes:
            paper.upvotes = capture.upvotes[key]
    return result
