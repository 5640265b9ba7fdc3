"""Templates: find the theme, set up Jinja2 and render pages to bytes.

A site overrides any theme template by putting a file of the same name in its
own ``templates/`` folder. Autoescaping is on for every template, so imported
text is always escaped unless a view marks it safe (sanitised abstracts).

The :class:`Renderer` is made from the build's :class:`~sitegen.theme.Theme`
with every template global it will ever need, and is not changed afterwards.
"""

from __future__ import annotations

import contextlib
import json
import re
import types
from collections import ChainMap
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from sitegen.config import Config
from sitegen.errors import BuildError, Problem
from sitegen.theme import Theme, load_theme, theme_dir

__all__ = ["Renderer", "json_script", "markdown_filter", "template_failure", "theme_dir"]

_escape_inner: Callable[[str], str]
try:  # markupsafe's C escaper, without the Markup wrapper (see _output_escape)
    from markupsafe._speedups import _escape_inner
except ImportError:  # pragma: no cover - markupsafe without its C part
    def _escape_inner(text: str) -> str:
        return str(escape(text))


_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
WARM_TEMPLATES = 64  # templates loaded ahead of rendering (a theme has about a dozen)
_SCRIPT_UNSAFE_CHARS = "<>&\u2028\u2029"
_SCRIPT_UNSAFE = re.compile(f"[{_SCRIPT_UNSAFE_CHARS}]")


def _script_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_script(value: Any) -> Markup:
    """JSON safe inside ``<script>``: ``<``, ``>``, ``&`` and line separators escaped."""
    text = _JSON.encode(value)
    # Five substring searches (memchr speed) find nothing in the usual case sooner
    # than one scan by the character class; a paper page's JSON-LD holds its abstract.
    if any(char in text for char in _SCRIPT_UNSAFE_CHARS):
        text = _SCRIPT_UNSAFE.sub(_script_escape, text)
    return Markup(text)


@lru_cache(maxsize=256)
def markdown_filter(text: str) -> Markup:
    """The ``markdown`` template filter: Python-Markdown, then the sanitiser.

    For short texts that themes format (the site description); abstracts go
    through :func:`sitegen.markup.render_abstract` instead.
    """
    import markdown

    from sitegen.markup import sanitize

    return Markup(sanitize(markdown.markdown(str(text))))


_PLAIN_CALLABLES = (types.FunctionType, types.MethodType, types.BuiltinFunctionType,
                    types.BuiltinMethodType, types.MethodWrapperType)


class _Context(jinja2.runtime.Context):
    """Jinja2's context with a shorter path for calling plain functions and methods.

    Every ``{{ f(x) }}`` and ``{{ d.isoformat() }}`` in a template goes through
    :meth:`call`, which looks for ``pass_context`` markers on the object and its
    ``__call__``; a paper page makes dozens of such calls. A plain function or
    method without the marker is called directly, with the same result.
    """

    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if type(__obj) in _PLAIN_CALLABLES and not hasattr(__obj, "jinja_pass_arg"):
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
            try:
                return __obj(*args, **kwargs)
            except StopIteration:
                return __self.environment.undefined("value was undefined because a callable "
                                                    "raised a StopIteration exception")
        if type(__obj) is jinja2.runtime.Macro and len(kwargs) <= 2:
            result = _call_macro(__obj, args, kwargs, __self.eval_ctx.autoescape)
            if result is not None:
                return result
        return super().call(__obj, *args, **kwargs)


def _call_macro(macro: jinja2.runtime.Macro, args: tuple[Any, ...], kwargs: dict[str, Any],
                autoescape: bool) -> str | None:
    """``macro(*args)`` as ``Macro.__call__`` does it, for the plain case only: every
    argument given by position, no ``caller``, ``varargs`` or ``kwargs``.

    Argument matching in ``Macro.__call__`` costs more than most macros' bodies
    (a card calls three). None means "not the plain case": call it the usual way.
    """
    func = getattr(macro, "_func", None)
    if (func is None or getattr(macro, "_argument_count", -1) != len(args) or macro.caller
            or macro.catch_kwargs or macro.catch_varargs
            or any(name not in ("_block_vars", "_loop_vars") for name in kwargs)):
        return None
    result = func(*args)
    return Markup(result) if autoescape else result


class _Globals(ChainMap[str, Any]):
    """Template globals whose ``keys()`` is a set.

    Jinja2 compares the importing context's global names with
    ``template.globals.keys()`` on every ``{% from ... import %}``; on a
    ``ChainMap`` that set difference runs in Python, name by name.
    """

    def keys(self) -> set[str]:  # type: ignore[override]
        return set().union(*self.maps)

    def flat(self) -> dict[str, Any]:
        """The same mapping as one dict, merged in C (``dict(chainmap)`` runs in Python)."""
        merged: dict[str, Any] = {}
        for mapping in reversed(self.maps):
            merged.update(mapping)
        return merged


def _output_escape(value: Any) -> str:
    """What an autoescaped ``{{ value }}`` writes: markupsafe's ``escape`` minus the
    ``Markup`` wrapper.

    Compiled templates call ``escape`` on every expression they output and only
    ever join the results into one string, so the two ``Markup`` constructions
    per call (a third of a paper page's rendering time) change nothing.
    """
    if type(value) is str:
        return _escape_inner(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return _escape_inner(str(value))


class _Template(jinja2.Template):
    """A template whose output expressions are escaped by :func:`_output_escape`."""

    @classmethod
    def _from_namespace(cls, environment: jinja2.Environment, namespace: MutableMapping[str, Any],
                        globals: MutableMapping[str, Any]) -> Any:
        namespace["escape"] = _output_escape
        return super()._from_namespace(environment, namespace, globals)

    def new_context(self, vars: dict[str, Any] | None = None, shared: bool = False,
                    locals: Mapping[str, Any] | None = None) -> jinja2.runtime.Context:
        """Jinja2's context, made from a flat copy of the globals.

        Every render and include copies the globals into the context and lists
        their names; from a ``ChainMap`` that costs more than rendering a card.
        """
        globals = self.globals
        flat = globals.flat() if isinstance(globals, _Globals) else globals
        return jinja2.runtime.new_context(self.environment, self.name, self.blocks, vars,
                                          shared, flat, locals)


class _Environment(jinja2.Environment):
    context_class = _Context
    template_class = _Template

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return _Globals({} if d is None else d, self.globals)


class Renderer:
    """A Jinja2 environment over the site's templates and the theme's.

    ``helpers`` are extra template globals (the output modules' paper-page
    helpers, see :func:`sitegen.outputs.template_helpers`); everything is set
    here, once, before any page is rendered.
    """

    def __init__(self, config: Config, cache_dir: Path | None = None,
                 theme: Theme | None = None,
                 helpers: Mapping[str, Any] | None = None) -> None:
        self.config = config
        self.theme = theme or load_theme(config)
        self.template_dirs = list(self.theme.template_dirs)
        loader = jinja2.FileSystemLoader([str(p) for p in self.template_dirs if p.is_dir()])
        bytecode = None
        if cache_dir is not None:
            try:
                (cache_dir / "jinja").mkdir(parents=True, exist_ok=True)
                bytecode = jinja2.FileSystemBytecodeCache(str(cache_dir / "jinja"))
            except OSError:  # a cache that cannot be written only costs time
                bytecode = None
        self.env = _Environment(
            loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True,
            auto_reload=False, bytecode_cache=bytecode, undefined=jinja2.StrictUndefined,
            extensions=["jinja2.ext.loopcontrols"],
            # A plain dict: Jinja2's bounded cache takes a lock and reorders a queue on
            # every lookup, and each page looks up its base and imported templates.
            cache_size=-1,
        )
        self._card_render: Callable[[dict[str, Any]], str] | None = None
        self.env.globals.update(url=self.url, asset=self.asset, absolute=config.absolute,
                                json_script=json_script, card=self.card, cards=self.cards,
                                **(helpers or {}))
        self.env.filters["json_script"] = json_script
        self.env.filters["markdown"] = markdown_filter

    def url(self, path: str = "") -> str:
        """A root-relative URL under the base path: works at any depth and in 404.html."""
        return self.config.base_path + path.lstrip("/")

    def asset(self, path: str) -> str:
        """The URL of a theme static file, with a content hash against stale caches."""
        digest = self.theme.static.get(path)
        url = self.url("static/" + path)
        return f"{url}?v={digest}" if digest else url

    def card(self, paper: Any) -> Markup:
        """A paper's card for list pages, as the derive stage made it (see :meth:`render_card`)."""
        return Markup(self._card_bytes(paper).decode("utf-8"))

    def cards(self, papers: Iterable[Any]) -> Markup:
        """The cards of ``papers``, one per line: what a list page shows.

        One call for a whole list rather than a template loop calling :meth:`card`
        fifty times: the loop's calls and escaping cost more than joining the cards.
        """
        return Markup(b"\n".join([self._card_bytes(paper) for paper in papers]).decode("utf-8"))

    def _card_bytes(self, view: Any) -> bytes:
        card = view.derived.card
        return card if card is not None else self.render_card(view).encode("utf-8")

    def render_card(self, view: Any) -> str:
        """Render a paper's card (``partials/card.html``): the derive stage does this once
        per paper and keeps it with the paper while neither it nor the theme changes."""
        if self._card_render is None:
            self._card_render = self.renderer("partials/card.html")
        return self._card_render({"paper": view, "site": self.config})

    def _undecodable(self, name: str, exc: UnicodeDecodeError) -> Problem:
        """Locate a template that is not UTF-8 (Jinja2 does not say which file it was)."""
        for folder in self.template_dirs:
            path = folder / name
            if path.is_file():
                data = path.read_bytes()
                line = data[: exc.start].count(b"\n") + 1
                return Problem(_template_label(str(path), self), line,
                               f"template error: is not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                               "save it as UTF-8")
        return Problem(name, 0, "template is not UTF-8 text")

    def warm_up(self) -> None:
        """Load every template and what rendering first imports, before workers fork.

        Each forked renderer would otherwise compile the same templates and import
        the same modules on its first page (about 50 ms each at 10,000 papers); the
        site calls this while parse workers run, where the time is shared out. A
        template that fails here fails again, with its message, where it is used.
        """
        from sitegen.markup import render_abstract

        names = self.env.list_templates(filter_func=lambda name: name.endswith(".html"))
        for name in names[:WARM_TEMPLATES]:
            with contextlib.suppress(Exception):
                self.env.get_template(name)
        description = self.config.description
        with contextlib.suppress(Exception):
            if description:
                markdown_filter(description)
            render_abstract("*A* [link](https://example.org)", math=False)

    def renderer(self, name: str) -> Callable[[dict[str, Any]], str]:
        """A function rendering template ``name``; template errors become BuildErrors."""
        try:
            template = self.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise BuildError(Problem(_template_label(exc.filename, self), exc.lineno or 0,
                                     f"template error: {exc.message}")) from None
        except UnicodeDecodeError as exc:
            raise BuildError(self._undecodable(name, exc)) from None
        except jinja2.TemplateNotFound as exc:
            raise BuildError(f"template {exc.name!r} not found in templates/ or the theme") \
                from None

        def render(context: dict[str, Any]) -> str:
            try:
                return template.render(context)
            except Exception as exc:  # noqa: BLE001 - any template failure is the user's template
                raise template_failure(exc, name, self) from None

        return render


def _template_label(filename: str | None, renderer: Renderer) -> str:
    if not filename:
        return "<template>"
    path = Path(filename)
    theme = renderer.theme.folder
    for base in (renderer.config.root, theme.parent.parent, theme):
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path.name


def template_failure(exc: Exception, name: str, renderer: Renderer) -> BuildError:
    """Turn an exception raised while rendering into ``file:line: message``."""
    import traceback

    line, filename = 0, None
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename and frame.filename.endswith((".html", ".xml", ".txt", ".json")):
            line, filename = frame.lineno or 0, frame.filename
            break
    label = _template_label(filename, renderer) if filename else name
    message = str(exc) or type(exc).__name__
    return BuildError(Problem(label, line, f"template error while rendering {name}: {message}"))
