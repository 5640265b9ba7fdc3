"""``sitegen init``: a new site, ready to build locally and publish on GitHub Pages.

``sitegen.toml`` is generated from the options declared in :mod:`sitegen.config`
so that every option, its meaning and its default stay in step with the code.
Nothing is ever overwritten: if any file exists, nothing is written at all.
"""

from __future__ import annotations

import json
import shlex
from importlib import resources
from pathlib import Path
from typing import Any

from sitegen import DISTRIBUTION, __version__
from sitegen.config import CONFIG_NAME, DOCS_PAGE, OPTIONS, Config, Option
from sitegen.errors import InitError, Problem, SitegenError
from sitegen.gh_actions import pin_actions

#: What the workflow installs: sitegen under its PyPI name, at the exact version
#: that created the site (a later sitegen may render templates differently, so
#: upgrading is deliberate). tests/test_workflow_run.py installs it by running
#: the workflow against a package index.
SITEGEN_REQUIREMENT = f"{DISTRIBUTION}=={__version__}"
INSTALL_MARKER = "__SITEGEN_INSTALL__"
WORKFLOW_PATH = ".github/workflows/pages.yml"

#: Options a new site is expected to set, written uncommented; the rest are commented out.
ACTIVE_OPTIONS = ("title", "description", "base_url", "language", "author")


def toml_value(value: Any) -> str:
    """A TOML literal for a default value (strings as basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML literal for {value!r}")


def _comment(text: str, width: int = 78) -> list[str]:
    lines, line = [], "#"
    for word in text.split():
        if len(line) + 1 + len(word) > width and line != "#":
            lines.append(line)
            line = "#"
        line += " " + word
    return lines + [line]


def _option_lines(option: Option) -> list[str]:
    """One option: its help, what it accepts, its default, and the line to uncomment."""
    lines = _comment(option.help)
    if option.minimum is not None or option.accepts:
        lines += _comment(f"Allowed: {option.allowed()}.")
    if option.flag:
        lines += _comment(f"For one run: sitegen build {option.flag}.")
    if option.default is None:  # a table: shown as an example to uncomment
        header = f"[[{option.name}]]" if option.kind is list else f"[{option.name}]"
        lines += ["# Default: unset.", f"# {header}"]
        return lines + [f"# {line}".rstrip() for line in option.example]
    literal = toml_value(option.default)
    prefix = "" if option.name in ACTIVE_OPTIONS else "# "
    return lines + [f"# Default: {literal}", f"{prefix}{option.name} = {literal}"]


def config_text() -> str:
    """``sitegen.toml`` with every declared option, its meaning and its default.

    Tables go last: in TOML every key after a ``[table]`` line belongs to it.
    """
    out = [f"# sitegen {__version__} site configuration. Every option is listed with its",
           "# default; uncomment a line to change it. All options are described in",
           f"# {DOCS_PAGE} of sitegen.", ""]
    plain = [o for o in OPTIONS if o.kind not in (dict, list)]
    tables = [o for o in OPTIONS if o.kind in (dict, list)]
    for option in plain + tables:
        out += _option_lines(option) + [""]
    return "\n".join(out).rstrip("\n") + "\n"


def workflow_text(install: str = f'python -m pip install "{SITEGEN_REQUIREMENT}"',
                  schedule: bool = False) -> str:
    """The GitHub Pages workflow, installing sitegen with the command ``install``; with
    ``schedule``, the one that runs ``sitegen update`` daily and commits what it adds.

    Its actions are at the versions of scaffold_files/actions.toml, which the
    repository's own workflows share.
    """
    name = "update.yml" if schedule else "pages.yml"
    template = resources.files("sitegen").joinpath("scaffold_files", name)
    return pin_actions(template.read_text(encoding="utf-8").replace(INSTALL_MARKER, install))



def _theme_templates(directory: Path) -> list[str]:
    from sitegen.render import theme_dir

    try:
        folder = theme_dir(Config(root=directory)) / "templates"
    except SitegenError:
        return []
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html"))


def templates_readme(directory: Path = Path(".")) -> str:
    """Why ``templates/`` is there and how overriding works."""
    names = _theme_templates(directory)
    listing = "\n".join(f"- `{name}`" for name in names) or "- (see the theme's templates/)"
    return f"""# Template overrides

A file in this folder replaces the theme's template of the same name (and
path): copy the theme's file here and edit it. Everything else keeps coming
from the theme, so an override stays small. Delete the file to go back.

The templates of the default theme:

{listing}

Templates are Jinja2 with autoescaping on. Link to other pages with paths
that start with the site's base path (as the theme does), so the site works
under a subpath such as https://you.github.io/papers/. After a change, run
`sitegen build` and `sitegen check` to catch broken links.
"""


GITIGNORE = """# Built site and build cache: made by 'sitegen build', never committed.
/public/
/.sitegen-cache/
"""


#: The source a scheduled site starts with (appended to its sitegen.toml).
SCHEDULED_SOURCES = """
# The sources 'sitegen update' fetches (the scheduled workflow runs it daily).
[[sources]]
kind = "hf-daily"
"""


def site_files(directory: Path = Path("."), schedule: bool = False) -> dict[str, str]:
    """Every file of a new site, by relative path."""
    return {
        CONFIG_NAME: config_text() + (SCHEDULED_SOURCES if schedule else ""),
        "content/papers/.gitkeep": "",
        "templates/README.md": templates_readme(directory),
        ".gitignore": GITIGNORE,
        WORKFLOW_PATH: workflow_text(schedule=schedule),
    }


def _next_steps(directory: Path) -> str:
    go = f"cd {shlex.quote(str(directory))}\n  " if directory != Path(".") else ""
    return f"""created a new site in {directory}/
next steps:
  {go}sitegen import LISTING.txt          # add papers to content/papers/
  sitegen serve                        # preview at http://127.0.0.1:8000/
  # set base_url in sitegen.toml to the site's address (https://...), then:
  sitegen build && sitegen check       # build public/ and check it
  git init && git add . && git commit -m "New site"
then push to GitHub and set Settings -> Pages -> Source to "GitHub Actions"
(see docs/deploy.md of sitegen)."""


def _in_the_way(directory: Path, names: list[str]) -> list[Problem]:
    """Files that exist where the new site's files go (or a file where a folder goes)."""
    problems: dict[Path, str] = {}
    for name in names:
        path = directory / name
        if path.exists() or path.is_symlink():
            problems[path] = "already exists"
        for parent in path.relative_to(directory).parents:
            folder = directory / parent
            if parent != Path(".") and folder.exists() and not folder.is_dir():
                problems[folder] = "is a file where sitegen init needs a folder"
    return [Problem(str(path), 0, why) for path, why in sorted(problems.items())]


def init_site(directory: Path, schedule: bool = False) -> int:
    """Run ``sitegen init``: write a new site into ``directory`` (created if missing)."""
    if directory.exists() and not directory.is_dir():
        raise InitError(Problem(str(directory), 0, "is a file, not a folder"))
    files = site_files(directory, schedule)
    problems = _in_the_way(directory, list(files))
    if problems:
        raise InitError(*problems, Problem("", 0, "refusing to overwrite: nothing was written; "
                                                  "move these away or choose an empty folder"))
    for name, text in files.items():
        path = directory / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as exc:
            raise InitError(Problem(str(path), 0, f"cannot write: {exc.strerror or exc}")) \
                from None
    print(_next_steps(directory))
    return 0
