"""Importing Hugging Face API JSON, arXiv Atom and snapshot JSON lines, BibTeX and URLs."""

from __future__ import annotations

import contextlib
import email.message
import io
import json
import re
import urllib.error
import urllib.response
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import make_site_for, needs_shared, shared_fixture, wrote_nothing

from sitegen.cli import main
from sitegen.content import load_file
from sitegen.errors import InputError
from sitegen.importers import arxiv, bibtex, detect, fetch, hf_api
from sitegen.model import Paper

FIXTURES = Path(__file__).parent / "fixtures" / "inputs"
# Real samples, read where they are kept (tests using them are marked needs_shared).
HF_ITEM = shared_fixture("hf_api_daily_papers_item_2602.23229.json")
ATOM = shared_fixture("arxiv_atom_2025format_all-electron.xml")
JSONL = shared_fixture("arxiv_kaggle_oai_snapshot_2lines.jsonl")
SEED = Path(__file__).parent.parent / "examples" / "hf-daily-papers-2026-01-09.txt"
# Written for these tests.
HF_CONSTRUCTED = FIXTURES / "hf_api_papers_constructed.json"
ATOM_OLD = FIXTURES / "arxiv_atom_oldformat_constructed.xml"
BIB = FIXTURES / "references_constructed.bib"


def sitegen(*args: str | Path) -> tuple[int, str, str]:
    make_site_for(args)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def papers(site: Path) -> dict[str, Paper]:
    found: dict[str, Paper] = {}
    for path in sorted((site / "content" / "papers").glob("*.md")):
        paper, problems = load_file(path, path.name)
        assert paper is not None, problems
        found[paper.arxiv or paper.title] = paper
    return found


def import_ok(site: Path, *args: str | Path) -> dict[str, Paper]:
    code, _, err = sitegen("import", "--site", site, *args)
    assert code == 0, err
    return papers(site)


@pytest.mark.parametrize(("path", "name"), [
    pytest.param(HF_ITEM, "hf-api", marks=needs_shared), (HF_CONSTRUCTED, "hf-api"),
    pytest.param(ATOM, "arxiv-atom", marks=needs_shared), (ATOM_OLD, "arxiv-atom"),
    pytest.param(JSONL, "arxiv-jsonl", marks=needs_shared), (BIB, "bibtex"), (SEED, "listing"),
])
def test_formats_are_recognised_by_content(path: Path, name: str) -> None:
    assert detect(path.read_text("utf-8"), path.name, None, None).name == name


# --- Hugging Face API ------------------------------------------------------------------------


@needs_shared
def test_hf_daily_papers_item(tmp_path: Path) -> None:
    item = json.loads(HF_ITEM.read_text("utf-8"))
    inner = item["paper"]
    paper = import_ok(tmp_path, HF_ITEM)[inner["id"]]
    assert paper.title == inner["title"]
    assert paper.body == inner["summary"]
    assert paper.authors == [a["name"] for a in inner["authors"]]
    assert paper.date == date.fromisoformat(inner["publishedAt"][:10])
    assert paper.listed == date.fromisoformat(inner["submittedOnDailyAt"][:10])
    assert (paper.upvotes, paper.comments) == (inner["upvotes"], item["numComments"])
    assert paper.organization is not None
    assert (paper.organization.id, paper.organization.name) == (
        inner["organization"]["name"], inner["organization"]["fullname"])
    assert [(link.kind, link.url) for link in paper.links] == [
        ("code", inner["githubRepo"]), ("project", inner["projectPage"])]
    assert paper.github_stars == inner["githubStars"]
    assert paper.ai_summary == inner["ai_summary"]
    assert paper.keywords == inner["ai_keywords"]
    assert paper.tags == []  # keywords do not become tags


def test_hf_bare_paper_objects_and_wrapped_summaries(tmp_path: Path) -> None:
    records = json.loads(HF_CONSTRUCTED.read_text("utf-8"))
    found = import_ok(tmp_path, HF_CONSTRUCTED)
    flash = found[records[0]["id"]]
    assert "\n" in records[0]["summary"] and "\n" not in flash.body
    assert flash.body == " ".join(records[0]["summary"].split())
    assert flash.comments is None and flash.upvotes == records[0]["upvotes"]
    other = found[records[1]["title"]]
    assert other.authors == [a["name"] for a in records[1]["authors"]]
    assert not all(name.isascii() for name in other.authors)
    paragraphs = records[1]["summary"].split("\n\n")
    assert other.body == "\n\n".join(" ".join(p.split()) for p in paragraphs)
    assert other.arxiv is None


@needs_shared
def test_hf_array_with_a_broken_item(tmp_path: Path) -> None:
    item = HF_ITEM.read_text("utf-8").strip()
    bare = json.dumps(json.loads(item)["paper"] | {"id": "2602.99999", "title": "Another"})
    text = f"[\n{item},\n{{\"paper\": {{\"title\": \"Broken\" \"id\": 1}}}},\n{bare},\n7\n]\n"
    source = tmp_path / "daily.json"
    source.write_text(text, "utf-8")
    broken_line = item.count("\n") + 3
    code, _, err = sitegen("import", "--site", tmp_path / "s", source)
    assert code == 0
    assert f"{source}:{broken_line}: warning: item 2 is not valid JSON" in err
    assert f"{source}:{broken_line + 2}: warning: item 4: expected a JSON object" in err
    assert sorted(papers(tmp_path / "s")) == ["2602.23229", "2602.99999"]


# --- arXiv -------------------------------------------------------------------------------------


@needs_shared
def test_arxiv_atom_current_format(tmp_path: Path) -> None:
    found = import_ok(tmp_path, ATOM)
    assert len(found) == ATOM.read_text("utf-8").count("<entry>")
    old = found["cond-mat/0011267"]  # an old-style id with its version
    assert old.title == "The electronic structure of cuprates from high energy spectroscopy"
    assert old.date == date(2000, 11, 15) and old.arxiv_version == 1
    assert old.authors[0] == "Mark S. Golden" and len(old.authors) == 8
    assert old.categories == ["cond-mat.supr-con", "cond-mat.str-el"]
    assert old.journal_ref == "J. Electron Spectr. Relat. Phenom. 117-118, 203 (2001)"
    assert old.arxiv_comment.startswith("J. Electron Spec. Relat. Phenom.: special")
    assert old.comments is None  # the arXiv comment is not the HF comment count
    assert old.body.startswith("We report studies") and "1D->2D" in old.body
    revised = found["cond-mat/0310718"]
    assert revised.arxiv_version == 2 and revised.date == date(2003, 10, 30)
    assert revised.doi == "10.1109/TED.2004.826844"
    assert "$E_{0,em}$" in found["hep-th/0505137"].body


@needs_shared
def test_arxiv_old_atom_and_snapshot_agree(tmp_path: Path) -> None:
    from_atom = arxiv.parse_atom(ATOM_OLD.read_text("utf-8"), ATOM_OLD.name)
    from_jsonl = arxiv.parse_jsonl(JSONL.read_text("utf-8"), JSONL.name)
    assert from_atom.warnings == [] and from_jsonl.warnings == []
    records = [json.loads(line) for line in JSONL.read_text("utf-8").splitlines()]
    for atom_paper, jsonl_paper, record in zip(from_atom.papers, from_jsonl.papers, records,
                                               strict=True):
        for paper in (atom_paper, jsonl_paper):
            assert paper.arxiv == record["id"]
            assert paper.title == " ".join(record["title"].split())
            assert paper.body == " ".join(record["abstract"].split())
            assert paper.doi == record["doi"]
            assert paper.categories == record["categories"].split()
            assert paper.journal_ref == record["journal-ref"]
            assert paper.arxiv_comment == record["comments"]
            assert paper.arxiv_version == len(record["versions"])
            assert paper.authors == [f"{row[1]} {row[0]}" for row in record["authors_parsed"]]
        assert atom_paper.date == jsonl_paper.date
    assert from_jsonl.papers[0].date == date(2007, 3, 31)  # the first version's date
    assert from_jsonl.papers[1].arxiv == "hep-th/9608091"


@needs_shared
def test_atom_entry_without_id_or_broken_is_skipped(tmp_path: Path) -> None:
    text = ATOM.read_text("utf-8")
    entries = [m.start() for m in re.finditer("<entry>", text)]
    third_id = re.compile(r"\s*<id>http://arxiv.org/abs/hep-th/0505137v1</id>")
    text = third_id.sub("", text, count=1)
    text = text.replace("<title>A sparse spin qubit array", "<title>A sparse <b>spin qubit array",
                        1)
    source = tmp_path / "broken.xml"
    source.write_text(text, "utf-8")
    third_line = text[: entries[2]].count("\n") + 1
    code, _, err = sitegen("import", "--site", tmp_path / "s", source)
    assert code == 0
    assert f"{source}:{third_line}: warning: entry 3 has no <id>; skipped" in err
    sparse_line = text[: text.index("<b>spin")].count("\n") + 1
    assert re.search(rf"{re.escape(str(source))}:{sparse_line}: warning: entry \d+ is not "
                     "well-formed XML", err)
    assert len(papers(tmp_path / "s")) == len(entries) - 2


def test_arxiv_api_error_feed_is_a_warning() -> None:
    text = ("<?xml version='1.0' encoding='UTF-8'?>\n"
            '<feed xmlns="http://www.w3.org/2005/Atom">\n  <entry>\n'
            "    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id>\n"
            "    <title>Error</title>\n"
            "    <summary>incorrect id format for 1234</summary>\n  </entry>\n</feed>\n")
    result = arxiv.parse_atom(text, "api")
    assert result.papers == []
    assert [(w.line, w.message) for w in result.warnings] == [
        (3, "entry 1 is an arXiv API error: incorrect id format for 1234; skipped")]


@needs_shared
def test_snapshot_bad_line_is_located(tmp_path: Path) -> None:
    lines = JSONL.read_text("utf-8").splitlines()
    source = tmp_path / "snap.jsonl"
    source.write_text(f"{lines[0]}\n{lines[1][:200]}\n{{\"id\": \"nope\", \"title\": \"x\"}}\n",
                      "utf-8")
    code, _, err = sitegen("import", "--site", tmp_path / "s", source)
    assert code == 0
    assert f"{source}:2: warning: record 2 is not valid JSON" in err
    assert f"{source}:3: warning: record 3: 'nope' is not an arXiv id; skipped" in err
    assert list(papers(tmp_path / "s")) == ["0704.0002"]


# --- BibTeX -------------------------------------------------------------------------------------


def test_bibtex_fields(tmp_path: Path) -> None:
    text = BIB.read_text("utf-8")
    found = import_ok(tmp_path, BIB)
    assert len(found) == len(re.findall(r"(?m)^@", text))  # @ARTICLE, @Misc, @InProceedings...
    qubits = found["2102.03929"]  # from eprint
    assert qubits.title == ("A flexible 300 mm integrated Si MOS platform for electron- and "
                            "hole-spin qubits exploration")
    assert qubits.authors[:2] == ["R. Li", "N. I. Dumoulin Stuyck"] and len(qubits.authors) == 15
    assert qubits.date == date(2021, 2, 1)
    flash = found["2312.11514"]  # from "arXiv:..." in journal
    assert flash.title.startswith("LLM in a flash: Efficient")
    assert flash.authors == ["Keivan Alizadeh", "Iman Mirzadeh", "Dmitry Belenko"]  # no "others"
    assert found["hep-th/9608091"].title.startswith("Excited State Destri – De Vega Equation")
    made_up = found["Über Bayes–Regeln & $\\alpha$-Divergenzen in der Praxis"]
    assert made_up.authors == ["Jörg Müller", "José García", "Søren Østergaard",
                               "Antonín Dvořák"]
    assert made_up.doi == "10.5555/constructed.2024.1" and made_up.date == date(2024, 3, 1)
    assert "50%" in made_up.body and made_up.venue == "Constructed Proceedings"
    assert [link.url for link in made_up.links] == ["https://example.org/code"]


def test_bibtex_syntax_error_is_a_located_warning(tmp_path: Path) -> None:
    good = BIB.read_text("utf-8")
    bad = "@article{broken,\n  title = {Never closed,\n  year = 2020,\n\n"
    source = tmp_path / "refs.bib"
    source.write_text(bad + good, "utf-8")
    code, _, err = sitegen("import", "--site", tmp_path / "s", source)
    assert code == 0
    assert f"{source}:1: warning: BibTeX entry cannot be read" in err
    assert len(papers(tmp_path / "s")) == len(re.findall(r"(?m)^@", good))


@pytest.mark.parametrize(("raw", "names"), [
    ("Knuth, Donald E.", ["Donald E. Knuth"]),
    ("Donald E. Knuth and Leslie Lamport", ["Donald E. Knuth", "Leslie Lamport"]),
    ("King, Jr, Martin Luther", ["Martin Luther King Jr"]),
    ("{Barnes and Noble, Inc.} AND van Dyke, Dick", ["Barnes and Noble, Inc.", "Dick van Dyke"]),
    ("Erd{\\H o}s, P{\\'a}l and Ren\\'{e}e Smith and others", ["Pál Erdős", "Renée Smith"]),
])
def test_bibtex_author_names(raw: str, names: list[str]) -> None:
    assert bibtex.split_authors(raw) == names


# --- format names and unknown input ---------------------------------------------------------


@needs_shared
def test_format_option(tmp_path: Path) -> None:
    found = import_ok(tmp_path, "--format", "hf-api", HF_ITEM)
    assert list(found) == ["2602.23229"]
    code, _, err = sitegen("import", "--site", tmp_path, "--format", "marc21", HF_ITEM)
    assert code == 1 and "hf-api" in err and "bibtex" in err


def test_hf_parser_refuses_text_that_is_not_json() -> None:
    with pytest.raises(InputError, match="is not JSON"):
        hf_api.parse("not json at all", "x.json")


# --- fetching ---------------------------------------------------------------------------------


class FakeOpener:
    """Answers from a table of URL -> bytes (or an exception), recording each request."""

    def __init__(self, answers: dict[str, bytes | Exception]) -> None:
        self.answers = answers
        self.requests: list[tuple[str, float]] = []

    def open(self, fullurl: Any, data: Any = None, timeout: float = 0) -> Any:
        url = fullurl.full_url
        self.requests.append((url, timeout))
        answer = self.answers[url]
        if isinstance(answer, Exception):
            raise answer
        return urllib.response.addinfourl(io.BytesIO(answer), email.message.Message(), url, 200)


def test_arxiv_ids_are_fetched_in_one_query(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    url = fetch.arxiv_query_url(["0704.0002", "hep-th/9608091v1"])
    opener = FakeOpener({url: ATOM_OLD.read_bytes()})
    monkeypatch.setattr(fetch, "default_opener", lambda: opener)
    found = import_ok(tmp_path, "--arxiv", "arXiv:0704.0002", "hep-th/9608091v1")
    assert sorted(found) == ["0704.0002", "hep-th/9608091"]
    assert opener.requests == [(url, fetch.TIMEOUT)]
    assert "id_list=0704.0002%2Chep-th%2F9608091v1" in url
    assert found["0704.0002"].source[0].file == fetch.ARXIV_API


@needs_shared
def test_from_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://example.org/daily.json"
    monkeypatch.setattr(fetch, "default_opener", lambda: FakeOpener({url: HF_ITEM.read_bytes()}))
    found = import_ok(tmp_path, "--from-url", url)
    assert found["2602.23229"].source[0].file == url


@pytest.mark.parametrize(("answer", "message"), [
    (urllib.error.URLError(OSError("Network is unreachable")), "cannot connect"),
    (urllib.error.URLError(TimeoutError("timed out")), "no answer within"),
    (TimeoutError("timed out"), "no answer within"),
    (urllib.error.HTTPError("u", 503, "Service Unavailable", email.message.Message(), None),
     "503 Service Unavailable"),
    (b"\x00\x01binary", "binary"),
    (b"", "empty"),
], ids=["offline", "url-timeout", "timeout", "http-503", "binary", "empty"])
def test_fetch_failures_are_one_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           answer: bytes | Exception, message: str) -> None:
    url = "https://example.org/papers.json"
    monkeypatch.setattr(fetch, "default_opener", lambda: FakeOpener({url: answer}))
    code, _, err = sitegen("import", "--site", tmp_path / "s", "--from-url", url)
    assert code == 1 and message in err and url in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert wrote_nothing(tmp_path / "s")


def test_bad_arxiv_id_and_scheme_are_refused(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    opener = FakeOpener({})
    monkeypatch.setattr(fetch, "default_opener", lambda: opener)
    code, _, err = sitegen("import", "--site", tmp_path, "--arxiv", "not-an-id")
    assert code == 1 and "'not-an-id' is not an arXiv id" in err
    code, _, err = sitegen("import", "--site", tmp_path, "--from-url", "file:///etc/passwd")
    assert code == 1 and "only http:// and https://" in err
    assert opener.requests == []
