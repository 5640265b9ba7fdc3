"""Micro-benchmark: what each use of a private internal of Jinja2, MarkupSafe and cmarkgfm buys.

Usage, from the repository root::

    python -m bench.internals            # about half a minute
    python -m bench.internals --quick    # fewer rounds

Each line times sitegen's path through the private internal against the public
equivalent (the best of several rounds, so other load on the machine counts
least). ``tests/test_dependencies.py`` holds the versions that have them.
"""

from __future__ import annotations

import argparse
import resource
import timeit
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import cmarkgfm
import jinja2
from markupsafe import escape

from sitegen import gfm
from sitegen.config import Config
from sitegen.render import Renderer, _escape_inner

TITLE = "Mem-α: Learning Memory Construction via Reinforcement Learning for LLM Agents"
OUTPUT = ("{% for item in items %}<li>{{ item.title }} · {{ item.name }} ({{ item.count }})"
          "</li>{% endfor %}")
MACROS = ("{% macro badge(a, b) %}<b>{{ a }}</b>{{ b }}{% endmacro %}"
          "{% for item in items %}{{ badge(item.title, item.count) }}{% endfor %}")
ABSTRACT = ("We study *memory* for long contexts, with [a link](https://example.org) and a "
            "table.\n\n| a | b |\n| - | - |\n| 1 | 2 |\n") * 3


def best(private: Any, public: Any, number: int, rounds: int) -> tuple[float, float]:
    """Microseconds per call of each, best of ``rounds`` taken in turns (so that a busy
    moment of the machine slows both, not one)."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for stmt, found in zip((private, public), times, strict=True):
            found.append(timeit.timeit(stmt, number=number) / number * 1e6)
    return min(times[0]), min(times[1])


class Item:
    """An object with attributes, as the views templates render are."""

    def __init__(self, number: int) -> None:
        self.title = f"{TITLE} {number}"
        self.name = "Soochow <University>"
        self.count = number


def template_pair(source: str, folder: Path, without: str) -> tuple[Any, Any]:
    """The same template in sitegen's environment, with and ``without`` one private path."""
    ours = Renderer(Config(root=folder)).env.from_string(source)
    environment = Renderer(Config(root=folder)).env
    if without == "escape":  # compiled code calls its module's ``escape``: put markupsafe's back
        public = environment.from_string(source)
        public.root_render_func.__globals__["escape"] = escape
    else:  # Jinja2's own context: every macro call goes through ``Macro.__call__``
        environment.context_class = jinja2.runtime.Context
        public = environment.from_string(source)
    return ours, public


def rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    rounds = 5 if parser.parse_args(argv).quick else 15
    items = [Item(i) for i in range(200)]
    print(f"{'what':58} {'private':>10} {'public':>10}")
    ours_us, public_us = best(lambda: _escape_inner(TITLE), lambda: str(escape(TITLE)),
                              100_000, rounds)
    print(f"{'markupsafe._speedups._escape_inner vs str(escape()) (us)':58} "
          f"{ours_us:10.3f} {public_us:10.3f}")
    with TemporaryDirectory() as tmp:
        for label, source, without in (
                ("600 escaped outputs: Template._from_namespace (us)", OUTPUT, "escape"),
                ("200 macro calls: Macro._func, _argument_count (us)", MACROS, "macro")):
            ours, public = template_pair(source, Path(tmp), without)
            assert ours.render(items=items) == public.render(items=items)
            times = best(lambda t=ours: t.render(items=items),
                         lambda t=public: t.render(items=items), 100, rounds)
            print(f"{label:58} {times[0]:10.1f} {times[1]:10.1f}")
    assert gfm.to_html(ABSTRACT, 0) == cmarkgfm.github_flavored_markdown_to_html(ABSTRACT)
    calls = 20_000
    for label, render in (("cmarkgfm._cmark (frees)", lambda: gfm.to_html(ABSTRACT, 0)),
                          ("cmarkgfm public (leaks)",
                           lambda: cmarkgfm.github_flavored_markdown_to_html(ABSTRACT))):
        before = rss_kb()
        seconds = timeit.timeit(render, number=calls)
        print(f"{calls:,} abstracts, {label}: {seconds / calls * 1e6:.1f} us each, "
              f"peak memory +{(rss_kb() - before) / 1024:.1f} MB")


if __name__ == "__main__":
    main()
