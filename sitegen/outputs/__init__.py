"""Outputs besides HTML pages (feeds, sitemap, data files, host files, search).

Each output module turns :class:`~sitegen.pages.SiteData` into jobs; post-processors
run over the finished staging tree before it is swapped in.
"""

from __future__ import annotations

from pathlib import Path

from sitegen.pages import Job, SiteData
from sitegen.render import Renderer


def output_jobs(data: SiteData, renderer: Renderer) -> list[Job]:
    """Every non-page output file."""
    return []


def post_process(data: SiteData, staging: Path, changed: bool) -> None:
    """Steps that need the complete tree (search indexing)."""
    return None
