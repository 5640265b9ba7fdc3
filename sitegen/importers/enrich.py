"""Look up papers that a listing left without an arXiv id: by title, on arXiv and Hugging Face.

A copied Daily Papers page gives a title, an abstract, a count of authors and a
date. This module asks the arXiv API's title search and the Hugging Face
papers search for each such title, reads the answers with the importers'
own parsers (:mod:`~sitegen.importers.arxiv`, :mod:`~sitegen.importers.hf_api`)
and decides, without guessing, whether one of the candidates is the paper:

* title similarity: :func:`similarity`, the ``difflib`` ratio of the two
  titles after :func:`~sitegen.model.normalize_title` (case, punctuation and
  spacing ignored), from 0 to 1; a match needs at least ``threshold``
  (:data:`THRESHOLD`, 0.9);
* an agreeing date: the candidate's first-version date within
  ``date_window`` days (:data:`DATE_WINDOW`, 7) of the paper's date;
* exactly one such candidate. Two or more are *ambiguous*; a candidate with
  the title but not the date is *refused*; the best one below the threshold
  (from :data:`WEAK_FLOOR` up) is *weak*. None of these is applied: they are
  listed with their scores for a person to decide.

Requests are paced (``arxiv_pace`` seconds between two arXiv requests, 3 by
default as arXiv asks) and every answer is kept in ``.sitegen-cache/enrich/``
so that a second run asks nothing the first one asked.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import secrets
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sitegen.errors import InputError
from sitegen.importers import arxiv as arxiv_format
from sitegen.importers import hf_api
from sitegen.importers.base import Parsed
from sitegen.importers.fetch import DEADLINE, Opener, default_opener, fetch_text
from sitegen.model import Paper, normalize_arxiv, normalize_title

ARXIV_ENDPOINT = "http://export.arxiv.org/api/query"
HF_ENDPOINT = "https://huggingface.co/api/papers/search"
ARXIV_PACE = 3.0  # seconds between two arXiv API requests, as arXiv asks
HF_PACE = 1.0
THRESHOLD = 0.9  # the title similarity a match needs
DATE_WINDOW = 7  # days a match's date may differ from the paper's
WEAK_FLOOR = 0.5  # below this a candidate is not worth listing
MAX_RESULTS = 5  # candidates asked of each source


@dataclass(frozen=True)
class Settings:
    """Where and how to look papers up (the ``[enrich]`` table of ``sitegen.toml``)."""

    arxiv_endpoint: str = ARXIV_ENDPOINT
    hf_endpoint: str = HF_ENDPOINT
    arxiv_pace: float = ARXIV_PACE
    hf_pace: float = HF_PACE
    threshold: float = THRESHOLD
    date_window: int = DATE_WINDOW

    @classmethod
    def from_table(cls, table: dict[str, Any] | None) -> Settings:
        """Settings from the checked ``[enrich]`` table (``config_values.ENRICH_KEYS``)."""
        values = dict(table or {})
        for key in ("arxiv_pace", "hf_pace", "threshold"):
            if key in values:
                values[key] = float(values[key])
        return cls(**values)


@dataclass(frozen=True)
class Candidate:
    """A paper a source offered for a title: what a match would fill in."""

    arxiv: str
    title: str
    date: date
    authors: tuple[str, ...] = ()
    doi: str | None = None
    code: str | None = None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scored:
    """A candidate with its title similarity and how many days its date is off."""

    candidate: Candidate
    score: float
    days: int

    def describe(self) -> str:
        return (f"arXiv {self.candidate.arxiv} \"{self.candidate.title}\" (title "
                f"{self.score:.2f}, {self.candidate.date.isoformat()}, {self.days} days off)")


@dataclass
class Decision:
    """What to do with one paper: ``matched`` (``chosen`` is set), or why not."""

    verdict: str  # matched, ambiguous, date, weak, none, failed
    chosen: Scored | None = None
    listed: list[Scored] = field(default_factory=list)
    reason: str = ""


def similarity(a: str, b: str) -> float:
    """How alike two titles are, from 0 to 1, ignoring case, punctuation and spacing."""
    return difflib.SequenceMatcher(None, normalize_title(a), normalize_title(b),
                                   autojunk=False).ratio()


def decide(paper: Paper, candidates: list[Candidate], settings: Settings) -> Decision:
    """Match ``paper`` to at most one candidate; never a guess (see the module docs)."""
    scored = sorted((Scored(c, similarity(paper.title, c.title), (c.date - paper.date).days)
                     for c in candidates), key=lambda s: (-s.score, abs(s.days), s.candidate.arxiv))
    strong = [s for s in scored if s.score >= settings.threshold]
    agreeing = [s for s in strong if abs(s.days) <= settings.date_window]
    if len(agreeing) == 1:
        return Decision("matched", agreeing[0], [s for s in strong if s is not agreeing[0]])
    if agreeing:
        return Decision("ambiguous", None, agreeing,
                        f"{len(agreeing)} candidates reach title similarity "
                        f"{settings.threshold:.2f} with an agreeing date")
    if strong:
        return Decision("date", None, strong,
                        f"the title matches but no date is within {settings.date_window} days "
                        f"of {paper.date.isoformat()}")
    weak = [s for s in scored if s.score >= WEAK_FLOOR][:3]
    if weak:
        return Decision("weak", None, weak,
                        f"the closest title is below the threshold {settings.threshold:.2f}")
    return Decision("none", None, [], "no candidate with a similar title")


class Lookup:
    """Asks the sources, paced per source, with every answer kept on disk."""

    def __init__(self, settings: Settings, cache_dir: Path, opener: Opener | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.cache_dir = cache_dir
        self.opener = opener or default_opener()
        self.clock = clock
        self.sleep = sleep
        self.requests = 0
        self.cached = 0
        self._last: dict[str, float] = {}

    def candidates(self, title: str) -> list[Candidate]:
        """Every candidate both sources offer for ``title``, one per arXiv id."""
        words = normalize_title(title)
        query = urllib.parse.urlencode({"search_query": f'ti:"{words}"', "start": 0,
                                        "max_results": MAX_RESULTS})
        atom_url = f"{self.settings.arxiv_endpoint}?{query}"
        hf_url = f"{self.settings.hf_endpoint}?{urllib.parse.urlencode({'q': title})}"
        atom = arxiv_format.parse_atom(self.get(atom_url, "arxiv", self.settings.arxiv_pace),
                                       atom_url)
        self._check(atom, atom_url, "arXiv API error")
        hf_text = self.get(hf_url, "hf", self.settings.hf_pace)
        hf = hf_api.parse(hf_text, hf_url)
        self._check(hf, hf_url, "" if hf_text.strip() != "[]" else None)
        return _merge(_from_papers(atom.papers, "arXiv") + _from_papers(hf.papers, "Hugging Face"))

    def _check(self, parsed: Parsed, url: str, marker: str | None) -> None:
        """Raise when an answer held no paper and a problem containing ``marker`` (an error
        answer, or one that could not be read); it is dropped from the cache, to ask again."""
        if parsed.papers or marker is None:
            return
        problems = [p for p in parsed.warnings if marker in p.message]
        if problems:
            self._path(url).unlink(missing_ok=True)
            raise InputError(*problems)

    def _path(self, url: str) -> Path:
        return self.cache_dir / (hashlib.sha256(url.encode("utf-8")).hexdigest() + ".txt")

    def get(self, url: str, source: str, pace: float) -> str:
        """The text at ``url``: from the cache, or fetched no sooner than ``pace`` seconds
        after the previous request to ``source``, then kept."""
        path = self._path(url)
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            pass
        else:
            self.cached += 1
            return text
        wait = self._last.get(source, float("-inf")) + pace - self.clock()
        if wait > 0:
            self.sleep(wait)
        self._last[source] = self.clock()
        self.requests += 1
        try:
            text = fetch_text(url, self.opener, DEADLINE)
        finally:
            self._last[source] = self.clock()
        _keep(path, text)
        return text


def _keep(path: Path, text: str) -> None:
    """Write a cache entry whole or not at all (a rename), so a crash leaves no half answer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(text, "utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _from_papers(papers: list[Paper], source: str) -> list[Candidate]:
    """Candidates from papers parsed out of a search answer (those with an arXiv id)."""
    out = []
    for paper in papers:
        arxiv_id = normalize_arxiv(paper.arxiv or "")
        if not arxiv_id:
            continue
        code = next((link.url for link in paper.links if link.kind == "code"), None)
        out.append(Candidate(arxiv_id, paper.title, paper.date, tuple(paper.authors),
                             paper.doi, code, (source,)))
    return out


def _merge(found: list[Candidate]) -> list[Candidate]:
    """One candidate per arXiv id: arXiv's record first (its names, date and DOI), filled in
    with what Hugging Face adds (a code repository, names arXiv did not give)."""
    merged: dict[str, Candidate] = {}
    for cand in found:
        have = merged.get(cand.arxiv)
        if have is None:
            merged[cand.arxiv] = cand
            continue
        merged[cand.arxiv] = Candidate(
            have.arxiv, have.title, have.date, have.authors or cand.authors,
            have.doi or cand.doi, have.code or cand.code, have.sources + cand.sources)
    return list(merged.values())


def lookup_failed(exc: InputError) -> Decision:
    """The decision for a paper whose lookup could not be made (offline, server error)."""
    return Decision("failed", None, [], "; ".join(str(p) for p in exc.problems))
