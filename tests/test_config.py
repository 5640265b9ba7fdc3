"""Every option is declared once (``sitegen/config.py``); the loader, ``sitegen init`` and
``docs/configuration.md`` all come from that declaration, and these tests fail when one drifts.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any, get_type_hints

import pytest

from sitegen import config_docs
from sitegen.cli import build_parser
from sitegen.config import CONFIG_NAME, OPTIONS, Config, load_config, option_names
from sitegen.errors import ConfigError
from sitegen.scaffold import config_text

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "configuration.md"
#: A value of the wrong kind for each kind of option, as TOML.
WRONG = {str: ("1", "expected a string, got 1"),
         int: ('"ten"', "expected an integer, got 'ten'"),
         bool: ('"no"', "expected true or false, got 'no'"),
         dict: ('"llm"', "expected a table, got 'llm'"),
         list: ('"Ada"', "expected an array, got 'Ada'")}


def _load(tmp_path: Path, text: str) -> Config:
    (tmp_path / CONFIG_NAME).write_text(text, encoding="utf-8")
    return load_config(tmp_path)


def _refusal(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    return [str(p) for p in caught.value.problems]


# --- the declaration ------------------------------------------------------------------------

def test_the_dataclass_fields_are_the_declared_options() -> None:
    site_fields = {"root", "source", "warnings", "allow_empty"}  # not options
    names = [f.name for f in fields(Config) if f.name not in site_fields]
    assert names == option_names() == [o.name for o in OPTIONS]
    hints = get_type_hints(Config)
    defaults = Config()
    for option in OPTIONS:
        assert getattr(defaults, option.name) == option.default
        assert option.kind in (str, int, bool, dict, list)
        assert option.kind.__name__ in str(hints[option.name]), option.name
        assert option.help.endswith(".") and len(option.help) > 20, option.name
        if option.default is not None:
            assert option.problem(option.default) is None, f"{option.name}: default refused"


def test_highlight_authors_is_a_list_of_names(tmp_path: Path) -> None:
    config = _load(tmp_path, 'highlight_authors = ["Ada Lovelace", "Turing, Alan"]\n')
    assert config.highlight_authors == ("Ada Lovelace", "Turing, Alan")
    problems = _refusal(tmp_path, "highlight_authors = [1]\n")
    assert "highlight_authors" in str(problems) and "list of names" in str(problems)


def test_every_command_line_flag_of_an_option_exists(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["build", "--help"])
    usage = capsys.readouterr().out.split("\n\n")[0]  # the usage line(s)
    declared = [o for o in OPTIONS if o.flag]
    assert {o.name for o in declared} == {"base_url", "output_dir", "strict"}
    for option in declared:
        assert f"[{option.flag}]" in " ".join(usage.split()), option.name


# --- the loader: every kind and every bound --------------------------------------------------

@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: o.name)
def test_a_value_of_the_wrong_kind_is_refused_naming_key_and_line(
        tmp_path: Path, option: Any) -> None:
    value, reason = WRONG[option.kind]
    problems = _refusal(tmp_path, f'title = "Fine"\n{option.name} = {value}\n'
                        if option.name != "title" else f"title = {value}\n")
    line = 1 if option.name == "title" else 2
    assert problems == [f"{CONFIG_NAME}:{line}: Config value '{option.name}': {reason}"]


@pytest.mark.parametrize("option", [o for o in OPTIONS if o.kind is int], ids=lambda o: o.name)
def test_numbers_have_bounds(tmp_path: Path, option: Any) -> None:
    assert option.minimum is not None and option.maximum is not None
    for good in (option.minimum, option.maximum):
        assert getattr(_load(tmp_path, f"{option.name} = {good}\n"), option.name) == good
    for bad in (option.minimum - 1, option.maximum + 1, 2**70, -(2**70)):
        assert _refusal(tmp_path, f"{option.name} = {bad}\n") == [
            f"{CONFIG_NAME}:1: Config value '{option.name}': must be from {option.minimum} "
            f"to {option.maximum}, got {bad}"]
    problems = _refusal(tmp_path, f"{option.name} = true\n")
    assert problems == [f"{CONFIG_NAME}:1: Config value '{option.name}': expected an "
                        "integer, got True"]


def test_per_page_two_to_the_seventy_is_refused(tmp_path: Path) -> None:
    assert _refusal(tmp_path, "title = 'x'\n\nper_page = 1180591620717411303424\n") == [
        f"{CONFIG_NAME}:3: Config value 'per_page': must be from 1 to 1000, "
        "got 1180591620717411303424"]


@pytest.mark.parametrize(("key", "value"), [
    ("base_url", '"ftp://example.org/"'), ("base_url", '"papers/"'),
    ("base_url", '"https://example.org/?x=1"'), ("base_url", '"https://exa mple.org/"'),
    ("language", '"en/../x"'), ("cname", '"papers.example.org/x"'),
    ("tag_rules", '{ llm = "LLM" }'),
])
def test_validators_name_the_key(tmp_path: Path, key: str, value: str) -> None:
    [problem] = _refusal(tmp_path, f"{key} = {value}\n")
    assert problem.startswith(f"{CONFIG_NAME}:1: Config value '{key}': ")


def test_every_problem_at_once_and_unknown_keys(tmp_path: Path) -> None:
    assert _refusal(tmp_path, 'per_page = 0\npaginate = 3\nfeed_size = "x"\n') == [
        f"{CONFIG_NAME}:1: Config value 'per_page': must be from 1 to 1000, got 0",
        f"{CONFIG_NAME}:2: unknown key 'paginate' (known keys: "
        f"{', '.join(sorted(option_names()))})",
        f"{CONFIG_NAME}:3: Config value 'feed_size': expected an integer, got 'x'",
    ]


def test_a_relative_base_url_loads_with_one_warning(tmp_path: Path) -> None:
    config = _load(tmp_path, 'title = "x"\nbase_url = "/papers"\n')
    assert config.base_url == "/papers/" and config.absolute_base is None
    assert [str(w) for w in config.warnings] == [
        f"{CONFIG_NAME}:2: base_url '/papers/' is not absolute (https://host/path/): "
        "sitemap.xml, feeds and canonical links are left out; set base_url or pass --base-url"]
    absolute = load_config(tmp_path, {"base_url": "https://example.org/papers"})
    assert absolute.base_url == "https://example.org/papers/" and absolute.warnings == ()
    preview = load_config(tmp_path, origin="http://127.0.0.1:8123")
    assert preview.base_url == "http://127.0.0.1:8123/papers/" and preview.warnings == ()


# --- sitegen init and the reference page ---------------------------------------------------

def test_the_reference_page_is_the_generated_one() -> None:
    assert DOCS.read_text(encoding="utf-8") == config_docs.reference_text(), (
        "docs/configuration.md is out of date: run python -m sitegen.config_docs")
    assert config_docs.main(["--check", "--path", str(DOCS)]) == 0


def test_the_docs_check_fails_on_a_stale_page(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "configuration.md"
    page.write_text(config_docs.reference_text().replace("per_page", "perpage"), "utf-8")
    assert config_docs.main(["--check", "--path", str(page)]) == 1
    assert "out of date; regenerate it with: python -m sitegen.config_docs" in \
        capsys.readouterr().err
    assert config_docs.main(["--path", str(page)]) == 0
    assert page.read_text(encoding="utf-8") == config_docs.reference_text()


def test_every_option_init_writes_is_in_the_docs_and_back() -> None:
    written = set(re.findall(r"^(?:# )?(?:([a-z_]+) = |\[\[?([a-z_]+)\]\]?$)", config_text(),
                             re.M))
    examples = {"llm", "retrieval", "kind", "query", "max_papers"}  # tag_rules', sources'
    init_names = {a or b for a, b in written} - examples
    docs = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `([a-z_]+)`$", docs, re.M))
    assert init_names == documented == set(option_names())
    for option in OPTIONS:
        section = docs.split(f"### `{option.name}`\n", 1)[1].split("\n### ", 1)[0]
        assert option.help in section, option.name
        assert option.allowed() in section or not (option.minimum or option.accepts)


def test_init_text_is_valid_toml_giving_the_defaults(tmp_path: Path) -> None:
    text = config_text()
    assert tomllib.loads(text) == {"title": "Papers", "description": "A list of research papers.",
                                   "base_url": "/", "language": "en", "author": ""}
    assert _load(tmp_path, text) == Config()
    assert "# Allowed: an integer from 1 to 1000." in text
    assert "# For one run: sitegen build --base-url URL." in text
