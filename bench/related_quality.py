"""Precision@5 of related papers on real papers labelled with their arXiv category.

Reads arXiv inputs as ``sitegen import`` does (an arXiv API Atom response, or
lines of the arXiv metadata snapshot, ``arxiv-metadata-oai-snapshot.json``),
takes each paper's primary category (its first) as its label, and scores
three ways of picking five related papers by how many of the five share the
paper's label:

* **tf-idf**: what the build does (:func:`sitegen.related.compute`);
* **shared tags**: the papers sharing most automatic tags (the default theme's
  tag rules), ties by slug: what a site without related papers offers;
* **random**: the expected precision of five other papers drawn at random,
  computed exactly (same-label papers / other papers).

The *ceiling* is the best any method could do: a paper whose category has
only two others can score at most 2/5. Usage::

    python -m bench.related_quality ../shared/fixtures/arxiv_atom_2025format_all-electron.xml
    python -m bench.related_quality arxiv-metadata-oai-snapshot.json --limit 20000
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sitegen.importers import detect  # noqa: E402
from sitegen.model import Paper  # noqa: E402
from sitegen.related import TOP_K, compute  # noqa: E402
from sitegen.slugs import slugify  # noqa: E402
from sitegen.taxonomy import Tagger, load_rules, paper_tags  # noqa: E402

RULES = Path(__file__).resolve().parent.parent / "themes" / "default" / "tag_rules.toml"


def read_papers(paths: list[str], limit: int) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """``(slug, text, label, tags)`` for every paper with a category, unique by slug."""
    tagger = Tagger(load_rules(RULES))
    seen: dict[str, tuple[str, str, str, tuple[str, ...]]] = {}
    for path in paths:
        text = Path(path).read_text("utf-8")
        if path.endswith((".json", ".jsonl")) and limit:
            text = "\n".join(text.splitlines()[:limit])
        parsed = detect(text, path, None, None).parse(text, path)
        for paper in parsed.papers:
            categories = paper.categories
            if categories:  # the primary category comes first
                slug = slugify(paper.arxiv or paper.title)
                seen[slug] = (slug, f"{paper.title}\n{paper.body}", categories[0],
                              paper_tags(_untagged(paper), tagger))
    return sorted(seen.values())


def _untagged(paper: Paper) -> Paper:
    """The paper without imported tags, so that the tag rules decide (as on a site)."""
    paper.tags = []
    return paper


def by_tags(papers: list[tuple[str, str, str, tuple[str, ...]]]) -> dict[str, list[str]]:
    """Five others per paper, most shared tags first, then slug."""
    out = {}
    for slug, _, _, tags in papers:
        mine = set(tags)
        others = [(-len(mine & set(t)), s) for s, _, _, t in papers if s != slug]
        out[slug] = [s for _, s in sorted(others)[:TOP_K]]
    return out


def precision(lists: dict[str, list[str]] | dict[str, tuple[str, ...]],
              label: dict[str, str]) -> float:
    hits = [sum(label[o] == label[s] for o in others) / TOP_K for s, others in lists.items()]
    return sum(hits) / len(hits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+", help="arXiv Atom or metadata-snapshot files")
    parser.add_argument("--limit", type=int, default=0,
                        help="read at most this many snapshot lines per file (default: all)")
    args = parser.parse_args(argv)
    papers = read_papers(args.inputs, args.limit)
    if len(papers) <= TOP_K:
        print(f"only {len(papers)} papers with a category: too few to score", file=sys.stderr)
        return 1
    label = {slug: category for slug, _, category, _ in papers}
    sizes = Counter(label.values())
    others = len(papers) - 1
    random = sum((sizes[c] - 1) / others for c in label.values()) / len(papers)
    ceiling = sum(min(TOP_K, sizes[c] - 1) / TOP_K for c in label.values()) / len(papers)
    tfidf = precision(compute([(s, t) for s, t, _, _ in papers]), label)
    tags = precision(by_tags(papers), label)
    print(f"papers: {len(papers)}, primary categories: {len(sizes)} "
          f"(largest: {', '.join(f'{c} {n}' for c, n in sizes.most_common(3))})")
    print("| method | precision@5 |\n| --- | ---: |")
    for name, value in (("tf-idf (the build)", tfidf), ("shared tags", tags),
                        ("random (expected)", random), ("ceiling", ceiling)):
        print(f"| {name} | {value:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
