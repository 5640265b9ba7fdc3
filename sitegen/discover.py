"""The derive stage's site-wide links between papers: related papers, author and
organisation pages, and each paper's social image.

Called by :func:`sitegen.derive.derive_site` once the paper views exist; the
computing is in :mod:`sitegen.related` (TF-IDF) and :mod:`sitegen.people`
(name keys and slugs). What it sets on a :class:`~sitegen.views.PaperView`
(``related``, ``author_refs``, ``org_ref``, ``image``) is part of the paper
page's key (see :func:`sitegen.pages.discovery_key`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sitegen.config import Config
from sitegen.errors import Problem
from sitegen.people import Grouping, group_orgs, group_people, org_key, person_key
from sitegen.related import related_lists
from sitegen.views import GroupView, PaperView, PersonRef

THUMBS = "thumbs"  # the site's static/thumbs/<slug>.webp, fetched by ``sitegen import``


@dataclass
class Discovery:
    """What :func:`link_site` made besides the views' own fields."""

    authors: list[GroupView]
    orgs: list[GroupView]
    warnings: list[Problem]


def link_site(views: list[PaperView], config: Config, cache_dir: Path,
              parallel: bool = False) -> Discovery:
    """Set every view's related papers, author and organisation links and social image."""
    texts = [(v.slug, f"{v.title}\n{v.paper.body}") for v in views]
    lists = related_lists(texts, cache_dir, parallel) if config.related_papers else {}
    by_slug = {v.slug: v for v in views}
    for view in views:
        view.related = [by_slug[slug] for slug in lists.get(view.slug, ())]
    highlight = {person_key(name) for name in config.highlight_authors}
    people = group_people([v.paper.authors for v in views])
    authors = _pages("author", "authors", people, views, highlight)
    for view in views:
        view.author_refs = [_ref(name, people, "authors", highlight) for name in view.authors]
    orgs = group_orgs([(o.id, o.name) if (o := v.organization) else None for v in views])
    org_pages = _pages("org", "orgs", orgs, views, set())
    for view in views:
        org = view.organization
        group = orgs.by_key.get(org_key(org.id) or org_key(org.name)) if org else None
        if org is not None and group is not None:
            view.org_ref = PersonRef(org.name, group.slug, f"orgs/{group.slug}/")
    _set_images(views, config)
    return Discovery(authors, org_pages,
                     _clash_warnings(people, "authors") + _clash_warnings(orgs, "orgs"))


def _ref(name: str, grouping: Grouping, folder: str, highlight: set[str]) -> PersonRef:
    key = person_key(name)
    group = grouping.by_key.get(key)
    if group is None:  # a name with no letters at all: shown, not linked
        return PersonRef(name, "", "", False)
    return PersonRef(name, group.slug, f"{folder}/{group.slug}/", key in highlight)


def _pages(kind: str, folder: str, grouping: Grouping, views: list[PaperView],
           highlight: set[str]) -> list[GroupView]:
    return [GroupView(kind, g.name, g.slug, f"{folder}/{g.slug}/", [views[i] for i in g.members],
                      g.key in highlight) for g in grouping.groups]


def _clash_warnings(grouping: Grouping, folder: str) -> list[Problem]:
    return [Problem("", 0, f"{name!r} and {other!r} would share a page address; "
                           f"{name!r} gets {folder}/{slug}/ (write one spelling if they are "
                           "one)")
            for slug, name, other in grouping.clashes]


def _set_images(views: list[PaperView], config: Config) -> None:
    """A paper's social image: its fetched thumbnail when the site has one, else its own
    card (``social_cards``), else the site's card, drawn once."""
    try:
        thumbs = set(os.listdir(config.root / "static" / THUMBS))
    except OSError:
        thumbs = set()
    for view in views:
        name = f"{view.slug}.webp"
        card = f"{view.path}card.png" if config.social_cards else "card.png"
        view.image = f"{THUMBS}/{name}" if name in thumbs else card
