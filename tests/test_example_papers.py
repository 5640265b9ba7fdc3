"""The example site shows what a paper site should: every paper's page links its arXiv
abstract and PDF and names its authors.

The site is built from a copy of the repository's example, and each built page
is parsed: the links, the author line and the ``citation_*`` tags must agree
with the paper's content file (its arXiv id and author list, which were
checked by hand against public pages about each paper).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_PAPERS = sorted((REPO / "content" / "papers").glob("*.md"))
ARXIV_ID = re.compile(r"^\d{4}\.\d{4,5}$")


def front(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text("utf-8").split("---\n")[1])
    assert isinstance(data, dict)
    return data


def test_every_example_paper_has_an_arxiv_id_and_authors() -> None:
    assert len(EXAMPLE_PAPERS) == 39
    ids = []
    for path in EXAMPLE_PAPERS:
        data = front(path)
        assert ARXIV_ID.match(str(data.get("arxiv", ""))), path.name
        authors = data.get("authors")
        assert isinstance(authors, list) and authors, path.name
        assert data.get("author_count") == len(authors), path.name
        ids.append(data["arxiv"])
    assert len(set(ids)) == len(ids)


def test_every_built_paper_page_links_arxiv_and_pdf_and_names_authors(
        example_site: Path, build_site: Callable[..., Path],
        parse_page: Callable[[Path], Any], tmp_path: Path) -> None:
    out = build_site(example_site, tmp_path / "out")
    pages = sorted((out / "papers").glob("*/index.html"))
    assert len(pages) == len(EXAMPLE_PAPERS)
    by_title = {str(front(p)["title"]): front(p) for p in EXAMPLE_PAPERS}
    for page in pages:
        root = parse_page(page)
        title = root.find(".//meta[@name='citation_title']").get("content")
        data = by_title.pop(title)
        links = {a.get("href"): "".join(a.itertext()).strip()
                 for a in root.findall(".//ul[@class='links']/li/a")}
        arxiv = data["arxiv"]
        assert links.get(f"https://arxiv.org/abs/{arxiv}") == "arXiv abstract", page
        assert links.get(f"https://arxiv.org/pdf/{arxiv}") == "PDF", page
        line = "".join(root.find(".//p[@class='authors']").itertext())
        assert line == "Authors: " + ", ".join(data["authors"]), page
        cited = [m.get("content") for m in root.findall(".//meta[@name='citation_author']")]
        assert cited == data["authors"], page
        assert root.find(".//meta[@name='citation_arxiv_id']").get("content") == arxiv
    assert not by_title  # every paper had its page
