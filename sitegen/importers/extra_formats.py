"""The formats beyond the Daily Papers listing: Hugging Face API, arXiv and BibTeX.

They are listed most specific first; :func:`sitegen.importers.formats` puts
them ahead of the listing, whose text anchors are the loosest.
"""

from __future__ import annotations

from sitegen.importers import Format, arxiv, bibtex, hf_api


def formats() -> list[Format]:
    """The extra formats in detection order."""
    return [
        Format("arxiv-jsonl", arxiv.looks_like_jsonl, arxiv.parse_jsonl),
        Format("hf-api", hf_api.looks_like, hf_api.parse),
        Format("arxiv-atom", arxiv.looks_like_atom, arxiv.parse_atom),
        Format("bibtex", bibtex.looks_like, bibtex.parse),
    ]
