"""What Pagefind is handed for a page: the parts of it that Pagefind reads, nothing else.

A page with a ``data-pagefind-body`` element is indexed from that element
alone; of the rest, Pagefind reads only the ``data-pagefind-*`` attributes
(metadata, filters, sort keys: the default theme puts them on ``<meta>`` tags
in the head), the ``<title>`` and the page's language. The rest of a paper
page (navigation, JSON-LD, citation tags, the side column) is two thirds of
its bytes, and parsing it is about a third of Pagefind's work. So
:func:`search_view` cuts a page down to those parts, and the index comes out
byte for byte the same (``tests/test_search_view.py`` compares both on whole
sites).

Cutting is done with a few regular expressions, so it only happens where they
cannot be fooled: one body element, no comment, script, style or template
inside it (where a tag-like text could hide), every ``data-pagefind-``
attribute outside it on a ``<meta>`` or ``<link>`` tag of the head (or a
``data-pagefind-ignore`` after it). Any
other page is handed over whole, as a theme wrote it.
"""

from __future__ import annotations

import re

BODY_MARK = "data-pagefind-body"
_ATTR = "data-pagefind-"
_IGNORE = "data-pagefind-ignore"
# A start tag, its quoted attribute values read whole (they may hold ">").
_TAG = r"""<([a-zA-Z][a-zA-Z0-9-]*)(?:[^<>"']|"[^"]*"|'[^']*')*>"""
_START_TAG = re.compile(_TAG)
_QUOTED = re.compile(r""""[^"]*"|'[^']*'""")
_BODY_ATTR = re.compile(r"\sdata-pagefind-body(?=[\s=/>])")
_HTML_START = re.compile(r"<html\b[^<>]*>", re.IGNORECASE)
_HEAD_END = re.compile(r"</head\s*>|<body\b", re.IGNORECASE)
_TITLE = re.compile(r"<title\b[^<>]*>[^<]*</title\s*>", re.IGNORECASE)
_HEAD_TAGS = re.compile(r"""<(?:meta|link)\b(?:[^<>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
# Inside these, text that looks like a tag is not one: a page holding them is not cut.
_OPAQUE = re.compile(r"<!--|<!\[CDATA\[|<(?:script|style|template|textarea|title|xmp|"
                     r"plaintext|noscript|iframe|noembed|noframes)\b", re.IGNORECASE)


def _body_element(page: str) -> tuple[int, int] | None:
    """Start and end offsets of the one ``data-pagefind-body`` element, or None."""
    mark = page.find(BODY_MARK)
    start = _START_TAG.match(page, page.rfind("<", 0, mark))
    if start is None or start.end() <= mark or not _BODY_ATTR.search(
            _QUOTED.sub("", start.group(0))):
        return None
    name = start.group(1)
    tags = re.compile(rf"<(/?){re.escape(name)}(?=[\s/>])", re.IGNORECASE)
    depth = 1
    for tag in tags.finditer(page, start.end()):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            close = page.find(">", tag.end())
            return (start.start(), close + 1) if close >= 0 else None
    return None


def search_view(page: str) -> str:
    """``page`` cut down to what Pagefind reads of it; the whole page where unsure."""
    if page.count(BODY_MARK) != 1:
        return page
    found = _body_element(page)
    html = _HTML_START.search(page)
    head_end = _HEAD_END.search(page)
    if found is None or html is None or head_end is None or head_end.start() > found[0]:
        return page
    start, end = found
    body = page[start:end]
    if _OPAQUE.search(body):
        return page
    head = page[:head_end.start()]
    head_tags = [tag for tag in _HEAD_TAGS.findall(head) if _ATTR in tag]
    # After the body, elements left out of the index (the side column) do not matter.
    after = page[end:]
    outside = page[:start].count(_ATTR) + after.count(_ATTR) - after.count(_IGNORE)
    if outside != sum(tag.count(_ATTR) for tag in head_tags):
        return page
    titles = _TITLE.findall(head)
    if len(titles) > 1 or (not titles and "<title" in head.lower()):
        return page
    return "".join((html.group(0), "<head>", *titles, *head_tags, "</head><body>", body,
                    "</body></html>"))
