"""The formats beyond the Daily Papers listing, most specific first.

:func:`sitegen.importers.formats` puts them ahead of the listing, whose text
anchors are the loosest. JSON formats are told apart by their keys, XML ones
by their root element, RIS by its ``TY  -`` lines, a saved Hugging Face page
by its links to paper pages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sitegen.importers import (
    Format,
    apis,
    arxiv,
    arxiv_feeds,
    bibtex,
    hf_api,
    hf_capture,
    ris,
)
from sitegen.importers.base import Parsed


def _capture(listed: date | None) -> Callable[[str, str], Parsed]:
    return lambda text, label: hf_capture.parse(text, label, listed)


def formats(listed: date | None = None) -> list[Format]:
    """The extra formats in detection order."""
    return [
        Format("arxiv-jsonl", arxiv.looks_like_jsonl, arxiv.parse_jsonl),
        Format("hf-api", hf_api.looks_like, hf_api.parse),
        Format("openalex", apis.looks_like_openalex, apis.parse_openalex),
        Format("semantic-scholar", apis.looks_like_s2, apis.parse_s2),
        Format("csl-json", apis.looks_like_csl, apis.parse_csl),
        Format("arxiv-atom", arxiv.looks_like_atom, arxiv.parse_atom),
        Format("arxiv-rss", arxiv_feeds.looks_like_rss, arxiv_feeds.parse_rss),
        Format("arxiv-oai", arxiv_feeds.looks_like_oai, arxiv_feeds.parse_oai),
        Format("ris", ris.looks_like, ris.parse),
        Format("bibtex", bibtex.looks_like, bibtex.parse),
        Format("hf-capture", hf_capture.looks_like, _capture(listed)),
    ]
