"""sitegen's template output escaping writes exactly what stock Jinja2 autoescaping writes.

The renderer replaces the ``escape`` its compiled templates call with one that
skips building ``Markup`` objects (see ``sitegen.render._output_escape``); these
tests render the same templates both ways, over hostile values and every kind
of block that collects output, and compare the text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest
from markupsafe import Markup

from sitegen.config import Config
from sitegen.errors import BuildError
from sitegen.render import Renderer, _output_escape


class _Html:
    """An object that renders itself as HTML (like a view's ``title_html``)."""

    def __html__(self) -> str:
        return "<b>bold</b>"

    def __repr__(self) -> str:  # the test id: the same in every test process
        return "_Html()"


VALUES: list[Any] = [
    "plain", "<script>alert('x')</script> & \"q\"", Markup("<em>safe</em> &amp;"), 42, 1.5,
    None, True, _Html(), ["<a>", "b&"], {"k": "<v>"}, "", "\u2028 é 💥 \x00",
]

TEMPLATE = """\
{% macro show(v) %}<i title="{{ v }}">{{ v }}</i>{% endmacro %}
{% macro wrap() %}<u>{{ caller() }}</u>{% endmacro %}
{% set block %}{{ value }}|{{ value }}{% endset %}
<p data-x="{{ value }}">{{ value }}</p>
{{ show(value) }}
{{ block }}
{% filter upper %}{{ value }}{% endfilter %}
{% for item in [value, value] %}{{ loop.index }}:{{ item }} {% endfor %}
{% call wrap() %}{{ value }}{% endcall %}
{{ value ~ "<tail>" }}
{{ value | string }} {{ value | e }} {{ value | safe }}
{% autoescape false %}{{ value }}{% endautoescape %}
{% macro pair(a, b="<d>") %}[{{ a }}|{{ b }}]{% endmacro %}
{% macro rest() %}{{ varargs | join(",") }}{{ kwargs | dictsort }}{% endmacro %}
{% macro twice(v) %}{{ show(v) }}{{ pair(v) }}{% endmacro %}
{{ pair(value) }} {{ pair(value, value) }} {{ pair(b=value, a=1) }} {{ rest(value, 2, k=value) }}
{% for item in [value] %}{{ twice(item) }}{% endfor %}
{% block inner %}{{ show(value) }}{{ pair(value, b=value) }}{% endblock %}
"""


@pytest.fixture
def renderer(tmp_path: Path) -> Renderer:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "probe.html").write_text(TEMPLATE, "utf-8")
    return Renderer(Config(root=tmp_path), tmp_path / "cache")


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_output_matches_stock_jinja2(renderer: Renderer, value: Any) -> None:
    stock = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True,
                               undefined=jinja2.StrictUndefined)
    expected = stock.from_string(TEMPLATE).render(value=value)
    assert renderer.renderer("probe.html")({"value": value}) == expected


def test_macro_called_wrongly_fails_as_in_stock_jinja2(renderer: Renderer, tmp_path: Path) -> None:
    """Macros called by position take a shorter path (``sitegen.render._call_macro``);
    every other call must still be checked by Jinja2 itself."""
    source = "{% macro one(a) %}{{ a }}{% endmacro %}{{ one(1, 2) }}"
    (tmp_path / "templates" / "bad.html").write_text(source, "utf-8")
    stock = jinja2.Environment(autoescape=True).from_string(source)
    with pytest.raises(TypeError, match="takes not more than 1 argument"):
        stock.render()
    with pytest.raises(BuildError, match="takes not more than 1 argument"):
        renderer.renderer("bad.html")({})


def test_globals_added_after_loading_are_seen(renderer: Renderer, tmp_path: Path) -> None:
    """Contexts copy the globals at each render, so helpers registered after a template
    was loaded (as the paper-page helpers are) are there."""
    (tmp_path / "templates" / "late.html").write_text("{{ late() }}", "utf-8")
    render = renderer.renderer("late.html")
    renderer.env.globals["late"] = lambda: "<here>"
    assert render({}) == "&lt;here&gt;"


def test_warm_up_loads_templates_and_leaves_errors_to_their_use(renderer: Renderer,
                                                                 tmp_path: Path) -> None:
    """Templates are loaded ahead of rendering (before workers fork); one that cannot be
    loaded is skipped there and fails with its file and line where it is used."""
    (tmp_path / "templates" / "broken.html").write_text("<p>\n{% if %}\n", "utf-8")
    renderer.warm_up()
    loaded = {template.name for template in renderer.env.cache.values()}
    assert {"probe.html", "base.html", "paper.html", "list.html"} <= loaded
    assert "broken.html" not in loaded
    with pytest.raises(BuildError) as caught:
        renderer.renderer("broken.html")
    problem = caught.value.problems[0]
    assert (problem.path, problem.line) == ("templates/broken.html", 2)
    assert problem.message.startswith("template error:")


def test_cards_are_the_cards_one_per_line(renderer: Renderer, tmp_path: Path) -> None:
    """``cards(papers)`` shows what a loop over ``card(paper)`` shows."""
    from datetime import date

    from sitegen.derive import derive_site, make_settings
    from sitegen.model import Paper

    papers = [Paper(title=title, date=date(2024, 1, 1 + number), body="An *abstract*.",
                    slug=f"p{number}", tags=["t"])
              for number, title in enumerate(["<b>One</b>", "Two & two", "Three"])]
    settings = make_settings(renderer.config, card=renderer.render_card)
    views = derive_site(papers, [None] * 3, settings, tmp_path / "cache")[0].papers
    loop = "<div>\n{% for p in papers %}\n{{ card(p) }}\n{% endfor %}\n</div>"
    (tmp_path / "templates" / "loop.html").write_text(loop, "utf-8")
    joined = "<div>\n{{ cards(papers) }}\n</div>"
    (tmp_path / "templates" / "joined.html").write_text(joined, "utf-8")
    looped = renderer.renderer("loop.html")({"papers": views})
    assert renderer.renderer("joined.html")({"papers": views}) == looped
    assert looped.count('<article class="card">') == 3
    assert "&lt;b&gt;One&lt;/b&gt;" in looped and "Two &amp; two" in looped


def test_templates_from_the_bytecode_cache_escape_too(renderer: Renderer, tmp_path: Path) -> None:
    """A second renderer loads the compiled template from the cache and must still escape."""
    first = renderer.renderer("probe.html")({"value": "<x>"})
    again = Renderer(Config(root=tmp_path), tmp_path / "cache")
    assert list((tmp_path / "cache" / "jinja").iterdir())
    assert again.renderer("probe.html")({"value": "<x>"}) == first
    assert "&lt;x&gt;" in first
    # Only the {% autoescape false %} line and the |safe output show the raw value.
    assert first.count("<x>") == 2


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_output_escape_equals_markupsafe(value: Any) -> None:
    from markupsafe import escape

    assert _output_escape(value) == str(escape(value))
    assert type(_output_escape(value)) in (str, Markup)


@pytest.mark.parametrize("text", ["plain", "é 💥", "</script>", "a&b", "x>y", "line\u2028sep",
                                  "para\u2029sep", "<!--", "all <>&\u2028\u2029 at once"])
def test_json_script_escapes_what_ends_a_script(text: str) -> None:
    """JSON for a ``<script>`` element: the same value, with nothing that could close the
    element or break the line in old parsers, and untouched when there is nothing to escape."""
    import json

    from sitegen.render import json_script

    value = {"name": text, "list": [text]}
    out = str(json_script(value))
    assert json.loads(out) == value
    assert not any(char in out for char in "<>&\u2028\u2029")
    if not any(char in text for char in "<>&\u2028\u2029"):
        assert out == json.dumps(value, ensure_ascii=False, sort_keys=True)
