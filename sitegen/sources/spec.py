"""The ``[[sources]]`` of ``sitegen.toml``: each kind, its keys, and the checks on them.

Declared here once: the config loader checks a site's sources with
:func:`sources_problems`, ``sitegen update`` reads them with :func:`read_sources`,
and the reference page lists :data:`KINDS` and :data:`KEYS`. This module only
needs :mod:`sitegen.errors`, so the config module can import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

HF_DAILY_API = "https://huggingface.co/api/daily_papers"
ARXIV_API = "https://export.arxiv.org/api/query"
ARXIV_FEED = "https://rss.arxiv.org/atom/{category}"
DEFAULT_DAYS = 3
DEFAULT_MAX_PAPERS = 200
MAX_DAYS = 31  # the most days one run fetches, however long ago the last success was
MAX_PAPERS = 2000


@dataclass(frozen=True)
class Kind:
    """One kind of source: what it fetches, its required key and its default endpoint."""

    name: str
    help: str
    required: str  # the key it cannot do without ("" for none)
    endpoint: str  # the default URL ("" when ``url`` is required)


KINDS = {kind.name: kind for kind in (
    Kind("hf-daily", "the Hugging Face daily papers (api/daily_papers?date=YYYY-MM-DD), "
                     "for every date since the last successful run", "", HF_DAILY_API),
    Kind("arxiv-query", "an arXiv API search query (such as cat:cs.CL AND abs:retrieval), "
                        "its newest results", "query", ARXIV_API),
    Kind("arxiv-feed", "the rss.arxiv.org feed of a category (such as cs.CL)", "category",
         ARXIV_FEED),
    Kind("url", "any file sitegen can import, fetched from its URL", "url", ""),
)}

#: Every key a source may have: its TOML type and what it means.
KEYS: dict[str, tuple[type, str]] = {
    "kind": (str, "one of " + ", ".join(KINDS)),
    "name": (str, "what messages and sources.lock.json call it (default: kind and query, "
                  "category or URL)"),
    "url": (str, "the address to fetch, overriding the kind's endpoint"),
    "endpoint": (str, "the same as url"),
    "query": (str, "arxiv-query: the search query"),
    "category": (str, "arxiv-feed: the arXiv category"),
    "format": (str, "url and arxiv-feed: the input format (default: recognised from the "
                    "content)"),
    "days": (int, f"hf-daily: the recent days read again on every run, so that counts "
                  f"are recorded over time (1 to {MAX_DAYS}, default {DEFAULT_DAYS})"),
    "max_papers": (int, f"the most papers taken from one run of the source (1 to "
                        f"{MAX_PAPERS}, default {DEFAULT_MAX_PAPERS})"),
}
_NAMES = {str: "a string", int: "an integer"}
_CATEGORY = re.compile(r"[A-Za-z-]+(?:\.[A-Za-z-]+)?")


@dataclass(frozen=True)
class SourceSpec:
    """One checked ``[[sources]]`` entry."""

    kind: str
    name: str
    url: str
    query: str = ""
    category: str = ""
    format: str = ""
    days: int = DEFAULT_DAYS
    max_papers: int = DEFAULT_MAX_PAPERS


def _entry_problems(entry: Any) -> list[str]:
    """What is wrong with one entry, each as ``.key: reason``."""
    if not isinstance(entry, dict):
        return [f": expected a table ([[sources]]), got {entry!r}"]
    problems = []
    for key, value in entry.items():
        if key not in KEYS:
            problems.append(f".{key}: unknown key (known: {', '.join(KEYS)})")
            continue
        wanted = KEYS[key][0]
        if isinstance(value, bool) or not isinstance(value, wanted):
            problems.append(f".{key}: expected {_NAMES[wanted]}, got {value!r}")
    if problems:
        return problems
    kind = entry.get("kind")
    if kind not in KINDS:
        return [f".kind: {'missing' if kind is None else repr(kind) + ' is unknown'} "
                f"(known kinds: {', '.join(KINDS)})"]
    required = KINDS[kind].required
    if required == "url" and "endpoint" in entry:
        required = "endpoint"
    if required and not str(entry.get(required, "")).strip():
        problems.append(f".{required}: a source of kind {kind!r} needs one")
    if "url" in entry and "endpoint" in entry:
        problems.append(".endpoint: give url or endpoint, not both")
    for key in ("url", "endpoint"):
        parts = urlsplit(str(entry.get(key, "http://x")))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f".{key}: expected an http(s) URL, got {entry[key]!r}")
    if "category" in entry and not _CATEGORY.fullmatch(entry["category"]):
        problems.append(f".category: expected an arXiv category such as cs.CL, got "
                        f"{entry['category']!r}")
    for key, high in (("days", MAX_DAYS), ("max_papers", MAX_PAPERS)):
        if key in entry and not 1 <= entry[key] <= high:
            problems.append(f".{key}: must be from 1 to {high}, got {entry[key]}")
    return problems


def sources_problems(value: Any) -> list[str]:
    """Every problem of the ``sources`` array, each as ``[N].key: reason`` (N from 1)."""
    if not isinstance(value, list):
        return [f": expected an array of tables ([[sources]]), got {value!r}"]
    problems = [f"[{n}]{p}" for n, entry in enumerate(value, 1) for p in _entry_problems(entry)]
    names = [_name(entry) for entry in value if isinstance(entry, dict) and not
             _entry_problems(entry)]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"[{names.index(name) + 1}].name: {name!r} names two sources; "
                        "give each its own name")
    return problems


def _name(entry: dict[str, Any]) -> str:
    if entry.get("name"):
        return str(entry["name"])
    detail = entry.get("query") or entry.get("category") or entry.get("url") \
        or entry.get("endpoint") or ""
    return f"{entry['kind']} {detail}".strip()


def read_sources(value: list[dict[str, Any]] | None) -> list[SourceSpec]:
    """The checked entries of ``sources`` (the config loader refused any problem)."""
    out = []
    for entry in value or []:
        kind = KINDS[entry["kind"]]
        url = entry.get("url") or entry.get("endpoint") or kind.endpoint
        if kind.name == "arxiv-feed" and "{category}" in url:
            url = url.replace("{category}", entry["category"])
        out.append(SourceSpec(kind.name, _name(entry), url, entry.get("query", ""),
                              entry.get("category", ""), entry.get("format", ""),
                              entry.get("days", DEFAULT_DAYS),
                              entry.get("max_papers", DEFAULT_MAX_PAPERS)))
    return out
