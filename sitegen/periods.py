"""Pages by listing date and the trending list, computed from all papers (derive stage).

A paper's listing date (``listed``) puts it on a day page (``date/2026-01-09/``),
an ISO-week page (``week/2026-W02/``) and a month page (``month/2026-01/``),
each linked to the previous and next period that has papers, as the Hugging
Face papers pages are. Trending ranks papers by the upvotes gained over the
last 7 days of recorded ``counts``, counted back from the newest date recorded
in the whole site, never from the clock: the same content gives the same site.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sitegen.views import PaperView, PeriodView, Trending, TrendingItem

TRENDING_DAYS = 7
KINDS = ("date", "week", "month")


def _day(listed: date) -> tuple[str, str]:
    return listed.isoformat(), f"{listed:%B} {listed.day}, {listed.year}"


def _week(listed: date) -> tuple[str, str]:
    year, week, _ = listed.isocalendar()
    monday = date.fromisocalendar(year, week, 1)
    sunday = monday + timedelta(days=6)
    return (f"{year}-W{week:02d}",
            f"Week {week}, {year} ({monday:%b} {monday.day} – {sunday:%b} {sunday.day})")


def _month(listed: date) -> tuple[str, str]:
    return f"{listed.year:04d}-{listed.month:02d}", f"{listed:%B} {listed.year}"


_NAMING: dict[str, Callable[[date], tuple[str, str]]] = {
    "date": _day, "week": _week, "month": _month}


def _by_votes(view: PaperView) -> tuple[int, int]:
    return -(view.upvotes or 0), -(view.comments or 0)


def listing_periods(views: list[PaperView]) -> dict[str, list[PeriodView]]:
    """Days, weeks and months of listing dates, newest first, each kind linked in order.

    Papers within a period are ordered by upvotes, then comments, then site order.
    """
    out: dict[str, list[PeriodView]] = {}
    for kind in KINDS:
        found: dict[str, PeriodView] = {}
        for view in views:
            if view.paper.listed is None:
                continue
            name, label = _NAMING[kind](view.paper.listed)
            if name not in found:
                found[name] = PeriodView(kind, name, label, f"{kind}/{name}/")
            found[name].papers.append(view)
        periods = [found[name] for name in sorted(found, reverse=True)]
        for period in periods:
            period.papers.sort(key=_by_votes)  # stable: site order among equals
        for newer, older in zip(periods, periods[1:], strict=False):
            newer.older, older.newer = older, newer
        out[kind] = periods
    return out


def trending(views: list[PaperView]) -> Trending:
    """Papers by upvotes gained over the last :data:`TRENDING_DAYS` days of recorded counts.

    The gain is the newest count in the window minus the last count before it; a paper
    first seen within the window gained all its upvotes there. Ties: more upvotes first,
    then site order.
    """
    days = [day for view in views for day in view.paper.counts]
    if not days:
        return Trending()
    until = max(days)
    since = until - timedelta(days=TRENDING_DAYS - 1)
    items = []
    for view in views:
        counts = view.paper.counts
        inside = [day for day in counts if since <= day <= until]
        if not inside:
            continue
        newest = counts[max(inside)][0] or 0
        before = [day for day in counts if day < since]
        base = (counts[max(before)][0] or 0) if before else 0
        items.append(TrendingItem(view, max(newest - base, 0), newest))
    items.sort(key=lambda item: (-item.gain, -item.upvotes))
    return Trending(items, since, until)
