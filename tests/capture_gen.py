"""Render a plain copy of a Daily Papers page as the Markdown captures tools make of it.

The plain copy (the layout of ``examples/hf-daily-papers-2026-01-09.txt``) is
read with the project's listing parser; each paper is then written back in one
capture syntax:

- ``inline``: the Markdown of HTML-to-Markdown scrapers (headings
  ``### [Title](https://huggingface.co/papers/ID)``, inline links, the comment count
  as a link to ``…#community`` on its own line, a "Markdown Content:" header with the
  page's address, as reader services put it);
- ``reference``: the same with reference links ``[text][12]`` and ``[12]: url``
  definitions at the end.

Both are synthetic renderings, not recordings. The plain copy does not show the papers'
arXiv ids: :func:`example_ids` takes the real ones from the example site's content files
(``content/papers/*.md``), matched by title. The upvote box is rendered as ``-``, which
the plain copy does not show either.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sitegen.frontmatter import parse_paper
from sitegen.importers.listing import parse_listing
from sitegen.model import Paper, normalize_title

CHROME = ["Hugging Face", "", "Models", "", "Datasets", "", "Spaces", "", "Docs", "",
          "Daily Papers", "", "byAK and the research community", ""]


def _date(paper: Paper) -> str:
    return f"{paper.date:%b} {paper.date.day}, {paper.date.year}"


def _meta(paper: Paper) -> str:
    if paper.organization:
        return f"{paper.organization.id} {paper.organization.name}"
    return f"* {paper.author_count} authors"


def example_ids(plain: str, content: Path) -> list[str]:
    """The arXiv ids of the papers of ``plain``, in order, from the content files in
    ``content`` with the same titles."""
    by_title: dict[str, str] = {}
    for path in sorted(content.glob("*.md")):
        paper, problems = parse_paper(path.read_text(encoding="utf-8"), str(path))
        if paper is None or problems:
            raise ValueError(f"{path}: {problems}")
        if paper.arxiv:
            by_title[normalize_title(paper.title)] = paper.arxiv
    titles = [normalize_title(p.title) for p in parse_listing(plain, "plain.txt").papers]
    missing = [t for t in titles if t not in by_title]
    if missing:
        raise ValueError(f"no content file with an arXiv id for {missing}")
    return [by_title[t] for t in titles]


def render(plain: str, ids: list[str], style: str, page: date) -> str:
    """The capture of the page ``plain`` in ``style`` (``inline`` or ``reference``)."""
    papers = parse_listing(plain, "plain.txt").papers
    refs: list[str] = []

    def link(text: str, url: str) -> str:
        if style == "inline":
            return f"[{text}]({url})"
        refs.append(url)
        return f"[{text}][{len(refs)}]"

    address = f"https://huggingface.co/papers/date/{page.isoformat()}"
    out = ["Title: Daily Papers - Hugging Face", "", f"URL Source: {address}", "",
           "Markdown Content:", ""]
    out += [link(line, f"https://huggingface.co/{line.lower()}") if line in
            ("Models", "Datasets", "Spaces", "Docs") else line for line in CHROME]
    out += [f"{page:%b} {page.day}", "", link("Previous", address), "", ""]
    for paper, arxiv in zip(papers, ids, strict=True):
        url = f"https://huggingface.co/papers/{arxiv}"
        out += [link(f"![]({url}.png)", url) if style == "inline" else "", "", "-", "",
                f"### {link(paper.title, url)}", "", paper.body, "", _meta(paper), "·", "",
                _date(paper), ""]
        if paper.comments:
            out += [link(str(paper.comments), url + "#community"), ""]
    if refs:
        out += [""] + [f"[{n}]: {url}" for n, url in enumerate(refs, 1)]
    return "\n".join(out) + "\n"
