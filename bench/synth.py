"""Deterministic synthetic papers, so that every tool builds exactly the same content.

Each paper is drawn from its own RNG seeded with ``(seed, index)``: paper *i* is
the same whatever the corpus size, so "add one paper" is simply paper *N*.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta

PER_PAGE = 50
DEFAULT_SEED = 20240601
FIRST_DAY = date(2013, 1, 1)
SPAN_DAYS = 12 * 365

TAGS = (
    "llm", "reasoning", "retrieval", "agents", "alignment", "benchmarks", "code-generation",
    "compression", "computer-vision", "continual-learning", "data-curation", "diffusion",
    "distillation", "efficiency", "embeddings", "evaluation", "fairness", "fine-tuning",
    "graph-learning", "hallucination", "inference", "interpretability", "long-context",
    "memory", "multimodal", "optimization", "pretraining", "privacy", "quantization",
    "recommendation", "reinforcement-learning", "robotics", "robustness", "safety",
    "scaling-laws", "speech", "state-space-models", "summarization", "tokenization",
    "transformers",
)
_WORDS = (
    "adaptive", "attention", "baseline", "benchmark", "context", "corpus", "decoder",
    "dense", "efficient", "embedding", "encoder", "evaluation", "expert", "feedback",
    "gradient", "graph", "hierarchical", "inference", "language", "latent", "layer",
    "learning", "memory", "mixture", "model", "modular", "neural", "objective", "optimal",
    "parameter", "policy", "pretrained", "prompt", "query", "reasoning", "recurrent",
    "retrieval", "reward", "robust", "routing", "sampling", "scalable", "sequence",
    "sparse", "structured", "supervised", "synthetic", "task", "token", "training",
    "transfer", "transformer", "uncertainty", "unified", "vector", "vision", "window",
)
_VERBS = (
    "improves", "reduces", "outperforms", "matches", "extends", "simplifies", "stabilizes",
    "accelerates", "generalizes", "explains", "measures", "combines",
)
_FIRST = (
    "Ada", "Ben", "Chen", "Dana", "Eli", "Fatima", "Gao", "Hana", "Ivan", "Jun", "Kai",
    "Lena", "Ming", "Nora", "Omar", "Priya", "Qing", "Rosa", "Sven", "Tara", "Uma",
    "Victor", "Wei", "Xin", "Yara", "Zoe", "Amir", "Bea", "Carlos", "Dmitri",
)
_LAST = (
    "Abe", "Bauer", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Huang", "Ito", "Jensen",
    "Kim", "Li", "Martin", "Nguyen", "Okafor", "Patel", "Quinn", "Rossi", "Sato", "Tan",
    "Ueda", "Vogel", "Wang", "Xu", "Yilmaz", "Zhang", "Lopez", "Novak", "Singh", "Kowalski",
)
# Zipf-like tag popularity: a few big tags, a long tail of small ones.
_TAG_WEIGHTS = tuple(1.0 / (rank + 1) ** 0.8 for rank in range(len(TAGS)))


@dataclass(frozen=True)
class SynthPaper:
    """One synthetic paper, independent of any tool's file format."""

    index: int
    slug: str
    title: str
    date: date
    authors: tuple[str, ...]
    comments: int
    upvotes: int
    tags: tuple[str, ...]
    arxiv: str
    abstract: str


def _sentence(rng: random.Random, words: int) -> str:
    picked = [rng.choice(_WORDS) for _ in range(words)]
    picked.insert(rng.randint(2, words - 1), rng.choice(_VERBS))
    return " ".join(picked).capitalize() + "."


def _abstract(rng: random.Random, slug: str, size: int = 1200) -> str:
    """About ``size`` characters of Markdown: emphasis, a link, inline code, two paragraphs."""
    sentences: list[str] = []
    while sum(len(s) + 1 for s in sentences) < size - 230:
        sentences.append(_sentence(rng, rng.randint(10, 18)))
    first = sentences[0].split(" ")
    first[2] = f"*{first[2]}*"
    sentences[0] = " ".join(first)
    knob = f"`top_k={rng.randint(1, 64)}`"
    sentences[1] += f" The **{rng.choice(_WORDS)}** variant is configured by {knob}."
    sentences.append(f"Code and data are at [the project page](https://example.org/{slug}).")
    half = len(sentences) // 2
    return " ".join(sentences[:half]) + "\n\n" + " ".join(sentences[half:])


def _tags(rng: random.Random) -> tuple[str, ...]:
    count = rng.randint(2, 4)
    chosen: list[str] = []
    while len(chosen) < count:
        tag = rng.choices(TAGS, weights=_TAG_WEIGHTS)[0]
        if tag not in chosen:
            chosen.append(tag)
    return tuple(chosen)


def make_paper(index: int, seed: int = DEFAULT_SEED) -> SynthPaper:
    """Paper number ``index`` of the corpus drawn with ``seed``."""
    rng = random.Random(f"{seed}:{index}")
    title_words = [rng.choice(_WORDS) for _ in range(rng.randint(4, 9))]
    title = " ".join(w.capitalize() for w in title_words)
    if rng.random() < 0.4:
        title = f"{rng.choice(_WORDS).capitalize()}: {title}"
    slug = "-".join(title_words[:6]) + f"-{index:06d}"
    day = FIRST_DAY + timedelta(days=rng.randrange(SPAN_DAYS))
    authors = tuple(f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(rng.randint(1, 8)))
    arxiv = f"{day.year % 100:02d}{day.month:02d}.{10000 + index % 90000:05d}"
    return SynthPaper(
        index=index, slug=slug, title=title, date=day, authors=authors,
        comments=int(rng.expovariate(1 / 12)), upvotes=int(rng.expovariate(1 / 40)),
        tags=_tags(rng), arxiv=arxiv, abstract=_abstract(rng, slug),
    )


def make_papers(count: int, seed: int = DEFAULT_SEED) -> list[SynthPaper]:
    """The first ``count`` papers of the corpus."""
    return [make_paper(index, seed) for index in range(count)]


def edited(paper: SynthPaper, revision: int) -> SynthPaper:
    """``paper`` with one more sentence in its abstract: a typical hand edit."""
    extra = f"\n\nRevision {revision}: the *evaluation* section was extended."
    return replace(paper, abstract=paper.abstract + extra)


def tag_counts(papers: list[SynthPaper]) -> Counter[str]:
    """How many papers carry each tag."""
    return Counter(tag for paper in papers for tag in paper.tags)


def pages(count: int, per_page: int = PER_PAGE) -> int:
    """Pages needed to list ``count`` items (a listing always has at least one page)."""
    return max(1, math.ceil(count / per_page))


def expected_pages(papers: list[SynthPaper], per_page: int = PER_PAGE) -> dict[str, int]:
    """The pages every tool must render: details, home pages, tag pages, the tag list."""
    return {
        "detail": len(papers),
        "index": pages(len(papers), per_page),
        "tag": sum(pages(n, per_page) for n in tag_counts(papers).values()),
        "tag_list": 1,
    }
