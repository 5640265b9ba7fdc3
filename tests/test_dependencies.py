"""Dependencies tell the truth.

* Every third-party module imported under ``sitegen/`` (at any depth, in any
  function) belongs to a distribution declared in ``pyproject.toml``; every
  declared distribution is imported; each has a row in the README's table.
* sitegen relies on private internals of Jinja2, MarkupSafe and cmarkgfm (for
  speed and memory, see ``bench/internals.py``), so those packages are held to
  the versions tested. The tests here fail with the name of the internal when
  an installed version lacks it, and fail when a bound is dropped.
"""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sitegen"
# Packages whose private internals sitegen uses, and where.
BOUNDED = {"jinja2": "sitegen/render.py", "markupsafe": "sitegen/render.py",
           "cmarkgfm": "sitegen/gfm.py"}


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements() -> dict[str, str]:
    """The declared runtime requirements: normalised name -> requirement text."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    found = {}
    for text in project["dependencies"]:
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", text)
        assert match, f"unreadable requirement {text!r} in pyproject.toml"
        found[normalise(match.group())] = text
    return found


def imported_modules() -> dict[str, set[str]]:
    """Every top-level module imported by a file under sitegen/ -> the files importing it."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(
                    path.relative_to(ROOT).as_posix())
    return found


def third_party() -> dict[str, set[str]]:
    return {module: files for module, files in imported_modules().items()
            if module not in sys.stdlib_module_names and module != "sitegen"}


def test_the_import_scan_sees_imports_inside_functions() -> None:
    modules = imported_modules()
    # Imported only inside functions: a scan of module-level imports would miss them.
    assert "sitegen/outputs/search.py" in modules["pagefind"]
    assert "sitegen/page_render.py" in modules["markdown"]
    assert "sitegen/content_pages.py" in modules["frontmatter"]
    assert "tornado" in modules and "markupsafe" in modules


def test_every_imported_package_is_declared() -> None:
    declared = requirements()
    distributions = importlib.metadata.packages_distributions()
    missing = []
    for module, files in sorted(third_party().items()):
        names = distributions.get(module)
        assert names, f"'{module}' (imported by {', '.join(sorted(files))}) is not installed"
        if not any(normalise(name) in declared for name in names):
            missing.append(f"'{module}' from {'/'.join(names)}, imported by "
                           f"{', '.join(sorted(files))}")
    assert not missing, "imported but not declared in pyproject.toml: " + "; ".join(missing)


def test_every_declared_package_is_imported() -> None:
    distributions = importlib.metadata.packages_distributions()
    provided: dict[str, set[str]] = {}
    for module, names in distributions.items():
        for name in names:
            provided.setdefault(normalise(name), set()).add(module)
    used = set(third_party())
    unused = [text for name, text in sorted(requirements().items())
              if not provided.get(name, set()) & used]
    assert not unused, f"declared in pyproject.toml but never imported by sitegen/: {unused}"


def test_every_declared_package_has_a_readme_row() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Dependencies and why each is there", 1)[1].split("\n## ", 1)[0]
    rows = {normalise(line.split("|")[1].strip()) for line in section.splitlines()
            if line.startswith("| ") and not line.startswith(("| package", "| ---"))}
    missing = sorted(set(requirements()) - rows)
    assert not missing, f"no row in README's dependency table for: {missing}"


# --- private internals, and the bounds that hold them ----------------------------------

def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


@pytest.mark.parametrize("name", sorted(BOUNDED))
def test_packages_with_private_internals_are_bounded_to_the_tested_versions(name: str) -> None:
    requirement = requirements()[name]
    lower = re.search(r">=\s*([\d.]+)", requirement)
    upper = re.search(r"<\s*([\d.]+)", requirement)
    assert lower and upper, (f"{requirement!r}: {BOUNDED[name]} uses private internals of "
                             f"{name}, so pyproject.toml must bound it on both sides")
    installed = _version(importlib.metadata.version(name))
    assert _version(lower.group(1)) <= installed < _version(upper.group(1)), (
        f"{name} {importlib.metadata.version(name)} is outside {requirement!r}")


def test_markupsafe_escape_inner() -> None:
    """render.py escapes template output with the C escaper, without building Markup."""
    from markupsafe import escape

    from sitegen import render

    try:
        from markupsafe._speedups import _escape_inner
    except ImportError:
        pytest.fail("markupsafe._speedups._escape_inner is gone: sitegen/render.py escapes "
                    "template output with it")
    assert render._escape_inner is _escape_inner, (
        "sitegen/render.py fell back from markupsafe._speedups._escape_inner")
    for text in ("<a href='x'>&\"</a>", "plain", "ünïcödé <b>"):
        assert _escape_inner(text) == str(escape(text))


def test_jinja2_template_from_namespace(tmp_path: Path) -> None:
    """render.py swaps the ``escape`` of compiled templates in ``Template._from_namespace``."""
    import jinja2

    from sitegen.config import Config
    from sitegen.render import Renderer, _output_escape

    assert callable(getattr(jinja2.Template, "_from_namespace", None)), (
        "jinja2.Template._from_namespace is gone: sitegen/render.py overrides it")
    template = Renderer(Config(root=tmp_path)).env.from_string("{{ x }}")
    namespace = template.root_render_func.__globals__
    assert namespace.get("escape") is _output_escape, (
        "jinja2's compiled templates no longer look up 'escape' in the namespace that "
        "Template._from_namespace receives: sitegen/render.py relies on it")
    assert template.render(x="<i>") == "&lt;i&gt;"


def test_jinja2_macro_internals(tmp_path: Path) -> None:
    """render.py calls plain macros through ``Macro._func`` and ``Macro._argument_count``."""
    from sitegen.config import Config
    from sitegen.render import Renderer, _call_macro

    source = "{% macro pair(a, b) %}<b>{{ a }}</b>{{ b }}{% endmacro %}"
    macro = Renderer(Config(root=tmp_path)).env.from_string(source).module.pair
    for name in ("_func", "_argument_count"):
        assert hasattr(macro, name), (f"jinja2.runtime.Macro.{name} is gone: "
                                      "sitegen/render.py calls plain macros through it")
    assert macro._argument_count == 2
    fast = _call_macro(macro, ("<x>", 1), {"_loop_vars": {}}, True)
    assert fast is not None, "sitegen/render.py's plain macro call no longer applies"
    assert str(fast) == str(macro("<x>", 1)) == "<b>&lt;x&gt;</b>1"


def test_jinja2_context_internals(tmp_path: Path) -> None:
    """render.py's ``Context.call`` and ``new_context`` follow jinja2 3.1's internals."""
    import jinja2

    from sitegen.config import Config
    from sitegen.render import Renderer

    parameters = list(inspect.signature(jinja2.runtime.new_context).parameters)
    assert parameters[:7] == ["environment", "template_name", "blocks", "vars", "shared",
                              "globals", "locals"], (
        f"jinja2.runtime.new_context takes {parameters}: sitegen/render.py calls it by position")
    assert hasattr(jinja2.pass_context(lambda context: None), "jinja_pass_arg"), (
        "jinja2 no longer marks pass_context functions with 'jinja_pass_arg': "
        "sitegen/render.py looks for it")
    def shout(text: str) -> str:
        return text.upper()

    environment = Renderer(Config(root=tmp_path)).env
    environment.globals["shout"] = shout
    # Compiled calls pass jinja2's private '_loop_vars' and '_block_vars', which
    # render.py's short path for plain functions takes out.
    source = ("{% for x in xs %}{{ shout(x) }}"
              "{% block b scoped %}{{ shout(x) }}{% endblock %}{% endfor %}")
    code = environment.compile(source, raw=True)
    assert "_block_vars=_block_vars" in code and "_loop_vars=_loop_vars" in code, (
        "jinja2 no longer passes _block_vars/_loop_vars to calls: revisit _Context.call "
        "in sitegen/render.py")
    assert environment.from_string(source).render(xs=["a", "<b>"]) == "AA&lt;B&gt;&lt;B&gt;"


def test_cmarkgfm_cffi_module() -> None:
    """gfm.py renders through ``cmarkgfm._cmark`` so that it can free cmark's memory."""
    import cmarkgfm

    from sitegen import gfm

    try:
        from cmarkgfm import _cmark
    except ImportError:
        pytest.fail("cmarkgfm._cmark is gone: sitegen/gfm.py renders abstracts through it")
    for name in ("lib", "ffi", "__file__"):
        assert hasattr(_cmark, name), f"cmarkgfm._cmark.{name} is gone: sitegen/gfm.py uses it"
    assert hasattr(_cmark.lib, "cmark_render_html"), (
        "cmarkgfm._cmark.lib.cmark_render_html is gone: sitegen/gfm.py uses it")
    gfm._releasers.cache_clear()
    assert gfm._releasers() is not None, (
        "cmark_node_free cannot be found in cmarkgfm._cmark's library: sitegen/gfm.py "
        "would leak about 8 KB per abstract")
    text = "*a* | b\n--|--\n1 | <2>\n\nhttps://example.org ~~x~~"
    assert gfm.to_html(text, 0) == cmarkgfm.github_flavored_markdown_to_html(text)
