"""Linear time on hostile content: every parser and regular expression the build runs on it.

Each case times a step on 256 KB and on 1 MB of a hostile pattern and asserts
that four times the input costs less than ten times the time (linear would be
four, quadratic sixteen), and that 1 MB stays under a few seconds. Times are
CPU times of this process (or of the build's child processes), two runs
each: the slower at 256 KB against the faster at 1 MB, so a loaded machine
does not make a linear step look quadratic. A step that takes under
``FLOOR`` seconds at 1 MB is fast whatever its ratio.

The patterns are the reported ones (100,000 ``[`` in an abstract took 51 s
in ``excerpt``; 120,000 nested emphasis pairs took 45 s to index for search)
and their relatives: every delimiter of every regular expression in
:mod:`sitegen.markup`, :mod:`sitegen.outputs.bibtex`, the front-matter parser
and the keyword tagger, unclosed, repeated and nested.
"""

from __future__ import annotations

import gc
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sitegen import markup
from sitegen.frontmatter import parse_paper
from sitegen.outputs import bibtex
from sitegen.taxonomy import Tagger

SMALL = 256 * 1024
BIG = 1024 * 1024
RATIO = 10.0  # linear gives 4, quadratic 16
CAP = 4.0  # seconds at 1 MB, CPU time
FLOOR = 0.15  # seconds: faster than this at 1 MB cannot be quadratic in any way that matters


def _fill(unit: str, size: int, tail: str = "") -> str:
    return unit * (max(size - len(tail), 0) // len(unit)) + tail


def _cpu(step: Callable[[str], object], text: str, pick: Callable[..., float]) -> float:
    """CPU seconds of ``step(text)``, cyclic garbage collection off as in a build
    (``sitegen.site.no_cycle_collection``): its passes grow with every live object."""
    times: list[float] = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(2):
            markup._mathml.cache_clear()  # each run converts its formulas itself
            started = time.process_time()
            step(text)
            times.append(time.process_time() - started)
            if times[-1] > CAP:
                break
    finally:
        gc.enable()
    return pick(times)


def assert_linear(step: Callable[[str], object], make: Callable[[int], str]) -> None:
    """The slower of two runs at 256 KB against the faster of two at 1 MB: noise (a run
    slowed by the machine, or sped up by a warm allocator) only ever favours the step."""
    small = _cpu(step, make(SMALL), max)
    big = _cpu(step, make(BIG), min)
    assert big < CAP, f"{big:.2f} s at 1 MB"
    assert big < FLOOR or big < RATIO * small, f"{small:.3f} s -> {big:.3f} s for 4x the input"


NESTED_EMPHASIS = {
    "emphasis-stars": lambda n: _fill("*a ", n // 2) + "b" + _fill(" a*", n // 2),
    "emphasis-underscores": lambda n: _fill("_a ", n // 2) + "b" + _fill(" a_", n // 2),
    "strong": lambda n: _fill("**a ", n // 2) + "b" + _fill(" a**", n // 2),
    "strikethrough": lambda n: _fill("~~a ", n // 2) + "b" + _fill(" a~~", n // 2),
    "links": lambda n: _fill("[a ", n // 2) + "b" + _fill("](u) ", n // 2),
    "mixed": lambda n: _fill("*a _b **c ", n // 2) + "d" + _fill(" c** b_ a*", n // 2),
}
PATTERNS: dict[str, Callable[[int], str]] = {
    "open-brackets": lambda n: "[" * n,
    "open-angles": lambda n: "<" * n,
    "bang-brackets": lambda n: _fill("![", n),
    "link-opens": lambda n: _fill("[a](", n),
    "link-parens": lambda n: "[a](" + "(" * n,
    "link-nested-parens": lambda n: _fill("[a]((x)", n),
    "unclosed-dollars": lambda n: _fill("$a\n\n", n),
    "unclosed-display": lambda n: _fill("$$a\n\n", n),
    "dollar-runs": lambda n: "$" * n,
    "backtick-runs": lambda n: _fill("` $ ``", n),
    "escaped-dollars": lambda n: _fill("\\$a ", n),
    "formulas": lambda n: "".join(f"${i}x^{{{i}}}$ " for i in range(n // 12)),
    "block-quotes": lambda n: ">" * n + " a",
    "list-nesting": lambda n: "".join(f"{'  ' * i}- a\n" for i in range(int(n ** 0.5))),
    "raw-html": lambda n: _fill("<b>", n),
    "entities": lambda n: _fill("&amp;&#x1F600;&", n),
    "hashes": lambda n: _fill("#", n),
    "hyphen-words": lambda n: _fill("a-", n),
    "ampersands": lambda n: "&" * n,
    "ampersands-in-html": lambda n: "<div>\n" + "&" * n,
    "ampersand-words": lambda n: _fill("x&y ", n),
    "letter-brackets": lambda n: _fill("x[", n),
    # latex2mathml recurses per brace: distinct deep formulas, each converted or refused.
    "deep-formulas": lambda n: "".join(f"$\\frac{{{i}}}{{" + "{" * 400 + "x" + "}" * 401 + "$ "
                                       for i in range(n // 815)),
    "left-right-formulas": lambda n: "".join(f"${i}" + "\\left(" * 300 + "x" + "\\right)" * 300
                                             + "$ " for i in range(n // 4210)),
    **NESTED_EMPHASIS,
}


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_excerpt_is_linear(name: str) -> None:
    assert_linear(markup.excerpt, PATTERNS[name])


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_render_abstract_is_linear(name: str) -> None:
    assert_linear(markup.render_abstract, PATTERNS[name])


@pytest.mark.parametrize("name", ["unclosed-dollars", "unclosed-display", "dollar-runs",
                                  "backtick-runs", "escaped-dollars", "formulas"])
def test_find_math_is_linear(name: str) -> None:
    assert_linear(markup.find_math, PATTERNS[name])


@pytest.mark.parametrize("name", ["formulas", "unclosed-dollars", "dollar-runs",
                                  "hyphen-words", "open-brackets", "deep-formulas",
                                  "left-right-formulas"])
def test_render_title_is_linear(name: str) -> None:
    assert_linear(markup.render_title, PATTERNS[name])


def test_deep_nesting_is_shown_flat() -> None:
    """Deeply nested elements reach no page (Pagefind's indexing is quadratic in depth)."""
    html = markup.render_abstract(NESTED_EMPHASIS["emphasis-stars"](20_000))
    assert markup.element_depth(html) <= markup.MAX_DEPTH
    assert "<em>" not in html and html.startswith("<p>*a *a ")
    shallow = "*a " * 50 + "b" + " a*" * 50
    assert markup.render_abstract(shallow).count("<em>") == 50


def test_excerpt_keeps_links_and_markup_rules() -> None:
    """The linear patterns still strip what the old ones did."""
    text = ("See [the code](https://example.org/a_(b)) and ![fig](x.png) **bold** `code` "
            "<b>raw</b> [[1]](u) $x^2$")
    assert markup.excerpt(text) == "See the code and fig bold code raw [[1]](u) $x^2$"


BIBTEX_PATTERNS: dict[str, Callable[[int], str]] = {
    "command-names": lambda n: "$" + _fill("\\aaaaaaaaaa", n - 3) + "#$",
    "hyphen-words": PATTERNS["hyphen-words"],
    "capitals": lambda n: _fill("aB-", n),
    "specials": lambda n: _fill("\\{}#$%&_~^", n),
    "carets": lambda n: "$" + "^" * n + "$",
    "braces": lambda n: "$" + "{" * (n // 2) + "}" * (n // 2) + "$",
    "escaped-braces": lambda n: "$" + _fill("\\{", n) + "$",
    "formulas": PATTERNS["formulas"],
}


@pytest.mark.parametrize("name", sorted(BIBTEX_PATTERNS))
def test_bibtex_title_is_linear(name: str) -> None:
    assert_linear(bibtex.tex_title, BIBTEX_PATTERNS[name])


@pytest.mark.parametrize("name", ["specials", "hyphen-words"])
def test_bibtex_values_are_linear(name: str) -> None:
    make = BIBTEX_PATTERNS[name]
    assert_linear(bibtex.tex_escape, make)
    assert_linear(bibtex._author, make)
    assert_linear(bibtex._verbatim, make)
    assert_linear(bibtex.ascii_word_list, make)


FRONT_MATTER: dict[str, Callable[[int], str]] = {
    "long-quoted-title": lambda n: 'title: "' + _fill("a\\\\", n) + '"\n',
    "many-keys": lambda n: "".join(f"k{i}: v\n" for i in range(n // 10)),
    "many-authors": lambda n: "authors:\n" + "".join(f"  - Author {i}\n" for i in range(n // 16)),
    "flow-list": lambda n: "tags: [" + ", ".join(f"t{i}" for i in range(n // 8)) + "]\n",
    "deep-flow": lambda n: "deep: " + "[" * (n // 2) + "]" * (n // 2) + "\n",
    "anchors": lambda n: "".join(f"k{i}: &a{i} v\n" for i in range(n // 14)),
    "aliases": lambda n: "a: &a x\n" + "".join(f"k{i}: *a\n" for i in range(n // 10)),
    "escapes": lambda n: 'note: "' + _fill("\\\\x41\\\\u00e9", n) + '"\n',
}


@pytest.mark.parametrize("name", sorted(FRONT_MATTER))
def test_front_matter_is_linear(name: str) -> None:
    def make(size: int) -> str:
        return "---\ndate: 2024-03-05\n" + FRONT_MATTER[name](size) + "---\n\nBody.\n"

    assert_linear(lambda text: parse_paper(text, "content/papers/x.md"), make)


def test_keyword_tagging_is_linear() -> None:
    tagger = Tagger({"llm": ["large language model*", "llm"], "rl": ["reinforcement learning"],
                     "vision": ["vision", "image*"]})
    for make in (lambda n: _fill("large language ", n), lambda n: _fill("large  \n ", n),
                 lambda n: _fill("image-", n), lambda n: _fill("imageimage", n)):
        assert_linear(lambda text: tagger.tags_for("title", text), make)


# ------------------------------------------------------------------ the whole build


def _write_site(root: Path, size: int) -> Path:
    site = root / f"site-{size}"
    papers = site / "content" / "papers"
    papers.mkdir(parents=True)
    (site / "sitegen.toml").write_text('title = "T"\nsearch = true\n', encoding="utf-8")
    bodies = {"emphasis": NESTED_EMPHASIS["emphasis-stars"], "brackets": PATTERNS["open-brackets"],
              "dollars": PATTERNS["unclosed-dollars"], "mixed": NESTED_EMPHASIS["mixed"]}
    for name, make in bodies.items():
        body = make(size - 100)
        (papers / f"{name}.md").write_text(
            f"---\ntitle: {name} $x^2$\ndate: 2024-03-05\n---\n\n{body}\n", encoding="utf-8")
    return site


def _build_cpu(site: Path, out: Path) -> float:
    """CPU seconds of a ``sitegen build`` child process and its children (Pagefind)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-m", "sitegen.cli", "build", "--site", str(site),
                           "--output", str(out), "-q"], capture_output=True, text=True,
                          timeout=600, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 0, done.stderr
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@pytest.mark.slow
def test_build_with_search_is_linear(tmp_path: Path) -> None:
    """Four abstracts of hostile Markdown, built and indexed by Pagefind: 256 KB vs 1 MB each."""
    size = 990_000  # under the 1,000,000-byte abstract limit
    small = _build_cpu(_write_site(tmp_path, size // 4), tmp_path / "out-small")
    big = _build_cpu(_write_site(tmp_path, size), tmp_path / "out-big")
    assert big < 30, f"{big:.1f} s"
    assert big < RATIO * small, f"{small:.2f} s -> {big:.2f} s"
    assert (tmp_path / "out-big" / "pagefind" / "pagefind-entry.json").is_file()
