"""``sitegen import DIR``: papers brought over from Hugo Blox, al-folio / Jekyll and
academicpages content folders (real samples, see tests/fixtures/generators/README.md)."""

from __future__ import annotations

import contextlib
import io
import shutil
from datetime import date
from pathlib import Path

from conftest import make_site_for, wrote_nothing

from sitegen.cli import main
from sitegen.content import load_file
from sitegen.model import Paper

GEN = Path(__file__).parent / "fixtures" / "generators"


def sitegen(*args: str | Path) -> tuple[int, str, str]:
    make_site_for(args)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def papers(site: Path) -> dict[str, Paper]:
    found = {}
    for path in sorted((site / "content" / "papers").glob("*.md")):
        paper, problems = load_file(path, path.name)
        assert paper is not None, problems
        found[paper.title] = paper
    return found


def test_hugo_blox_publications_with_toml_front_matter(tmp_path: Path) -> None:
    code, out, err = sitegen("import", "--site", tmp_path / "site", GEN / "hugo-blox")
    assert code == 0, err
    assert "2 added" in out
    # The cite.bib beside one page is about another paper: said, and not used.
    assert 'cite.bib:1: warning: is about "A Supervised Approach' in err
    found = papers(tmp_path / "site")
    mtl = found["Multi-Task Learning of Keyphrase Boundary Classification"]
    assert mtl.date == date(2017, 7, 1) and mtl.doi is None
    assert mtl.authors == ["Isabelle Augenstein", "Anders Søgaard"]
    assert mtl.body.startswith("Keyphrase boundary classification (KBC)")
    assert [link.url for link in mtl.links][0] == "http://aclweb.org/anthology/P17-2054"
    tdr = found["Genomic-scale prioritization of drug targets: the TDR Targets database"]
    assert tdr.doi == "10.1038/nrd2684" and len(tdr.authors) == 28
    assert [link.url for link in tdr.links] == ["http://tdrtargets.org"]


def test_al_folio_bibliography_and_academicpages(tmp_path: Path) -> None:
    site = tmp_path / "site"
    code, out, err = sitegen("import", "--site", site, "--strict", GEN / "al-folio",
                             GEN / "academicpages")
    assert code == 0, err
    found = papers(site)
    assert len(found) == 4
    tsc = found["[A+] Scheduling Inter-Datacenter Video Flows for Cost Efficiency"]
    assert tsc.date == date(2021, 5, 1) and tsc.doi == "10.1109/TSC.2018.2841868"
    perm = found["Permutation-based true discovery guarantee by sum tests"]
    assert perm.date == date(2023, 1, 1)
    assert perm.body.startswith("Sum-based global tests are highly popular")


def test_json_front_matter_and_pages_that_are_not_papers(tmp_path: Path) -> None:
    # Written for this test: a Hugo site with JSON front matter and an about page.
    root = tmp_path / "hugo"
    (root / "content" / "papers").mkdir(parents=True)
    (root / "content" / "papers" / "flash.md").write_text(
        '{\n  "title": "LLM in a flash",\n  "date": "2023-12-12",\n  "arxiv": "2312.11514",\n'
        '  "authors": ["Keivan Alizadeh"]\n}\nBody text.\n', encoding="utf-8")
    (root / "content" / "papers" / "broken.md").write_text(
        '+++\ntitle = "No date"\n+++\n', encoding="utf-8")
    (root / "content" / "about.md").write_text("---\ntitle: About me\n---\nHi.\n",
                                               encoding="utf-8")
    code, out, err = sitegen("import", "--site", tmp_path / "site", root)
    assert code == 0 and "1 added" in out
    assert f"{root}/content/papers/broken.md:2: warning: page 'No date' has no 'date'" in err
    (paper,) = papers(tmp_path / "site").values()
    assert (paper.arxiv, paper.body) == ("2312.11514", "Body text.")
    code, _, err = sitegen("import", "--site", tmp_path / "strict", "--strict", root)
    assert code == 1 and wrote_nothing(tmp_path / "strict")


def test_a_folder_without_papers_and_the_site_own_content(tmp_path: Path) -> None:
    empty = tmp_path / "blog"
    (empty / "_posts").mkdir(parents=True)
    (empty / "_posts" / "2024-01-01-hello.md").write_text("---\ntitle: Hello\n---\n",
                                                          encoding="utf-8")
    code, _, err = sitegen("import", "--site", tmp_path / "site", empty)
    assert code == 1 and "no paper found in this input" in err and "nothing imported" in err
    site = tmp_path / "own"
    shutil.copytree(GEN / "academicpages", site / "content" / "papers")
    code, _, err = sitegen("import", "--site", site, site / "content")
    assert code == 1 and "is this site's own content" in err


def test_yaml_alias_bomb_in_front_matter(tmp_path: Path) -> None:
    # Written for this test: nine levels of aliases, a billion names if ever printed.
    levels = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for n, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[n]
        levels.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]")
    page = tmp_path / "site-old" / "publication" / "bomb" / "index.md"
    page.parent.mkdir(parents=True)
    page.write_text("---\n" + "\n".join(levels) + "\ntitle: *i\nauthors: *i\ndate: 2020-01-01\n"
                    "---\n", encoding="utf-8")
    code, _, err = sitegen("import", "--site", tmp_path / "site", tmp_path / "site-old")
    assert code == 1 and "page has no 'title'" in err
