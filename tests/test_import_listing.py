"""`sitegen import` of Daily Papers listing texts, run through the real command line."""

from __future__ import annotations

import contextlib
import io
import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from conftest import make_site_for, wrote_nothing
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.cli import main
from sitegen.content import load_file
from sitegen.frontmatter import split_front_matter
from sitegen.importers.base import find_urls
from sitegen.importers.listing import parse_listing
from sitegen.model import Paper
from sitegen.slugs import SLUG_RE

# The example site's listing: real text of a Daily Papers page, kept in examples/.
SEED = Path(__file__).parent.parent / "examples" / "hf-daily-papers-2026-01-09.txt"
SEED_TEXT = SEED.read_text("utf-8")
DATE_LINE = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{4}( \d+)?$")


def sitegen(*args: str | Path) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    make_site_for(args)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def files(site: Path) -> list[Path]:
    return sorted((site / "content" / "papers").glob("*.md"))


def papers(site: Path) -> dict[str, Paper]:
    """Every content file read back with sitegen's own reader, by title."""
    found: dict[str, Paper] = {}
    for path in files(site):
        paper, problems = load_file(path, path.name)
        assert paper is not None, problems
        found[paper.title] = paper
    return found


def front(path: Path) -> dict[str, object]:
    parts = split_front_matter(path.read_text("utf-8"))
    assert parts is not None
    data = yaml.safe_load(parts[0])
    assert isinstance(data, dict)
    return data


def by_prefix(found: dict[str, Paper], prefix: str) -> Paper:
    matches = [paper for title, paper in found.items() if title.startswith(prefix)]
    assert len(matches) == 1, prefix
    return matches[0]


def seed_blocks() -> list[tuple[int, int]]:
    """(first line, date line) index pairs of every paper in the seed text."""
    lines = SEED_TEXT.split("\n")
    ends = [i for i, line in enumerate(lines) if DATE_LINE.match(line)]
    starts = [lines.index("Jan 9") + 2] + [end + 2 for end in ends[:-1]]
    return list(zip(starts, ends, strict=True))


@pytest.fixture()
def seeded(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    code, _, err = sitegen("import", "--site", site, SEED)
    assert code == 0, err
    return site


def test_seed_listing_gives_one_file_per_paper(seeded: Path) -> None:
    found = papers(seeded)
    assert len(files(seeded)) == len(found) == 39
    assert len(found) == sum(1 for line in SEED_TEXT.split("\n") if DATE_LINE.match(line))
    assert {p.listed for p in found.values()} == {date(2026, 1, 9)}


def test_seed_spot_checks(seeded: Path) -> None:
    found = papers(seeded)
    flash = by_prefix(found, "LLM in a flash: ")
    assert (flash.author_count, flash.date, flash.comments) == (8, date(2023, 12, 12), 8)
    assert flash.body.startswith("Large language models (LLMs) are central")
    longrm = by_prefix(found, "LongRM: ")
    assert longrm.organization is not None
    assert (longrm.organization.id, longrm.organization.name) == ("SUDA", "Soochow University")
    assert longrm.comments == 2 and longrm.author_count is None
    assert by_prefix(found, "Bigram Subnetworks: ").comments == 0
    config = by_prefix(found, "Configurable Foundation Models")
    assert config.organization is not None and config.organization.id == "openbmb"


def test_non_ascii_title_kept_and_slug_is_ascii(seeded: Path) -> None:
    title = "Mem-α: Learning Memory Construction via Reinforcement Learning"
    assert title in SEED_TEXT.split("\n")
    paper = papers(seeded)[title]
    assert paper.path is not None
    slug = paper.path.stem
    assert slug.isascii() and SLUG_RE.fullmatch(slug)


def test_urls_from_abstracts(seeded: Path) -> None:
    found = papers(seeded)
    probabilistic = by_prefix(found, "A Probabilistic Inference Approach")
    assert [link.url for link in probabilistic.links] == [
        "https://probabilistic-inference-scaling.github.io"]
    unleashing = by_prefix(found, "Unleashing Infinite-Length Input Capacity")
    assert [(link.kind, link.url) for link in unleashing.links] == [
        ("code", "https://github.com/wbbeyourself/SCM4LLMs")]
    agent = by_prefix(found, "On the limits of agency")
    assert "github.com/AgentTorch/AgentTorch." in agent.body
    assert [link.url for link in agent.links] == ["https://github.com/AgentTorch/AgentTorch"]


def test_listed_option_overrides_header(tmp_path: Path) -> None:
    code, _, _ = sitegen("import", "--site", tmp_path, "--listed", "2026-02-01", SEED)
    assert code == 0
    for path in files(tmp_path):
        data = front(path)
        assert data["listed"] == date(2026, 2, 1)
        assert data["source"] == [{"kind": "hf-daily-listing", "file": SEED.name,
                                   "listed": date(2026, 2, 1)}]


def test_missing_site_folder_is_created_with_init(tmp_path: Path) -> None:
    site = tmp_path / "does" / "not" / "exist"
    code, out, _ = sitegen("import", "--init", "--site", site, SEED)
    assert code == 0 and "39 added" in out
    assert (site / "sitegen.toml").is_file()
    assert len(files(site)) == 39


@pytest.mark.parametrize("transform", [
    lambda t: t.replace("\n", "\r\n"),
    lambda t: "\ufeff" + t,
    lambda t: "\ufeff" + t.replace("\n", "\r\n"),
], ids=["crlf", "bom", "bom-crlf"])
def test_crlf_and_bom_give_the_same_files(tmp_path: Path, seeded: Path, transform) -> None:
    variant = tmp_path / "variant" / SEED.name
    variant.parent.mkdir()
    variant.write_bytes(transform(SEED_TEXT).encode("utf-8"))
    site = tmp_path / "other"
    assert sitegen("import", "--site", site, variant)[0] == 0
    assert [p.name for p in files(site)] == [p.name for p in files(seeded)]
    for mine, theirs in zip(files(site), files(seeded), strict=True):
        assert mine.read_bytes() == theirs.read_bytes()


def test_chrome_missing_or_repeated(tmp_path: Path, seeded: Path) -> None:
    lines = SEED_TEXT.split("\n")
    header_end = lines.index("Jan 9") + 1
    chrome, body = lines[:header_end], lines[header_end:]
    middle = seed_blocks()[20][0] - header_end
    repeated = chrome + body[:middle] + chrome + [""] + body[middle:] + [""] + chrome
    variants = {"missing": "\n".join(body), "repeated": "\n".join(repeated)}
    for name, text in variants.items():
        site = tmp_path / name
        folder = tmp_path / f"in-{name}"
        folder.mkdir()
        code, _, err = sitegen("import", "--site", site, "--listed", "2026-01-09",
                               write(folder / SEED.name, text))
        assert code == 0 and "warning" not in err, (name, err)
        assert [p.read_bytes() for p in files(site)] == [p.read_bytes() for p in files(seeded)]


def test_truncated_final_entry_is_a_warning(tmp_path: Path) -> None:
    start, end = seed_blocks()[-1]
    lines = SEED_TEXT.split("\n")
    cut = "\n".join(lines[: start + 2]) + "\n" + lines[start + 2][:200]
    code, out, err = sitegen("import", "--site", tmp_path, write(tmp_path / "cut.txt", cut))
    assert code == 0
    assert f"cut.txt:{start + 1}: warning: incomplete paper" in err
    assert len(files(tmp_path)) == 38
    assert lines[start] not in papers(tmp_path)


def test_malformed_blocks_are_located_warnings(tmp_path: Path) -> None:
    lines = SEED_TEXT.split("\n")
    (s1, e1), (s2, _) = seed_blocks()[3], seed_blocks()[10]
    lines[e1] = "Feb 30, 2025"
    orphan = ["", "  • 3 authors", "·", "Mar 3, 2025", ""]
    lines[s2:s2] = orphan
    source = write(tmp_path / "bad.txt", "\n".join(lines))
    code, out, err = sitegen("import", "--site", tmp_path / "site", source)
    assert code == 0
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert warnings == [
        f"{source}:{e1 + 1}: warning: 'Feb 30, 2025' is not a valid date; paper skipped",
        f"{source}:{s2 + 2}: warning: paper block has no title; skipped",
    ]
    assert len(files(tmp_path / "site")) == 38
    assert SEED_TEXT.split("\n")[s1] not in papers(tmp_path / "site")


def test_strict_turns_warnings_into_failure_and_writes_nothing(tmp_path: Path) -> None:
    text = SEED_TEXT + "\n\nA Title Without The Rest\n\nSome abstract text.\n"
    site = tmp_path / "site"
    code, out, err = sitegen("import", "--site", site, "--strict", write(tmp_path / "x.txt", text))
    assert code == 1
    assert "incomplete paper" in err and "--strict" in err and "Traceback" not in err
    assert wrote_nothing(site)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "is empty"),
    (b" \n\r\n\t", "is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("Caf\u00e9 listing".encode("latin-1"), "not UTF-8"),
], ids=["empty", "blank", "binary", "latin-1"])
def test_unreadable_input_is_one_error_line(tmp_path: Path, data: bytes, message: str) -> None:
    source = tmp_path / "input.txt"
    source.write_bytes(data)
    site = tmp_path / "site"
    code, out, err = sitegen("import", "--site", site, source)
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and message in err
    assert err.startswith(str(source)) and "Traceback" not in err
    assert wrote_nothing(site)


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stop, contextlib.redirect_stderr(io.StringIO()):
        main(["import", "--site", str(tmp_path), "--listed", "Jan 9", str(SEED)])
    assert stop.value.code == 2
    assert not (tmp_path / "content").exists()


def test_missing_input_file(tmp_path: Path) -> None:
    code, _, err = sitegen("import", "--site", tmp_path, tmp_path / "nope.txt")
    assert code == 1 and "no such file" in err


def test_text_in_no_format_is_an_error(tmp_path: Path) -> None:
    code, _, err = sitegen("import", "--site", tmp_path / "s",
                           write(tmp_path / "notes.txt", "just some notes\nnothing else\n"))
    assert code == 1 and "no format" in err and len(err.strip().splitlines()) == 1
    assert wrote_nothing(tmp_path / "s")


def test_yaml_lookalike_titles_stay_strings(tmp_path: Path) -> None:
    entries = []
    for title in ("no", "1.10", "null", "2024-01-02", "Yes: \"quoted\" and 'single' #1"):
        entries.append(f"{title}\n\nAbstract of {title}.\n\n  • 1 authors\n·\nMay 5, 2025\n")
    source = write(tmp_path / "odd.txt", "Jan 9\n\n" + "\n".join(entries))
    assert sitegen("import", "--site", tmp_path / "s", source)[0] == 0
    found = papers(tmp_path / "s")
    assert sorted(found) == sorted(["no", "1.10", "null", "2024-01-02",
                                    "Yes: \"quoted\" and 'single' #1"])
    for path in files(tmp_path / "s"):
        title = front(path)["title"]
        assert isinstance(title, str) and title in found


def test_slug_collision_gets_deterministic_suffix(tmp_path: Path) -> None:
    text = ("Jan 9\n\nMem-α: Learning\n\nFirst.\n\n  • 2 authors\n·\nSep 1, 2025\n\n"
            "Mem alpha: Learning\n\nSecond.\n\n  • 3 authors\n·\nSep 2, 2025\n")
    source = write(tmp_path / "clash.txt", text)
    names = []
    for site in ("a", "b"):
        code, _, err = sitegen("import", "--site", tmp_path / site, source)
        assert code == 0
        assert "Mem-α: Learning" in err and "Mem alpha: Learning" in err and "slug" in err
        names.append([p.name for p in files(tmp_path / site)])
    assert names[0] == names[1] and len(names[0]) == 2
    assert "mem-alpha-learning.md" in names[0]
    code, out, err = sitegen("import", "--site", tmp_path / "a", source)
    assert code == 0 and "warning" not in err and "2 unchanged" in out
    assert [p.name for p in files(tmp_path / "a")] == names[0]


def test_listing_variants(tmp_path: Path) -> None:
    text = "\n".join([
        "Hugging Face", "", "Papers", "", "Jan 9, 2026", "",
        "Title: with \"quotes\" and $O(n^2)$ math", "",
        "First paragraph (see https://example.org/a_(b)).", "",
        "Second paragraph, code at https://github.com/o/r, data: https://huggingface.co/datasets/o/d.",
        "", "allenai Allen Institute for AI", "·", "Dec 2, 2025 4", "",
        "A paper without a count", "", "Its abstract.", "", "·", "Published on Dec 3, 2025", "",
        "Inline card", "", "Inline abstract.", "", "• 3 authors · Dec 4, 2025 7", "",
        "System theme", "", "Company", "TOS", "Privacy", "",
    ])
    result = parse_listing(text, "v.txt")
    assert result.warnings == []
    first, second, third = result.papers
    assert first.title == "Title: with \"quotes\" and $O(n^2)$ math"
    assert first.body.split("\n\n")[0] == "First paragraph (see https://example.org/a_(b))."
    assert [(link.kind, link.url) for link in first.links] == [
        ("project", "https://example.org/a_(b)"), ("code", "https://github.com/o/r"),
        ("dataset", "https://huggingface.co/datasets/o/d")]
    assert first.organization is not None
    assert (first.organization.id, first.organization.name) == ("allenai",
                                                                "Allen Institute for AI")
    assert (first.comments, first.listed) == (4, date(2026, 1, 9))
    assert (second.author_count, second.organization, second.comments) == (None, None, 0)
    assert (third.author_count, third.date, third.comments) == (3, date(2025, 12, 4), 7)


@pytest.mark.parametrize(("prose", "expected"), [
    ("see https://a.org/x.", ["https://a.org/x"]),
    ("(https://a.org/x)", ["https://a.org/x"]),
    ("at https://a.org/x, and https://b.org/y;", ["https://a.org/x", "https://b.org/y"]),
    ("wiki https://en.wikipedia.org/wiki/Foo_(bar).", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
    (r"code\url{https://github.com/a/b}.", ["https://github.com/a/b"]),
    ("[https://a.org/x]", ["https://a.org/x"]),
    ("**https://a.org/x**", ["https://a.org/x"]),
    ("\"https://a.org/x\"", ["https://a.org/x"]),
    ("链接https://a.org/x。", ["https://a.org/x"]),
    ("no scheme: github.com/a/b.", ["https://github.com/a/b"]),
    ("email a@github.com/x is not one", []),
])
def test_find_urls(prose: str, expected: list[str]) -> None:
    assert find_urls(prose) == expected


# --- any listing that follows the layout reads back as written ------------------------------

_TEXT = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")),
                min_size=1, max_size=50).map(lambda s: " ".join(s.split()))
_ORG = st.tuples(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,15}", fullmatch=True),
                 st.from_regex(r"[A-Z][a-z]{1,8}( [A-Z][a-z]{1,8}){0,3}", fullmatch=True))
_CARD = st.one_of(st.none(), st.integers(1, 500), _ORG)


def _plain_title(title: str) -> bool:
    lines = parse_listing(f"{title}\n\nx.\n\n• 1 authors\n·\nJan 1, 2025\n", "t").papers
    return bool(title) and len(lines) == 1 and lines[0].title == title


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_TEXT.filter(_plain_title), st.lists(_TEXT, max_size=3), _CARD,
                          st.dates(date(1990, 1, 1), date(2030, 12, 31)), st.integers(0, 999)),
                min_size=1, max_size=6))
def test_generated_listings_read_back(entries: list[tuple[str, list[str], object, date, int]]
                                      ) -> None:
    chunks = ["Daily Papers", "", "Jan 9", ""]
    for title, paragraphs, card, when, comments in entries:
        chunks += [title, ""]
        for paragraph in paragraphs:
            chunks += [paragraph + ".", ""]
        if isinstance(card, int):
            chunks.append(f"  • {card} authors")
        elif isinstance(card, tuple):
            chunks.append(f"{card[0]} {card[1]}")
        stamp = f"{when:%b} {when.day}, {when.year}" + (f" {comments}" if comments else "")
        chunks += ["·", stamp, ""]
    result = parse_listing("\n".join(chunks), "gen.txt")
    assert result.warnings == []
    assert len(result.papers) == len(entries)
    for paper, (title, paragraphs, card, when, comments) in zip(result.papers, entries,
                                                                 strict=True):
        assert (paper.title, paper.date, paper.comments) == (title, when, comments)
        assert paper.body == "\n\n".join(p + "." for p in paragraphs)
        assert paper.author_count == (card if isinstance(card, int) else None)
        org = (paper.organization.id, paper.organization.name) if paper.organization else None
        assert org == (card if isinstance(card, tuple) else None)
