"""Property tests for ``sitegen.toml``: any text, any values, any nesting.

- Any bytes as ``sitegen.toml``, any value of any type for any option (control
  characters, huge integers, floats, tables and arrays nested thousands deep)
  give a :class:`Config` or a user-facing :class:`ConfigError`, never another
  exception, and every message is one line.
- Whatever the loader accepts is safe to use: numbers within their bounds,
  URLs without characters that end an attribute or a line, an output folder
  that is not the site, the home folder or a folder sitegen reads from, and a
  content folder inside the site, all judged on the real paths.

Deterministic by default like ``tests/test_fuzz.py`` (``SITEGEN_FUZZ_RANDOM=1``
explores new examples, ``SITEGEN_FUZZ_EXAMPLES`` sets how many).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sitegen.config import CONFIG_NAME, OPTIONS, Config, load_config
from sitegen.config_paths import SOURCE_FOLDERS
from sitegen.errors import ConfigError

FUZZ = settings(max_examples=int(os.environ.get("SITEGEN_FUZZ_EXAMPLES", "200")), deadline=None,
                database=None, derandomize=os.environ.get("SITEGEN_FUZZ_RANDOM") != "1",
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
KEYS = [option.name for option in OPTIONS]
UNSAFE_IN_URL = set("\"'<>` \t\r\n\\\x00\x1b\x7f")


def toml_value(value: Any) -> str:
    """``value`` written as TOML (strings as basic strings, escapes as JSON writes them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(value), repr(value))
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


SCALARS = st.one_of(
    st.text(max_size=40), st.sampled_from(["~", "~/", "..", "/", ".", "static", "content",
                                           "templates", "themes", "//h/", "https://h/",
                                           ".sitegen-cache", "public/../..", "\x00", "a\nb"]),
    st.integers(), st.integers(-(2 ** 80), 2 ** 80), st.floats(), st.booleans())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20)


def nested(depth: int, kind: str) -> str:
    if kind == "arrays":
        return "[" * depth + "1" + "]" * depth
    if kind == "tables":
        return "{a = " * depth + "1" + "}" * depth
    return "[{a = " * depth + "1" + "}]" * depth


@pytest.fixture(scope="module")
def playground() -> Iterator[Path]:
    """A site folder (with every source folder) inside a home folder of its own."""
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "home"
        site = home / "work" / "site"
        for name in ("content", *SOURCE_FOLDERS):
            (site / name).mkdir(parents=True)
        (site / "linkhome").symlink_to(home, target_is_directory=True)
        (site / "linkup").symlink_to("..", target_is_directory=True)
        old = os.environ.get("HOME")
        os.environ["HOME"] = str(home)
        try:
            yield site
        finally:
            if old is None:
                os.environ.pop("HOME")
            else:
                os.environ["HOME"] = old


def load(site: Path, text: str | bytes) -> Config | None:
    """Load ``text`` as the site's ``sitegen.toml``: a Config, or None after a clean refusal."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    (site / CONFIG_NAME).write_bytes(data)
    try:
        return load_config(site)
    except ConfigError as exc:
        for problem in exc.problems:
            assert "\n" not in str(problem) and "\x1b" not in str(problem)
            assert problem.message
        return None


def _within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def check_safe(config: Config, site: Path) -> None:
    """What an accepted configuration guarantees."""
    for option in OPTIONS:
        value = getattr(config, option.name)
        if option.kind is int:
            assert option.minimum <= value <= option.maximum  # type: ignore[operator]
    assert not UNSAFE_IN_URL & set(config.base_url)
    assert config.base_url.startswith(("/", "http://", "https://"))
    out = config.output_path
    home = Path(os.environ["HOME"]).resolve()
    assert not _within(home, out) and not _within(site.resolve(), out)
    for name in ("content", *SOURCE_FOLDERS):
        source = (site / name).resolve()
        assert not _within(out, source) and not _within(source, out), name
    assert site.resolve() in config.content_path.resolve().parents


@FUZZ
@given(values=st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6))
@example(values={"output_dir": "~"})
@example(values={"output_dir": "linkhome/x/.."})
@example(values={"output_dir": "linkup/site/static"})
@example(values={"per_page": 2 ** 70, "feed_size": -(2 ** 70)})
@example(values={"base_url": "//host/x", "content_dir": "linkup/site/content"})
def test_any_option_values_load_or_are_refused_cleanly(values: dict[str, Any],
                                                       playground: Path) -> None:
    text = "".join(f"{key} = {toml_value(value)}\n" for key, value in values.items())
    config = load(playground, text)
    if config is not None:
        check_safe(config, playground)


@FUZZ
@given(key=st.sampled_from(["output_dir", "content_dir", "base_url"]),
       value=st.text(max_size=60))
@example(key="output_dir", value="linkhome")
@example(key="output_dir", value="~/../work/site/templates/x")
@example(key="content_dir", value="linkup/site/../..")
@example(key="base_url", value="https://h/\u2028")
def test_any_path_or_url_text_is_safe_once_accepted(key: str, value: str,
                                                    playground: Path) -> None:
    config = load(playground, f"{key} = {json.dumps(value)}\n")
    if config is not None:
        check_safe(config, playground)


@FUZZ
@given(data=st.binary(max_size=200) | st.text(max_size=200).map(
    lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_as_sitegen_toml(data: bytes, playground: Path) -> None:
    config = load(playground, data)
    if config is not None:
        check_safe(config, playground)


@settings(FUZZ, max_examples=40)
@given(depth=st.integers(1, 6000), kind=st.sampled_from(["arrays", "tables", "mixed"]),
       key=st.sampled_from(KEYS))
@example(depth=999, kind="arrays", key="title")
@example(depth=5000, kind="tables", key="tag_rules")
@example(depth=3000, kind="mixed", key="output_dir")
def test_deeply_nested_values_are_refused_cleanly(depth: int, kind: str, key: str,
                                                  playground: Path) -> None:
    assert load(playground, f"{key} = {nested(depth, kind)}\n") is None
