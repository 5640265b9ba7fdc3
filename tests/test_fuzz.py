"""Property tests: parsers never crash and never lose a paper; Markdown stays fast.

- The Daily Papers listing parser and every importer of
  ``sitegen.importers.formats()`` take any text and return papers and located
  warnings; the only exception allowed is the user-facing ``SitegenError``
  (an importer told to read text that is not its format at all).
- No silent loss: k well-formed papers mixed with garbage blocks and page
  chrome give exactly those k titles (for the listing, and for JSON, JSON
  lines, Atom and BibTeX inputs with broken records between good ones).
- ``sitegen.frontmatter.parse_paper`` never raises on any text, and any nesting
  of YAML lists and mappings (flow and block, with and without aliases, up to
  thousands of levels) gives located problems in bounded time.
- Pathological Markdown (cmark's known worst cases, raw HTML nesting, math)
  renders in bounded time: each case runs in a child process with a CPU limit.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sitegen.errors import Problem, SitegenError
from sitegen.frontmatter import parse_paper
from sitegen.importers import formats
from sitegen.importers.base import Parsed, make_links
from sitegen.importers.listing import (
    AUTHORS,
    CHROME,
    DATE_LINE,
    DOTS,
    HEADER_DATE,
    parse_listing,
)

# Deterministic by default (the same examples on every run, so CI does not flake); set
# SITEGEN_FUZZ_RANDOM=1 to explore new examples, and SITEGEN_FUZZ_EXAMPLES to try more.
FUZZ = settings(max_examples=int(os.environ.get("SITEGEN_FUZZ_EXAMPLES", "200")), deadline=None,
                database=None, derandomize=os.environ.get("SITEGEN_FUZZ_RANDOM") != "1",
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
LABEL = "fuzz.txt"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
TRIED: Counter[str] = Counter()


def check_result(result: Parsed, text: str) -> None:
    """What every parse must give: papers with titles and dates, located warnings."""
    assert isinstance(result, Parsed)
    lines = text.count("\n") + text.count("\r") + 1  # XML parsers also break lines at CR
    for paper in result.papers:
        assert paper.title.strip()
        assert isinstance(paper.date, date)
    for warning in result.warnings:
        assert isinstance(warning, Problem)
        assert warning.path == LABEL
        assert 0 <= warning.line <= lines, warning
        assert warning.message


def parse_any(fmt: Any, text: str) -> None:
    TRIED[fmt.name] += 1
    try:
        result = fmt.parse(text, LABEL)
    except SitegenError as exc:  # "this is not JSON at all": a user-facing error, not a crash
        assert all(str(p) for p in exc.problems)
        return
    check_result(result, text)


# ------------------------------------------------------------------ strategies

# Text a person might write, without the characters that anchor the listing format.
WORD = st.text(alphabet=st.sampled_from(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éüßλ–:,()'\"?!&$%-+/"),
    min_size=1, max_size=12)


def _plain(line: str) -> bool:
    """True when a line cannot be taken for a listing anchor or page chrome."""
    squeezed = " ".join(line.split())
    return bool(squeezed) and not (
        DATE_LINE.match(squeezed) or HEADER_DATE.match(squeezed) or AUTHORS.match(squeezed)
        or squeezed in DOTS or squeezed.casefold() in CHROME or " · " in squeezed)


LINE = st.lists(WORD, min_size=1, max_size=14).map(" ".join).filter(_plain)
PARAGRAPH = st.lists(LINE, min_size=1, max_size=3).map("\n".join)
DATE = st.builds(lambda m, d, y: f"{MONTHS[m]} {d}, {y}",
                 st.integers(0, 11), st.integers(1, 28), st.integers(1990, 2030))
ORG = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True)


@st.composite
def listing_paper(draw: st.DrawFn, number: int) -> tuple[str, str]:
    """One well-formed paper block and its title."""
    title = f"{draw(LINE)} n{number}"
    abstract = draw(st.lists(PARAGRAPH, max_size=3))
    if draw(st.booleans()):
        meta = f"  • {draw(st.integers(1, 999))} authors"
    else:
        meta = f"{draw(ORG)} {draw(LINE)}".rstrip(".,;:!?") + " Org"
    comments = f" {draw(st.integers(0, 999))}" if draw(st.booleans()) else ""
    parts = [title, *abstract, meta]
    if meta.startswith("  •") and not abstract and draw(st.booleans()):
        parts = [title, meta]
    text = "\n\n".join(parts) + f"\n·\n{draw(DATE)}{comments}\n"
    return text, title


GARBAGE = st.one_of(
    # A block whose date cannot be a date: skipped with a warning.
    st.builds(lambda t: f"{t}\n\n  • 2 authors\n·\nFeb 30, 2025\n", LINE),
    # A block with no '·' or author line before its date line: skipped with a warning.
    st.builds(lambda t, d: f"{t}\n\n{d}\n", PARAGRAPH, DATE),
    # A date line with nothing before it.
    st.builds(lambda d: f"·\n{d}\n", DATE),
    # Page chrome, in any case, and blank lines.
    st.sampled_from(sorted(CHROME)).map(lambda c: c.upper() if len(c) % 2 else c.title()),
    st.just("\n\n\n"),
)


@st.composite
def listing_with_garbage(draw: st.DrawFn) -> tuple[str, list[str]]:
    papers = [draw(listing_paper(n)) for n in range(draw(st.integers(0, 6)))]
    pieces = []
    if draw(st.booleans()):
        pieces.append("new\n\nDaily Papers\n\nJan 9\n")
    for text, _ in papers:
        pieces += draw(st.lists(GARBAGE, max_size=2))
        pieces.append(text)
    pieces += draw(st.lists(GARBAGE, max_size=2))
    return "\n".join(pieces), [title for _, title in papers]


LISTING_LINES = st.one_of(
    LINE, DATE, st.builds(lambda d, n: f"{d} {n}", DATE, st.integers(0, 10**12)),
    st.sampled_from(["·", "•", "⋅", "  • 3 authors", "1 author", "Jan 9", "Feb 30, 2024",
                     "Daily Papers", "Subscribe", "", "   ", "\t", "org Name", "x · Jan 1, 2024",
                     "published on Mar 3, 2024", "Sept 31, 2024 5 comments"]),
    st.text(max_size=40),
)
ANY_LISTING = st.lists(LISTING_LINES, max_size=60).map("\n".join)

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["paper", "title", "summary", "publishedAt", "id", "authors", "name",
                         "upvotes", "numComments", "organization", "githubRepo", "abstract",
                         "update_date", "versions", "x"]), inner, max_size=6),
    max_leaves=20)


@st.composite
def shaped_text(draw: st.DrawFn) -> str:
    """Text shaped like one of the formats, then cut or spliced at random."""
    kind = draw(st.sampled_from(["json", "jsonl", "atom", "bibtex", "listing", "raw"]))
    if kind == "json":
        text = json.dumps(draw(st.lists(JSON_VALUES, max_size=5)))
    elif kind == "jsonl":
        text = "\n".join(json.dumps(v) for v in draw(st.lists(JSON_VALUES, max_size=5)))
    elif kind == "atom":
        entries = "".join(f"<entry><id>http://arxiv.org/abs/2401.{n:05d}v1</id><title>"
                          f"{draw(st.text(max_size=15))}</title><published>"
                          f"{draw(st.text(max_size=12))}</published></entry>"
                          for n in range(draw(st.integers(0, 3))))
        text = f'<feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'
    elif kind == "bibtex":
        fields = draw(st.lists(st.tuples(st.sampled_from(["title", "year", "author", "month",
                                                          "eprint", "doi", "x"]),
                                         st.text(max_size=15)), max_size=4))
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
        text = f"@article{{{draw(st.text(max_size=6))},\n{body}\n}}\n"
    elif kind == "listing":
        text = draw(ANY_LISTING)
    else:
        text = draw(st.text(max_size=300))
    if text and draw(st.booleans()):
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.text(max_size=10)) + text[cut + draw(st.integers(0, 5)):]
    return text


# ------------------------------------------------------------------ listing parser


@FUZZ
@given(ANY_LISTING)
def test_listing_parser_never_raises(text: str) -> None:
    TRIED["listing (lines)"] += 1
    check_result(parse_listing(text, LABEL), text)


@FUZZ
@given(st.text())
def test_listing_parser_takes_any_text(text: str) -> None:
    TRIED["listing (text)"] += 1
    check_result(parse_listing(text, LABEL), text)


@FUZZ
@given(listing_with_garbage())
def test_listing_keeps_every_well_formed_paper(case: tuple[str, list[str]]) -> None:
    text, titles = case
    TRIED["listing (no loss)"] += 1
    result = parse_listing(text, LABEL)
    check_result(result, text)
    assert [p.title for p in result.papers] == titles


@pytest.mark.parametrize("line", ["May 4", "Dec 25", "Sept 1"])
def test_a_month_day_line_inside_a_paper_loses_nothing(line: str) -> None:
    text = (f"Jan 9\n\nReal Title\n\nFirst paragraph.\n\n{line}\n\nThird paragraph.\n\n"
            "  • 3 authors\n·\nJan 5, 2026\n")
    result = parse_listing(text, LABEL)
    assert [p.title for p in result.papers] == ["Real Title"] or result.warnings


# ------------------------------------------------------------------ every importer


FORMATS = formats()


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.name for f in FORMATS])
@FUZZ
@given(text=st.text())
def test_every_format_takes_any_text(fmt: Any, text: str) -> None:
    parse_any(fmt, text)


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.name for f in FORMATS])
@FUZZ
@given(text=shaped_text())
def test_every_format_takes_text_shaped_like_any_format(fmt: Any, text: str) -> None:
    parse_any(fmt, text)


def _titles(count: int) -> st.SearchStrategy[list[str]]:
    return st.lists(LINE, min_size=count, max_size=count).map(
        lambda lines: [f"{line} n{n}" for n, line in enumerate(lines)])


# Complete JSON values that are not papers, and text that is not JSON.
BROKEN_JSON = st.sampled_from(['"just text"', "5", "null", "[]", "{bad json}", '{"paper": 7}',
                               '{"title": ""}', '{"paper": {"title": "No date"}}',
                               '{"paper": {"title": "T", "publishedAt": "never"}}',
                               '{"id": "", "title": "No id"}'])


@FUZZ
@given(st.integers(0, 6).flatmap(_titles), st.lists(BROKEN_JSON, max_size=4), st.randoms())
def test_hf_api_keeps_every_good_item(titles: list[str], broken: list[str], rng: Any) -> None:
    good = [json.dumps({"paper": {"id": f"2401.{n:05d}", "title": t, "summary": "S",
                                  "publishedAt": "2024-01-02T03:04:05.000Z"}})
            for n, t in enumerate(titles)]
    items = good + broken
    rng.shuffle(items)
    order = [json.loads(i)["paper"]["title"] for i in items if i in good]
    fmt = next(f for f in FORMATS if f.name == "hf-api")
    text = "[" + ",\n".join(items) + "]"
    TRIED["hf-api (no loss)"] += 1
    result = fmt.parse(text, LABEL)
    check_result(result, text)
    assert [p.title for p in result.papers] == order


@FUZZ
@given(st.integers(0, 6).flatmap(_titles), st.lists(BROKEN_JSON, max_size=4), st.randoms())
def test_arxiv_jsonl_keeps_every_good_record(titles: list[str], broken: list[str],
                                             rng: Any) -> None:
    good = [json.dumps({"id": f"2401.{n:05d}", "title": t, "abstract": "A", "authors": "X Y",
                        "update_date": "2024-01-02"}) for n, t in enumerate(titles)]
    lines = good + broken
    rng.shuffle(lines)
    if lines and not lines[0].startswith(("{", "[")):
        # Text that starts with no JSON value at all is refused as a whole ("is not JSON").
        lines.insert(0, '{"id": "", "title": "No id"}')
    order = [json.loads(line)["title"] for line in lines if line in good]
    fmt = next(f for f in FORMATS if f.name == "arxiv-jsonl")
    text = "\n".join(lines)
    TRIED["arxiv-jsonl (no loss)"] += 1
    result = fmt.parse(text, LABEL)
    check_result(result, text)
    assert [p.title for p in result.papers] == order


@pytest.mark.parametrize("rest", ["[{paper}]", "{paper}", "trailing garbage"])
def test_text_after_a_json_array_is_not_dropped(rest: str) -> None:
    first = json.dumps({"paper": {"id": "2401.00001", "title": "A",
                                  "publishedAt": "2024-01-02T00:00:00Z"}})
    second = first.replace('"A"', '"B"').replace("00001", "00002")
    text = f"[{first}]\n" + rest.replace("{paper}", second) + "\n"
    result = next(f for f in FORMATS if f.name == "hf-api").parse(text, LABEL)
    titles = [p.title for p in result.papers]
    assert titles == ["A", "B"] if "paper" in rest else (titles == ["A"] and result.warnings)


XML_TEXT = LINE.map(lambda s: s.replace("&", "and").replace("<", "").replace(">", ""))
BROKEN_ENTRIES = st.sampled_from([
    "<entry><title>No id</title></entry>", "<entry><id>http://arxiv.org/abs/1</id></entry>",
    "<entry><id>x</id><title>Bad <b>xml</title></entry>",
    "<entry><id>http://arxiv.org/api/errors#x</id><summary>error</summary></entry>",
    "<entry><id>http://arxiv.org/abs/2</id><title>T</title><published>never</published></entry>",
])


@FUZZ
@given(st.integers(0, 6).flatmap(lambda n: st.lists(XML_TEXT, min_size=n, max_size=n)),
       st.lists(BROKEN_ENTRIES, max_size=4), st.randoms())
def test_arxiv_atom_keeps_every_good_entry(titles: list[str], broken: list[str],
                                           rng: Any) -> None:
    titles = [f"{t} {n}" for n, t in enumerate(titles)]
    good = [f"<entry><id>http://arxiv.org/abs/2401.{n:05d}v1</id><title>{t}</title>"
            f"<summary>S</summary><published>2024-01-02T00:00:00Z</published></entry>"
            for n, t in enumerate(titles)]
    entries = good + broken
    rng.shuffle(entries)
    order = [titles[good.index(e)] for e in entries if e in good]
    fmt = next(f for f in FORMATS if f.name == "arxiv-atom")
    text = '<feed xmlns="http://www.w3.org/2005/Atom">\n' + "\n".join(entries) + "\n</feed>\n"
    TRIED["arxiv-atom (no loss)"] += 1
    result = fmt.parse(text, LABEL)
    check_result(result, text)
    assert [" ".join(p.title.split()) for p in result.papers] == [" ".join(t.split())
                                                                  for t in order]


@pytest.mark.parametrize("feed", ['<feed xmlns:atom="http://www.w3.org/2005/Atom">',
                                  '<feed xmlns="http://example.org/not-atom">'])
def test_atom_feed_without_the_default_namespace(feed: str) -> None:
    text = (f"{feed}\n<entry><id>http://arxiv.org/abs/2401.00001v1</id><title>T</title>"
            "<published>2024-01-01T00:00:00Z</published></entry>\n</feed>\n")
    result = next(f for f in FORMATS if f.name == "arxiv-atom").parse(text, LABEL)
    assert [p.title for p in result.papers] == ["T"] or result.warnings


ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
BIB_TEXT = st.lists(st.text(alphabet=ALNUM, min_size=1, max_size=10),
                    min_size=1, max_size=8).map(" ".join)
BROKEN_BIB = st.sampled_from([
    "@article{nokey title = {x}}\n", "@misc{notitle,\n  year = {2020}\n}\n",
    "@misc{noyear,\n  title = {Has no year}\n}\n", "@comment{anything at all}\n",
    "just some prose between entries\n", "@string{s = \"x\"}\n",
])


@FUZZ
@given(st.integers(0, 6).flatmap(lambda n: st.lists(BIB_TEXT, min_size=n, max_size=n)),
       st.lists(BROKEN_BIB, max_size=4), st.randoms())
def test_bibtex_keeps_every_good_entry(titles: list[str], broken: list[str], rng: Any) -> None:
    titles = [f"{t} {n}" for n, t in enumerate(titles)]
    good = [f"@article{{key{n},\n  title = {{{t}}},\n  year = {{2021}}\n}}\n"
            for n, t in enumerate(titles)]
    entries = good + broken
    rng.shuffle(entries)
    order = [titles[good.index(e)] for e in entries if e in good]
    fmt = next(f for f in FORMATS if f.name == "bibtex")
    text = "\n".join(entries)
    TRIED["bibtex (no loss)"] += 1
    result = fmt.parse(text, LABEL)
    check_result(result, text)
    assert [p.title for p in result.papers] == order


URLISH = st.lists(st.one_of(WORD, st.sampled_from([
    "https://", "http://", "https:///", "HTTPS://", "www.", "github.com/", "huggingface.co/",
    "\\url{", "\\href{", "}{", "}", "(", ")", "[", "]", "/", ".", ",", " ", "\n", "?", "#",
    "%20", "\u3002"])), max_size=30).map("".join)


@FUZZ
@example("Code at https:///broken-link here.")
@given(URLISH)
def test_links_found_in_abstracts_never_crash(text: str) -> None:
    TRIED["links in text"] += 1
    for link in make_links([], text):
        assert link.url.lower().startswith(("http://", "https://"))
        assert link.kind


# ------------------------------------------------------------------ content files

YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
    | st.dates(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=15)
FIELDS = st.dictionaries(
    st.sampled_from(["title", "slug", "date", "authors", "author_count", "organization",
                     "comments", "upvotes", "tags", "links", "arxiv", "doi", "listed", "source",
                     "imported", "extra", "x"]), YAML_VALUES, max_size=10)


@FUZZ
@given(st.text())
def test_parse_paper_takes_any_text(text: str) -> None:
    TRIED["content (text)"] += 1
    paper, problems = parse_paper(text, LABEL)
    assert (paper is None) == bool(problems)


@FUZZ
@given(FIELDS, st.text(max_size=200), st.integers(0, 3), st.text(max_size=5))
def test_parse_paper_takes_any_front_matter(fields: dict[str, Any], body: str, mutation: int,
                                            noise: str) -> None:
    front = yaml.safe_dump(fields, allow_unicode=True, default_flow_style=bool(mutation % 2))
    if mutation == 2 and front:
        cut = len(front) // 2
        front = front[:cut] + noise + front[cut:]
    text = f"---\n{front}---\n\n{body}"
    TRIED["content (front matter)"] += 1
    paper, problems = parse_paper(text, LABEL)
    assert (paper is None) == bool(problems)
    for problem in problems:
        assert problem.path == LABEL and problem.line >= 0 and problem.message
    if paper is not None:
        assert paper.title and isinstance(paper.date, date)


# What content may not hold: C0 controls but tab and newline, U+FFFE and U+FFFF.
REFUSED = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def yaml_quote(text: str) -> str:
    """A YAML double-quoted scalar holding exactly ``text`` (non-printable characters escaped)."""
    quoted = json.dumps(text, ensure_ascii=False)
    return re.sub("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]",
                  lambda m: f"\\u{ord(m.group()):04x}", quoted)


@FUZZ
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60), st.dates(),
       st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=12), max_size=4))
def test_any_quoted_title_and_tags_are_kept_as_written(title: str, when: date,
                                                        tags: list[str]) -> None:
    tag_list = ", ".join(yaml_quote(t) for t in tags)
    text = (f"---\ntitle: {yaml_quote(title)}\ndate: {when.isoformat()}\ntags: [{tag_list}]\n"
            "---\n\nBody.\n")
    TRIED["content (titles)"] += 1
    paper, problems = parse_paper(text, LABEL)
    if any(REFUSED.search(value) for value in [title, *tags]):  # controls never reach a page
        assert paper is None and problems
        # Said of the field that holds it (an empty title is reported as well).
        assert any("control character" in p.message or "noncharacter" in p.message
                   for p in problems), problems
        return
    if not title.strip():
        assert [str(p) for p in problems] == [f"{LABEL}:2: title: must not be empty"]
        return
    assert problems == []
    assert paper is not None
    assert paper.title == title.strip()
    assert paper.tags == [t.strip() for t in tags if t.strip()]
    assert paper.date == when


# ------------------------------------------------------------------ deeply nested JSON


def _depth(value: Any) -> int:
    """How many arrays and objects are inside one another in ``value`` (0 for a leaf)."""
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@st.composite
def nested_json(draw: st.DrawFn) -> tuple[str, int]:
    """A JSON value of arrays and objects mixed, nested up to 5,000 deep, and its depth."""
    depth = draw(st.one_of(st.integers(0, 110), st.integers(90, 5000)))
    rng = draw(st.randoms(use_true_random=False))
    kinds = [rng.choice("[{") for _ in range(depth)]
    leaf = draw(JSON_VALUES)
    opening = "".join("[" if kind == "[" else '{"k": ' for kind in kinds)
    closing = "".join("]" if kind == "[" else "}" for kind in reversed(kinds))
    return opening + json.dumps(leaf) + closing, depth + _depth(leaf)


HF_ITEM = '{"title": "Paper %d", "publishedAt": "2024-01-02T00:00:00.000Z", "x": %s}'
SNAPSHOT_RECORD = ('{"id": "2101.%05d", "title": "Paper", "update_date": "2021-01-01", '
                   '"versions": %s}')


@FUZZ
@given(nested_json(), st.sampled_from(["array", "lines"]))
def test_hf_api_nesting_is_limited_not_a_crash(nested: tuple[str, int], layout: str) -> None:
    from sitegen.importers import hf_api
    from sitegen.importers.limits import MAX_NESTING

    TRIED["nested-hf-api"] += 1
    value, depth = nested
    items = [HF_ITEM % (1, "1"), HF_ITEM % (2, value)]
    text = "[" + ",\n".join(items) + "]" if layout == "array" else "\n".join(items)
    if depth + 1 <= MAX_NESTING:  # the item itself is one level
        result = hf_api.parse(text, LABEL)
        assert sorted(p.title for p in result.papers) == ["Paper 1", "Paper 2"]
        return
    with pytest.raises(SitegenError) as caught:
        hf_api.parse(text, LABEL)
    assert [str(p) for p in caught.value.problems] == [
        f"{LABEL}:2: JSON nested more than {MAX_NESTING} levels deep; not imported"]


@FUZZ
@given(nested_json())
def test_jsonl_nesting_is_limited_not_a_crash(nested: tuple[str, int]) -> None:
    from sitegen.importers import arxiv
    from sitegen.importers.limits import MAX_NESTING

    TRIED["nested-jsonl"] += 1
    value, depth = nested
    text = SNAPSHOT_RECORD % (1, "[]") + "\n" + SNAPSHOT_RECORD % (2, value) + "\n"
    if depth + 1 <= MAX_NESTING:
        assert len(arxiv.parse_jsonl(text, LABEL).papers) == 2
        return
    with pytest.raises(SitegenError, match=f"^{LABEL}:2: JSON nested more than"):
        arxiv.parse_jsonl(text, LABEL)


@FUZZ
@given(nested_json(), st.integers(0, 10**6), st.text(max_size=5), st.sampled_from(["", "[", "{"]))
@pytest.mark.parametrize("fmt", formats(), ids=lambda f: f.name)
def test_cut_deep_json_never_crashes_any_format(fmt: Any, nested: tuple[str, int], cut: int,
                                                splice: str, prefix: str) -> None:
    """Cut and spliced deep JSON: every format returns or says why, never RecursionError."""
    value, _ = nested
    cut %= len(value) + 1
    parse_any(fmt, prefix + value[:cut] + splice + value[cut:])


# ------------------------------------------------------------------ nested YAML in content

NEST_KINDS = st.sampled_from(["flow-list", "flow-map", "block-list", "block-map"])
NEST_FIELDS = st.sampled_from(["deep", "authors", "tags", "links", "source", "organization",
                               "imported"])
LEAVES = st.sampled_from(["x", "1", '"text"', "null", "2024-03-05", "'q'"])


def nested_yaml(kinds: list[str], leaf: str, indent: int) -> str:
    """A value nesting ``len(kinds)`` collections, outermost first; block styles start on
    a new line at ``indent`` (flow collections nest inside a flow parent)."""
    if not kinds:
        return leaf
    kind, rest = kinds[0], kinds[1:]
    if kind.startswith("flow") or indent > 200:
        inner = nested_yaml([k.replace("block", "flow") for k in rest], leaf, indent)
        return f"[{inner}]" if kind.endswith("list") else f"{{k: {inner}}}"
    pad = " " * indent
    inner = nested_yaml(rest, leaf, indent + 2)
    lead = "- " if kind == "block-list" else "k: "
    return f"\n{pad}{lead}{inner}"


@FUZZ
@given(st.lists(NEST_KINDS, min_size=1, max_size=80), LEAVES, NEST_FIELDS,
       st.booleans())
def test_nested_yaml_is_bounded_and_located(kinds: list[str], leaf: str, field: str,
                                           alias: bool) -> None:
    """Any nesting of lists and mappings in any field: no exception, every problem on the
    field's line; deeper than MAX_NESTING is refused as such, and so is any alias."""
    from sitegen.frontmatter_checks import MAX_NESTING

    value = nested_yaml(kinds, leaf, 2)
    if alias:
        value = "&anchor " + value if not value.startswith("\n") else value
        extra = f"{field}: {value}\nagain: *anchor\n" if value.startswith("&") else (
            f"{field}: {value}\n")
    else:
        extra = f"{field}: {value}\n"
    text = f"---\ntitle: Nested\ndate: 2024-03-05\n{extra}---\n\nBody.\n"
    TRIED["content (nested YAML)"] += 1
    paper, problems = parse_paper(text, LABEL)
    assert (paper is None) == bool(problems)
    lines = text.count("\n") + 1
    for problem in problems:
        assert problem.path == LABEL and 1 <= problem.line <= lines, problem
    if len(kinds) > MAX_NESTING:
        assert paper is None
        assert any("nested more than" in p.message and p.line == 4 for p in problems), problems
    if alias and value.startswith("&"):
        assert any("YAML alias" in p.message for p in problems), problems
    if field == "deep" and len(kinds) <= MAX_NESTING and not alias:
        assert paper is not None, problems  # an extra field may nest within the limit


@FUZZ
@given(st.integers(1, 4000), st.sampled_from(["[", "{a: ", "- ", "? "]))
def test_very_deep_yaml_is_refused_quickly(depth: int, opener: str) -> None:
    """Thousands of levels (libyaml's own limit, or ours) give one located problem, fast."""
    import time

    if opener == "- ":
        value = "".join(f"\n{' ' * (2 * i + 2)}-" for i in range(min(depth, 300)))
    elif opener == "? ":
        value = "? " * depth + "x"
    else:
        value = opener * depth + "x" + ("]" if opener == "[" else "}") * depth
    text = f"---\ntitle: Deep\ndate: 2024-03-05\ndeep: {value}\n---\n\nBody.\n"
    TRIED["content (very deep YAML)"] += 1
    started = time.process_time()
    paper, problems = parse_paper(text, LABEL)
    assert time.process_time() - started < 2
    assert (paper is None) == bool(problems)
    if depth > 40 and opener != "? ":
        assert paper is None and len(problems) == 1 and problems[0].line >= 4, problems


def test_fuzz_counts() -> None:
    total = sum(TRIED.values())
    parts = ", ".join(f"{k} {v}" for k, v in sorted(TRIED.items()))
    print(f"\nfuzz inputs tried: {total} ({parts})")
    if len(TRIED) >= 15:  # the whole module ran
        assert total >= 3000


# ------------------------------------------------------------------ pathological Markdown

MAX_SECONDS = 4.0
N = 100_000
# name -> Python expression for the abstract (evaluated in the child process).
MARKDOWN_CASES = {
    "nested-block-quotes": f"'>' * {N} + ' a'",
    "nested-star-lists": f"'* ' * {N // 2} + 'a'",
    "nested-dash-lists": f"'- ' * {N // 2} + 'a'",
    "nested-ordered-lists": f"'1. ' * {N // 3} + 'a'",
    "open-brackets": f"'[' * {N} + 'a'",
    "emphasis-runs": f"'*a' * {N // 2}",
    "underscore-runs": f"'_a' * {N // 2}",
    "unmatched-emphasis": f"'*' * {N} + 'a' + '_' * {N}",
    "backticks": f"'`' * {N}",
    "backtick-runs-1mb": "''.join('`' * i + 'a' for i in range(1, 1400))",
    "nested-links": f"'[' * {N // 4} + 'a' + '](b)' * {N // 4}",
    "nested-images": f"'![' * {N // 4} + 'a' + '](b)' * {N // 4}",
    "link-openers": f"'[a](' * {N // 4}",
    "angle-brackets": f"'<' * {N}",
    "unclosed-tags": f"'<a' * {N // 2}",
    "entities": f"'&#' * {N // 2}",
    "raw-html-div-nesting-1mb": "'<div>' * 200_000",
    "raw-html-span-nesting": f"'<span>' * {N // 6}",
    "html-comments": f"'<!--' * {N // 4}",
    "tables": f"'|a' * {N} + chr(10) + '|-' * {N}",
    "reference-definitions": f"'[a]: http://x' + chr(10) * 2 + '[a]' * {N // 3}",
    "dollar-runs": f"'$' * {N}",
    "dollar-letter-runs": f"'$a' * {N // 2}",
    "math-spans-1mb": "'$a$ ' * 250_000",
    "math-distinct-long-formulas": "''.join('$z_{%d}+' % i + 'x+' * 1990 + 'y$ ' "
                                   "for i in range(250))",
    "math-deep-braces": "'$' + '{' * 1999 + '}' * 1999 + '$'",
    "math-deep-fractions": "'$' + '\\\\frac{' * 500 + '}{}' * 500 + '$'",
    "backslashes": f"'\\\\' * {N}",
    "autolink-www": f"'www.' * {N // 4}",
}
# Cases known to be slow: name -> reason (marked xfail until fixed).
KNOWN_SLOW: dict[str, str] = {}
CHILD = textwrap.dedent("""
    import resource, sys, time
    limit = int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
    from sitegen.markup import render_abstract
    text = eval(sys.argv[1])
    assert len(text.encode("utf-8")) <= 1_000_000, len(text.encode("utf-8"))
    start = time.process_time()
    html = render_abstract(text)
    print(f"{time.process_time() - start:.3f} {len(text)} {len(html)}")
""")


def _markdown_params() -> list[Any]:
    params = []
    for name in MARKDOWN_CASES:
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_SLOW[name])] \
            if name in KNOWN_SLOW else []
        params.append(pytest.param(name, marks=marks, id=name))
    return params


def _render_in_child(name: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    env.pop("PYTHONWARNINGS", None)
    limit = str(int(MAX_SECONDS) + 1)
    return subprocess.run([sys.executable, "-c", CHILD, MARKDOWN_CASES[name], limit],
                          capture_output=True, text=True, timeout=120, env=env, check=False)


@pytest.fixture(scope="module")
def rendered() -> Iterator[dict[str, Future[subprocess.CompletedProcess[str]]]]:
    """Every case started at once, two at a time (CPU time is measured, so sharing is fair)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {name: pool.submit(_render_in_child, name) for name in MARKDOWN_CASES}


@pytest.mark.parametrize("name", _markdown_params())
def test_pathological_markdown_renders_in_bounded_time(
        name: str, rendered: dict[str, Future[subprocess.CompletedProcess[str]]]) -> None:
    """CPU time of render_abstract in a child process, cut off by RLIMIT_CPU past the limit."""
    result = rendered[name].result()
    assert result.returncode == 0, f"killed or failed at the CPU limit: " \
                                   f"{result.returncode} {result.stderr[-300:]}"
    seconds, size, _ = result.stdout.split()
    assert float(seconds) < MAX_SECONDS, f"{name}: {seconds} s for {size} characters"


def test_markdown_cases_stay_within_the_body_limit() -> None:
    from sitegen.frontmatter import MAX_BODY_BYTES

    for name, expression in MARKDOWN_CASES.items():
        text = eval(expression)  # noqa: S307 - the expressions are the constants above
        assert len(text.encode("utf-8")) <= MAX_BODY_BYTES, name
        assert re.sub(r"\s", "", text), name
