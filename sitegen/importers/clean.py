"""Characters that imported text must not carry into content files or onto a terminal.

C0 controls other than tab and newline, DEL and C1 controls (an ESC or CSI in a
title recolours or rewrites a terminal, and some of them are refused by YAML),
the noncharacters U+FFFE and U+FFFF, and unpaired surrogates (from a JSON
``\\ud800`` escape; they cannot even be written as UTF-8) are removed from
every field of an imported paper, with a located warning per field.

(Messages printed to the terminal are escaped by ``sitegen.errors.visible``.)
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from sitegen.errors import Problem
from sitegen.model import Link, Paper, Source

_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff"
_SURROGATE = "\ud800-\udfff"
_REMOVED = re.compile(f"[{_CONTROL}{_SURROGATE}]")
_SURROGATES = re.compile(f"[{_SURROGATE}]")
# Text fields (and lists of text) of bibliographies, arXiv and Hugging Face.
TEXT_FIELDS = ("entry_type", "venue", "event", "volume", "number", "pages", "publisher",
               "journal_ref", "bibtex_key", "primary_category", "categories", "classes",
               "arxiv_comment", "ai_summary", "keywords", "thumbnail", "hf_url")


def _clean(value: Any) -> tuple[Any, int, int]:
    """``value`` (text, or lists and mappings of it) without the removed characters,
    and how many controls and surrogates were removed."""
    if isinstance(value, str):
        if not _REMOVED.search(value):
            return value, 0, 0
        surrogates = len(_SURROGATES.findall(value))
        cleaned, count = _REMOVED.subn("", value)
        return cleaned, count - surrogates, surrogates
    if isinstance(value, list):
        items = [_clean(item) for item in value]
        return ([v for v, _, _ in items], sum(c for _, c, _ in items),
                sum(s for _, _, s in items))
    if isinstance(value, dict):
        pairs = {_clean(k)[0]: _clean(v) for k, v in value.items()}
        return ({k: v for k, (v, _, _) in pairs.items()}, sum(c for c, _, _ in pairs.values()),
                sum(s for _, _, s in pairs.values()))
    return value, 0, 0


def scrub(paper: Paper, label: str) -> list[Problem]:
    """Remove control characters from every field of ``paper``; one warning per field."""
    line = paper.lines.get("title", 0)
    warnings: list[Problem] = []

    def clean(value: Any, what: str) -> Any:
        cleaned, controls, surrogates = _clean(value)
        parts = [f"{n} {name}{'s' if n > 1 else ''}" for n, name in (
            (controls, "control character"), (surrogates, "unpaired surrogate")) if n]
        if parts:
            warnings.append(Problem(label, line, f"removed {' and '.join(parts)} from {what}"))
        return cleaned

    paper.title = " ".join(clean(paper.title, "the title").split())
    paper.body = clean(paper.body, "the abstract")
    paper.authors = clean(paper.authors, "the authors")
    paper.tags = clean(paper.tags, "the tags")
    if paper.organization is not None:
        org = clean([paper.organization.id, paper.organization.name], "the organization")
        paper.organization = replace(paper.organization, id=org[0], name=org[1])
    links = clean([[link.kind, link.url] for link in paper.links], "the links")
    paper.links = [Link(kind, url) for kind, url in links]
    paper.arxiv = clean(paper.arxiv, "the arXiv id")
    paper.doi = clean(paper.doi, "the DOI")
    files = clean([src.file for src in paper.source], "the source file name")
    paper.source = [Source(src.kind, name, src.listed) for src, name in zip(paper.source, files,
                                                                            strict=True)]
    for name in TEXT_FIELDS:
        setattr(paper, name, clean(getattr(paper, name), f"the {name.replace('_', ' ')}"))
    paper.extra = {key: clean(value, f"'{key}'") for key, value in paper.extra.items()}
    return warnings
