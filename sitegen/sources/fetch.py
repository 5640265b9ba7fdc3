"""Fetch one source politely and parse what it gives through the importers' formats.

Polite means: the importers' downloader (timeouts, a deadline, a size limit,
a ``User-Agent``), a pause between requests to one service (arXiv asks for 3
seconds), and retries with growing waits on 429, 5xx and network failures,
honouring ``Retry-After`` up to a cap. Every kind but ``hf-daily`` goes through
the importers' format detection, so a format added there is read here too.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime

from sitegen.errors import InputError, Problem
from sitegen.importers import detect
from sitegen.importers.base import Parsed
from sitegen.importers.fetch import Opener, ServerAnswered, Unreachable, fetch_text
from sitegen.model import Paper
from sitegen.sources.spec import MAX_DAYS, SourceSpec

ARXIV_PAUSE = 3.0  # seconds between requests to arXiv, as it asks
HF_PAUSE = 0.5  # seconds between requests to Hugging Face: one date after another


@dataclass
class Politeness:
    """How hard to try and how long to wait; tests make the waits short."""

    retries: int = 3  # tries after the first
    backoff: float = 2.0  # seconds before the first retry, doubled for each next one
    retry_cap: float = 60.0  # the longest wait, whatever Retry-After asks
    pauses: dict[str, float] = field(default_factory=lambda: {
        "arxiv": ARXIV_PAUSE, "hf": HF_PAUSE})
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _last: dict[str, float] = field(default_factory=dict)

    def wait_turn(self, service: str) -> None:
        """Sleep until ``service``'s pause since its last request has passed."""
        pause = self.pauses.get(service, 0.0)
        last = self._last.get(service)
        if last is not None and pause > 0:
            left = last + pause - self.clock()
            if left > 0:
                self.sleep(left)
        self._last[service] = self.clock()

    def retry_wait(self, attempt: int, error: InputError) -> float | None:
        """Seconds to wait before try ``attempt`` + 1, or None when not worth retrying."""
        if attempt >= self.retries:
            return None
        if isinstance(error, ServerAnswered):
            if error.code != 429 and error.code < 500:
                return None
            asked = retry_after_seconds(error.retry_after)
            if asked is not None:
                return min(asked, self.retry_cap)
        elif not isinstance(error, Unreachable):
            return None
        return min(self.backoff * 2 ** attempt, self.retry_cap)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date from now; None if neither."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - (now or datetime.now(when.tzinfo))).total_seconds())


def get(url: str, service: str, opener: Opener, polite: Politeness) -> str:
    """The text at ``url``, waiting ``service``'s turn and retrying what may pass."""
    attempt = 0
    while True:
        polite.wait_turn(service)
        try:
            return fetch_text(url, opener)
        except InputError as exc:
            wait = polite.retry_wait(attempt, exc)
            if wait is None:
                raise
        polite.sleep(wait)
        attempt += 1


@dataclass
class Fetched:
    """What one source gave: papers (counts recorded for ``today``) and warnings."""

    papers: list[Paper] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def dates_to_fetch(spec: SourceSpec, today: date, last: date | None) -> list[date]:
    """The days since the last successful run, and always the last ``days`` days (so counts
    are seen again), at most :data:`MAX_DAYS` back, oldest first."""
    start = today - timedelta(days=spec.days - 1)
    if last is not None and last < today:
        start = min(start, last + timedelta(days=1))
    start = max(start, today - timedelta(days=MAX_DAYS - 1))
    return [start + timedelta(days=n) for n in range((today - start).days + 1)]


def _with_query(url: str, **params: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query) + list(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _requests(spec: SourceSpec, today: date, last: date | None) -> list[tuple[str, date | None]]:
    """Each URL to fetch, with the listing date it stands for (hf-daily only)."""
    if spec.kind == "hf-daily":
        return [(_with_query(spec.url, date=day.isoformat()), day)
                for day in dates_to_fetch(spec, today, last)]
    if spec.kind == "arxiv-query":
        return [(_with_query(spec.url, search_query=spec.query, start="0",
                             max_results=str(spec.max_papers), sortBy="submittedDate",
                             sortOrder="descending"), None)]
    return [(spec.url, None)]


def _service(spec: SourceSpec, url: str) -> str:
    host = urllib.parse.urlsplit(url).hostname or ""
    if spec.kind.startswith("arxiv") or host.endswith("arxiv.org"):
        return "arxiv"
    return "hf" if spec.kind == "hf-daily" or host.endswith("huggingface.co") else host


def _parse(spec: SourceSpec, text: str, label: str) -> Parsed:
    """Parse through the importers' formats: ``hf-daily`` answers are Hugging Face API
    JSON, ``arxiv-query`` answers arXiv API Atom; ``arxiv-feed`` and ``url`` are recognised
    from their content (or named by ``format``): rss.arxiv.org answers RSS 2.0 (``arxiv-rss``)
    or RSS-flavoured Atom (``arxiv-atom``), and detection tells them apart."""
    names = {"hf-daily": "hf-api", "arxiv-query": "arxiv-atom"}
    fmt = detect(text, label, spec.format or names.get(spec.kind), None)
    return fmt.parse(text, label)


def fetch_source(spec: SourceSpec, today: date, last: date | None, opener: Opener,
                 polite: Politeness) -> Fetched:
    """Every paper of one source for this run; an InputError when any request fails."""
    result = Fetched()
    for url, day in _requests(spec, today, last):
        text = get(url, _service(spec, url), opener, polite)
        result.requests.append(url)
        if spec.kind == "hf-daily" and text.strip() == "[]":
            continue  # a day without papers (a weekend): nothing to read, nothing wrong
        parsed = _parse(spec, text, url)
        result.warnings.extend(parsed.warnings)
        if not parsed.papers and not parsed.warnings:  # never skipped without a word
            result.warnings.append(Problem(url, 0, "no paper found in this answer"))
        for paper in parsed.papers:
            if day is not None:  # the day's list is what hf-daily reads: that is its date
                paper.listed = day
            if paper.upvotes is not None or paper.comments is not None:
                paper.counts = {today: (paper.upvotes, paper.comments)}
            result.papers.append(paper)
    if len(result.papers) > spec.max_papers:
        result.warnings.append(Problem(spec.name, 0, (
            f"gave {len(result.papers)} papers; only the first {spec.max_papers} were taken "
            "(max_papers)")))
        del result.papers[spec.max_papers:]
    return result
