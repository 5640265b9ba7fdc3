"""Math in titles and abstracts: ``$...$`` to MathML at build time, safely.

Delimiters follow pandoc's rules (currency and ``\\$`` stay text), Markdown
never touches formula source, unconvertible formulas fall back to escaped
source, and hostile LaTeX cannot smuggle script or links through the MathML.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sitegen.importers.content_files import dumps
from sitegen.markup import excerpt, find_math, render_abstract, render_title
from sitegen.model import Paper

MATHML = "{http://www.w3.org/1998/Math/MathML}"


def _raw(text: str) -> list[str]:
    return [span.raw for span in find_math(text)]


@pytest.mark.parametrize(("text", "spans"), [
    ("prices are $5 and $10 today", []),
    ("from $5-$10", []),
    ("escaped \\$x\\$ stays", []),
    ("code `$x$` stays", []),
    ("``a `$x$` b`` stays", []),
    ("$ x$ and $x $ are not math", []),
    ("we show $x^2$ here", ["$x^2$"]),
    ("display $$\\sum_i x_i$$ too", ["$$\\sum_i x_i$$"]),
    ("two $a$ and $b$.", ["$a$", "$b$"]),
    ("no closer after a blank line $a\n\nb$", []),
    ("a $\\$5$ price", ["$\\$5$"]),
])
def test_delimiters_follow_pandoc_rules(text: str, spans: list[str]) -> None:
    assert _raw(text) == spans


def test_many_unclosed_dollars_are_fast_enough_to_finish() -> None:
    text = "$a " * 20_000
    assert find_math(text) == []  # would be quadratic with a naive scan


def _parse(fragment: str, parse_page: Callable[..., Any]) -> Any:
    return parse_page(f"<!DOCTYPE html><html><body>{fragment}</body></html>").find("body")


def test_abstract_math_becomes_mathml(parse_page: Callable[..., Any]) -> None:
    html = render_abstract("We prove $x_1^2 + y_*$ and *emphasis* and $$\\frac{a}{b}$$.")
    body = _parse(html, parse_page)
    maths = list(body.iter(f"{MATHML}math"))
    assert [m.get("display") for m in maths] == ["inline", "block"]
    assert [e.text for e in maths[0].iter(f"{MATHML}mi")] == ["x", "y"]
    assert list(maths[1].iter(f"{MATHML}mfrac"))
    assert [e.text for e in body.iter("em")] == ["emphasis"]  # Markdown still applies outside


def test_markdown_never_sees_formula_source() -> None:
    html = render_abstract("Sum $a_i * b_i * c$ and $x_1$, $y_2$.")
    assert "<em>" not in html and "<strong>" not in html
    assert html.count("<math") == 3


def test_bad_formula_falls_back_to_escaped_source() -> None:
    html = render_abstract("Broken $\\frac$ and $\\left( x$ and $x^<b>$ here.")
    assert "$\\frac$" in html and "$\\left( x$" in html
    assert "<b>" not in html
    title = render_title("Broken $\\frac$ <i>")
    assert title == "Broken $\\frac$ &lt;i&gt;"


def test_placeholder_inside_an_attribute_keeps_source(parse_page: Callable[..., Any]) -> None:
    html = render_abstract("[link](https://example.org/$a$) and $b$")
    body = _parse(html, parse_page)
    assert body.find(".//a").get("href") == "https://example.org/$a$"
    assert len(list(body.iter(f"{MATHML}math"))) == 1


@pytest.mark.parametrize("payload", [
    "$\\text{<script>alert(1)</script>}$",
    "$\\text{</math><img src=x onerror=alert(1)>}$",
    "$\\href{javascript:alert(1)}{x}$",
    "$\\style{color:red;position:fixed}{x}$",
    "$\\class{x}{y}$ $\\unicode{<svg onload=alert(1)>}$",
])
def test_hostile_latex_stays_inert(payload: str, parse_page: Callable[..., Any]) -> None:
    for html in (render_abstract(payload), render_title(payload)):
        body = _parse(html, parse_page)
        for element in body.iter():
            tag = element.tag.split("}")[-1] if isinstance(element.tag, str) else ""
            assert tag not in {"script", "img", "svg", "a", "style", "iframe"}
            for name, value in element.attrib.items():
                assert not name.startswith("on") and name not in {"href", "style", "class"}
                assert "javascript" not in value


def test_title_math_and_escaping() -> None:
    html = render_title("Bounds & $\\alpha$-nets for \\$5")
    assert html.startswith("Bounds &amp; <math display=\"inline\">")
    assert html.endswith("-nets for $5")
    assert render_title("Plain $x$", math=False) == "Plain $x$"


def test_rendering_is_deterministic() -> None:
    text = "A $x^2$ and $$y$$ and $\\frac$."
    assert render_abstract(text) == render_abstract(text)


def test_excerpt_keeps_formulas_whole() -> None:
    assert excerpt("We *bound* $x_i^*$ well.") == "We bound $x_i^*$ well."


def test_built_page_renders_mathml(tmp_path: Path, build_site: Callable[..., Path],
                                   parse_page: Callable[..., Any]) -> None:
    site = tmp_path / "site"
    (site / "content" / "papers").mkdir(parents=True)
    (site / "sitegen.toml").write_text("search = false\n", encoding="utf-8")
    paper = Paper(title="Scaling $\\alpha$-nets", slug="alpha", date=date(2025, 2, 1),
                  body="We show $E = mc^2$ holds, at $5 a copy.")
    (site / "content" / "papers" / "alpha.md").write_text(dumps(paper), encoding="utf-8")
    out = build_site(site, tmp_path / "out")
    page = parse_page(out / "papers" / "alpha" / "index.html")
    article = page.find(".//article")
    assert [m.get("display") for m in article.find(".//h1").iter(f"{MATHML}math")] == ["inline"]
    abstract = article.find(".//section[@class='abstract']")
    maths = list(abstract.iter(f"{MATHML}math"))
    assert len(maths) == 1 and "at $5 a copy." in "".join(abstract.itertext())
    assert not [s for s in page.iter("script") if "math" in (s.get("src") or "")]
