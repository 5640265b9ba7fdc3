"""Checks of option values beyond their type: each says why a value is refused, or None.

Paths and URLs have theirs in :mod:`sitegen.config_paths`, one layer for every
such option; the tables (``[tag_rules]``, ``[[sources]]``, ``[enrich]``) have
theirs here, beside the keys they accept.
"""

from __future__ import annotations

import re
from typing import Any

from sitegen.sources.spec import sources_problems

KIND_NAMES = {str: "a string", int: "an integer", bool: "true or false", dict: "a table",
              list: "an array"}
def language_problem(value: str) -> str | None:
    # It names files of the search index too, so it must not hold '/' or '..'.
    if re.fullmatch(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*", value):
        return None
    return f"expected a language tag such as en or pt-BR, got {value!r}"


def cname_problem(value: str) -> str | None:
    if not value or re.fullmatch(r"[A-Za-z0-9.-]+", value):
        return None
    return f"expected a host name such as papers.example.org, got {value!r}"


def tag_rules_problem(value: dict[str, Any]) -> str | None:
    for tag, words in value.items():
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            return f"tag {tag!r}: expected a list of words or phrases"
    return None


def sources_problem(value: list[Any]) -> str | None:
    # One line per problem, each "[N].key: reason": the loader places it at the N-th [[sources]].
    return "\n".join(sources_problems(value)) or None


# The keys of the [enrich] table: name -> (kind, what it is); read by ``sitegen enrich``.
ENRICH_KEYS: dict[str, tuple[type, str]] = {
    "arxiv_endpoint": (str, "the arXiv API query URL"),
    "hf_endpoint": (str, "the Hugging Face papers search URL"),
    "arxiv_pace": (float, "seconds between two arXiv requests"),
    "hf_pace": (float, "seconds between two Hugging Face requests"),
    "threshold": (float, "the title similarity a match needs, from 0 to 1"),
    "date_window": (int, "how many days a match's date may differ"),
}


def enrich_problem(value: dict[str, Any]) -> str | None:
    for key, item in value.items():
        if key not in ENRICH_KEYS:
            return f"unknown key {key!r} (known keys: {', '.join(ENRICH_KEYS)})"
        kind, _ = ENRICH_KEYS[key]
        number = kind is float and isinstance(item, int | float)
        if isinstance(item, bool) or not (isinstance(item, kind) or number):
            return f"{key}: expected {'a number' if kind is float else KIND_NAMES[kind]}"
        if kind is not str and item < 0:
            return f"{key}: must not be negative"
    return None
