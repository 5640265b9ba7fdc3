"""Time the automatic tagger: one regular expression per tag (the old way, kept in
``tests/test_tagger_diff.py`` as the oracle), one combined expression, and the
one-pass Aho-Corasick tagger sitegen uses, on the theme's rules and synthetic papers.

    python -m bench.tagger --papers 3000
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import synth  # noqa: E402
from sitegen.taxonomy import Tagger, _pattern, _words, load_rules, normalize_tag  # noqa: E402
from tests.test_tagger_diff import OldTagger  # noqa: E402

LISTING_REPEAT = 20
BOUNDARY = r"(?<![\w-])"
RULES = Path(__file__).resolve().parent.parent / "themes" / "default" / "tag_rules.toml"


def combined(rules: dict[str, list[str]]) -> Callable[[str, str], set[str]]:
    """One expression, a named group per tag inside a lookahead: every word start is
    tried once (it misses a second tag starting at the same place; timing only)."""
    groups, names = [], {}
    for number, (tag, words) in enumerate(sorted(rules.items())):
        pattern = _pattern(words)
        if pattern is None or not _words(words):
            continue
        names[f"t{number}"] = normalize_tag(tag)
        inner = pattern.removeprefix(BOUNDARY)
        groups.append(f"(?P<t{number}>{inner})")
    regex = re.compile(r"(?<![\w-])(?=" + "|".join(groups) + ")")

    def tags_for(title: str, body: str) -> set[str]:
        text = f"{title}\n{body}".casefold()
        return {names[m.lastgroup] for m in regex.finditer(text) if m.lastgroup}
    return tags_for


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tagger")
    parser.add_argument("--papers", type=int, default=3000)
    args = parser.parse_args(argv)
    rules = load_rules(RULES)
    from sitegen.importers.listing import parse_listing

    listing = RULES.parent.parent.parent / "examples" / "hf-daily-papers-2026-01-09.txt"
    corpora = {
        f"{args.papers} synthetic papers": [(p.title, p.abstract)
                                            for p in synth.make_papers(args.papers)],
        f"the example listing, x{LISTING_REPEAT}": [
            (p.title, p.body) for p in parse_listing(listing.read_text("utf-8"),
                                                     listing.name).papers] * LISTING_REPEAT,
    }
    taggers: dict[str, Callable[[str, str], object]] = {
        "one expression per tag (before)": OldTagger(rules).tags_for,
        "one combined expression": combined(rules),
        "Aho-Corasick, one pass (now)": Tagger(rules).tags_for,
    }
    for corpus, texts in corpora.items():
        print(f"{len(rules)} rules, {corpus}; CPU µs per paper:")
        for name, tags_for in taggers.items():
            started = time.process_time()
            for title, body in texts:
                tags_for(title, body)
            print(f"  {name}: {(time.process_time() - started) / len(texts) * 1e6:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
