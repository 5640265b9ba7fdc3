"""Read Hugging Face papers API JSON: ``api/daily_papers`` responses and paper objects.

A daily-papers item nests the paper under ``paper`` and repeats title, summary
and ``publishedAt`` at the top level (the two dates can differ: the nested one
is the arXiv publication time in UTC and is the one used). A bare paper object
(``api/papers/<id>``) is the nested part alone. Both may come one at a time, in
an array or as JSON lines. AI keywords are kept in ``keywords`` and do
not become tags: tags are the site owner's own vocabulary.
"""

from __future__ import annotations

import re
from typing import Any

from sitegen.importers.base import (
    Parsed,
    Skip,
    as_int,
    as_text,
    iso_date,
    make_links,
    safe_url,
    source_name,
    unwrap_paragraphs,
)
from sitegen.importers.jsonread import parse_items
from sitegen.model import Organization, Paper, Source, normalize_arxiv

KIND = "hf-api"
_HF_KEYS = re.compile(r'"(?:publishedAt|submittedOnDailyAt|numComments|upvotes|ai_summary|'
                      r'githubRepo)"\s*:')


def looks_like(text: str) -> bool:
    """JSON whose keys are those of the Hugging Face papers API."""
    stripped = text.lstrip()
    if not stripped.startswith(("[", "{")):
        return False
    return stripped.rstrip() == "[]" or _HF_KEYS.search(text[:50_000]) is not None


def parse(text: str, label: str) -> Parsed:
    """Every paper in the JSON; an item that is not a paper becomes a warning."""
    return parse_items(text, label, _paper)


def _paper(item: Any, label: str) -> Paper:
    """One paper from a daily-papers item or a bare paper object."""
    if not isinstance(item, dict):
        raise Skip(f"expected a JSON object, got {type(item).__name__}")
    inner = item.get("paper")
    part: dict[str, Any] = inner if isinstance(inner, dict) else item

    def pick(key: str) -> Any:
        value = part.get(key)
        return item.get(key) if value is None else value

    title = as_text(pick("title"))
    if not title:
        raise Skip("has no 'title'")
    when = iso_date(part.get("publishedAt")) or iso_date(item.get("publishedAt"))
    if when is None:
        raise Skip("has no valid 'publishedAt' date")
    summary = unwrap_paragraphs(pick("summary")) if isinstance(pick("summary"), str) else ""
    listed = iso_date(pick("submittedOnDailyAt"))
    paper = Paper(
        title=title, date=when, body=summary, authors=_authors(part.get("authors")),
        organization=_organization(pick("organization")),
        comments=as_int(pick("numComments")), upvotes=as_int(pick("upvotes")),
        links=make_links([("code", pick("githubRepo")), ("project", pick("projectPage"))],
                         summary),
        arxiv=normalize_arxiv(part["id"]) if isinstance(part.get("id"), str) else None,
        listed=listed, source=[Source(KIND, source_name(label), listed)],
    )
    _fill(paper, pick)
    return paper


def _authors(value: Any) -> list[str]:
    """Author names from ``[{"name": ...}, ...]`` (or plain strings)."""
    if not isinstance(value, list):
        return []
    names = [as_text(a.get("name")) if isinstance(a, dict) else as_text(a) for a in value]
    return [name for name in names if name]


def _organization(value: Any) -> Organization | None:
    """``{"name": "MHUGLab", "fullname": "Multimedia ..."}`` as an :class:`Organization`."""
    if not isinstance(value, dict):
        return None
    org_id = as_text(value.get("name"))
    name = as_text(value.get("fullname")) or org_id
    return Organization(org_id or name, name) if (org_id or name) else None


def _fill(paper: Paper, pick: Any) -> None:
    """GitHub stars, the AI summary and keywords, the thumbnail and the paper's page."""
    paper.github_stars = as_int(pick("githubStars"))
    paper.ai_summary = as_text(pick("ai_summary")) or None
    keywords = pick("ai_keywords")
    if isinstance(keywords, list):
        paper.keywords = list(dict.fromkeys(as_text(k) for k in keywords if as_text(k)))
    paper.thumbnail = safe_url(pick("thumbnail"))
    if paper.arxiv:
        paper.hf_url = f"https://huggingface.co/papers/{paper.arxiv}"
