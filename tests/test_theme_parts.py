"""What the default theme shows of a paper, and the tag report.

The paper views give links made from the arXiv id (abstract, PDF, the Hugging
Face page and its discussion) and the code links; the parts for fields the
model may carry (venue, AI summary, GitHub stars, categories, arXiv comment)
render nothing while a paper lacks them and show as soon as it has them. The
default keyword rules are measured on the example site's real abstracts, and
the tag report is read from ``build --verbose`` and ``check``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import html5lib
import pytest

from sitegen.config import Config
from sitegen.derive import derive_site, make_settings
from sitegen.model import Link, Paper
from sitegen.outputs.jobs import template_helpers
from sitegen.render import Renderer
from sitegen.tag_report import MIN_PAPERS, make_report, papers_json_report, report_of
from sitegen.taxonomy import Tagger, load_rules
from sitegen.views import PaperView

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "themes" / "default" / "tag_rules.toml"
NS = {"h": "http://www.w3.org/1999/xhtml"}
EXTRAS = {"venue": "NeurIPS 2025", "ai_summary": "A <b>short</b> machine summary.",
          "github_stars": 1234, "categories": ["cs.CL", "cs.LG"],
          "arxiv_comment": "12 pages, 3 figures"}


def _views(tmp_path: Path, renderer: Renderer, *papers: Paper) -> list[PaperView]:
    settings = make_settings(renderer.config, card=renderer.render_card)
    return derive_site(list(papers), [None] * len(papers), settings, tmp_path / "cache")[0].papers


@pytest.fixture
def renderer(tmp_path: Path) -> Renderer:
    config = Config(root=tmp_path, base_url="https://example.org/")
    made = Renderer(config, tmp_path / "jinja")
    made.env.globals.update({**template_helpers(config), "menu": []})
    return made


def _paper(**fields: Any) -> Paper:
    values: dict[str, Any] = {"title": "A Paper", "date": date(2025, 10, 8), "body": "Text.",
                              "slug": "a-paper", "tags": ["t"]}
    return Paper(**{**values, **fields})


def _page(renderer: Renderer, view: PaperView) -> Any:
    from sitegen.pages import PageMeta

    text = renderer.renderer("paper.html")({"site": renderer.config, "build_date": None,
                                            "page": PageMeta("paper", view.title, view.path),
                                            "paper": view})
    return html5lib.parse(text)


def _text(tree: Any, path: str) -> list[str]:
    return ["".join(node.itertext()).strip() for node in tree.findall(path, NS)]


def test_links_come_from_the_arxiv_id_and_the_code_links(renderer: Renderer,
                                                         tmp_path: Path) -> None:
    view = _views(tmp_path, renderer, _paper(
        arxiv="2312.11514", comments=3, upvotes=7,
        links=[Link("project", "https://p.example/"), Link("code", "https://github.com/a/b")]))[0]
    assert view.arxiv_url == "https://arxiv.org/abs/2312.11514"
    assert view.pdf_url == "https://arxiv.org/pdf/2312.11514"
    assert view.hf_url == "https://huggingface.co/papers/2312.11514"
    assert view.hf_discussion_url == "https://huggingface.co/papers/2312.11514#community"
    assert [link.url for link in view.code_links] == ["https://github.com/a/b"]
    card = html5lib.parse((view.derived.card or b"").decode("utf-8"))
    hrefs = {a.text: a.get("href") for a in card.findall(".//h:ul[@class='quick-links']//h:a", NS)}
    assert hrefs == {"arXiv": view.arxiv_url, "PDF": view.pdf_url,
                     "Code": "https://github.com/a/b", "HF": view.hf_url}
    stats = card.find(".//h:ul[@class='stats']", NS)
    assert stats[0].get("class") == "upvotes" and stats[0].find("h:strong", NS).text == "7"
    assert stats[1].find("h:a", NS).get("href") == view.hf_discussion_url
    page = _page(renderer, view)
    side = _text(page, ".//h:aside//h:ul[@class='links']/h:li")
    assert side == ["Project page", "Code", "arXiv abstract", "PDF", "Hugging Face page",
                    "Discussion (3)"]


def test_without_an_arxiv_id_there_are_no_arxiv_or_hf_links(renderer: Renderer,
                                                            tmp_path: Path) -> None:
    view = _views(tmp_path, renderer, _paper(comments=2))[0]
    assert (view.arxiv_url, view.hf_url, view.hf_discussion_url) == (None, None, None)
    card = html5lib.parse((view.derived.card or b"").decode("utf-8"))
    assert card.findall(".//h:ul[@class='quick-links']", NS) == []
    assert _text(card, ".//h:ul[@class='stats']/h:li") == ["2 comments"]


def test_fields_the_model_lacks_render_nothing(renderer: Renderer, tmp_path: Path) -> None:
    view = _views(tmp_path, renderer, _paper(arxiv="2312.11514"))[0]
    assert (view.venue, view.ai_summary, view.stars, view.arxiv_comment) == (None,) * 4
    assert view.categories == []
    page = _page(renderer, view)
    assert page.findall(".//h:span[@class='venue']", NS) == []
    assert page.findall(".//h:section[@class='ai-summary']", NS) == []
    assert _text(page, ".//h:dl[@class='facts']/h:dt") == ["Published", "arXiv"]


def test_bibliographic_and_hub_fields_are_shown_escaped(renderer: Renderer, tmp_path: Path) -> None:
    """A paper with venue, AI summary, stars, categories and comment shows each, escaped."""
    paper = _paper(arxiv="2312.11514")
    for name, value in EXTRAS.items():
        setattr(paper, name, value)
    view = _views(tmp_path, renderer, paper)[0]
    card = html5lib.parse((view.derived.card or b"").decode("utf-8"))
    assert _text(card, ".//h:span[@class='venue']") == ["NeurIPS 2025"]
    assert _text(card, ".//h:p[@class='summary']") == ["AI summary: A <b>short</b> machine "
                                                       "summary."]
    assert _text(card, ".//h:li[@class='stars']") == ["★ 1234 GitHub stars"]
    page = _page(renderer, view)
    assert _text(page, ".//h:section[@class='ai-summary']/h:p") == [EXTRAS["ai_summary"]]
    facts = dict(zip(_text(page, ".//h:dl[@class='facts']/h:dt"),
                     _text(page, ".//h:dl[@class='facts']/h:dd"), strict=True))
    assert facts["Venue"] == "NeurIPS 2025" and facts["Comment"] == "12 pages, 3 figures"
    assert _text(page, ".//h:ul[@class='categories']/h:li") == ["cs.CL", "cs.LG"]


def test_the_default_rules_tell_the_example_papers_apart() -> None:
    """Measured on the example site's 39 real abstracts: no tag on more than half of them,
    none untagged (the rules before had `llm` on every one)."""
    tagger = Tagger(load_rules(RULES))
    tagged = []
    for path in sorted((REPO / "content" / "papers").glob("*.md")):
        head, body = path.read_text("utf-8").split("\n---\n", 1)
        title = re.search(r'^title: "(.*)"$', head, re.M)
        assert title is not None
        tagged.append((path.name, tagger.tags_for(title.group(1), body)))
    report = report_of(tagged)
    assert report.papers >= MIN_PAPERS
    assert report.broad == () and report.untagged == ()
    assert report.lines() == []


def test_the_report_names_broad_tags_and_untagged_papers() -> None:
    report = make_report(12, {"llm": 12, "memory": 6, "agents": 7}, ["a.md", "b.md"])
    assert report.broad == (("llm", 12), ("agents", 7))
    assert report.lines() == [
        "tag 'llm' is on 12 of 12 papers (100%): too broad to tell them apart",
        "tag 'agents' is on 7 of 12 papers (58%): too broad to tell them apart",
        "2 of 12 papers have no tag: a.md, b.md"]
    assert make_report(MIN_PAPERS - 1, {"llm": 9}, []).lines() == []
    many = make_report(30, {}, [f"p{n}.md" for n in range(14)]).lines()
    assert many == ["14 of 30 papers have no tag: " + ", ".join(f"p{n}.md" for n in range(10))
                    + " and 4 more"]


def test_build_verbose_and_check_print_the_report(tmp_path: Path,
                                                  run_cli: Callable[..., Any]) -> None:
    papers = tmp_path / "site"
    shutil.copytree(REPO / "content", papers / "content")
    (papers / "sitegen.toml").write_text(
        'base_url = "https://example.org/"\nsearch = false\n[tag_rules]\n'
        '"llm" = ["large language model*"]\n', "utf-8")
    code, out, _ = run_cli(["build", "--site", str(papers), "--verbose"])
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("tags: ")]
    assert lines[0].startswith("tags: tag 'llm' is on ")
    untagged = re.fullmatch(r"tags: (\d+) of (\d+) papers have no tag: (.*)", lines[1])
    assert untagged is not None and untagged.group(3).startswith("content/papers/")
    assert int(untagged.group(1)) > 0
    code, out, _ = run_cli(["check", "--site", str(papers)])
    assert code == 0
    report = papers_json_report(papers / "public" / "papers.json")
    assert report is not None and report.untagged
    assert f"{len(report.untagged)} of {report.papers} papers have no tag" in out
    assert "tags (see docs/tags.md" in out
