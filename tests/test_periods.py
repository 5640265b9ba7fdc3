"""Trending and the listing-day, week and month pages, from content files written here.

The papers are made up for the test (titles, counts and dates chosen to make
each rule visible); what is checked is the built HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from sitegen.scaffold import init_site

CliResult = tuple[int, str, str]
Run = Callable[[list[str]], CliResult]


def _paper(title: str, listed: str, counts: dict[str, tuple[int, int]]) -> str:
    lines = "".join(f"  {day}: [{up}, {com}]\n" for day, (up, com) in counts.items())
    return (f'---\ntitle: "{title}"\ndate: 2025-12-01\nlisted: {listed}\n'
            + (f"counts:\n{lines}" if lines else "") + "---\n\nAn abstract.\n")


def _site(tmp_path: Path, papers: dict[str, str]) -> Path:
    site = tmp_path / "site"
    init_site(site)
    config = site / "sitegen.toml"
    config.write_text("search = false\n" + config.read_text("utf-8"), "utf-8")
    for name, text in papers.items():
        (site / "content" / "papers" / f"{name}.md").write_text(text, "utf-8")
    return site


def _main(html: str) -> str:
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def test_trending_counts_the_last_seven_recorded_days(tmp_path: Path, run_cli: Run) -> None:
    site = _site(tmp_path, {
        # 104 on the last day before the window (Jan 2), 110 at its end: gained 6.
        "old-favourite": _paper("Old favourite", "2025-12-30",
                                {"2025-12-20": (100, 5), "2026-01-02": (104, 5),
                                 "2026-01-09": (110, 6)}),
        # First seen inside the window: all its 25 upvotes are gains.
        "newcomer": _paper("Newcomer", "2026-01-08", {"2026-01-08": (3, 0),
                                                      "2026-01-09": (25, 1)}),
        # Last seen before the window: not trending.
        "faded": _paper("Faded", "2025-12-01", {"2025-12-01": (500, 9)}),
        "no-counts": _paper("Never counted", "2026-01-09", {}),
    })
    code, _, err = run_cli(["build", "--site", str(site)])
    assert code == 0, err
    public = site / "public"
    trend = _main((public / "trending" / "index.html").read_text("utf-8"))
    assert "from 2026-01-03 to 2026-01-09" in trend  # the newest recorded day, not today
    gains = re.findall(r'<p class="gain">\+(\d+) upvotes?</p>\s*<article class="card">\s*'
                       r'<h2 class="card-title"><a href="[^"]+">([^<]+)</a>', trend)
    assert gains == [("25", "Newcomer"), ("6", "Old favourite")]

    week = _main((public / "week" / "2026-W01" / "index.html").read_text("utf-8"))
    assert "Old favourite" in week and "Week 1, 2026 (Dec 29 – Jan 4)" in week
    assert 'href="/week/2026-W02/"' in week  # the next week with papers
    month = _main((public / "month" / "2025-12" / "index.html").read_text("utf-8"))
    assert month.index("Faded") < month.index("Old favourite")  # by upvotes
    assert 'rel="next" href="/month/2026-01/"' in month
    day = _main((public / "date" / "2026-01-09" / "index.html").read_text("utf-8"))
    assert "Never counted" in day and 'rel="prev" href="/date/2026-01-08/"' in day
    assert not (public / "date" / "2026-01-07").exists()


def test_the_pages_can_be_left_out(tmp_path: Path, run_cli: Run) -> None:
    site = _site(tmp_path, {"a": _paper("A", "2026-01-09", {"2026-01-09": (1, 0)})})
    config = site / "sitegen.toml"
    config.write_text("listing_pages = false\n" + config.read_text("utf-8"), "utf-8")
    assert run_cli(["build", "--site", str(site)])[0] == 0
    public = site / "public"
    assert not any((public / name).exists() for name in ("trending", "date", "week", "month"))
    assert 'href="/trending/"' not in (public / "index.html").read_text("utf-8")


def test_bad_counts_are_located_errors(tmp_path: Path, run_cli: Run) -> None:
    text = _paper("A", "2026-01-09", {}).replace(
        "---\n\n", "counts:\n  2026-01-09: [1]\n---\n\n", 1)
    site = _site(tmp_path, {"a": text})
    code, _, err = run_cli(["build", "--site", str(site)])
    assert code == 1
    assert "content/papers/a.md:5: counts: 2026-01-09: expected [upvotes, comments]" in err
