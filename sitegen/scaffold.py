"""``sitegen init``: a new site, ready to build locally and publish on GitHub Pages.

``sitegen.toml`` is generated from the fields of :class:`~sitegen.config.Config`
so that every option, its meaning and its default stay in step with the code.
Nothing is ever overwritten: if any file exists, nothing is written at all.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import MISSING, fields
from importlib import resources
from pathlib import Path
from typing import Any

from sitegen import DISTRIBUTION, __version__
from sitegen.config import CONFIG_NAME, Config, option_names
from sitegen.errors import InitError, Problem, SitegenError
from sitegen.gh_actions import pin_actions

#: What the workflow installs: sitegen under its PyPI name, at the exact version
#: that created the site (a later sitegen may render templates differently, so
#: upgrading is deliberate). tests/test_workflow_run.py installs it by running
#: the workflow against a package index.
SITEGEN_REQUIREMENT = f"{DISTRIBUTION}=={__version__}"
INSTALL_MARKER = "__SITEGEN_INSTALL__"
WORKFLOW_PATH = ".github/workflows/pages.yml"

#: Option name -> what it does. Every option of Config must have one (tested).
OPTION_HELP: dict[str, str] = {
    "title": "The site's name: page titles, the header and the feed.",
    "description": "One sentence about the site, for the home page, the feed and search "
                   "engines.",
    "base_url": "Where the site is served: a full URL such as https://you.github.io/papers/ "
                "(absolute links in the feed and sitemap need one) or a path such as "
                "/papers/. 'sitegen build --base-url URL' overrides it; the GitHub Pages "
                "workflow passes the right one.",
    "language": "The language of the pages, as an HTML lang code (en, de, fr, ...).",
    "author": "Who keeps this list, shown on the pages and in the feed; empty for nobody.",
    "theme": "The theme to render with: one shipped with sitegen or a folder in themes/. "
             "Override single templates in templates/.",
    "per_page": "How many papers a listing page shows before continuing on the next one.",
    "output_dir": "Where 'sitegen build' writes the site, relative to this file. The "
                  "GitHub Pages workflow uploads public/: change it there too.",
    "content_dir": "Where the papers live (papers/*.md inside it, written by "
                   "'sitegen import').",
    "feed_size": "How many of the newest papers the feed holds.",
    "auto_tags": "Tag papers by the words of the tag rules found in their title and "
                 "abstract.",
    "tag_rules": "The tag rules: tag name = list of words or phrases ('word*' matches any "
                 "ending). Unset: the theme's tag_rules.toml.",
    "cname": "A custom domain such as papers.example.org; the build writes it to a CNAME "
             "file for GitHub Pages. Empty: no custom domain.",
    "search": "Build a full-text search index and a search page.",
    "feeds": "Write Atom feeds for the site and for each tag, and an RSS feed.",
    "top_pages": "Write top/: every paper ranked by upvotes, then comments.",
    "archive": "Write archive/: a page per month and the list of months.",
    "bib_files": "Write papers.bib with every entry and a .bib file beside each paper "
                 "page (each paper page shows its BibTeX entry either way).",
    "papers_json": "Write papers.json: every paper's metadata, for scripts and other sites.",
    "math": "Render LaTeX math ($...$) in titles and abstracts.",
    "build_timestamp": "Show the build date on the pages (off: rebuilding unchanged "
                       "content gives identical files).",
    "strict": "Treat warnings as errors in build and check ('--strict' does it for one "
              "build).",
}

#: Options a new site is expected to set, written uncommented; the rest are commented out.
ACTIVE_OPTIONS = ("title", "description", "base_url", "language", "author")
TAG_RULES_EXAMPLE = ('llm = ["large language model*", "LLM*"]',
                     'retrieval = ["retrieval", "search engine*"]')


def toml_value(value: Any) -> str:
    """A TOML literal for a default value (strings as basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"no TOML literal for {value!r}")


def _comment(text: str, width: int = 78) -> list[str]:
    lines, line = [], "#"
    for word in text.split():
        if len(line) + 1 + len(word) > width and line != "#":
            lines.append(line)
            line = "#"
        line += " " + word
    return lines + [line]


def config_text() -> str:
    """``sitegen.toml`` with every option of :class:`Config`, its meaning and its default."""
    defaults = {f.name: f.default for f in fields(Config) if f.default is not MISSING}
    out = [f"# sitegen {__version__} site configuration. Every option is listed with its",
           "# default; uncomment a line to change it.", ""]
    table: list[str] = []
    for name in option_names():
        help_lines = _comment(OPTION_HELP.get(name, "(not documented yet)"))
        default = defaults.get(name)
        if default is None:
            table += help_lines + ["# Default: unset.", f"# [{name}]"]
            table += [f"# {line}" for line in TAG_RULES_EXAMPLE] + [""]
            continue
        literal = toml_value(default)
        prefix = "" if name in ACTIVE_OPTIONS else "# "
        out += help_lines + [f"# Default: {literal}", f"{prefix}{name} = {literal}", ""]
    return "\n".join(out + table).rstrip("\n") + "\n"


def workflow_text(install: str = f'python -m pip install "{SITEGEN_REQUIREMENT}"') -> str:
    """The GitHub Pages workflow, installing sitegen with the command ``install``.

    Its actions are at the versions of scaffold_files/actions.toml, which the
    repository's own workflows share.
    """
    template = resources.files("sitegen").joinpath("scaffold_files", "pages.yml")
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


def site_files(directory: Path = Path(".")) -> dict[str, str]:
    """Every file of a new site, by relative path."""
    return {
        CONFIG_NAME: config_text(),
        "content/papers/.gitkeep": "",
        "templates/README.md": templates_readme(directory),
        ".gitignore": GITIGNORE,
        WORKFLOW_PATH: workflow_text(),
    }


def _next_steps(directory: Path) -> str:
    go = f"cd {shlex.quote(str(directory))}\n  " if directory != Path(".") else ""
    return f"""created a new site in {directory}/
next steps:
  {go}sitegen import LISTING.txt          # add papers to content/papers/
  sitegen build && sitegen check       # build public/ and check it
  sitegen serve                        # preview at http://127.0.0.1:8000/
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


def init_site(directory: Path) -> int:
    """Run ``sitegen init``: write a new site into ``directory`` (created if missing)."""
    if directory.exists() and not directory.is_dir():
        raise InitError(Problem(str(directory), 0, "is a file, not a folder"))
    files = site_files(directory)
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
