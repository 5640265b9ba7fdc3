"""Merge imported papers into ``content/papers/`` without losing hand edits.

How a hand edit is recognised: every field the importer writes is recorded in
the file's ``imported`` map as a short hash of the value written. On the next
import a field whose current value no longer matches its hash (or that the
importer never wrote) was edited by a person and is left alone. Any other
field takes the value that ranks highest by :mod:`sitegen.importers.precedence`
(which source it came from, recorded in ``origin``, and what it says), so the
files do not depend on the order of imports; new files are named only once
every input is merged, after their final title.

An incoming paper matches a file by arXiv id (versions ignored), then DOI, then
the title the importer last wrote (so a retitled file still matches), then the
normalised title; a title match is refused when arXiv ids or DOIs differ.
Files are never deleted, and a file is rewritten only when its data changes,
so a person's formatting survives re-imports that bring nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitegen.content import content_files, load_file
from sitegen.errors import Problem
from sitegen.frontmatter import parse_paper
from sitegen.importers.content_files import dumps, fingerprint
from sitegen.importers.precedence import (
    MERGED,
    UNION_FIELDS,
    kind_of,
    listed_of,
    origin_of,
    rank,
    sort_links,
    sort_sources,
    union,
)
from sitegen.importers.rewrite import (
    changed_fields,
    has_comments,
    update_in_place,
    write_file,
)
from sitegen.model import Paper, normalize_arxiv, normalize_title
from sitegen.slugs import slugify, unique_suffix

# Fields the importer may fill; "body" is the Markdown abstract.
FILLABLE = MERGED


@dataclass
class Report:
    """What an import did, file by file."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_edits: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # changed, but not rewritten (comments)
    warnings: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        skipped = f", {len(self.skipped)} not rewritten" if self.skipped else ""
        return (f"{len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.merged)} merged, {len(self.unchanged)} unchanged, "
                f"{len(self.kept_edits)} with hand edits kept{skipped}")


@dataclass
class _Entry:
    paper: Paper
    path: Path
    original: str  # the file's text when read ("" for a new file)
    baseline: str = ""  # the file's data, written out as the importer would write it
    kinds: set[str] = field(default_factory=set)
    kept: set[str] = field(default_factory=set)
    label: str = ""  # the input a new file's paper first came from


class Library:
    """The content files of a site, indexed for matching by arXiv id, DOI and title."""

    def __init__(self, site_root: Path, papers_dir: Path, content_dir: Path | None = None) -> None:
        """New files go to ``papers_dir``; every file under ``content_dir`` (default:
        ``papers_dir``) is matched against, so a paper filed elsewhere is not duplicated."""
        self.site_root = site_root
        self.papers_dir = papers_dir
        self.content_dir = content_dir or papers_dir
        self.entries: list[_Entry] = []
        self.taken: dict[str, str] = {}  # slug -> title (or "" when unknown)
        self.broken: dict[Path, Problem] = {}  # unreadable files: their first problem
        self._by_key: dict[str, _Entry] = {}
        self.report = Report()
        self._load()

    def _label(self, path: Path) -> str:
        try:
            return path.relative_to(self.site_root).as_posix()
        except ValueError:
            return path.as_posix()

    def _load(self) -> None:
        files, problems = content_files(self.content_dir, self.site_root)
        self.report.warnings.extend(problems)
        for path in files:
            paper, errors = load_file(path, self._label(path))
            slug = path.stem
            if paper is None:
                self.broken[path] = errors[0] if errors else Problem("", 0, "unreadable")
                self.taken[slug] = ""
                continue
            entry = _Entry(paper, path, path.read_text("utf-8-sig"), dumps(paper))
            entry.kinds = {s.kind for s in paper.source}
            self.taken[paper.slug or slug] = paper.title
            self.taken[slug] = paper.title
            self._index(entry)
            self.entries.append(entry)

    def _keys(self, paper: Paper, incoming: bool) -> list[str]:
        keys = []
        arxiv_id = normalize_arxiv(paper.arxiv or "")
        if arxiv_id:
            keys.append("arxiv:" + arxiv_id.lower())
        if paper.doi:
            keys.append("doi:" + paper.doi.strip().lower())
        if incoming:
            keys.append("wrote:" + fingerprint(paper.title))
        elif "title" in paper.imported:
            keys.append("wrote:" + paper.imported["title"])
        if normalize_title(paper.title):
            keys.append("title:" + normalize_title(paper.title))
        return keys

    def _index(self, entry: _Entry) -> None:
        for key in self._keys(entry.paper, incoming=False):
            self._by_key.setdefault(key, entry)

    def match(self, paper: Paper) -> _Entry | None:
        """The existing entry for ``paper``: by arXiv id, DOI, last written title, then
        normalised title; the last three only when no arXiv id or DOI contradicts."""
        for key in self._keys(paper, incoming=True):
            entry = self._by_key.get(key)
            if entry is None or (not key.startswith("arxiv:")
                                 and _conflicting(entry.paper, paper)):
                continue
            return entry
        return None

    def add(self, incoming: Paper, label: str) -> bool:
        """Merge ``incoming`` into its matching file, or plan a new file for it.

        False when it cannot be imported (a warning says why)."""
        problem = _unwritable(incoming, label)
        if problem:
            self.report.warnings.append(problem)
            return False
        entry = self.match(incoming)
        if entry is None:
            return self._add_new(incoming, label)
        _merge(entry, incoming)
        self._index(entry)
        return True

    def _add_new(self, paper: Paper, label: str) -> bool:
        """Plan a new file; it is named in :meth:`plan`, after every input is merged."""
        paper.slug = None
        paper.links = sort_links(paper.links)
        paper.source = sort_sources(paper.source)
        names = list(FILLABLE) + list(paper.extra)
        paper.imported = {name: fingerprint(_value(paper, name)) for name in names
                          if not _empty(_value(paper, name))}
        kind = kind_of(paper)
        paper.origin = {name: kind for name in MERGED
                        if name not in UNION_FIELDS and not _empty(_value(paper, name))}
        paper.lines = {"title": paper.lines.get("title", 0)}
        entry = _Entry(paper, Path(), "", kinds={s.kind for s in paper.source}, label=label)
        self.entries.append(entry)
        self._index(entry)
        return True

    def _place(self, entry: _Entry) -> bool:
        """Name a new file after its paper's title; False when its name is an unreadable
        file's (a warning says so)."""
        paper, label = entry.paper, entry.label
        slug = slugify(paper.title)
        path = self.papers_dir / f"{slug}.md"
        if path in self.broken:
            problem = self.broken[path]
            self.report.warnings.append(Problem(
                self._label(path), problem.line,
                f"cannot be read ({problem.message}); left alone, \"{paper.title}\" not "
                "imported until it is fixed"))
            return False
        if slug in self.taken:
            other = self.taken[slug]
            key = "\n".join([paper.title, paper.date.isoformat(), paper.arxiv or "",
                             paper.doi or ""])
            new_slug = unique_suffix(slug, key)
            while new_slug in self.taken:
                key += "\n"
                new_slug = unique_suffix(slug, key)
            self.report.warnings.append(Problem(
                label, paper.lines.get("title", 0),
                f"slug '{slug}' of \"{paper.title}\" is already used by "
                f"\"{other or 'an unreadable file'}\"; using '{new_slug}'"))
            slug = new_slug
        paper.lines = {}
        entry.path = self.papers_dir / f"{slug}.md"
        self.taken[slug] = paper.title
        return True

    def plan(self) -> list[tuple[Path, str]]:
        """The files to write (path, text), filling in the report."""
        writes = []
        new = [e for e in self.entries if not e.original]
        new.sort(key=lambda e: (slugify(e.paper.title), e.paper.title, e.paper.date,
                                e.paper.arxiv or "", e.paper.doi or ""))
        placed = {id(e) for e in new if self._place(e)}
        for entry in self.entries:
            if not entry.original and id(entry) not in placed:
                continue
            label = self._label(entry.path)
            text = self._text(entry, label)
            if text is None:
                continue
            if entry.kept:
                self.report.kept_edits.append(f"{label} ({', '.join(sorted(entry.kept))})")
            if not entry.original:
                self.report.added.append(label)
            elif text == entry.original:
                self.report.unchanged.append(label)
                continue
            elif {s.kind for s in entry.paper.source} - entry.kinds:
                self.report.merged.append(label)
            else:
                self.report.updated.append(label)
            writes.append((entry.path, text))
        return writes

    def _text(self, entry: _Entry, label: str) -> str | None:
        """The new text of an entry's file (its old text when its data did not change), or
        None when a rewrite would lose the comments in it (a warning says so)."""
        text = dumps(entry.paper)
        if not entry.original:
            return text
        if text in (entry.original, entry.baseline):
            return entry.original
        if not has_comments(entry.original):
            return text
        kept = update_in_place(entry.original, entry.baseline, text)
        if kept is not None:
            return kept
        self.report.skipped.append(label)
        self.report.warnings.append(Problem(label, 0, (
            "has comments in its front matter that rewriting it would lose; not rewritten "
            f"({', '.join(changed_fields(entry.baseline, text))} not updated: put the comments "
            "below the front matter, or make the change by hand)")))
        return None


def write_all(writes: list[tuple[Path, str]]) -> int:
    """Write the planned files; returns how many changed on disk."""
    return sum(write_file(path, text) for path, text in writes)


def _unwritable(paper: Paper, label: str) -> Problem | None:
    """Why ``paper`` would make a content file that sitegen cannot read back, if it would."""
    probe = Paper(**{**paper.__dict__, "slug": None, "imported": {}, "lines": {}})
    _, problems = parse_paper(dumps(probe), label)
    if not problems:
        return None
    return Problem(label, paper.lines.get("title", 0),
                   f"\"{paper.title[:80]}\" not imported: {problems[0].message}")


def _conflicting(a: Paper, b: Paper) -> bool:
    """Two papers with the same title but different arXiv ids, DOIs or citation keys are
    different papers (a journal's "Editor's Comments" in every issue)."""
    ids_a, ids_b = normalize_arxiv(a.arxiv or ""), normalize_arxiv(b.arxiv or "")
    if ids_a and ids_b and ids_a != ids_b:
        return True
    if a.bibtex_key and b.bibtex_key and a.bibtex_key != b.bibtex_key:
        return True
    return bool(a.doi and b.doi and a.doi.lower() != b.doi.lower())


def _value(paper: Paper, name: str) -> Any:
    if name == "date":
        return paper.when
    if hasattr(paper, name):
        return getattr(paper, name)
    return paper.extra.get(name)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _set(paper: Paper, name: str, value: Any, source: Paper | None = None) -> None:
    if name == "date":
        paper.date, paper.precision = value.day, value.precision
    elif hasattr(paper, name):
        setattr(paper, name, value)
    else:
        paper.extra[name] = value
    if name == "authors" and source is not None:
        paper.authors_complete = source.authors_complete


def _claim(paper: Paper, name: str, kind: str) -> tuple[Any, ...]:
    """How strongly the paper's value of ``name`` (from a source of ``kind``) ranks."""
    value = _value(paper, name)
    if name == "authors":
        value = (value, paper.authors_complete)
    return rank(name, value, kind, listed_of(paper, kind))


def _merge(entry: _Entry, incoming: Paper) -> None:
    """Give each field the value that ranks highest, keeping what a person edited."""
    paper = entry.paper
    kind = kind_of(incoming)
    kinds = {s.kind for s in paper.source}
    if len(kinds) == 1:  # a file from one kind of source does not write where fields came from
        only = kinds.pop()
        paper.origin = {**{name: only for name in MERGED if name in paper.imported
                           and name not in UNION_FIELDS}, **paper.origin}
    for name in list(FILLABLE) + sorted(incoming.extra):
        new = _value(incoming, name)
        if _empty(new):
            continue
        current = _value(paper, name)
        recorded = paper.imported.get(name)
        if _empty(current):
            if recorded is None:
                _set(paper, name, new, incoming)
                _record(paper, name, new, kind)
            elif fingerprint(new) != recorded:
                entry.kept.add(name)  # a person removed it; keep it removed
            continue
        edited = recorded is None or recorded != fingerprint(current)
        if edited and name != "source":  # a person's value beats every source
            if fingerprint(union(name, current, new) if name in UNION_FIELDS else new) \
                    != fingerprint(current):
                entry.kept.add(name)
            continue
        if name in UNION_FIELDS:
            value = union(name, current, new)
        elif _claim(incoming, name, kind) > _claim(paper, name, origin_of(paper, name)):
            value = new
            paper.origin = {**paper.origin, name: kind}  # the same value, now from here
        else:
            continue
        if fingerprint(value) == fingerprint(current):
            continue
        _set(paper, name, value, incoming)
        _record(paper, name, value, kind)


def _record(paper: Paper, name: str, value: Any, kind: str) -> None:
    """Remember the value written (to recognise hand edits) and where it came from."""
    paper.imported[name] = fingerprint(value)
    if name not in UNION_FIELDS and name in FILLABLE:
        paper.origin = {**paper.origin, name: kind}

