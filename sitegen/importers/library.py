"""Merge imported papers into ``content/papers/`` without losing hand edits.

How a hand edit is recognised: every field the importer writes is recorded in
the file's ``imported`` map as a short hash of the value written. On the next
import a field whose current value no longer matches its hash (or that the
importer never wrote) was edited by a person and is left alone. Fields that
sources own (``comments``, ``upvotes``, ``listed``, ``source``, ``links`` and
counts in ``extra``) are updated when unedited; every other field is only
filled in when the file lacks it. Files are never deleted and are rewritten
only when their bytes change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitegen.content import content_files, load_file
from sitegen.errors import Problem
from sitegen.model import Paper, Source, normalize_arxiv, normalize_title
from sitegen.slugs import slugify, unique_suffix
from sitegen.store import dumps, fingerprint, write_if_changed

# Fields a source owns: re-imports update them unless a person edited them.
OWNED = frozenset({"comments", "upvotes", "listed", "source", "links", "github_stars"})
# Fields the importer may fill; "body" is the Markdown abstract.
FILLABLE = ("title", "date", "authors", "author_count", "organization", "comments", "upvotes",
            "tags", "links", "arxiv", "doi", "listed", "source", "body")


@dataclass
class Report:
    """What an import did, file by file."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_edits: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.merged)} merged, {len(self.unchanged)} unchanged, "
                f"{len(self.kept_edits)} with hand edits kept")


@dataclass
class _Entry:
    paper: Paper
    path: Path
    original: str  # the file's text when read ("" for a new file)
    kinds: set[str] = field(default_factory=set)
    kept: set[str] = field(default_factory=set)


class Library:
    """The content files of a site, indexed for matching by arXiv id, DOI and title."""

    def __init__(self, site_root: Path, papers_dir: Path) -> None:
        self.site_root = site_root
        self.papers_dir = papers_dir
        self.entries: list[_Entry] = []
        self.taken: dict[str, str] = {}  # slug -> title (or "" when unknown)
        self.broken: dict[Path, str] = {}
        self._by_key: dict[str, _Entry] = {}
        self.report = Report()
        self._load()

    def _label(self, path: Path) -> str:
        try:
            return path.relative_to(self.site_root).as_posix()
        except ValueError:
            return path.as_posix()

    def _load(self) -> None:
        files, problems = content_files(self.papers_dir, self.site_root)
        self.report.warnings.extend(problems)
        for path in files:
            paper, errors = load_file(path, self._label(path))
            slug = path.stem
            if paper is None:
                self.broken[path] = "; ".join(p.message for p in errors)
                self.taken[slug] = ""
                continue
            entry = _Entry(paper, path, path.read_text("utf-8-sig"))
            entry.kinds = {s.kind for s in paper.source}
            self.taken[paper.slug or slug] = paper.title
            self.taken[slug] = paper.title
            self._index(entry)
            self.entries.append(entry)

    def _keys(self, paper: Paper) -> list[str]:
        keys = []
        if paper.arxiv and normalize_arxiv(paper.arxiv):
            keys.append("arxiv:" + str(normalize_arxiv(paper.arxiv)))
        if paper.doi:
            keys.append("doi:" + paper.doi.strip().lower())
        keys.append("title:" + normalize_title(paper.title))
        return keys

    def _index(self, entry: _Entry) -> None:
        for key in self._keys(entry.paper):
            self._by_key.setdefault(key, entry)

    def match(self, paper: Paper) -> _Entry | None:
        """The existing entry for ``paper``: by arXiv id, then DOI, then normalised title."""
        for key in self._keys(paper):
            entry = self._by_key.get(key)
            if entry is None:
                continue
            if key.startswith("title:") and _conflicting(entry.paper, paper):
                continue
            return entry
        return None

    def add(self, incoming: Paper, label: str) -> None:
        """Merge ``incoming`` into its matching file, or plan a new file for it."""
        entry = self.match(incoming)
        if entry is None:
            self._add_new(incoming, label)
            return
        _merge(entry, incoming)
        self._index(entry)

    def _add_new(self, paper: Paper, label: str) -> None:
        slug = slugify(paper.title)
        if slug in self.taken:
            other = self.taken[slug]
            new_slug = unique_suffix(slug, f"{paper.title}\n{paper.date.isoformat()}")
            self.report.warnings.append(Problem(
                label, paper.lines.get("title", 0),
                f"slug '{slug}' of \"{paper.title}\" is already used by "
                f"\"{other or 'an unreadable file'}\"; using '{new_slug}'"))
            slug = new_slug
        path = self.papers_dir / f"{slug}.md"
        if path in self.broken:
            self.report.warnings.append(Problem(
                self._label(path), 0, f"cannot be read ({self.broken[path]}); left alone, "
                                      f"\"{paper.title}\" not imported"))
            return
        paper.slug = None
        paper.imported = {name: fingerprint(_value(paper, name)) for name in FILLABLE
                          if not _empty(_value(paper, name))}
        paper.lines = {}
        entry = _Entry(paper, path, "", {s.kind for s in paper.source})
        self.taken[slug] = paper.title
        self.entries.append(entry)
        self._index(entry)

    def plan(self) -> list[tuple[Path, str]]:
        """The files to write (path, text), filling in the report."""
        writes = []
        for entry in self.entries:
            text = dumps(entry.paper)
            label = self._label(entry.path)
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


def write_all(writes: list[tuple[Path, str]]) -> int:
    """Write the planned files; returns how many changed on disk."""
    return sum(write_if_changed(path, text) for path, text in writes)


def _conflicting(a: Paper, b: Paper) -> bool:
    """Two papers with the same title but different arXiv ids or DOIs are different papers."""
    ids_a, ids_b = normalize_arxiv(a.arxiv or ""), normalize_arxiv(b.arxiv or "")
    if ids_a and ids_b and ids_a != ids_b:
        return True
    return bool(a.doi and b.doi and a.doi.lower() != b.doi.lower())


def _value(paper: Paper, name: str) -> Any:
    if name in ("body",) or hasattr(paper, name):
        return getattr(paper, name)
    return paper.extra.get(name)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _combine(name: str, current: Any, new: Any) -> Any:
    """The value of an owned field after a new source reports ``new``."""
    if name == "source":
        merged: list[Source] = list(current)
        for src in new:
            same = [i for i, s in enumerate(merged) if (s.kind, s.file) == (src.kind, src.file)]
            if same:
                merged[same[0]] = src
            else:
                merged.append(src)
        return merged
    if name == "links":
        urls = {link.url for link in current}
        return list(current) + [link for link in new if link.url not in urls]
    if name == "listed" and current is not None:
        return max(current, new)
    return new


def _set(paper: Paper, name: str, value: Any) -> None:
    if hasattr(paper, name):
        setattr(paper, name, value)
    else:
        paper.extra[name] = value


def _merge(entry: _Entry, incoming: Paper) -> None:
    """Fill in what the file lacks and update owned fields that nobody edited."""
    paper = entry.paper
    names = list(FILLABLE) + sorted(incoming.extra)
    for name in names:
        new = _value(incoming, name)
        if _empty(new):
            continue
        current = _value(paper, name)
        recorded = paper.imported.get(name)
        if _empty(current):
            if recorded is None:
                _set(paper, name, new)
                paper.imported[name] = fingerprint(new)
            elif fingerprint(new) != recorded:
                entry.kept.add(name)  # a person removed it; keep it removed
            continue
        edited = recorded is None or recorded != fingerprint(current)
        if name not in OWNED:
            if edited and fingerprint(new) != fingerprint(current):
                entry.kept.add(name)
            continue
        value = _combine(name, current, new)
        if fingerprint(value) == fingerprint(current):
            continue
        if edited and name != "source":
            entry.kept.add(name)
            continue
        _set(paper, name, value)
        paper.imported[name] = fingerprint(value)
