"""Find one paper listed twice in one input: a bibliography that cites it under two keys.

Both records are still imported (the library merges them by the usual rules,
so the second one's key or venue is not lost without a word); this module only
says so, naming both places: ``refs.bib:120 and refs.bib:388: warning: the same
paper (arXiv 1512.03385); merged``. ``--strict`` makes that a failure, like any
other warning.
"""

from __future__ import annotations

from sitegen.errors import Problem
from sitegen.model import Paper, normalize_arxiv, normalize_title


def _keys(paper: Paper) -> list[tuple[str, str]]:
    """What identifies a paper, strongest first, each with how a message names it."""
    keys = []
    arxiv = normalize_arxiv(paper.arxiv or "")
    if arxiv:
        keys.append((f"arxiv:{arxiv.lower()}", f"arXiv {arxiv}"))
    if paper.doi:
        keys.append((f"doi:{paper.doi.strip().lower()}", f"DOI {paper.doi.strip()}"))
    title = normalize_title(paper.title)
    if title:
        keys.append((f"title:{title}", "same title"))
    return keys


def _differ(a: Paper, b: Paper) -> bool:
    """Two records with different arXiv ids or DOIs are two papers, whatever their titles;
    so are two entries of one title under two citation keys with no ids to match."""
    ids = normalize_arxiv(a.arxiv or ""), normalize_arxiv(b.arxiv or "")
    if all(ids) and ids[0] != ids[1]:
        return True
    if a.bibtex_key and b.bibtex_key and a.bibtex_key != b.bibtex_key and not all(ids):
        return True  # one title under two keys, without ids: two papers (an issue's editorial)
    return bool(a.doi and b.doi and a.doi.strip().lower() != b.doi.strip().lower())


def duplicates(papers: list[Paper], label: str) -> list[Problem]:
    """A warning for each record of one input that repeats an earlier record of it."""
    seen: dict[str, Paper] = {}
    warnings = []
    for paper in papers:
        for key, what in _keys(paper):
            first = seen.get(key)
            if first is not None and (key.startswith("arxiv:") or not _differ(first, paper)):
                line = first.lines.get("title", 0)
                warnings.append(Problem(f"{label}:{line} and {label}",
                                        paper.lines.get("title", 0),
                                        f"the same paper ({what}); merged"))
                break
        for key, _ in _keys(paper):
            seen.setdefault(key, paper)
    return warnings
