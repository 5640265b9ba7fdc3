"""Citation exports that lose nothing, read back by the programs people use.

Two real bibliographies (``tests/fixtures/bibliographies/``, see its README)
go in as BibTeX, come out as the site's ``papers.bib`` and go in again: every
field must be the same. Debian's ``pandoc`` reads the BibTeX and the CSL-JSON
and renders a reference list with ``--citeproc``; ``rispy`` reads the RIS.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
import rispy
from conftest import CliResult

from sitegen.content import load_file
from sitegen.model import Paper

BIBS = Path(__file__).parent / "fixtures" / "bibliographies"
FIELDS = ("title", "authors", "authors_complete", "date", "precision", "entry_type", "venue",
          "event", "volume", "number", "pages", "publisher", "doi", "arxiv", "bibtex_key",
          "primary_category")
needs_pandoc = pytest.mark.skipif(shutil.which("pandoc") is None,
                                  reason="pandoc is not installed (scripts/test installs it)")

FLASH_BIB = r"""@inproceedings{alizadeh2023flash,
  title = {{LLM} in a flash: Efficient Large Language Model Inference with Limited Memory},
  author = {Alizadeh, Keivan and Mirzadeh, Iman and Belenko, Dmitry and others},
  booktitle = {Proceedings of the 62nd Annual Meeting of the
               Association for Computational Linguistics},
  volume = {1},
  pages = {12562--12584},
  publisher = {Association for Computational Linguistics},
  year = {2024},
  eprint = {2312.11514},
  archivePrefix = {arXiv},
}

@article{welland1980comments,
  author = {Robert Welland},
  title = {Editor's Comments},
  journal = {TUGboat},
  volume = {1}, number = {1}, pages = {2--3},
  month = oct, year = {1980},
}
"""


def contents(site: Path) -> dict[str, Paper]:
    """The site's papers by citation key."""
    found = {}
    for path in sorted((site / "content" / "papers").glob("*.md")):
        paper, problems = load_file(path, path.name)
        assert paper is not None, problems
        assert paper.bibtex_key and paper.bibtex_key not in found
        found[paper.bibtex_key] = paper
    return found


def imported(run_cli: Callable[[list[str]], CliResult], site: Path, bib: Path) -> None:
    site.mkdir(parents=True, exist_ok=True)
    (site / "sitegen.toml").write_text('base_url = "https://example.org/papers/"\n', "utf-8")
    code, _, err = run_cli(["import", "--site", str(site), str(bib)])
    assert code == 0, err


@pytest.mark.parametrize("name, count", [("tugboat-first-240", 240),
                                         ("nilearn-references", 123)])
def test_round_trip_keeps_every_field(tmp_path: Path, name: str, count: int,
                                      run_cli: Callable[[list[str]], CliResult],
                                      build_site: Callable[..., Path]) -> None:
    first, again = tmp_path / "first", tmp_path / "again"
    imported(run_cli, first, BIBS / f"{name}.bib")
    out = build_site(first, tmp_path / "out")
    imported(run_cli, again, out / "papers.bib")
    before, after = contents(first), contents(again)
    assert len(before) == count and set(after) == set(before)
    for key, paper in before.items():
        for field in FIELDS:
            assert getattr(after[key], field) == getattr(paper, field), (key, field)
    articles = [p for p in before.values() if p.entry_type == "article"]
    # Every article has its journal, but those whose "journal" is arXiv: they have the e-print.
    assert articles and all(p.venue or p.arxiv for p in articles)


@pytest.fixture
def flash_site(tmp_path: Path, run_cli: Callable[[list[str]], CliResult],
               build_site: Callable[..., Path]) -> Path:
    bib = tmp_path / "refs.bib"
    bib.write_text(FLASH_BIB, encoding="utf-8")
    imported(run_cli, tmp_path / "site", bib)
    return build_site(tmp_path / "site", tmp_path / "out")


FLASH = "papers/llm-in-a-flash-efficient-large-language-model-inference-with-limited-memory/"


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.links: list[str] = []
        self.time: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and (found.get("name") or "").startswith("citation_"):
            self.meta.append((found["name"] or "", found.get("content") or ""))
        if tag == "a" and "download" in found:
            self.links.append(found.get("href") or "")
        if tag == "time":
            self.time.append(found.get("datetime") or "")


def test_page_meta_and_export_links(flash_site: Path) -> None:
    page = (flash_site / FLASH / "index.html").read_text("utf-8")
    parser = _Meta()
    parser.feed(page)
    meta = parser.meta
    assert ("citation_conference_title", "Proceedings of the 62nd Annual Meeting of the "
            "Association for Computational Linguistics") in meta
    assert ("citation_volume", "1") in meta and ("citation_firstpage", "12562") in meta
    assert ("citation_lastpage", "12584") in meta and ("citation_publication_date", "2024") in meta
    assert [v for k, v in meta if k == "citation_author"] == [
        "Keivan Alizadeh", "Iman Mirzadeh", "Dmitry Belenko"]
    assert "et al." in page and "author list incomplete" in page
    assert "January" not in page and parser.time[0] == "2024"
    # Every export is linked, and each link leads to its file.
    names = sorted(href.rsplit("/", 1)[-1] for href in parser.links)
    slug = FLASH.split("/")[1]
    assert names == sorted([f"{slug}.bib"] * 2 + [f"{slug}.csl.json", f"{slug}.ris"])
    for href in parser.links:
        assert (flash_site / href.removeprefix("/papers/")).is_file(), href
    welland = (flash_site / "papers" / "editor-s-comments" / "index.html").read_text("utf-8")
    assert ("citation_journal_title", "TUGboat") in _parsed(welland)
    assert ("citation_issue", "1") in _parsed(welland)
    assert ("citation_publication_date", "1980/10") in _parsed(welland)


def _parsed(page: str) -> list[tuple[str, str]]:
    parser = _Meta()
    parser.feed(page)
    return parser.meta


def test_bibtex_has_type_venue_and_precision(flash_site: Path) -> None:
    bib = (flash_site / FLASH / (FLASH.split("/")[1] + ".bib")).read_text("utf-8")
    assert bib.startswith("@inproceedings{alizadeh2023flash,\n")
    assert "and Dmitry Belenko and others}" in bib
    assert "  booktitle = {Proceedings of the 62nd" in bib and "  pages = {12562--12584}," in bib
    assert "month" not in bib and "  year = {2024}," in bib and "  date = {2024}," in bib
    site_bib = (flash_site / "papers.bib").read_text("utf-8")
    assert "@article{welland1980comments," in site_bib and "  month = oct," in site_bib


def test_rispy_reads_the_ris(flash_site: Path) -> None:
    slug = FLASH.split("/")[1]
    (record,) = rispy.loads((flash_site / FLASH / f"{slug}.ris").read_text("utf-8"))
    assert record["type_of_reference"] == "CPAPER" and record["id"] == "alizadeh2023flash"
    assert record["authors"] == ["Alizadeh, Keivan", "Mirzadeh, Iman", "Belenko, Dmitry"]
    assert record["secondary_title"].startswith("Proceedings of the 62nd Annual Meeting")
    assert (record["volume"], record["start_page"], record["end_page"]) == ("1", "12562", "12584")
    assert record["year"] == "2024" and record["date"] == "2024///"
    assert any("incomplete" in note for note in record["notes"])
    (welland,) = rispy.loads((flash_site / "papers" / "editor-s-comments" /
                              "editor-s-comments.ris").read_text("utf-8"))
    assert (welland["type_of_reference"], welland["journal_name"], welland["number"]) == (
        "JOUR", "TUGboat", "1")


def test_csl_json_items(flash_site: Path) -> None:
    items = json.loads((flash_site / "papers.csl.json").read_text("utf-8"))
    by_id = {item["id"]: item for item in items}
    flash = by_id["alizadeh2023flash"]
    assert flash["type"] == "paper-conference" and flash["issued"] == {"date-parts": [[2024]]}
    assert flash["author"][-1] == {"literal": "others"} and flash["page"] == "12562-12584"
    assert by_id["welland1980comments"]["issued"] == {"date-parts": [[1980, 10]]}
    slug = FLASH.split("/")[1]
    assert json.loads((flash_site / FLASH / f"{slug}.csl.json").read_text("utf-8")) == [flash]


def test_csl_json_is_written_as_json_dumps_writes_it(
        tmp_path: Path, run_cli: Callable[[list[str]], CliResult]) -> None:
    """``papers.csl.json`` is joined from items the derive stage encoded one by one (and
    a paper's own file from its item): the bytes are still those of ``json.dumps(items,
    indent=2)``, on hostile text too, whether the items were just made or read back
    from the parse cache."""
    bib = tmp_path / "refs.bib"
    bib.write_text(FLASH_BIB, encoding="utf-8")
    imported(run_cli, tmp_path / "site", bib)
    (tmp_path / "site" / "content" / "papers" / "hostile.md").write_text(
        '---\ntitle: "Quotes \\" back\\\\slash \\u2028 tab\\t \\U0001F600 </script>"\n'
        'date: 2021-03-04\nauthors: ["Ünïcode Ädam", "Bea \\"O\\" Österreich"]\n'
        'venue: "Jé & {\\\\\\"}"\n---\nLine one,\n\nline \\u00e9 two.\n', encoding="utf-8")
    out = tmp_path / "site" / "public"

    def files() -> dict[str, str]:
        found = {p.relative_to(out).as_posix(): p.read_text("utf-8")
                 for p in [out / "papers.csl.json", *out.glob("papers/*/*.csl.json")]}
        assert len(found) == 4
        return found

    assert run_cli(["build", "--site", str(tmp_path / "site"), "-q"])[0] == 0
    first = files()
    items = json.loads(first["papers.csl.json"])
    assert len(items) == 3 and any("\u2028" in item["title"] for item in items)
    assert first["papers.csl.json"] == json.dumps(items, ensure_ascii=False, indent=2) + "\n"
    for name, text in first.items():
        if name != "papers.csl.json":
            (item,) = json.loads(text)
            assert item in items and text == json.dumps([item], ensure_ascii=False, indent=2) + "\n"
    for name in first:  # made again from the parse cache's items
        (out / name).unlink()
    assert run_cli(["build", "--site", str(tmp_path / "site"), "-q"])[0] == 0
    assert files() == first


def _citeproc(bibliography: Path, tmp_path: Path) -> str:
    doc = tmp_path / "doc.md"
    doc.write_text('---\nnocite: "@*"\n---\n', encoding="utf-8")
    return subprocess.run(["pandoc", "--citeproc", "--bibliography", str(bibliography),
                           "-t", "plain", "--wrap=none", str(doc)], check=True,
                          capture_output=True, text=True, timeout=120).stdout


@needs_pandoc
@pytest.mark.parametrize("name", ["papers.bib", "papers.csl.json"])
def test_pandoc_renders_venues(flash_site: Path, tmp_path: Path, name: str) -> None:
    text = _citeproc(flash_site / name, tmp_path)
    assert "Alizadeh, Keivan, Iman Mirzadeh, Dmitry Belenko, et al. 2024." in text
    assert "In Proceedings of the 62nd Annual Meeting of the Association for " \
           "Computational Linguistics, 1:12562–84." in text
    assert "TUGboat 1 (1): 2–3." in text


@needs_pandoc
def test_pandoc_reads_a_real_bibliography_export(tmp_path: Path,
                                                 run_cli: Callable[[list[str]], CliResult],
                                                 build_site: Callable[..., Path]) -> None:
    imported(run_cli, tmp_path / "site", BIBS / "nilearn-references.bib")
    out = build_site(tmp_path / "site", tmp_path / "out")
    for name in ("papers.bib", "papers.csl.json"):
        fmt = "bibtex" if name.endswith(".bib") else "csljson"
        made = subprocess.run(["pandoc", "-f", fmt, "-t", "csljson", str(out / name)],
                              check=True, capture_output=True, text=True, timeout=120)
        items = json.loads(made.stdout)
        assert len(items) == 123
        journals = [i for i in items if i.get("type") == "article-journal"]
        assert len(journals) == 105
        assert sum(1 for i in journals if i.get("container-title")) == 102  # 3 are arXiv only
    listed = _citeproc(out / "papers.csl.json", tmp_path)
    assert len(re.findall(r"NeuroImage", listed)) >= 20


HOSTILE = Path(__file__).parent / "hostile" / "accepted" / "tex-bibliographic-fields-breakout"


def test_hostile_fields_stay_data_in_every_format(tmp_path: Path,
                                                  build_site: Callable[..., Path]) -> None:
    site = tmp_path / "site"
    (site / "content" / "papers").mkdir(parents=True)
    (site / "sitegen.toml").write_text("", encoding="utf-8")
    text = (HOSTILE / "paper.md").read_text("utf-8").replace("{secret}", "SECRET")
    (site / "content" / "papers" / "x.md").write_text(text.replace("{marker}", "MARK"), "utf-8")
    out = build_site(site, tmp_path / "out")
    paper, _ = load_file(site / "content" / "papers" / "x.md", "x.md")
    assert paper is not None and paper.venue and "\nTY  - JOUR" in paper.venue
    # RIS: line breaks in values cannot start a record or a field of their own.
    ris = (out / "papers" / "x" / "x.ris").read_text("utf-8")
    assert [line[:2] for line in ris.splitlines()].count("TY") == 1
    (record,) = rispy.loads(ris)
    assert record["secondary_title"] == " ".join(paper.venue.split())
    assert record["abstract"] == " ".join(paper.body.split())
    # CSL-JSON: the values as they are, as JSON strings.
    (item,) = json.loads((out / "papers" / "x" / "x.csl.json").read_text("utf-8"))
    assert item["container-title"] == paper.venue and item["type"] == "article"
    # BibTeX: the key and the type are only letters and digits; nothing is TeX.
    bib = (out / "papers" / "x" / "x.bib").read_text("utf-8")
    assert bib.startswith("@misc{keynoteinputSECRETx,\n")
    assert "\\input" not in bib and "^^" not in bib
    # Meta tags: one line each.
    page = (out / "papers" / "x" / "index.html").read_text("utf-8")
    meta = _parsed(page)
    assert all("\n" not in content for _, content in meta)
    assert ("citation_issue", "2 TY - JOUR") in meta


def test_feeds_give_no_made_up_day(flash_site: Path) -> None:
    import xml.etree.ElementTree as ET

    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(flash_site / "feed.xml").getroot()
    entries = {e.findtext(f"{atom}title"): e for e in feed.iter(f"{atom}entry")}
    flash = entries["LLM in a flash: Efficient Large Language Model Inference with Limited Memory"]
    assert flash.find(f"{atom}published") is None  # the year 2024 has no day to publish
    items = {i.findtext("title"): i for i in ET.parse(flash_site / "rss.xml").iter("item")}
    assert items["Editor's Comments"].find("pubDate") is None
