"""Authors and organisations, part of the derive stage: who a name is, and their page's slug.

The rule for when two spellings are one person (``docs/content-format.md``,
"Author names", says it for users):

- ``"Last, First"`` is read as ``"First Last"`` (one comma only; ``"Smith, Jr., John"``
  and other shapes are kept as written);
- the key folds case and accents (Unicode NFKD, combining marks dropped), treats
  ``.``, ``,`` and runs of spaces as word breaks, and keeps hyphens and apostrophes:
  ``José García``, ``Jose Garcia`` and ``GARCÍA, José`` are one person;
  ``J. Smith`` and ``J Smith`` are one person;
- nothing else merges: ``J. Smith`` and ``John Smith`` stay two people, since an
  initial fits many first names; so do ``Wei Zhang`` and ``Zhang Wei``.

A person is shown under the spelling most papers use (ties: the one with the
most accented letters, then the first in code-point order); each paper shows
its own spelling, linked to the person's page. Two people whose keys differ but
whose slugs are the same (``O'Brien`` and ``O Brien``) get distinct slugs: the
one with more papers (ties: the smaller key) keeps the plain slug, the other
gets a suffix hashed from its key, and the build warns.

Organisations are keyed by their id, folded the same way, and shown by name.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sitegen.slugs import slugify, unique_suffix

_BREAKS = re.compile(r"[\s.,;]+")
# A site names each person on many papers, and every build (every save in the preview)
# keys every name again: the keys of names already seen are kept.
_NAMES_KEPT = 1 << 16


@lru_cache(maxsize=_NAMES_KEPT)
def reorder(name: str) -> str:
    """``"Last, First"`` as ``"First Last"``; any other shape as written (spaces tidied)."""
    text = " ".join(name.split())
    if text.count(",") == 1:
        last, first = (part.strip() for part in text.split(","))
        if last and first and not re.fullmatch(r"(?i)(jr|sr|ii|iii|iv)\.?", first):
            return f"{first} {last}"
    return text


def fold(text: str) -> str:
    """Case and accents folded: the part of a key that ignores how a name was typed."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.casefold()


@lru_cache(maxsize=_NAMES_KEPT)
def person_key(name: str) -> str:
    """The key two spellings of one person share (see the module's rule)."""
    return " ".join(part for part in _BREAKS.split(fold(reorder(name))) if part)


def org_key(org_id: str) -> str:
    """The key of an organisation's id."""
    return " ".join(part for part in _BREAKS.split(fold(org_id)) if part)


@dataclass
class Group:
    """One person or organisation: key, shown name, slug and the indices of their papers."""

    key: str
    name: str
    slug: str
    members: list[int] = field(default_factory=list)  # paper indices, in site order


@dataclass
class Grouping:
    """Every group of a kind, and which group each spelling belongs to."""

    groups: list[Group]  # sorted by slug
    by_key: dict[str, Group]
    clashes: list[tuple[str, str, str]]  # (slug given, name, name that kept the plain slug)


def group_people(names: Sequence[Iterable[str]]) -> Grouping:
    """Group the author names of each paper (papers in site order) by person key."""
    return _grouped([[(person_key(name), reorder(name)) for name in paper_names]
                     for paper_names in names])


def group_orgs(orgs: Sequence[tuple[str, str] | None]) -> Grouping:
    """Group papers by organisation: ``(id, name)`` per paper, None for none."""
    return _grouped([[(org_key(org[0]) or org_key(org[1]), org[1])] if org else []
                     for org in orgs])


def _grouped(spellings: Sequence[Sequence[tuple[str, str]]]) -> Grouping:
    """Groups from ``(key, spelling)`` per paper; empty keys are nobody."""
    members: dict[str, list[int]] = defaultdict(list)
    shown: dict[str, Counter[str]] = defaultdict(Counter)
    for index, pairs in enumerate(spellings):
        for key, spelling in pairs:
            if not key:
                continue
            if not members[key] or members[key][-1] != index:
                members[key].append(index)
            shown[key][spelling] += 1
    ordered = sorted(members, key=lambda k: (-len(members[k]), k))
    taken: dict[str, str] = {}
    groups: dict[str, Group] = {}
    clashes = []
    for key in ordered:
        name = min(shown[key], key=lambda s: (-shown[key][s], -_accents(s), s))
        slug = slugify(key, fallback="person")
        if slug in taken:
            plain = slug
            slug = unique_suffix(slug, key)
            clashes.append((slug, name, groups[taken[plain]].name))
        taken[slug] = key
        groups[key] = Group(key, name, slug, members[key])
    return Grouping(sorted(groups.values(), key=lambda g: g.slug), groups, clashes)


def _accents(text: str) -> int:
    """How many letters of ``text`` carry marks: the accented spelling is the one to show."""
    return sum(1 for c in unicodedata.normalize("NFKD", text) if unicodedata.combining(c))
