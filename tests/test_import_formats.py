"""Importing arXiv feeds and OAI-PMH, RIS, CSL-JSON, Semantic Scholar, OpenAlex and saved
Hugging Face pages: real recorded fixtures (tests/fixtures/<format>/README.md says where
each comes from), the capture of the example page against its plain copy, and no quiet
success."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import date
from pathlib import Path

import pytest
from capture_gen import example_ids, render
from conftest import make_site_for, wrote_nothing

from sitegen.cli import main
from sitegen.importers import apis, arxiv_feeds, detect, hf_capture

FIX = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent
SEED = ROOT / "examples" / "hf-daily-papers-2026-01-09.txt"


def sitegen(*args: str | Path) -> tuple[int, str, str]:
    make_site_for(args)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def files(site: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8")
            for p in sorted((site / "content" / "papers").glob("*.md"))}


def parsed(path: Path, name: str) -> tuple[str, list]:
    text = path.read_text(encoding="utf-8")
    fmt = detect(text, str(path), None, None)
    result = fmt.parse(text, str(path))
    assert fmt.name == name
    return fmt.name, result.papers


def test_rss_atom_feed_of_rss_arxiv_org_reads_oai_ids() -> None:
    _, (paper,) = parsed(FIX / "arxiv-rss" / "math.OC-spec-atom.xml", "arxiv-atom")
    assert paper.arxiv == "2203.01250" and paper.arxiv_version == 3
    assert paper.extra["announce_type"] == "replace-cross"
    assert paper.authors == ["Antonin Monteil", "Paul Pegon"]
    assert paper.doi == "10.5802/jep.257" and paper.date == date(2024, 8, 23)
    assert paper.body.startswith("We consider first order") and "Announce" not in paper.body


def test_rss_2_items() -> None:
    _, (paper,) = parsed(FIX / "arxiv-rss" / "math.OC-spec-item.xml", "arxiv-rss")
    assert (paper.arxiv, paper.extra["announce_type"]) == ("2203.01250", "replace-cross")
    assert paper.categories == ["math.AP", "math.OC"]
    assert paper.authors == ["Antonin Monteil", "Paul Pegon"]
    _, (real,) = parsed(FIX / "arxiv-rss" / "cs.AI-2025-09-18.xml", "arxiv-rss")
    assert real.arxiv == "2509.13332" and real.extra["announce_type"] == "new"
    assert real.date == date(2025, 9, 18)  # the channel's day: the item was cut before it
    assert real.body.startswith("As Large Language Models (LLMs) are increasingly adopted")


def test_rss_announce_types_and_creators() -> None:
    items = "".join(
        f"<item><title>T {kind}</title><link>https://arxiv.org/abs/2401.0123{n}</link>"
        f"<description>arXiv:2401.0123{n}v2 Announce Type: {kind} \nAbstract: A.</description>"
        f"<guid isPermaLink=\"false\">oai:arXiv.org:2401.0123{n}v2</guid>"
        f"<pubDate>Mon, 08 Jan 2024 00:00:00 -0500</pubDate>"
        f"<dc:creator>Ann One, Bo Two and Cy Three</dc:creator></item>"
        for n, kind in enumerate(("new", "cross", "replace", "replace-cross")))
    feed = ('<rss xmlns:arxiv="http://arxiv.org/schemas/atom" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>'
            f"<title>cs.CL updates on arXiv.org</title>{items}</channel></rss>")  # written here
    result = arxiv_feeds.parse_rss(feed, "feed.xml")
    assert [p.extra["announce_type"] for p in result.papers] == [
        "new", "cross", "replace", "replace-cross"]
    assert result.papers[0].authors == ["Ann One", "Bo Two", "Cy Three"]
    assert [p.arxiv for p in result.papers] == [f"2401.0123{n}" for n in range(4)]


def test_oai_arxiv_format() -> None:
    _, (paper,) = parsed(FIX / "arxiv-oai" / "listrecords-arXiv-astro-ph-2013.xml", "arxiv-oai")
    assert paper.arxiv == "0801.3931" and paper.date == date(2008, 1, 25)
    assert paper.authors == ["T. Manos", "E. Athanassoula"]
    assert paper.doi == "10.1007/978-3-540-75826-6_11"
    assert "a Poincar\\'{e} $(y,p_y)$ surface" in paper.body  # TeX kept, as the Atom reader does


def test_oai_dc_and_resumption_token() -> None:
    # Written for this test, in the layout of arXiv's oai_dc records, for what the recorded
    # page (tests/test_import_recorded.py) lacks: a deleted record, <dc:date>s out of order
    # and the empty token of a last page.
    text = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>
<record><header><identifier>oai:arXiv.org:0704.0002</identifier></header><metadata>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>Sparsity-certifying Graph Decompositions</dc:title>
<dc:creator>Streinu, Ileana</dc:creator><dc:creator>Theran, Louis</dc:creator>
<dc:description>  We describe a new algorithm.</dc:description>
<dc:description>Comment: To appear in Graphs and Combinatorics</dc:description>
<dc:date>2008-12-13</dc:date><dc:date>2007-03-30</dc:date>
<dc:identifier>http://arxiv.org/abs/0704.0002</dc:identifier>
</oai_dc:dc></metadata></record>
<record><header status="deleted"><identifier>oai:arXiv.org:0704.0003</identifier></header></record>
<resumptionToken cursor="0" completeListSize="3">6960524|1001</resumptionToken>
</ListRecords></OAI-PMH>"""
    result = arxiv_feeds.parse_oai(text, "oai.xml")
    (paper,) = result.papers
    assert not result.warnings
    assert (paper.arxiv, paper.date) == ("0704.0002", date(2007, 3, 30))
    assert paper.authors == ["Ileana Streinu", "Louis Theran"]
    assert paper.body == "We describe a new algorithm."
    assert paper.arxiv_comment == "To appear in Graphs and Combinatorics"
    assert arxiv_feeds.resumption_token(text) == "6960524|1001"
    assert arxiv_feeds.resumption_token(text.replace(">6960524|1001<", "><")) is None


def test_ris() -> None:
    _, (paper,) = parsed(FIX / "ris" / "nrg3207.ris", "ris")
    assert paper.authors == ["François Spitz", "Eileen E. M. Furlong"]
    assert paper.date == date(2012, 9, 1) and paper.doi == "10.1038/nrg3207"
    assert paper.venue == "Nature Reviews Genetics"


def test_semantic_scholar() -> None:
    _, (paper,) = parsed(FIX / "semantic-scholar" / "paper-full.json", "semantic-scholar")
    assert paper.title == "Construction of the Literature Graph in Semantic Scholar"
    assert paper.doi == "10.18653/V1/2020.ACL-MAIN.447" and paper.date == date(2024, 4, 29)
    assert paper.extra["citations"] == 453
    page = {"total": 1, "data": [{"paperId": "x", "title": "P", "year": 2023,
                                  "externalIds": {"ArXiv": "2312.11514"}}]}  # written here
    (found,) = apis.parse_s2(json.dumps(page), "s2.json").papers
    assert (found.arxiv, found.date, found.precision) == (
        "2312.11514", date(2023, 1, 1), "year")


def test_openalex_inverted_index_and_csl() -> None:
    # Written for this test, with the keys of an OpenAlex work and of CSL-JSON.
    work = {"id": "https://openalex.org/W1", "title": "A work", "publication_date": "2023-12-12",
            "doi": "https://doi.org/10.48550/arxiv.2312.11514",
            "authorships": [{"author": {"display_name": "Ann One"}}],
            "abstract_inverted_index": {"the": [1, 3], "We": [0], "flash": [2], "way": [4]}}
    text = json.dumps({"meta": {"count": 1}, "results": [work]})
    assert detect(text, "w.json", None, None).name == "openalex"
    (paper,) = apis.parse_openalex(text, "w.json").papers
    assert paper.body == "We the flash the way" and paper.arxiv == "2312.11514"
    hostile = {**work, "abstract_inverted_index": {"x" * 1000: list(range(3000))}}
    result = apis.parse_openalex(json.dumps(hostile), "h.json")
    assert not result.papers and "longer than" in result.warnings[0].message
    csl = [{"id": "a", "type": "article", "title": "T", "container-title": "arXiv",
            "author": [{"family": "One", "given": "Ann"}], "number": "arXiv:2401.01234",
            "issued": {"date-parts": [[2024, 1, 3]]}}, {"id": "b", "type": "article"}]
    text = json.dumps(csl)
    assert detect(text, "c.json", None, None).name == "csl-json"
    result = apis.parse_csl(text, "c.json")
    (paper,) = result.papers
    assert (paper.arxiv, paper.date, paper.authors) == ("2401.01234", date(2024, 1, 3),
                                                        ["Ann One"])
    assert "item 2: has no 'title'" in result.warnings[0].message


@pytest.mark.parametrize("style", ["inline", "reference"])
def test_capture_imports_equal_to_plain_copy(tmp_path: Path, style: str) -> None:
    plain = SEED.read_text(encoding="utf-8")
    # The papers' real arXiv ids, from the example site's content files (by title).
    real = example_ids(plain, ROOT / "content" / "papers")
    assert len(set(real)) == 39 and "2502.01618" in real
    capture = render(plain, real, style, date(2026, 1, 9))
    assert detect(capture, "c.md", None, None).name == "hf-capture"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "daily.txt").write_text(plain, encoding="utf-8")
    (tmp_path / "b" / "daily.txt").write_text(capture, encoding="utf-8")
    for name in ("a", "b"):
        code, _, err = sitegen("import", "--site", tmp_path / f"site-{name}", "--strict",
                               tmp_path / name / "daily.txt")
        assert code == 0, err
    plain_files, captured = files(tmp_path / "site-a"), files(tmp_path / "site-b")
    assert len(plain_files) == 39 and plain_files.keys() == captured.keys()
    for name, text in plain_files.items():
        lines = captured[name].split("\n")
        # What only the capture knows: the paper's arXiv id, and its fingerprint in the
        # record of what was imported.
        ids = [line for line in lines if line.lstrip().startswith("arxiv: ")]
        top = [line for line in ids if line.startswith("arxiv: ")]
        assert len(ids) == 2 and len(top) == 1
        # The same paper's id as the example site's file of that title (slugs are titles).
        example = (ROOT / "content" / "papers" / name).read_text(encoding="utf-8")
        assert top[0] in example.split("\n"), name
        assert "\n".join(line for line in lines if line not in ids) == text, name


def test_capture_counts_years_and_chrome() -> None:
    # Written for this test, in the syntax of the captures above.
    text = """Title: Daily Papers
URL Source: https://huggingface.co/papers/date/2026-01-09
Markdown Content:
[Models](https://huggingface.co/models) [Spaces](https://huggingface.co/spaces)

Jan 9

Upvote

[42](https://huggingface.co/login?next=%2Fpapers%2Fdate%2F2026-01-09)

### [A Paper With Counts](https://huggingface.co/papers/2601.00001)

Submitted by [someone](https://huggingface.co/someone)

An abstract.

* [![](https://cdn-avatars.huggingface.co/a.png)](https://huggingface.co/a)
* 3 authors
·

Published on Jan 8

[5](https://huggingface.co/papers/2601.00001#community)

[-](https://huggingface.co/login?next=%2Fpapers%2Fdate%2F2026-01-09)

### [Another][1]

Second abstract.

* 2 authors
·

Dec 30, 2025

[1]: https://huggingface.co/papers/2512.00002
"""
    result = hf_capture.parse(text, "c.md")
    assert not result.warnings
    first, second = result.papers
    assert (first.arxiv, first.upvotes, first.comments) == ("2601.00001", 42, 5)
    assert first.date == date(2026, 1, 8) and first.listed == date(2026, 1, 9)
    assert first.body == "An abstract." and first.author_count == 3
    assert (second.arxiv, second.upvotes, second.date) == ("2512.00002", None, date(2025, 12, 30))
    assert first.lines["title"] == 12


def test_zero_papers_exit_1(tmp_path: Path) -> None:
    site = tmp_path / "site"
    code, _, err = sitegen("import", "--site", site,
                           FIX / "semantic-scholar" / "paper-batch-title-only.json")
    assert code == 1 and "nothing imported" in err and "has no 'publicationDate'" in err
    assert wrote_nothing(site)
    empty = tmp_path / "empty.xml"
    empty.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>cs.AI updates '
                     'on arXiv.org</title></channel></rss>', encoding="utf-8")
    code, _, err = sitegen("import", "--site", site, empty)
    assert code == 1 and "no <item>" in err


def test_not_understood_lines_are_counted_and_strict_fails(tmp_path: Path) -> None:
    text = (FIX / "ris" / "nrg3207.ris").read_text(encoding="utf-8")
    broken = tmp_path / "refs.ris"
    broken.write_text("stray one\n" + text + "stray two\nstray three\nstray four\n",
                      encoding="utf-8")
    code, _, err = sitegen("import", "--site", tmp_path / "site", broken)
    assert code == 0
    assert f"4 line(s) outside any TY ... ER record were not understood (first: {broken}:1, " \
           f"{broken}:19, {broken}:20)" in err
    code, _, err = sitegen("import", "--site", tmp_path / "strict", "--strict", broken)
    assert code == 1 and "--strict" in err and wrote_nothing(tmp_path / "strict")


def test_openalex_recorded_work() -> None:
    _, (paper,) = parsed(FIX / "openalex" / "W2741809807.json", "openalex")
    assert paper.title.startswith("The state of OA: a large-scale analysis")
    assert (paper.date, paper.doi) == (date(2018, 2, 13), "10.7717/peerj.4375")
    assert paper.extra["openalex_id"] == "https://openalex.org/W2741809807"


def test_parse_input_takes_bytes_and_names_the_format() -> None:
    from sitegen.errors import InputError
    from sitegen.importers import parse_input

    data = (FIX / "arxiv-oai" / "listrecords-arXiv-astro-ph-2013.xml").read_bytes()
    (paper,) = parse_input(data, "oai.xml").papers
    assert paper.arxiv == "0801.3931"
    assert parse_input(data, "oai.xml", "arxiv-oai").papers[0].arxiv == "0801.3931"
    with pytest.raises(InputError, match="binary"):
        parse_input(b"\x00\x01\x02PNG", "x.png")


def test_zotero_csl_json_without_dates_fails_with_reasons(tmp_path: Path) -> None:
    path = FIX / "csl-json" / "zotero-csl_json.json"
    code, _, err = sitegen("import", "--site", tmp_path / "site", "--format", "csl-json", path)
    assert code == 1
    assert f"{path}:2: item 1: (Title 1) has no 'issued' date; skipped" in err
    assert "(Title 2) has no 'issued' date" in err and "nothing imported" in err
