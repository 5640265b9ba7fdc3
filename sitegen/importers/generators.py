"""Bring papers over from another static site generator's content folder.

``sitegen import DIR`` walks ``DIR`` (symbolic links are not followed) and reads:

- BibTeX files under a ``_bibliography/`` folder (al-folio and other Jekyll sites,
  jekyll-scholar), with the BibTeX importer;
- Markdown pages whose front matter describes a publication: those in a section
  named ``publication``, ``publications``, ``_publications``, ``papers`` or
  ``paper`` (Hugo Blox ``content/publication/<name>/index.md``, academicpages
  ``_publications/*.md``), and anywhere else those that carry a DOI, an arXiv id
  or a ``publication`` field (a Jekyll ``_posts`` entry about a paper). Front
  matter in YAML (``---``), TOML (``+++``) or JSON (``{ … }``) is read with
  python-frontmatter's handlers; a ``cite.bib`` beside a page fills in what its
  front matter lacks (arXiv id, DOI, authors, date).

Other pages (an about page, blog posts) are not papers and are left out; a page
in a publication section that cannot become a paper is a warning at its line.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sitegen.errors import InputError, Problem
from sitegen.importers import bibtex
from sitegen.importers.base import (
    Parsed,
    Skip,
    collapse_ws,
    iso_date,
    make_links,
    set_extra,
    tex_to_text,
)
from sitegen.importers.limits import MAX_INPUT_BYTES
from sitegen.model import Paper, Source, normalize_arxiv, normalize_title

KIND = "generator"
MAX_FILES = 20_000
_SECTIONS = frozenset({"publication", "publications", "_publications", "papers", "paper"})
_PAGES = (".md", ".markdown")
_PAPER_KEYS = ("doi", "arxiv", "publication", "publication_types", "paperurl", "venue")
_LINK_KEYS = (("url_pdf", "paper"), ("url_code", "code"), ("url_dataset", "dataset"),
              ("url_project", "project"), ("url_slides", "other"), ("url_video", "other"),
              ("url_source", "other"), ("url_poster", "other"), ("paperurl", "paper"),
              ("pdf", "paper"), ("code", "code"), ("html", "paper"))


def read_folder(root: Path, label: str) -> Parsed:
    """Every paper in the generator content folder ``root`` (``label`` names it)."""
    result = Parsed()
    total = 0
    for path in _files(root, label, result):
        total += path.stat().st_size
        if total > MAX_INPUT_BYTES:
            raise InputError(Problem(label, 0, f"holds more than {MAX_INPUT_BYTES:,} bytes of "
                                               "pages and bibliographies; not imported"))
        name = f"{label.rstrip('/')}/{path.relative_to(root).as_posix()}"
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".bib":
            found = bibtex.parse(text, name)
            result.papers.extend(found.papers)
            result.warnings.extend(found.warnings)
        else:
            _page(path, text, name, result)
    return result


def _files(root: Path, label: str, result: Parsed) -> list[Path]:
    """The bibliographies and pages to read, in a stable order."""
    found: list[Path] = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        here = Path(folder)
        for file_name in sorted(names):
            path = here / file_name
            if path.is_symlink():
                result.warnings.append(Problem(f"{label.rstrip('/')}/"
                                               f"{path.relative_to(root).as_posix()}", 0,
                                               "is a symbolic link; not followed"))
                continue
            bib = path.suffix == ".bib" and "_bibliography" in path.relative_to(root).parts
            if bib or path.suffix in _PAGES:
                found.append(path)
                if len(found) > MAX_FILES:
                    raise InputError(Problem(label, 0, f"holds more than {MAX_FILES:,} pages "
                                                       "and bibliographies; not imported"))
    return found


def _in_section(path: Path) -> bool:
    return any(part.lower() in _SECTIONS for part in path.parts[:-1])


def _page(path: Path, text: str, name: str, result: Parsed) -> None:
    from sitegen.content_pages import read_front_matter

    front, problem = read_front_matter(text, name)
    wanted = _in_section(path)
    if front is None:
        if wanted and problem is not None and path.stem not in ("_index", "index"):
            result.warnings.append(problem)
        return
    meta = front.metadata
    if not wanted and not any(meta.get(key) for key in _PAPER_KEYS):
        return  # an about page, a blog post: not a paper
    if path.stem == "_index" and not meta.get("doi"):
        return  # a Hugo section's own page
    line = front.line_of("title")
    try:
        paper = _paper(meta, front.body, path, name, result)
    except Skip as exc:
        result.warnings.append(Problem(name, line, f"page {exc}; skipped"))
        return
    paper.lines = {"title": line}
    result.papers.append(paper)


def _date(value: Any, extra: dict[str, Any]) -> date | None:
    """A front-matter date: a date, a datetime, an ISO text or a year alone (1 January)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if len(text) == 4 and text.isdigit():
        extra["date_precision"] = "year"
        return date(int(text), 1, 1)
    return iso_date(text)


def _text(value: Any) -> str:
    """A scalar front-matter value as text; anything else (a list, a mapping) gives ''.

    Never ``str()`` of a container: YAML aliases can nest one list in itself a billion
    times over in a few lines, and printing it would never end.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return collapse_ws(str(value))


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [collapse_ws(part) for part in value.split(" and ") if part.strip()]
    if isinstance(value, list):
        names = [_text(v.get("name")) if isinstance(v, dict) else _text(v) for v in value]
        return [name for name in names if name]
    return []


def _cite(path: Path, name: str, title: str, result: Parsed) -> Paper | None:
    """The entry of the ``cite.bib`` beside a Hugo Blox page, if it is the same paper."""
    cite = path.parent / "cite.bib"
    if not cite.is_file() or cite.is_symlink() or cite.stat().st_size > MAX_INPUT_BYTES:
        return None
    label = name.rsplit("/", 1)[0] + "/cite.bib"
    found = bibtex.parse(cite.read_text(encoding="utf-8", errors="replace"), label)
    same = [p for p in found.papers if normalize_title(p.title) == normalize_title(title)]
    if found.papers and not same:
        result.warnings.append(Problem(label, 1, f"is about \"{found.papers[0].title[:80]}\", "
                                                 f"not \"{title[:80]}\"; not used"))
    return same[0] if same else None


def _paper(meta: dict[str, Any], body: str, path: Path, name: str, result: Parsed) -> Paper:
    title = _text(meta.get("title"))
    if not title:
        raise Skip("has no 'title'")
    cite = _cite(path, name, title, result)
    extra: dict[str, Any] = {}
    when = _date(meta.get("date"), extra) or _date(meta.get("publishDate"), extra) or (
        cite.date if cite else None)
    if when is None:
        raise Skip(f"'{title[:60]}' has no 'date'")
    blox = meta.get("hugoblox")
    found_ids = blox.get("ids") if isinstance(blox, dict) else None
    ids: dict[str, Any] = found_ids if isinstance(found_ids, dict) else {}
    abstract = _text(meta.get("abstract")) or _text(meta.get("excerpt")) or _text(
        meta.get("summary"))
    summary = abstract or body.strip()
    explicit: list[tuple[str, object]] = [(kind, meta.get(key)) for key, kind in _LINK_KEYS]
    links = meta.get("links")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict):
            explicit.append(("other", link.get("url")))
    arxiv = None
    for candidate in (meta.get("arxiv"), ids.get("arxiv"), meta.get("url_pdf"),
                      meta.get("paperurl")):
        arxiv = normalize_arxiv(_text(candidate)) if candidate else None
        if arxiv:
            break
    doi = _text(meta.get("doi")) or _text(ids.get("doi")) or None
    authors = _names(meta.get("authors") or meta.get("author"))
    paper = Paper(title=title, date=when, body=summary,
                  authors=authors or (cite.authors if cite else []),
                  arxiv=arxiv or (cite.arxiv if cite else None),
                  doi=doi or (cite.doi if cite else None),
                  links=make_links(explicit, summary), source=[Source(KIND, name)])
    venue = _text(meta.get("publication")) or _text(meta.get("venue"))
    if venue:
        extra["venue"] = tex_to_text(venue.replace("*", ""))
    set_extra(paper, extra)
    return paper
