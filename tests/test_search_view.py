"""Pagefind is handed only the parts of a page it reads, and the index does not change.

:func:`sitegen.outputs.pagefind_view.search_view` cuts a paper page down to its
``data-pagefind-body`` element, the ``data-pagefind-*`` tags of the head, the
title and the language. These tests run the real Pagefind over whole pages and
over their cut views and compare the index files byte for byte: on the example
site (tags as filters, upvotes and dates as sort keys, math titles as metadata)
and on pages a theme might write that the cut must leave whole.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sitegen.outputs.pagefind_feed import index_pages, read_whole
from sitegen.outputs.pagefind_files import make_reproducible
from sitegen.outputs.pagefind_view import search_view
from sitegen.outputs.search import EXCLUDE, pagefind_binary


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _index(pages: list[tuple[str, Path]], out: Path,
           read: Callable[[Path], str]) -> dict[str, bytes]:
    index_pages(pagefind_binary(), out, pages, EXCLUDE, read=read)
    make_reproducible(out)
    return _tree(out)


def _cut(path: Path) -> str:
    return search_view(read_whole(path))


def test_the_example_site_gives_the_same_index_from_cut_pages(
        tmp_path: Path, copy_example: Callable[[Path], Path],
        build_site: Callable[..., Path]) -> None:
    built = build_site(copy_example(tmp_path / "site"), tmp_path / "out", clean=True)
    files = sorted(built.glob("papers/*/index.html"))
    assert len(files) >= 30
    pages = [(p.relative_to(built).as_posix(), p) for p in files]
    for _, path in pages:  # every paper page of the default theme is cut, to a third or less
        whole, cut = read_whole(path), _cut(path)
        assert len(cut) * 2 < len(whole), path
        assert "data-pagefind-body" in cut and 'data-pagefind-filter="tag[content]"' in cut
    whole_index = _index(pages, tmp_path / "whole", read_whole)
    cut_index = _index(pages, tmp_path / "cut", _cut)
    assert any(name.startswith("filter/") for name in whole_index)
    assert cut_index == whole_index


HEAD = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>T &amp; U</title>'
        '<meta property="og:title" content="A &gt; B" data-pagefind-meta="title[content]">'
        '<meta property="article:tag" content="x" data-pagefind-filter="tag[content]">'
        '<script type="application/ld+json">{"name": "A"}</script></head>')
ARTICLE = ('<article class="paper" data-pagefind-body><h1>Alpha beta</h1>'
           '<article><p>nested gamma</p></article><p>delta <em>epsilon</em></p></article>')


def _page(head: str = HEAD, before: str = "<nav>menu words</nav>", article: str = ARTICLE,
          after: str = "<footer>footer words</footer>") -> str:
    return f"{head}<body>{before}{article}{after}</body></html>"


def test_a_plain_page_is_cut_to_what_pagefind_reads() -> None:
    view = search_view(_page())
    assert view == ('<html lang="en"><head><title>T &amp; U</title>'
                    '<meta property="og:title" content="A &gt; B" '
                    'data-pagefind-meta="title[content]">'
                    '<meta property="article:tag" content="x" '
                    'data-pagefind-filter="tag[content]"></head><body>' + ARTICLE
                    + "</body></html>")


UNSURE = {
    "no body element": _page(article="<article><p>words</p></article>"),
    "two body elements": _page(after='<aside data-pagefind-body>more</aside>'),
    "a filter outside the body": _page(after='<span data-pagefind-filter="kind">x</span>'),
    "left out before the body": _page(before="<nav data-pagefind-ignore>menu</nav>"),
    "a comment in the body": _page(article=ARTICLE.replace("<h1>", "<!-- </article> --><h1>")),
    "a script in the body": _page(article=ARTICLE.replace("<h1>", "<script>1</script><h1>")),
    "the mark inside a value": _page(article=ARTICLE.replace(
        "data-pagefind-body", 'title=" data-pagefind-body"')),
    "an unclosed body": _page(article=ARTICLE[:-len("</article>")], after=""),
    "the body in the head": _page(head=HEAD.replace("</head>", ARTICLE + "</head>"),
                                  article=""),
    "two titles": _page(head=HEAD.replace("<title>", "<title>X</title><title>")),
}


@pytest.mark.parametrize("page", UNSURE.values(), ids=list(UNSURE))
def test_pages_the_cut_could_misread_are_handed_over_whole(page: str) -> None:
    assert search_view(page) == page


SAME = {
    "plain": _page(),
    "left out after the body": _page(after="<aside data-pagefind-ignore>more words</aside>"),
    "quoted angle brackets": _page(head=HEAD.replace('content="x"', 'content="a>b<c"')),
    "upper-case tags": _page(article=ARTICLE.upper().replace("DATA-PAGEFIND-BODY",
                                                             "data-pagefind-body")),
    **UNSURE,
}


@pytest.mark.parametrize("page", SAME.values(), ids=list(SAME))
def test_pagefind_indexes_the_cut_page_as_the_whole_page(page: str, tmp_path: Path) -> None:
    source = tmp_path / "page.html"
    source.write_text(page, encoding="utf-8")
    pages = [("papers/x/index.html", source)]
    assert _index(pages, tmp_path / "cut", _cut) == _index(pages, tmp_path / "whole", read_whole)
