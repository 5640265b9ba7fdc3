"""Merges that do not depend on the order of imports, and duplicates inside one input.

Three real samples (an arXiv Atom response, a Hugging Face API item, two lines
of the arXiv metadata snapshot) and a BibTeX file that cites three of their
papers are imported in every order, one input per import: the content files
must come out byte-identical, and hold what the precedence table says.
"""

from __future__ import annotations

import contextlib
import io
from itertools import permutations
from pathlib import Path

from conftest import make_site_for, needs_shared, shared_fixture

from sitegen.cli import main
from sitegen.content import load_file
from sitegen.model import Paper

ATOM = shared_fixture("arxiv_atom_2025format_all-electron.xml")
JSONL = shared_fixture("arxiv_kaggle_oai_snapshot_2lines.jsonl")
HF_ITEM = shared_fixture("hf_api_daily_papers_item_2602.23229.json")
BIB = Path(__file__).parent / "fixtures" / "inputs" / "overlap_constructed.bib"
INPUTS = (ATOM, JSONL, HF_ITEM, BIB)


def sitegen(*args: str | Path) -> tuple[int, str, str]:
    make_site_for(args)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def content(site: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((site / "content" / "papers").glob("*.md"))}


def by_arxiv(site: Path) -> dict[str, Paper]:
    found = {}
    for path in sorted((site / "content" / "papers").glob("*.md")):
        paper, problems = load_file(path, path.name)
        assert paper is not None, problems
        found[paper.arxiv or paper.title] = paper
    return found


@needs_shared
def test_every_order_of_imports_gives_the_same_files(tmp_path: Path) -> None:
    results: dict[tuple[str, ...], dict[str, bytes]] = {}
    for number, order in enumerate(permutations(INPUTS)):
        site = tmp_path / f"site{number}"
        for path in order:
            code, _, err = sitegen("import", "--site", site, path)
            assert code == 0, err
        results[tuple(p.name for p in order)] = content(site)
    assert len(results) == 24
    first = next(iter(results.values()))
    assert len(first) == 13  # 10 Atom entries, 2 snapshot lines, the API item; the .bib adds none
    for order, files in results.items():
        assert files == first, f"import order {order} gave different files"


@needs_shared
def test_precedence_of_sources(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for path in (BIB, HF_ITEM, ATOM, JSONL):
        code, _, err = sitegen("import", "--site", site, path)
        assert code == 0, err
    papers = by_arxiv(site)
    hf = papers["2602.23229"]
    # The API gives the day and every author; BibTeX gave the year and "and others".
    assert (hf.date.isoformat(), hf.precision) == ("2026-02-26", "day")
    assert len(hf.authors) == 5 and hf.authors_complete
    assert hf.bibtex_key == "garosi2026lmm" and hf.primary_category == "cs.CV"
    assert hf.github_stars == 9 and hf.hf_url == "https://huggingface.co/papers/2602.23229"
    assert hf.thumbnail and hf.thumbnail.endswith("/2602.23229.png")
    assert hf.origin["date"] == "hf-api" and hf.origin["bibtex_key"] == "bibtex"
    sobota = papers["1401.3078"]
    # arXiv's title and day; the bibliography's type, venue, volume and pages.
    assert sobota.title.startswith("Ultrafast Electron Dynamics") and sobota.precision == "day"
    assert (sobota.entry_type, sobota.venue, sobota.volume, sobota.pages) == (
        "article", "Journal of Electron Spectroscopy and Related Phenomena", "195", "249–257")
    assert sobota.journal_ref == "J. Electron Spectrosc. Relat. Phenom. 195, 249 (2014)"
    assert sobota.categories == ["cond-mat.mtrl-sci", "cond-mat.mes-hall"]
    assert sobota.origin["title"] == "arxiv-atom" and sobota.origin["venue"] == "bibtex"
    # A complete list from arXiv beats the truncated one of the .bib.
    assert sobota.authors_complete and len(sobota.authors) > 2
    old = papers["hep-th/9608091"]
    assert old.venue == "Physics Letters B" and old.doi == "10.1016/S0370-2693(96)01409-8"
    assert old.date.year == 1996 and old.precision == "day"  # the first version, not 1997


def test_year_only_date_stays_a_year(tmp_path: Path) -> None:
    site = tmp_path / "site"
    code, _, err = sitegen("import", "--site", site, BIB)
    assert code == 0, err
    text = (site / "content" / "papers" /
            "large-multimodal-models-as-general-in-context-classifiers.md").read_text("utf-8")
    assert "\ndate: '2026'\n" in text and "authors_complete: false" in text


BIB_TWICE = """\
@inproceedings{he2016deep,
  title = {Deep Residual Learning for Image Recognition},
  author = {He, Kaiming and Zhang, Xiangyu and others},
  booktitle = {Proceedings of the IEEE Conference on Computer Vision and Pattern Recognition},
  pages = {770--778},
  year = {2016},
  eprint = {1512.03385},
  archivePrefix = {arXiv},
}

@misc{he2015resnet,
  title = {Deep Residual Learning for Image Recognition},
  author = {He, Kaiming and Zhang, Xiangyu and Ren, Shaoqing and Sun, Jian},
  year = {2015},
  month = dec,
  eprint = {1512.03385},
  archivePrefix = {arXiv},
}
"""


def test_duplicate_entries_are_named_and_merged(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB_TWICE, encoding="utf-8")
    site = tmp_path / "site"
    code, _, err = sitegen("import", "--site", site, bib)
    assert code == 0, err
    assert f"{bib}:1 and {bib}:11: warning: the same paper (arXiv 1512.03385); merged" \
        in err.splitlines()
    (paper,) = by_arxiv(site).values()
    # The venue of one and the complete list and month of the other: nothing lost.
    assert paper.venue.startswith("Proceedings of the IEEE") and paper.pages == "770–778"
    assert paper.entry_type == "inproceedings" and len(paper.authors) == 4
    assert paper.authors_complete and (paper.date.isoformat(), paper.precision) == (
        "2015-12-01", "month")
    # Swapping the two entries gives the same file.
    (tmp_path / "swapped").mkdir()
    swapped = tmp_path / "swapped" / "refs.bib"  # the same name: sources name their files
    swapped.write_text("\n".join(reversed(BIB_TWICE.split("\n\n"))), encoding="utf-8")
    other = tmp_path / "other"
    assert sitegen("import", "--site", other, swapped)[0] == 0
    assert content(other) == content(site)


def test_duplicates_fail_under_strict(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB_TWICE, encoding="utf-8")
    site = tmp_path / "site"
    code, _, err = sitegen("import", "--strict", "--site", site, bib)
    assert code == 1
    assert "the same paper (arXiv 1512.03385); merged" in err
    assert not list((site / "content").rglob("*.md"))


def test_same_title_different_keys_stay_two_papers(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{a1, title={Editor's Comments}, author={A. Writer}, year={1980},"
                   " journal={TUGboat}, volume={1}}\n"
                   "@article{a2, title={Editor's Comments}, author={B. Writer}, year={1981},"
                   " journal={TUGboat}, volume={2}}\n", encoding="utf-8")
    site = tmp_path / "site"
    code, _, err = sitegen("import", "--site", site, bib)
    assert code == 0 and "the same paper" not in err
    keys = [load_file(path, path.name)[0] for path in (site / "content" / "papers").glob("*.md")]
    assert sorted(p.bibtex_key or "" for p in keys if p is not None) == ["a1", "a2"]


ATOM_WITH_CODES = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <entry>
    <id>http://arxiv.org/abs/2301.00001v3</id>
    <published>2023-01-02T10:00:00Z</published>
    <title>A ``quoted'' title</title>
    <summary>An abstract with ``TeX quotes'' in it.</summary>
    <author><name>Ann Lee</name></author>
    <arxiv:primary_category term="math.CO"/>
    <category term="cs.DM" scheme="http://arxiv.org/schemas/atom"/>
    <category term="math.CO" scheme="http://arxiv.org/schemas/atom"/>
    <category term="05C70" scheme="http://arxiv.org/schemas/atom"/>
    <category term="G.2.2" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>
"""


def test_arxiv_categories_apart_from_class_codes() -> None:
    from sitegen.importers.arxiv import parse_atom

    (paper,) = parse_atom(ATOM_WITH_CODES, "constructed.xml").papers
    assert paper.primary_category == "math.CO"
    assert paper.categories == ["math.CO", "cs.DM"] and paper.classes == ["05C70", "G.2.2"]
    assert paper.arxiv_version == 3
    assert paper.title == "A \u201cquoted\u201d title" and "\u201cTeX quotes\u201d" in paper.body


def test_old_files_and_partial_dates_load() -> None:
    from sitegen.frontmatter import parse_paper

    old = ('---\ntitle: "Old"\ndate: 2023-12-12\nvenue: "ACL"\nbibtex_key: "k1"\n'
           'categories:\n- "cs.CL"\narxiv_version: 2\nkeywords: ["a", "b"]\n---\n')
    paper, problems = parse_paper(old, "old.md")
    assert paper is not None and not problems and not paper.extra
    assert (paper.venue, paper.bibtex_key, paper.categories, paper.arxiv_version) == (
        "ACL", "k1", ["cs.CL"], 2)
    assert paper.precision == "day" and paper.authors_complete
    for text, precision in (("2023", "year"), ("'2023'", "year"), ("2023-12", "month")):
        paper, problems = parse_paper(f"---\ntitle: T\ndate: {text}\n---\n", "p.md")
        assert paper is not None and paper.precision == precision, problems
    _, problems = parse_paper("---\ntitle: T\ndate: 2023-13\nauthors_complete: maybe\n---\n",
                              "bad.md")
    assert [str(p) for p in problems] == [
        "bad.md:3: date: '2023-13' is not a valid date (month must be 1 to 12)",
        "bad.md:4: authors_complete: expected true or false, got 'maybe'"]


def test_new_fields_survive_the_build_cache_pickle() -> None:
    import pickle

    from sitegen.frontmatter import parse_paper

    text = ('---\ntitle: "T"\ndate: 2023-12\nauthors: ["A B"]\nauthors_complete: false\n'
            'entry_type: "article"\nvenue: "J"\npages: "1--2"\nclasses: ["68T50"]\n'
            'origin:\n  venue: "bibtex"\n---\n')
    paper, problems = parse_paper(text, "p.md")
    assert paper is not None and not problems
    again = pickle.loads(pickle.dumps(paper))
    assert again == paper and again.when.text() == "2023-12" and not again.authors_complete
    assert again.origin == {"venue": "bibtex"} and again.classes == ["68T50"]
