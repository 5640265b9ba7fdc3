"""Citation metadata on paper pages and BibTeX files, parsed back and compared with the papers.

Every page must carry Google Scholar tags, OpenGraph and Twitter tags and a
JSON-LD ``ScholarlyArticle`` that parses as JSON. BibTeX files are read back
with bibtexparser: keys unique, fields as written, TeX specials escaped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import bibtexparser
import pytest

from sitegen.importers.content_files import dumps
from sitegen.model import Paper
from sitegen.outputs.bibtex import _suffix, citation_keys, tex_escape, tex_title

BASE = "https://example.org/"
PAPERS = [
    Paper(title="Attention Is All You Need", slug="attention", date=date(2017, 6, 12),
          body="Transformers.", authors=["Ashish Vaswani", "Noam Shazeer"],
          arxiv="1706.03762", tags=["llm"], upvotes=3, comments=1),
    Paper(title="Attention Is Not Enough", slug="attention-two", date=date(2017, 9, 1),
          body="More.", authors=["Jane Vaswani"], tags=["llm"]),
    Paper(title="50% of {braces} & under_scores #1 ~ ^ \\ cost $5", slug="specials",
          date=date(2024, 1, 2), body="Specials.", authors=["Smith, John", "Tom and Jerry"],
          doi="10.1000/a_b%c"),
    Paper(title="Bounds on $\\alpha$-divergence for LLMs", slug="alpha", date=date(2025, 2, 1),
          body="Math.", authors=["Émile Müller"]),
    Paper(title="Unsafe $\\input{/etc/passwd}$ formula", slug="unsafe", date=date(2025, 2, 2),
          body="Nothing </script> here.", author_count=4),
]


def _site(root: Path) -> Path:
    (root / "content" / "papers").mkdir(parents=True)
    (root / "sitegen.toml").write_text(f'title = "Scholar"\nbase_url = "{BASE}"\n'
                                       "search = false\n", encoding="utf-8")
    for paper in PAPERS:
        (root / "content" / "papers" / f"{paper.slug}.md").write_text(dumps(paper), "utf-8")
    return root


@pytest.fixture
def built(tmp_path: Path, build_site: Callable[..., Path]) -> Path:
    return build_site(_site(tmp_path / "site"), tmp_path / "out")


def _metas(page: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for meta in page.iter("meta"):
        name = meta.get("name") or meta.get("property")
        if name:
            found.setdefault(name, []).append(meta.get("content"))
    return found


def test_every_paper_page_has_scholar_tags_and_json_ld(built: Path,
                                                       parse_page: Callable[..., Any]) -> None:
    for paper in PAPERS:
        page = parse_page(built / "papers" / paper.slug / "index.html")
        metas = _metas(page)
        assert metas["citation_title"] == [paper.title]
        assert metas.get("citation_author", []) == paper.authors
        assert metas["citation_publication_date"] == [paper.date.strftime("%Y/%m/%d")]
        assert metas["og:type"] == ["article"] and metas["og:site_name"] == ["Scholar"]
        assert metas["og:url"] == [f"{BASE}papers/{paper.slug}/"]
        assert metas["og:title"] == [paper.title]
        assert metas["twitter:card"] == ["summary_large_image"]  # with the site's card
        assert metas["og:image"] == [f"{BASE}card.png"]
        assert metas["og:description"][0]
        if paper.arxiv:
            assert metas["citation_arxiv_id"] == [paper.arxiv]
            assert metas["citation_pdf_url"] == [f"https://arxiv.org/pdf/{paper.arxiv}"]
        else:
            assert "citation_arxiv_id" not in metas and "citation_pdf_url" not in metas
        scripts = [s for s in page.iter("script") if s.get("type") == "application/ld+json"]
        assert len(scripts) == 1
        record = json.loads(scripts[0].text)
        assert record["@type"] == "ScholarlyArticle" and record["name"] == paper.title
        assert record["datePublished"] == paper.date.isoformat()
        assert [a["name"] for a in record.get("author", [])] == paper.authors
        assert record["url"] == f"{BASE}papers/{paper.slug}/"
        assert record["abstract"] == paper.body


def _bib(text: str) -> Any:
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return library


def test_bibtex_files_parse_and_match_the_page(built: Path, parse_page: Callable[..., Any]
                                               ) -> None:
    everything = _bib((built / "papers.bib").read_text("utf-8"))
    keys = [entry.key for entry in everything.entries]
    assert len(keys) == len(PAPERS) == len(set(keys))
    for paper in PAPERS:
        own = (built / "papers" / paper.slug / f"{paper.slug}.bib").read_text("utf-8")
        page = parse_page(built / "papers" / paper.slug / "index.html")
        shown = "".join(page.find(".//pre[@id='bibtex']").itertext())
        assert shown == own
        assert len(_bib(own).entries) == 1
        download = next(a for a in page.iter("a") if a.get("download") is not None)
        assert download.get("href") == f"/papers/{paper.slug}/{paper.slug}.bib"
    assert {e.key for e in everything.entries} >= {"vaswani2017attention",
                                                   "vaswani2017attentionb"}


def test_bibtex_fields(built: Path) -> None:
    entries = {e.key: e for e in _bib((built / "papers.bib").read_text("utf-8")).entries}
    attention = entries["vaswani2017attention"]
    assert attention.entry_type == "misc"
    assert attention["eprint"] == "1706.03762" and attention["archivePrefix"] == "arXiv"
    assert attention["author"] == "Ashish Vaswani and Noam Shazeer"
    assert attention["url"] == "https://arxiv.org/abs/1706.03762"
    specials = entries["smith2024braces"]
    assert specials["author"] == "{Smith, John} and {Tom and Jerry}"
    assert specials["title"] == tex_title(PAPERS[2].title)
    assert specials["doi"] == "10.1000/a_b%25c"  # "%" would start a TeX comment
    assert entries["muller2025bounds"]["title"] == "Bounds on $\\alpha$-divergence for {LLMs}"
    unsafe = next(e for k, e in entries.items() if k.startswith("anon2025"))
    assert "\\input" not in unsafe["title"].replace("\\textbackslash{}input", "")
    assert unsafe["url"] == f"{BASE}papers/unsafe/"


def test_tex_escape_specials() -> None:
    assert tex_escape("a & b % c $ d # e _ f { g } h ~ i ^ j \\ k") == (
        "a \\& b \\% c \\$ d \\# e \\_ f \\textbraceleft{} g \\textbraceright{} h "
        "\\textasciitilde{} i \\textasciicircum{} j \\textbackslash{} k")
    assert tex_escape("line\n break\x00here") == "line break here"
    # Escaped text never leaves a brace unbalanced, as BibTeX counts braces (escaped too).
    escaped = tex_escape("}}{{")
    assert escaped == "\\textbraceright{}" * 2 + "\\textbraceleft{}" * 2


def _derived(papers: list[Paper], root: Path) -> Any:
    """The derived site of ``papers`` (default settings, no theme)."""
    from sitegen.config import Config
    from sitegen.derive import derive_site, make_settings

    data, _ = derive_site(papers, [None] * len(papers), make_settings(Config(root=root)),
                          root / ".sitegen-cache")
    return data


def test_citation_keys_are_unique_and_stable(tmp_path: Path) -> None:
    keys = {view.slug: view.cite_key for view in _derived(PAPERS, tmp_path).papers}
    assert keys["attention"] == "vaswani2017attention"
    assert keys["attention-two"] == "vaswani2017attentionb"
    newer = Paper(title="Attention Again", slug="zz-newer", date=date(2017, 12, 1),
                  authors=["A. Vaswani"])
    more = {view.slug: view.cite_key for view in _derived([*PAPERS, newer], tmp_path).papers}
    assert {k: more[k] for k in keys} == keys  # a newer paper never renames older keys
    assert more["zz-newer"] == "vaswani2017attentionc"
    stems = [(p.date, p.slug or "", "stem") for p in PAPERS]
    assert citation_keys(stems) == dict(zip([p.slug for p in sorted(PAPERS, key=lambda p: (
        p.date, p.slug))], ["stem", "stemb", "stemc", "stemd", "steme"], strict=True))
    assert [_suffix(n) for n in (1, 25, 26, 27)] == ["b", "z", "ba", "bb"]


def test_paper_page_keys_follow_citation_keys(tmp_path: Path) -> None:
    """Deleting the older of two papers with one key stem renames the newer one's key,
    so its page (which shows the entry) must be rebuilt although nothing else changed."""
    from sitegen.pages import plan_pages

    older = Paper(title="Memory Matters", slug="mm-1", date=date(2022, 1, 1), authors=["A Lee"])
    newer = Paper(title="Memory Matters", slug="mm-2", date=date(2022, 12, 1), authors=["A Lee"])

    def page_key(papers: list[Paper]) -> str:
        jobs = plan_pages(_derived(papers, tmp_path), lambda template, context: b"")
        return next(j.key for j in jobs if j.path == "papers/mm-2/index.html")

    assert page_key([newer, older]) != page_key([newer])
