"""Tags: normalised names, URL slugs and keyword rules for papers without tags.

``LLM``, ``llm`` and `` Large  Language_Models`` normalise by case and spacing,
so one tag gets one page. Keyword rules are compiled once into one regular
expression per tag and matched against the title and abstract.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Generic, TypeVar

from sitegen.model import Paper
from sitegen.slugs import slugify

MAX_TAG_CHARS = 60
T = TypeVar("T")


def normalize_tag(text: str) -> str:
    """The canonical name of a tag: NFKC, lowercase, single spaces."""
    norm = unicodedata.normalize("NFKC", text).casefold()
    norm = re.sub(r"[\s_]+", " ", norm).strip(" #,;")
    return norm[:MAX_TAG_CHARS].strip()


@lru_cache(maxsize=65536)
def tag_slug(name: str) -> str:
    """The URL slug of a tag name."""
    return slugify(name, max_length=MAX_TAG_CHARS, fallback="tag")


@dataclass
class Tag(Generic[T]):
    """A tag and the items (paper views) that carry it, in site order."""

    name: str
    slug: str
    items: list[T] = field(default_factory=list)


def load_rules(path: Path) -> dict[str, list[str]]:
    """Keyword rules from a TOML file of ``tag = ["word", "phrase*"]``."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return {str(k): [str(w) for w in v] for k, v in data.items() if isinstance(v, list)}


def _pattern(words: list[str]) -> re.Pattern[str] | None:
    parts = []
    for word in sorted({w.strip().casefold() for w in words if w.strip()}):
        stem = word.rstrip("*")
        body = r"\s+".join(re.escape(piece) for piece in stem.split())
        parts.append(body + (r"[\w-]*" if word.endswith("*") else ""))
    if not parts:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")


class Tagger:
    """Applies keyword rules to papers that have no tags of their own."""

    def __init__(self, rules: dict[str, list[str]]) -> None:
        self.rules: list[tuple[str, re.Pattern[str]]] = []
        for tag, words in sorted(rules.items()):
            pattern = _pattern(words)
            name = normalize_tag(tag)
            if pattern is not None and name:
                self.rules.append((name, pattern))
        # Names what the rules are, so tags derived earlier can be kept with the paper.
        self.token = hashlib.sha1(repr([(n, p.pattern) for n, p in self.rules]).encode(),
                                  usedforsecurity=False).hexdigest()

    def tags_for(self, title: str, body: str) -> list[str]:
        """Every rule tag whose words occur in the title or abstract."""
        text = f"{title}\n{body}".casefold()
        return [name for name, pattern in self.rules if pattern.search(text)]


def paper_tags(paper: Paper, tagger: Tagger | None) -> tuple[str, ...]:
    """The normalised, de-duplicated tags of a paper (from rules when it has none)."""
    names = paper.tags or (tagger.tags_for(paper.title, paper.body) if tagger else [])
    out: list[str] = []
    for name in names:
        norm = normalize_tag(name)
        if norm and norm not in out:
            out.append(norm)
    return tuple(out)


def merged_names(slugs: dict[str, str]) -> dict[str, str]:
    """For each tag name (mapped to its slug) that shares its slug with another, the name
    pages show: the first in sort order, as :func:`group_tags` names the merged tag.
    Empty when no two names share a slug."""
    if len(set(slugs.values())) == len(slugs):
        return {}
    shown: dict[str, str] = {}
    for name, slug in slugs.items():
        if slug not in shown or name < shown[slug]:
            shown[slug] = name
    return {name: shown[slug] for name, slug in slugs.items() if shown[slug] != name}


def group_tags(tagged: Iterable[tuple[T, Sequence[str]]]) -> list[Tag[T]]:
    """Tags sorted by slug, each with its items in the given order; same-slug names merge."""
    by_slug: dict[str, Tag[T]] = {}
    for item, names in tagged:
        for name in names:
            slug = tag_slug(name)
            tag = by_slug.get(slug)
            if tag is None:
                tag = by_slug[slug] = Tag(name, slug)
            elif name < tag.name:
                tag.name = name
            if not tag.items or tag.items[-1] is not item:
                tag.items.append(item)
    return [by_slug[s] for s in sorted(by_slug)]
