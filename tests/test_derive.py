"""The derive stage: each derived part is made again exactly when what it depends on changes.

A paper's ``Derived`` is kept in the parse cache between builds; its ``Basis``
names the settings it was made with. These tests change one setting at a time
and check which parts are made again (a new object, from a counted call) and
which are kept (the very same object).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sitegen import derive
from sitegen.config import Config
from sitegen.derive import derive_paper, derive_site, make_settings
from sitegen.model import Paper
from sitegen.taxonomy import Tagger


def _paper(**fields: Any) -> Paper:
    values: dict[str, Any] = {"title": "Sparse $x^2$ Attention", "date": date(2024, 3, 1),
                              "slug": "sparse", "body": "We study *sparse* attention.",
                              "authors": ["Ada Lovelace"], "arxiv": "2403.00001"}
    values.update(fields)
    return Paper(**values)


class Cards:
    """A card renderer that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, view: Any) -> str:
        self.calls += 1
        return f"<card {view.slug} {view.title_html} {[t.name for t in view.tags]}>"


def test_everything_is_kept_while_nothing_changes(tmp_path: Path) -> None:
    cards = Cards()
    settings = make_settings(Config(root=tmp_path, papers_json=True), "env-1", card=cards)
    paper = _paper()
    first = derive_paper(paper, settings)
    assert cards.calls == 1 and first.card is not None and first.record is not None
    again = derive_paper(paper, settings, old=first)
    assert again == first and cards.calls == 1
    assert all(new is old for new, old in zip(again, first, strict=True))


def test_a_theme_change_redoes_the_card_only(tmp_path: Path) -> None:
    cards = Cards()
    config = Config(root=tmp_path, papers_json=True)
    first = derive_paper(_paper(), make_settings(config, "env-1", card=cards))
    again = derive_paper(_paper(), make_settings(config, "env-2", card=cards), old=first)
    assert cards.calls == 2 and again.basis.theme == "env-2"
    for name in ("tags", "key", "summary", "title_html", "cite_base", "bib", "record"):
        assert getattr(again, name) is getattr(first, name), name


def test_a_base_url_change_redoes_citations_and_records(tmp_path: Path) -> None:
    paper = _paper(arxiv=None)  # cited by its page's URL, which depends on base_url
    old = Config(root=tmp_path, base_url="https://a.example/", papers_json=True)
    new = replace(old, base_url="https://b.example/")
    first = derive_paper(paper, make_settings(old, "env"))
    again = derive_paper(paper, make_settings(new, "env"), old=first)
    assert "https://b.example/papers/sparse/" in again.bib
    assert b"https://b.example/papers/sparse/" in (again.record or b"")
    assert again.title_html is first.title_html and again.key is first.key


def test_math_setting_redoes_the_title(tmp_path: Path) -> None:
    first = derive_paper(_paper(), make_settings(Config(root=tmp_path, math=True)))
    again = derive_paper(_paper(), make_settings(Config(root=tmp_path, math=False)), old=first)
    assert "<math" in first.title_html and "<math" not in again.title_html
    assert again.bib is first.bib


def test_new_keyword_rules_redo_the_tags_and_what_shows_them(tmp_path: Path) -> None:
    paper = _paper(tags=[])
    config = Config(root=tmp_path)
    plain = derive_paper(paper, make_settings(config, tagger=Tagger({"sparsity": ["sparse"]})))
    assert plain.tags == ("sparsity",)
    ruled = derive_paper(paper, make_settings(config, tagger=Tagger({"attention": ["atten*"]})),
                         old=plain)
    assert ruled.tags == ("attention",) and ruled.key != plain.key
    same = derive_paper(paper, make_settings(config, tagger=Tagger(
        {"sparsity": ["sparse"], "unused": ["nowhere"]})), old=plain)
    assert same.tags == plain.tags and same.key is plain.key  # other rules, same tags


def test_spellings_sharing_a_slug_show_one_name_everywhere(tmp_path: Path) -> None:
    """Two tag names with one slug are one tag: pages show its first name in sort order,
    and the key of a paper whose own spelling differs says so."""
    papers = [_paper(slug="a", tags=["Large-Language Models"]),
              _paper(slug="b", tags=["large language models"], date=date(2024, 3, 2))]
    settings = make_settings(Config(root=tmp_path))
    alone = derive_paper(papers[0], settings)
    data, fresh = derive_site(papers, [alone, None], settings, tmp_path / "cache")
    assert [t.name for t in data.tags] == ["large language models"]
    assert [t.slug for t in data.tags] == ["large-language-models"]
    by_slug = {view.slug: view for view in data.papers}
    assert [t.name for t in by_slug["a"].tags] == ["large language models"]
    assert by_slug["a"].derived.tags == ("large-language models",)  # its own spelling kept
    assert by_slug["a"].key != alone.key  # what its pages show changed
    assert set(fresh) == {0, 1}  # made again: one stale, one never derived


def test_the_site_keeps_what_is_current_and_orders_papers(tmp_path: Path) -> None:
    settings = make_settings(Config(root=tmp_path))
    papers = [_paper(slug="old", title="Old", date=date(2020, 1, 1)),
              _paper(slug="new", title="New", date=date(2024, 1, 1)),
              _paper(slug="mid", title="Mid", date=date(2022, 1, 1), authors=["B Bee"])]
    made = [derive_paper(paper, settings) for paper in papers]
    data, fresh = derive_site(papers, made, settings, tmp_path / "cache")
    assert fresh == {}
    assert [v.slug for v in data.papers] == ["new", "mid", "old"]
    assert [v.derived for v in data.papers] == [made[1], made[2], made[0]]
    assert data.papers[1].newer is data.papers[0] and data.papers[1].older is data.papers[2]
    assert {v.slug: v.cite_key for v in data.papers} == {
        "old": "lovelace2020old", "new": "lovelace2024new", "mid": "bee2022mid"}


@pytest.mark.parametrize("parallel", [False, True])
def test_many_stale_papers_are_derived_again_alike_in_workers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool) -> None:
    monkeypatch.setattr(derive, "PARALLEL_DERIVE", 2)
    config = Config(root=tmp_path, papers_json=True)
    papers = [_paper(slug=f"p{n}", title=f"Paper {n}", tags=[f"t{n % 3}"]) for n in range(9)]
    old = [derive_paper(paper, make_settings(config, "env-1", card=Cards())) for paper in papers]
    data, fresh = derive_site(papers, old, make_settings(config, "env-2", card=Cards()),
                              tmp_path / "cache", parallel=parallel)
    assert sorted(fresh) == list(range(9))
    assert all(d.basis.theme == "env-2" and d.card for d in fresh.values())
    assert all(fresh[n].record == old[n].record for n in range(9))
    assert len(data.papers) == 9
