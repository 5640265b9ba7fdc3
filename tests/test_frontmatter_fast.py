"""The fast front-matter composer reads exactly what libyaml reads, or declines.

``sitegen.frontmatter_fast`` composes the dialect ``sitegen.store.dumps`` writes
without libyaml. Whenever it returns a node tree, that tree and the parsed
paper (every field, the key lines, ``extra``, the problems) must be the same as
with the fast path switched off. Inputs: the repository's papers, every test
and hostile content file, the benchmark's synthetic papers, generated papers
written by ``dumps``, and mutated canonical text (where declining is fine but
disagreeing is not). The fast path must actually be taken for canonical files.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import sitegen.frontmatter as fm
from bench.synth import make_papers
from bench.trees import sitegen_text
from sitegen.errors import Problem
from sitegen.model import Link, Organization, Paper, Source
from sitegen.store import dumps

REPO = Path(__file__).resolve().parent.parent
LABEL = "paper.md"
CHECKS = settings(max_examples=int(os.environ.get("SITEGEN_FUZZ_EXAMPLES", "250")),
                  deadline=None, database=None,
                  derandomize=os.environ.get("SITEGEN_FUZZ_RANDOM") != "1",
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                         HealthCheck.filter_too_much])


@contextmanager
def fast_path(enabled: bool) -> Iterator[None]:
    saved = fm.FAST_COMPOSE
    fm.FAST_COMPOSE = enabled
    try:
        yield
    finally:
        fm.FAST_COMPOSE = saved


def fast_tree(text: str) -> yaml.Node | None:
    parts = fm.split_front_matter(text)
    return None if parts is None else fm._FAST.compose(parts[0])


def libyaml_tree(text: str) -> yaml.Node | None:
    parts = fm.split_front_matter(text)
    assert parts is not None
    loader = fm._Loader(parts[0])
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def node_shape(node: yaml.Node) -> Any:
    """Everything of a node tree that parsing reads: kinds, tags, values, styles, key lines."""
    if isinstance(node, yaml.ScalarNode):
        return ("scalar", node.tag, node.value, node.style)
    if isinstance(node, yaml.SequenceNode):
        return ("seq", node.tag, node.flow_style, [node_shape(item) for item in node.value])
    assert isinstance(node, yaml.MappingNode)
    return ("map", node.tag, node.flow_style,
            [(key.start_mark.line, node_shape(key), node_shape(value))
             for key, value in node.value])


def strict(value: Any) -> Any:
    """``value`` with every type kept, so that True, 1 and 1.0 (or NaNs) stay apart."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, [(f.name, strict(getattr(value, f.name)))
                                       for f in dataclasses.fields(value)])
    if isinstance(value, dict):
        return ("dict", [(strict(k), strict(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [strict(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    return (type(value).__name__, repr(value))


def check_same(text: str) -> bool:
    """Parse ``text`` with and without the fast path; True if the fast path was taken."""
    tree = fast_tree(text)
    with fast_path(False):
        slow = fm.parse_paper(text, LABEL)
    with fast_path(True):
        fast = fm.parse_paper(text, LABEL)
    assert strict(fast[0]) == strict(slow[0])
    assert fast[1] == slow[1]
    assert all(isinstance(p, Problem) for p in fast[1])
    if tree is None:
        return False
    assert node_shape(tree) == node_shape(libyaml_tree(text))
    return True


def repo_texts(*folders: str) -> list[tuple[str, str]]:
    out = []
    for folder in folders:
        for path in sorted((REPO / folder).rglob("*.md")):
            text, problem = fm.decode(path.read_bytes(), path.name)
            if text is not None:
                out.append((str(path.relative_to(REPO)), text))
    return out


PAPERS = repo_texts("content/papers")
TEST_FILES = repo_texts("tests/sites", "tests/hostile")


def test_the_corpora_are_there() -> None:
    assert len(PAPERS) >= 30
    assert len(TEST_FILES) >= 50


@pytest.mark.parametrize("name,text", PAPERS, ids=[n for n, _ in PAPERS])
def test_repository_papers_take_the_fast_path(name: str, text: str) -> None:
    assert check_same(text), f"{name} is written by sitegen but was not composed fast"


def test_test_and_hostile_files_agree() -> None:
    taken = sum(check_same(text) for _, text in TEST_FILES)
    assert taken >= 5  # the good papers of the test sites are canonical


def test_synthetic_bench_papers_take_the_fast_path() -> None:
    for paper in make_papers(300):
        assert check_same(sitegen_text(paper))


# -- Papers written by sitegen's own serializer ---------------------------------------------

AWKWARD = ["no", "yes", "on", "off", "true", "null", "Null", "~", "1.10", "0123", "089", "1e3",
           ".inf", "-.5", "0x1F", "1:30", "2024-01-02", "#", " # ", ": ", "- ", "-", "---",
           "...", "'", '"', "\\", "\\n", "\t", "\n", "\r", "\r\n", "\x00", "\x07", "\x1b",
           "\x7f", "\x85", "\xa0", "\u2028", "\u2029", "\ufeff", "\ufffd", "\U0001f600", " ",
           "  lead", "trail  ", "&a", "*a", "!!str", "%YAML", "{a: 1}", "[x]", "|", ">", "@", "`"]
TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(AWKWARD),
    st.lists(st.one_of(st.sampled_from(AWKWARD), st.text(max_size=5)), max_size=6).map("".join),
)
WORD = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
LEAF = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(), TEXT,
                 st.dates())
VALUE = st.recursive(LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.one_of(WORD, TEXT), inner, max_size=3),
), max_leaves=8)
URL = st.one_of(TEXT, st.builds("https://{}/{}".format, WORD, TEXT))
KINDS = st.sampled_from(["code", "project", "model", "dataset", "paper", "other", "Code", "x"])


def papers(extra: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Paper]:
    maybe_int = st.one_of(st.none(), st.integers(0, 10**13))
    return st.builds(
        Paper, title=TEXT, date=st.dates(), body=st.one_of(st.just(""), TEXT),
        slug=st.one_of(st.none(), WORD, TEXT), authors=st.lists(TEXT, max_size=4),
        author_count=maybe_int,
        organization=st.one_of(st.none(), st.builds(Organization, TEXT, TEXT)),
        comments=maybe_int, upvotes=maybe_int, tags=st.lists(TEXT, max_size=4),
        links=st.lists(st.builds(Link, KINDS, URL), max_size=3),
        arxiv=st.one_of(st.none(), TEXT), doi=st.one_of(st.none(), TEXT),
        listed=st.one_of(st.none(), st.dates()),
        source=st.lists(st.builds(Source, TEXT, TEXT, st.one_of(st.none(), st.dates())),
                        max_size=2),
        imported=st.dictionaries(WORD, TEXT, max_size=4), extra=extra,
    )


@CHECKS
@given(papers(st.just({})))
@example(Paper(title="\U0001f600 \\ \" \u2028 \x85 \ufeff \x00 # : ", date=date(2024, 1, 2),
               authors=["no", "~"], tags=["1.10", "null"]))
def test_written_papers_take_the_fast_path(paper: Paper) -> None:
    assert check_same(dumps(paper))


@CHECKS
@given(papers(st.dictionaries(st.one_of(WORD, TEXT), VALUE, max_size=4)))
def test_written_papers_with_extra_fields_agree(paper: Paper) -> None:
    check_same(dumps(paper))


# -- Canonical text, mutated ------------------------------------------------------------------

SEEDS = [text for _, text in PAPERS[:8]] + [
    sitegen_text(p) for p in make_papers(4)
] + [dumps(Paper(title="T", date=date(2024, 1, 2), extra={
    "nested": {"a": [1, "b", {"c": None, "d": [True]}], "e": {"f": 2.5}},
    "items": [{"x": "1", "y": []}, {"z": {}}], "odd": [".inf", -3, 0.0],
}))]
INSERTS = [" ", "  ", "\t", "#", " # c", "\n", "\n\n", "\r", "'", '"', "\\", "\\x", "\\u12",
           "\\U0011FFFF", "\\uD800", "\\/", "\\ ", "- ", "-", ":", ": ", "? ", "&a ", "*a",
           "!!str ", "!", "|", ">", "{", "}", "[", "]", ",", "\u2028", "\x85", "\ufeff", "\ufffe",
           "\x01", "...", "---", "%", "@", "`", "~", "null", "yes", "0", "1.5", "x: 1\n",
           "  x: 1\n", "- a\n", "\U0001f600", "\xa0", "=", "<<", "2024-01-02", "a" * 130]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text: str = draw(st.sampled_from(SEEDS))
    end = text.index("\n---\n", 3) + 1  # the front matter, and its closing line
    for _ in range(draw(st.integers(1, 3))):
        lines = text[:end].split("\n")
        row = draw(st.integers(0, len(lines) - 1))
        line = lines[row]
        col = draw(st.integers(0, len(line)))
        how = draw(st.sampled_from(["insert", "insert", "delete", "duplicate", "unquote",
                                    "indent", "dedent"]))
        if how == "insert":
            line = line[:col] + draw(st.sampled_from(INSERTS)) + line[col:]
        elif how == "delete":
            line = line[:col] + line[col + draw(st.integers(1, 3)):]
        elif how == "duplicate":
            lines.insert(row, line)
        elif how == "unquote":
            line = line.replace('"', "", 2)
        elif how == "indent":
            line = " " * draw(st.integers(1, 3)) + line
        else:
            line = line[1:] if line.startswith(" ") else line
        lines[row] = line
        front = "\n".join(lines)
        text, end = front + text[end:], len(front)
    return text


@CHECKS
@given(mutated())
def test_mutated_text_never_disagrees(text: str) -> None:
    check_same(text)


# -- Chosen cases -------------------------------------------------------------------------------

HEAD = '---\ntitle: "T"\ndate: 2024-01-02\n'
CASES = {
    # Taken by the fast path.
    "empty value": ("doi:\nnote:\n", True),
    "plain words": ("a: 0123\nb: 089\nc: .inf\nd: -.inf\ne: 1_000\nf: 0x1F\ng: yes\nh: Null\n"
                    "i: 1e3\nj: 1.0e+3\nk: -5\nl: +5\nm: 0\nn: 2024-1-2\no: 2024-02-30\n", True),
    "keys that are not text": ("yes: 1\nnull: 2\nOn: 3\n", True),
    "escapes": ('x: "\\0\\a\\b\\t\\n\\v\\f\\r\\e\\"\\\\\\N\\_\\L\\P\\x41\\u00e9\\U0001F600"\n',
                True),
    "escaped noncharacters": ('x: "\\uFFFE\\uFFFF\\x7F\\u0085"\n', True),
    "raw astral and private use": ('x: "\U0001f600\ue000\U0010fffd"\n', True),
    "nested": ("x:\n  a:\n  - b: 1\n    c:\n    - 2\n  d: \"e\"\ny:\n- a:\n- b\n", True),
    "empty item key then item": ("x:\n- a:\n- b: 1\n", True),
    "duplicate keys": ('title: "U"\nx: 1\nx:\n- 2\n', True),
    # Left to libyaml.
    "comment": ("x: 1 # c\n", False),
    "blank line": ("x: 1\n\ny: 2\n", False),
    "tab": ("x:\t1\n", False),
    "trailing space": ("x: 1 \n", False),
    "flow": ("x: [1]\ny: {}\n", False),
    "single quotes": ("x: 'a'\n", False),
    "plain text": ("x: a b\n", False),
    "folded plain": ("x: a\n  b\n", False),
    "two-line quoted": ('x: "a\n  b"\n', False),
    "block scalar": ("x: |\n  a\n", False),
    "anchor": ("x: &a 1\ny: *a\n", False),
    "tag": ("x: !!str 1\n", False),
    "sequence indented": ("x:\n  - 1\n", False),
    "mapping indented by 3": ("x:\n   a: 1\n", False),
    "nested sequence": ("x:\n- - 1\n", False),
    "quoted key": ('"x": 1\n', False),
    "long key": ("k" * 130 + ": 1\n", False),
    "very long key": ("k" * 1100 + ": 1\n", False),
    "slash escape": ('x: "\\/"\n', False),
    "surrogate escape": ('x: "\\uD800"\n', False),
    "too big escape": ('x: "\\U00110000"\n', False),
    "unknown escape": ('x: "\\q"\n', False),
    "raw line separator": ('x: "a\u2028b"\ny: 1\n', False),
    "raw next line": ('x: "a\x85b"\ny: 1\n', False),
    "raw BOM": ('x: "\ufeff"\n', False),
    "raw noncharacter": ('x: "\ufffe"\n', False),
    "raw control": ('x: "\x07"\n', False),
    "CR": ('x: 1\ry: 2\n', False),
    "merge key": ("<<: 1\n", False),
    "lone dash item": ("x:\n-\n", False),
    "dash word": ("x: -\n", False),
    "dots": ("x: ...\n", False),
    "directive": ("%YAML 1.1\nx: 1\n", False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_chosen_cases(name: str) -> None:
    front, taken = CASES[name]
    text = HEAD + front + "---\n\nBody.\n"
    assert check_same(text) is taken


def nested(depth: int) -> str:
    keys = "".join(" " * (2 * level) + f"k{level}:\n" for level in range(depth))
    return HEAD + keys + " " * (2 * depth) + "z: 1\n---\n"


def test_deep_nesting_is_left_to_libyaml() -> None:
    assert check_same(nested(40)) is False
    assert check_same(nested(8)) is True


@CHECKS
@given(st.one_of(st.integers(1, 10**18 - 1).map(str), st.dates().map(date.isoformat),
                 st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True)))
def test_numbers_and_dates_get_the_resolvers_tag(text: str) -> None:
    assert fm._FAST.tag(text) == fm._FAST.resolve(text)
