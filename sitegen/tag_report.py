"""How well the tags tell papers apart: tags on more than half of the papers, and papers
with no tag at all.

Keyword rules drift as a site grows: a word that every abstract uses turns
into a tag on most papers, and a new topic leaves papers untagged. The build
prints this report under ``--verbose`` (from the derived site) and ``sitegen
check`` prints it from the built ``papers.json``; it is a report, not a
problem, so it never fails a build or a strict check. docs/tags.md says how
to act on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sitegen.views import PaperView, SiteData

#: A tag on more than this share of the papers is reported as too broad.
BROAD_SHARE = 0.5
#: Below this many papers every tag covers a large share; broad tags are not reported.
MIN_PAPERS = 10
#: Untagged papers named one by one; the rest are counted.
MAX_NAMED = 10


@dataclass(frozen=True)
class TagReport:
    """Broad tags (name, papers) by falling count, and the papers with no tag."""

    papers: int
    broad: tuple[tuple[str, int], ...]
    untagged: tuple[str, ...]

    def lines(self) -> list[str]:
        """The report as lines for a terminal; empty when there is nothing to say."""
        out = [f"tag {name!r} is on {count} of {self.papers} papers "
               f"({100 * count / self.papers:.0f}%): too broad to tell them apart"
               for name, count in self.broad]
        if self.untagged:
            shown = ", ".join(self.untagged[:MAX_NAMED])
            more = len(self.untagged) - MAX_NAMED
            out.append(f"{len(self.untagged)} of {self.papers} papers have no tag: {shown}"
                       + (f" and {more} more" if more > 0 else ""))
        return out


def make_report(papers: int, counts: Mapping[str, int], untagged: Sequence[str]) -> TagReport:
    """The report for ``papers`` papers, given each tag's paper count and the untagged ones."""
    broad: tuple[tuple[str, int], ...] = ()
    if papers >= MIN_PAPERS:
        broad = tuple(sorted(((name, count) for name, count in counts.items()
                              if count > papers * BROAD_SHARE), key=lambda item: (-item[1],
                                                                                  item[0])))
    return TagReport(papers, broad, tuple(untagged))


def report_of(tagged: Iterable[tuple[str, Sequence[str]]]) -> TagReport:
    """The report over (paper label, its tag names) pairs."""
    counts: dict[str, int] = {}
    untagged: list[str] = []
    total = 0
    for label, names in tagged:
        total += 1
        if not names:
            untagged.append(label)
        for name in set(names):
            counts[name] = counts.get(name, 0) + 1
    return make_report(total, counts, untagged)


def _label(view: PaperView, root: Path) -> str:
    """The paper's content file, relative to the site when it is inside it."""
    path = view.paper.path
    if path is not None and path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    return str(path or view.slug)


def print_tag_report(data: SiteData, root: Path) -> None:
    """Print the report of a derived site, each line led by ``tags:`` (``build --verbose``)."""
    report = report_of((_label(v, root), [t.name for t in v.tags]) for v in data.papers)
    for line in report.lines():
        print(f"tags: {line}", flush=True)


def papers_json_report(path: Path) -> TagReport | None:
    """The report from a built ``papers.json`` (None when the site has none, or it is not
    one that sitegen wrote: ``check`` reports that file's problems elsewhere)."""
    try:
        records = json.loads(path.read_bytes())["papers"]
        tagged = [(str(r["slug"]), [str(t["name"]) for t in r["tags"]]) for r in records]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return report_of(tagged)
