"""Write the synthetic papers as a sitegen, a Hugo and a Pelican site.

Each tool gets the same papers in its own front-matter dialect, plus the small
configuration and templates kept beside this module (``hugo/``, ``pelican/``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import lru_cache
from pathlib import Path

from bench.synth import PER_PAGE, SynthPaper, expected_pages
from sitegen.config import OPTIONAL_OUTPUTS

HERE = Path(__file__).resolve().parent
SITEGEN_FULL_TOML = f"""\
title = "Papers"
base_url = "https://bench.example.org/"
per_page = {PER_PAGE}
# The synthetic tags are the whole truth: no tags guessed from titles.
auto_tags = false
# Hugo and Pelican build no search index; Pagefind indexing is measured apart
# (see bench/README.md), so the timed builds compare the same kind of work.
search = false
"""
# The comparable site: the outputs Hugo's and Pelican's minimal templates leave out
# (feeds, pages ranked by upvotes, monthly archives, .bib files, papers.json) are off.
SITEGEN_TOML = SITEGEN_FULL_TOML + "".join(f"{name} = false\n" for name in OPTIONAL_OUTPUTS)
#: The two sitegen sites: "sitegen" does the comparable work, "sitegen-full" all its defaults.
SITEGEN_CONFIGS = {"sitegen": SITEGEN_TOML, "sitegen-full": SITEGEN_FULL_TOML}
# The defaults, as a new user has them: papers without tags (as imported from a
# listing), the sitegen.toml that `sitegen init` writes, and Hugo with Pagefind
# given the same tags (the ones sitegen's rules derive) and the same page size.
DEFAULT_TOOLS = ("sitegen-default", "hugo+pagefind")


def default_per_page() -> int:
    """sitegen's default ``per_page``, which the Hugo+Pagefind site copies."""
    from sitegen.config import OPTIONS

    return int(next(o.default for o in OPTIONS if o.name == "per_page"))


@lru_cache(maxsize=1)
def _tagger() -> object:
    from sitegen.taxonomy import Tagger, load_rules

    return Tagger(load_rules(HERE.parent / "themes" / "default" / "tag_rules.toml"))


def auto_tags(paper: SynthPaper) -> tuple[str, ...]:
    """The tags sitegen's default rules give ``paper`` when its file names none."""
    from sitegen.taxonomy import Tagger

    tagger = _tagger()
    assert isinstance(tagger, Tagger)
    return tuple(tagger.tags_for(paper.title, paper.abstract))


def as_written(tool: str, paper: SynthPaper) -> SynthPaper:
    """``paper`` as ``tool``'s site holds it: untagged for sitegen's defaults, with the
    derived tags for Hugo+Pagefind, as generated for every other tool."""
    if tool == "sitegen-default":
        return replace(paper, tags=())
    if tool == "hugo+pagefind":
        return replace(paper, tags=auto_tags(paper))
    return paper


def expected(tool: str, papers: list[SynthPaper]) -> dict[str, int]:
    """The core pages ``tool`` must render for ``papers``."""
    if tool in DEFAULT_TOOLS:
        return expected_pages([replace(p, tags=auto_tags(p)) for p in papers],
                              default_per_page())
    return expected_pages(papers)


def sitegen_text(paper: SynthPaper) -> str:
    """A sitegen content file, written by sitegen's own serializer."""
    from sitegen.importers.content_files import dumps
    from sitegen.model import Paper

    return dumps(Paper(
        title=paper.title, date=paper.date, body=paper.abstract, authors=list(paper.authors),
        comments=paper.comments, upvotes=paper.upvotes, tags=list(paper.tags),
        arxiv=paper.arxiv,
    ))


def hugo_text(paper: SynthPaper) -> str:
    """A Hugo content file: YAML front matter (JSON-quoted strings are valid YAML)."""
    lines = [
        "---",
        f"title: {json.dumps(paper.title)}",
        f"date: {paper.date.isoformat()}",
        f"slug: {json.dumps(paper.slug)}",
        f"authors: {json.dumps(list(paper.authors))}",
        f"comments: {paper.comments}",
        f"upvotes: {paper.upvotes}",
        f"tags: {json.dumps(list(paper.tags))}",
        f"arxiv: {json.dumps(paper.arxiv)}",
        "---",
        "",
        paper.abstract,
        "",
    ]
    return "\n".join(lines)


def pelican_text(paper: SynthPaper) -> str:
    """A Pelican Markdown file: ``Key: value`` metadata, a blank line, the body."""
    lines = [
        f"Title: {paper.title}",
        f"Date: {paper.date.isoformat()}",
        f"Slug: {paper.slug}",
        f"Authors: {'; '.join(paper.authors)}",
        f"Comments: {paper.comments}",
        f"Upvotes: {paper.upvotes}",
        f"Tags: {', '.join(paper.tags)}",
        f"Arxiv: {paper.arxiv}",
        "",
        paper.abstract,
        "",
    ]
    return "\n".join(lines)


RENDERERS: dict[str, Callable[[SynthPaper], str]] = {
    **dict.fromkeys((*SITEGEN_CONFIGS, "sitegen-default"), sitegen_text),
    **dict.fromkeys(("hugo", "hugo+pagefind"), hugo_text),
    "pelican": pelican_text,
}


def papers_dir(tool: str, site: Path) -> Path:
    """Where ``tool`` reads paper files from inside its site."""
    return site / "content" / "papers"


def paper_path(tool: str, site: Path, paper: SynthPaper) -> Path:
    """The content file of ``paper`` for ``tool``."""
    return papers_dir(tool, site) / f"{paper.slug}.md"


def write_paper(tool: str, site: Path, paper: SynthPaper) -> Path:
    """Write (or overwrite) one paper's file; returns its path."""
    path = paper_path(tool, site, paper)
    path.write_text(RENDERERS[tool](as_written(tool, paper)), encoding="utf-8")
    return path


def _skeleton(tool: str, site: Path) -> None:
    if tool in SITEGEN_CONFIGS:
        (site / "sitegen.toml").write_text(SITEGEN_CONFIGS[tool], encoding="utf-8")
    elif tool == "sitegen-default":
        from sitegen.scaffold import config_text

        (site / "sitegen.toml").write_text(config_text(), encoding="utf-8")
    elif tool == "hugo":
        shutil.copytree(HERE / "hugo", site, dirs_exist_ok=True)
    elif tool == "hugo+pagefind":
        _hugo_pagefind_skeleton(site)
    elif tool == "pelican":
        shutil.copytree(HERE / "pelican", site, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    else:
        raise ValueError(f"unknown tool {tool!r}")


def _hugo_pagefind_skeleton(site: Path) -> None:
    """The Hugo site at sitegen's default page size, its paper pages marked for Pagefind
    as sitegen's are: the article is the body, tags a filter, date and counts sort keys."""
    shutil.copytree(HERE / "hugo", site, dirs_exist_ok=True)
    config = site / "hugo.toml"
    config.write_text(config.read_text("utf-8").replace(
        f"pagerSize = {PER_PAGE}", f"pagerSize = {default_per_page()}"), encoding="utf-8")
    page = site / "layouts" / "page.html"
    text = page.read_text("utf-8")
    for old, new in (
        ("<article>", "<article data-pagefind-body>"),
        ('<time datetime=', '<time data-pagefind-sort="date[datetime]" datetime='),
        ('<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>',
         '<a href="{{ .RelPermalink }}" data-pagefind-filter="tag">{{ .LinkTitle }}</a>'),
        ("</article>", '<div hidden data-pagefind-ignore><span data-pagefind-sort="upvotes">'
                       '{{ .Params.upvotes }}</span><span data-pagefind-sort="comments">'
                       '{{ .Params.comments }}</span></div>\n</article>'),
    ):
        assert old in text, old
        text = text.replace(old, new)
    page.write_text(text, encoding="utf-8")


def write_site(tool: str, site: Path, papers: list[SynthPaper]) -> None:
    """Create ``site`` from scratch for ``tool``, holding exactly ``papers``."""
    if site.exists():
        shutil.rmtree(site)
    papers_dir(tool, site).mkdir(parents=True)
    _skeleton(tool, site)
    render = RENDERERS[tool]
    folder = papers_dir(tool, site)
    for paper in papers:
        text = render(as_written(tool, paper))
        (folder / f"{paper.slug}.md").write_text(text, encoding="utf-8")


def read_back(tool: str, site: Path) -> dict[str, tuple[str, date, tuple[str, ...]]]:
    """Slug -> (title, date, tags) as found in ``tool``'s files: a check that trees agree."""
    out: dict[str, tuple[str, date, tuple[str, ...]]] = {}
    for path in sorted(papers_dir(tool, site).glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if tool == "pelican":
            head = dict(line.split(": ", 1) for line in text.split("\n\n", 1)[0].splitlines())
            tags = tuple(t.strip() for t in head["Tags"].split(","))
            out[head["Slug"]] = (head["Title"], date.fromisoformat(head["Date"]), tags)
            continue
        import yaml

        front = yaml.safe_load(text.split("---\n", 2)[1])
        slug = front.get("slug", path.stem)
        out[slug] = (str(front["title"]), front["date"], tuple(front.get("tags") or ()))
    return out
