"""The one-pass tagger decides exactly what the rules' regular expressions decide.

The oracle is the tagger sitegen had before (one regular expression per tag,
searched one after the other), kept here verbatim. Both run over the example
listing, the repository's and the golden site's papers, 10,000 synthetic
papers (``bench.synth``), generated texts built to hit word boundaries, and on
the theme's current rules file as well as rule sets made to be awkward.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import synth
from sitegen.frontmatter import parse_paper
from sitegen.importers.listing import parse_listing
from sitegen.taxonomy import Tagger, load_rules, normalize_tag

pytestmark = pytest.mark.corpus

REPO = Path(__file__).resolve().parent.parent
RULES_FILE = REPO / "themes" / "default" / "tag_rules.toml"


def _old_pattern(words: list[str]) -> re.Pattern[str] | None:
    parts = []
    for word in sorted({w.strip().casefold() for w in words if w.strip()}):
        stem = word.rstrip("*")
        body = r"\s+".join(re.escape(piece) for piece in stem.split())
        parts.append(body + (r"[\w-]*" if word.endswith("*") else ""))
    if not parts:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")


class OldTagger:
    """The tagger as it was: one regular expression per tag, searched in turn."""

    def __init__(self, rules: dict[str, list[str]]) -> None:
        self.rules: list[tuple[str, re.Pattern[str]]] = []
        for tag, words in sorted(rules.items()):
            pattern = _old_pattern(words)
            name = normalize_tag(tag)
            if pattern is not None and name:
                self.rules.append((name, pattern))

    def tags_for(self, title: str, body: str) -> list[str]:
        text = f"{title}\n{body}".casefold()
        return [name for name, pattern in self.rules if pattern.search(text)]


EXTRA_RULES: dict[str, dict[str, list[str]]] = {
    "overlapping stems": {
        "long context": ["long context", "long-context", "long sequence*"],
        "memory": ["memory", "long-term memory", "memory-augmented", "mem*"],
        "model": ["model", "models", "language model*", "large language model*"],
        "rl": ["rl", "rlhf", "reinforcement learning", "reinforcement*"],
        "Model ": ["MODEL*"],  # the same tag once normalised, upper case in the rules
    },
    "odd words": {
        "c++": ["c++", "c#", "a.b", "(x)", "1-bit", "gpt-*", "-", "--*", "_*"],
        "spaces": ["  review   of  ", "state\tspace model*", "a b c d"],
        "unicode": ["straße", "ﬁne-tuning", "naïve*", "ÉCOLE", "σ"],
        "everything": ["*"],
        "empty": ["", "   "],
        "": ["nameless"],
    },
    "one letter": {letter: [letter, letter + "*"] for letter in "abcdefghijklmnopqrstuvwxyz"},
}


def _example_texts() -> list[tuple[str, str]]:
    listing = REPO / "examples" / "hf-daily-papers-2026-01-09.txt"
    texts = [(p.title, p.body) for p in parse_listing(listing.read_text("utf-8"),
                                                       listing.name).papers]
    for folder in (REPO / "content" / "papers", REPO / "tests" / "sites" / "golden"):
        for path in sorted(folder.rglob("*.md")):
            if "papers" in path.parts:
                paper, _problems = parse_paper(path.read_text("utf-8"), str(path))
                if paper is not None:
                    texts.append((paper.title, paper.body))
    return texts


def _rule_sets() -> list[tuple[str, dict[str, list[str]]]]:
    return [("theme", load_rules(RULES_FILE)), *EXTRA_RULES.items()]


def _same(rules: dict[str, list[str]], texts: list[tuple[str, str]]) -> int:
    """Assert both taggers agree on every text; how many texts got any tag."""
    old, new = OldTagger(rules), Tagger(rules)
    tagged = 0
    for title, body in texts:
        expected = list(dict.fromkeys(old.tags_for(title, body)))
        assert new.tags_for(title, body) == expected, (title, body[:200])
        tagged += bool(expected)
    return tagged


@pytest.mark.parametrize("name,rules", _rule_sets(), ids=[n for n, _ in _rule_sets()])
def test_example_site(name: str, rules: dict[str, list[str]]) -> None:
    texts = _example_texts()
    assert len(texts) > 20
    tagged = _same(rules, texts)
    if name == "theme":  # the comparison means something only if the rules fire
        assert tagged > len(texts) // 2


@pytest.mark.slow
def test_synthetic_corpus_of_10000() -> None:
    texts = [(p.title, p.abstract) for p in synth.make_papers(10_000, synth.DEFAULT_SEED)]
    for _name, rules in _rule_sets():
        _same(rules, texts)


def test_token_names_the_rules() -> None:
    rules = load_rules(RULES_FILE)
    assert Tagger(rules).token == Tagger(dict(reversed(rules.items()))).token
    changed = {**rules, "llm": [*rules.get("llm", []), "foundation model*"]}
    assert Tagger(rules).token != Tagger(changed).token


_ALPHABET = "ab -_\n\t.Ál1ß\u2003\x1c\xa0"  # Unicode white space too: \s and str.split
_WORDS = ["a", "ab", "a b", "a-b", "ab*", "a*", "b a", "-", "l1", "á", "ss", "ß*", "b-*"]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from("xyz"), st.lists(st.sampled_from(_WORDS), max_size=4),
                       max_size=3),
       st.lists(st.text(alphabet=_ALPHABET, max_size=30), min_size=1, max_size=5))
def test_generated_boundaries(rules: dict[str, list[str]], bodies: list[str]) -> None:
    _same(rules, [(body[:5], body) for body in bodies])


def test_random_word_soup() -> None:
    rng = random.Random(7)
    vocab = ["language", "model", "models", "large", "long", "context", "-", "memory",
             "rl", "rlhf", "gpt-4", "GPT", "Review", "of", "\n", "  ", ",", "state", "space"]
    texts = [(" ".join(rng.choices(vocab, k=5)), " ".join(rng.choices(vocab, k=80)))
             for _ in range(2000)]
    for _name, rules in _rule_sets():
        _same(rules, texts)
