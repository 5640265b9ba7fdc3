"""Pages of ``content/pages/`` as HTML, and their jobs: the plan stage's side of them.

Loading and checking the files is :mod:`sitegen.content_pages` (the load stage);
this module turns them into output files. A page body is Python-Markdown with
tables, footnotes, fenced code and ``[TOC]``, sanitised like everything else.
"""

from __future__ import annotations

from functools import lru_cache, partial

import nh3
from markupsafe import Markup

from sitegen.content_pages import TEMPLATE, ContentPage
from sitegen.keys import Job, make_key
from sitegen.pages import PageMeta, Render, file_for
from sitegen.views import SiteData

#: Ids the default layout uses: a heading that would take one gets another.
LAYOUT_IDS = frozenset({"main"})
_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title", "class"},
    "abbr": {"title"},
    "code": {"class"},
    "div": {"class"},
    "span": {"class"},
    "img": {"src", "alt", "title", "width", "height"},
    "li": {"id"},
    "sup": {"id"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
}


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    """The sanitiser for pages, made on first use (building one takes milliseconds, and
    most builds render no page).

    A page is the site author's own text: links keep no ``rel="nofollow"``; otherwise
    the policy of abstracts (no scripts, styles, event handlers or other schemes).
    """
    return nh3.Cleaner(tags=set(nh3.ALLOWED_TAGS) - {"area", "map"}, attributes=_ATTRIBUTES,
                       url_schemes={"http", "https", "mailto"}, link_rel=None,
                       strip_comments=True)


def _heading_id(value: str, separator: str) -> str:
    from markdown.extensions.toc import slugify_unicode

    slug = slugify_unicode(value, separator)
    return f"{slug}{separator}section" if slug in LAYOUT_IDS else slug


def render_body(body: str) -> str:
    """A page body as sanitised HTML: Python-Markdown with tables, footnotes, fenced code
    and ``[TOC]``."""
    import markdown

    converter = markdown.Markdown(
        extensions=["tables", "footnotes", "fenced_code", "toc"], output_format="html",
        extension_configs={"tables": {"use_align_attribute": True},
                           "toc": {"title": "Contents", "slugify": _heading_id}})
    return str(_cleaner().clean(converter.convert(body))).strip()


def page_jobs(data: SiteData, render: Render) -> list[Job]:
    """One job per page (the navigation is the renderer's ``menu`` global, given when the
    renderer is made)."""
    jobs = []
    for page in data.content_pages:
        meta = PageMeta("page", page.title, page.path, description=page.description)
        key = make_key(data.env_key, "page", page.name, page.title, page.description, page.body)
        jobs.append(Job(file_for(page.path), key, partial(_page_bytes, render, page, meta)))
    return jobs


def _page_bytes(render: Render, page: ContentPage, meta: PageMeta) -> bytes:
    """Render one page; its Markdown is converted only when the page is written."""
    return render(TEMPLATE, {"page": meta, "content": Markup(render_body(page.body))})
