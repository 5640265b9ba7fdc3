"""What every importer returns, and the helpers they share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sitegen.errors import Problem
from sitegen.model import Paper

# A URL inside prose: stops at whitespace, quotes, angle brackets and closing braces.
_URL = re.compile(r"https?://[^\s<>\"'`{}|\\^]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\"*_~"


@dataclass
class Parsed:
    """Papers read from one input, plus located warnings about what was skipped."""

    papers: list[Paper] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def unwrap_latex_urls(text: str) -> str:
    r"""Replace ``\url{X}`` and ``\href{X}{Y}`` with the bare URL."""
    text = re.sub(r"\\url\s*\{([^{}]*)\}", r" \1 ", text)
    return re.sub(r"\\href\s*\{([^{}]*)\}\s*\{[^{}]*\}", r" \1 ", text)


def _balance(url: str) -> str:
    """Drop trailing punctuation, keeping a closing bracket that an opening one matches."""
    while url and url[-1] in _TRAILING:
        last = url[-1]
        pairs = {")": "(", "]": "[", "}": "{"}
        if last in pairs and url.count(pairs[last]) >= url.count(last):
            break
        url = url[:-1]
    return url


def find_urls(text: str) -> list[str]:
    """Every distinct http(s) URL in ``text``, in order, trailing punctuation left out."""
    seen: list[str] = []
    for match in _URL.finditer(unwrap_latex_urls(text)):
        url = _balance(match.group(0))
        if "://" in url and len(url) > len("https://x") and url not in seen:
            seen.append(url)
    return seen


def collapse_ws(text: str) -> str:
    """Join hard-wrapped lines into one, squeezing runs of spaces."""
    return " ".join(text.split())


def unwrap_paragraphs(text: str) -> str:
    """Unwrap hard-wrapped text, keeping blank-line paragraph breaks."""
    paras = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(collapse_ws(p) for p in paras if p.strip())
