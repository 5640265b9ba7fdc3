"""Slugs for papers and tags: ASCII, lowercase, stable, never empty.

python-slugify (with its Unicode transliteration) does the work; a title that
transliterates to nothing falls back to a hash of the title, so every paper
still gets a stable, non-empty slug.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from slugify import slugify as _slugify

SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG = 80
_REPLACEMENTS = [["++", "pp"], ["#", "sharp"], ["+", "plus"], ["&", "and"], ["α", "alpha"],
                 ["β", "beta"], ["γ", "gamma"], ["δ", "delta"], ["λ", "lambda"], ["μ", "mu"],
                 ["π", "pi"], ["σ", "sigma"], ["τ", "tau"], ["ω", "omega"], ["θ", "theta"]]


def short_hash(text: str, size: int = 6) -> str:
    """A short stable hex digest of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:size]


def slugify(text: str, max_length: int = MAX_SLUG, fallback: str = "paper") -> str:
    """Lowercase ASCII words joined by hyphens; ``fallback-<hash>`` when nothing is left."""
    norm = unicodedata.normalize("NFKC", text)
    slug = _slugify(norm, max_length=max_length, word_boundary=True, save_order=True,
                    replacements=_REPLACEMENTS)
    slug = slug.strip("-")
    if not slug:
        return f"{fallback}-{short_hash(text)}"
    return slug


def unique_suffix(slug: str, key: str) -> str:
    """A deterministic alternative slug for ``slug`` when another paper already has it."""
    return f"{slug[: MAX_SLUG - 7]}-{short_hash(key)}"
