"""Tags: normalised names, URL slugs and keyword rules for papers without tags.

``LLM``, ``llm`` and `` Large  Language_Models`` normalise by case and spacing,
so one tag gets one page. Keyword rules are compiled once into one automaton
and matched against the title and abstract in one pass.
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

import ahocorasick

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


def _words(words: list[str]) -> list[str]:
    return sorted({w.strip().casefold() for w in words if w.strip()})


def _pattern(words: list[str]) -> str | None:
    """The regular expression one tag's words stand for (what the rules mean; it names
    the rules in :attr:`Tagger.token`)."""
    parts = []
    for word in _words(words):
        stem = word.rstrip("*")
        body = r"\s+".join(re.escape(piece) for piece in stem.split())
        parts.append(body + (r"[\w-]*" if word.endswith("*") else ""))
    if not parts:
        return None
    return r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])"


def _word_char(char: str) -> bool:
    """``[\\w-]`` of Python's ``re`` for one character of a ``str``."""
    return char.isalnum() or char in "_-"


class Tagger:
    """Applies keyword rules to papers that have no tags of their own.

    All rules are matched in one pass: every word's literal stem is a key of one
    Aho-Corasick automaton (``pyahocorasick``), run over the text with its runs of
    white space made single spaces (a rule's ``\\s+`` between pieces), and a hit
    counts where the rule's word boundaries hold. The white space is joined by
    ``str.split`` (the same characters as ``\\s``): a substitution by ``\\s+``
    cost two thirds of the tagger's time on the example listing's abstracts. It
    decides exactly what one regular expression per tag (:func:`_pattern`) would, at
    a fifteenth of the cost.
    """

    def __init__(self, rules: dict[str, list[str]]) -> None:
        self.names: list[str] = []
        named: list[tuple[str, str]] = []
        keys: dict[str, list[tuple[str, bool, int]]] = {}
        self.always: set[str] = set()  # a bare "*": any text matches
        for tag, words in sorted(rules.items()):
            pattern = _pattern(words)
            name = normalize_tag(tag)
            if pattern is None or not name:
                continue
            if name not in self.names:
                self.names.append(name)
            named.append((name, pattern))
            for word in _words(words):
                stem = " ".join(word.rstrip("*").split())
                if not stem:
                    self.always.add(name)
                    continue
                keys.setdefault(stem, []).append((name, word.endswith("*"), len(stem)))
        self.automaton = ahocorasick.Automaton()
        for stem, hits in keys.items():
            self.automaton.add_word(stem, tuple(hits))
        if keys:
            self.automaton.make_automaton()
        # Names what the rules are, so tags derived earlier can be kept with the paper.
        self.token = hashlib.sha1(repr(named).encode(), usedforsecurity=False).hexdigest()

    def tags_for(self, title: str, body: str) -> list[str]:
        """Every rule tag whose words occur in the title or abstract, in rule order."""
        found = set(self.always)
        if len(self.automaton):
            # Dropping white space at either end changes no hit: the ends are word
            # boundaries as a space is.
            text = " ".join(f"{title}\n{body}".casefold().split())
            last = len(text) - 1
            for end, hits in self.automaton.iter(text):
                for name, open_end, length in hits:
                    start = end - length + 1
                    if name in found or (start > 0 and _word_char(text[start - 1])):
                        continue
                    if open_end or end == last or not _word_char(text[end + 1]):
                        found.add(name)
        return [name for name in self.names if name in found]


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
