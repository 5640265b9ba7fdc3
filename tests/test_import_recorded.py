"""Importing real recorded answers that the format readers were not written from: an
arXiv OAI-PMH ``oai_dc`` page and a scraper's Markdown capture of a Hugging Face papers
page (tests/fixtures/<format>/README.md says where each comes from). The expected fields
are read from the fixtures here, by hand or with the standard library, not by the
importer."""

from __future__ import annotations

import contextlib
import io
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

from conftest import make_site_for

from sitegen.cli import main
from sitegen.importers import arxiv_feeds, detect, hf_capture
from sitegen.model import Paper

FIX = Path(__file__).parent / "fixtures"
OAI_DC = FIX / "arxiv-oai" / "listrecords-oai_dc-cs-2024-01-27.xml"
CAPTURE = FIX / "hf-capture" / "papers-q-source-citations-firecrawl-2026-10-02.md"
EXPORT = FIX / "hf-capture" / "papers-q-intercode-bash-notebook-export-2026-07-28.md"
DC = "{http://purl.org/dc/elements/1.1/}"


def read(path: Path, name: str) -> list[Paper]:
    text = path.read_text(encoding="utf-8")
    fmt = detect(text, str(path), None, None)
    assert fmt.name == name
    result = fmt.parse(text, str(path))
    assert not result.warnings, result.warnings
    return result.papers


def imported(tmp_path: Path, source: Path) -> dict[str, str]:
    """Front matter of the papers ``sitegen import --strict`` writes, by arXiv id."""
    site = tmp_path / "site"
    args = ["import", "--site", str(site), "--strict", str(source)]
    make_site_for(args)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(args) == 0, err.getvalue()
    pages = {}
    for page in (site / "content" / "papers").glob("*.md"):
        text = page.read_text(encoding="utf-8")
        found = re.search(r'^arxiv: "([^"]+)"$', text, re.MULTILINE)
        assert found, page.name
        pages[found.group(1)] = text.split("\n---\n", 1)[0]
    return pages


def test_oai_dc_recorded_page_against_its_records(tmp_path: Path) -> None:
    raw = OAI_DC.read_bytes()
    assert raw.count(b"\r\n") == 113 and not raw.endswith(b"\n")  # copied byte for byte
    root = ET.fromstring(raw)
    expected = []
    for dc in root.iter("{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"):
        creators = [c.text or "" for c in dc.iter(DC + "creator")]
        ident = next(i.text or "" for i in dc.iter(DC + "identifier"))
        expected.append((ident.rsplit("/", 1)[1], dc.findtext(DC + "title"),
                         [" ".join(reversed(c.split(", "))) for c in creators],
                         min(date.fromisoformat(d.text or "") for d in dc.iter(DC + "date"))))
    papers = read(OAI_DC, "arxiv-oai")
    assert [(p.arxiv, p.title, p.authors, p.date) for p in papers] == expected
    assert len(papers) == 5
    first, *_, last = papers
    # By hand, from the fixture: the earliest of two <dc:date> is the first version's.
    assert (first.arxiv, first.date, first.authors) == ("1303.2033", date(2013, 3, 8),
                                                        ["Vilnis Liepins"])
    assert first.arxiv_comment == "32 pages, 9 figures"
    assert first.body.startswith("This summary of the doctoral thesis is created")
    assert first.body.endswith("could be considered as a real alternative.")
    assert last.title == "(Chat)GPT v BERT: Dawn of Justice for Semantic Change Detection"
    assert last.arxiv_comment == "Accepted to the Findings of EACL 2024"
    assert papers[1].authors[-1] == "Wanqing Li" and papers[1].arxiv_comment is None
    assert [link.url for link in papers[3].links] == ["https://github.com/Regan-Zhang/HaDis"]
    assert [p.lines["title"] for p in papers] == [5, 27, 50, 72, 91]  # each <record>
    assert arxiv_feeds.resumption_token(OAI_DC.read_text(encoding="utf-8")) == "6960524|1001"
    pages = imported(tmp_path, OAI_DC)
    assert sorted(pages) == sorted(e[0] for e in expected)
    assert "date: 2024-01-25\n" in pages["2401.14036"]


# The five papers of the capture, read from it by hand: arXiv id, title, upvote box
# ("-" is None), comment count (a "#community" link; none is 0), date, and the line below
# the abstract (an organization "id name" or an author count).
CAPTURED = [
    ("2606.00683", "OCC-RAG: Optimal Cognitive Core for Faithful Question Answering",
     101, 6, date(2026, 5, 29), "occ-ai OCC"),
    ("2609.11115", "Benchmark Radar: A Living Database and Search Engine for AI Benchmarks "
     "and Evaluation", 173, 9, date(2026, 9, 9), "CarnegieMellonU Carnegie Mellon University"),
    ("2502.20581", "The Noisy Path from Source to Citation: Measuring How Scholars Engage "
     "with Past Research", None, 0, date(2025, 2, 27), 3),
    ("2605.08583", "Source or It Didn't Happen: A Multi-Agent Framework for Citation "
     "Hallucination Detection", 1, 1, date(2026, 5, 8), "umass University of Massachusetts "
     "Amherst"),
    ("2609.00319", "Sources of Truth: A Multi-Platform, Multilingual Audit of Citations in AI "
     "Mental Health Information Queries", None, 0, date(2026, 8, 30), 10),
]


def cards(papers: list[Paper]) -> list[tuple[object, ...]]:
    """What a paper card shows: id, title, upvotes, comments, date, and the organization
    (id and name) or else the number of authors."""
    return [(p.arxiv, p.title, p.upvotes, p.comments, p.date,
             f"{p.organization.id} {p.organization.name}" if p.organization else p.author_count)
            for p in papers]


def test_firecrawl_capture_of_a_papers_page() -> None:
    papers = read(CAPTURE, "hf-capture")
    assert cards(papers) == CAPTURED
    # Dates without a year ("May 29") are in the year the capture was retrieved
    # ("retrieved: 2026-10-02"), the page's date line is "Oct 2".
    assert {p.listed for p in papers} == {date(2026, 10, 2)}
    moved = CAPTURE.read_text(encoding="utf-8").replace("retrieved: 2026-", "retrieved: 2031-")
    again = hf_capture.parse(moved, "moved.md").papers  # the year is the capture's, not today's
    assert [p.date.year for p in again] == [2031, 2031, 2025, 2031, 2031]
    assert [p.lines["title"] for p in papers] == [32, 44, 56, 89, 101]
    noisy = papers[2]  # its abstract is one link over 20 lines ending in "\\" breaks
    assert noisy.body.startswith("Academic citations are widely used for evaluating research "
                                 "and tracing knowledge flows.")
    assert noisy.body.endswith("the potential for distortion of evidence.")
    assert "\\" not in noisy.body and "](" not in noisy.body and "[" not in noisy.body
    assert [link.url for link in papers[3].links] == ["https://github.com/aaFrostnova/CiteTracer"]


def test_firecrawl_capture_imports_through_the_cli(tmp_path: Path) -> None:
    pages = imported(tmp_path, CAPTURE)
    assert sorted(pages) == sorted(c[0] for c in CAPTURED)
    occ = pages["2606.00683"]
    for line in ("date: 2026-05-29", "comments: 6", "upvotes: 101", 'id: "occ-ai"',
                 'name: "OCC"', "listed: 2026-10-02"):
        assert f"\n{line}\n" in occ or f"\n  {line}\n" in occ, line
    assert "upvotes:" not in pages["2609.00319"].split("imported:")[0]


# The nine papers of the text export, read from it by hand, as CAPTURED above.
EXPORTED = [
    ("2410.05434", "Better than Your Teacher: LLM Agents that learn from Privileged AI Feedback",
     1, 0, date(2024, 10, 7), 2),
    ("2306.14898", "InterCode: Standardizing and Benchmarking Interactive Coding with Execution "
     "Feedback", None, 0, date(2023, 6, 26), 4),
    ("2502.06858", "LLM-Supported Natural Language to Bash Translation", None, 0,
     date(2025, 2, 7), 6),
    ("1802.08979", "NL2Bash: A Corpus and Semantic Parser for Natural Language Interface to the "
     "Linux Operating System", None, 0, date(2018, 2, 24), 4),
    ("2104.13100", "Shellcode_IA32: A Dataset for Automatic Shellcode Generation", None, 0,
     date(2021, 4, 26), 6),
    ("1808.01400", "code2seq: Generating Sequences from Structured Representations of Code",
     2, 0, date(2018, 8, 3), 4),
    ("2409.02326", "Arctic-SnowCoder: Demystifying High-Quality Data in Code Pretraining",
     19, 2, date(2024, 9, 3), 3),
    ("2203.03850", "UniXcoder: Unified Cross-Modal Pre-training for Code Representation",
     None, 0, date(2022, 3, 7), 6),
    ("2510.21057", "Soft Instruction De-escalation Defense", 5, 1, date(2025, 10, 23),
     "google Google"),
]


def test_notebook_text_export_of_a_papers_page(tmp_path: Path) -> None:
    papers = read(EXPORT, "hf-capture")
    assert cards(papers) == EXPORTED
    # "Mar 25", in the year of "exported: 2026-07-28".
    assert {p.listed for p in papers} == {date(2026, 3, 25)}
    assert papers[0].body.endswith("Our code is available at https://leap-llm.github.io")
    assert all("huggingface.co" not in p.body for p in papers)  # the address lines went
    assert [link.url for link in papers[2].links] == ["https://github.com/westenfelder/NL2SH"]
    assert papers[0].lines["title"] == 93 and papers[-1].lines["title"] == 257
    pages = imported(tmp_path, EXPORT)
    assert sorted(pages) == sorted(e[0] for e in EXPORTED)
    assert "\ncomments: 2\n" in pages["2409.02326"] and "\nupvotes: 19\n" in pages["2409.02326"]
