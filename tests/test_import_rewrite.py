"""Nothing a person wrote is lost on re-import: front-matter comments, file modes.

A re-import that changes a file with comments replaces only the fields that
changed, where they stand, and keeps every comment; when a changed field has
a comment inside it, the file is left alone with a warning and counted as not
rewritten (never as "hand edits kept"). Files keep their permission bits; new
files follow the umask.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sitegen.content import load_file
from sitegen.importers.content_files import dumps
from sitegen.importers.rewrite import comments, update_in_place

CliResult = tuple[int, str, str]
pytestmark = pytest.mark.import_site
Run = Callable[[list[str]], CliResult]
PAPER = ("Jan {day}\n\nA Paper About Memory\n\nWe study memory.\n\n  • 3 authors\n·\n"
         "Jan 5, 2026 {n}\n")
SLUG = "a-paper-about-memory.md"


@pytest.fixture
def site(run_cli: Run, tmp_path: Path) -> Path:
    """A site with one imported paper (4 comments, listed Jan 9)."""
    first = tmp_path / "day1.txt"
    first.write_text(PAPER.format(day=9, n=4), encoding="utf-8")
    code, _, err = run_cli(["import", "--site", tmp_path / "site", first])
    assert code == 0, err
    return tmp_path / "site"


def reimport(run_cli: Run, site: Path, *options: str, n: int = 9) -> CliResult:
    later = site.parent / "day2.txt"
    later.write_text(PAPER.format(day=10, n=n), encoding="utf-8")
    return run_cli(["import", "--site", site, *options, later])


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_comments_survive_a_reimport_that_updates_counts(run_cli: Run, site: Path) -> None:
    path = site / "content" / "papers" / SLUG
    edit(path, 'title: "A Paper About Memory"',
         '# Read this one first.\ntitle: "A Paper About Memory"  # the short title')
    edit(path, "comments: 4", "comments: 4 # as of the first listing")
    edit(path, "source:", "# Where it came from:\nsource:")
    code, out, err = reimport(run_cli, site)
    assert code == 0 and err == ""
    assert "0 added, 1 updated" in out and "0 with hand edits kept" in out
    text = path.read_text("utf-8")
    assert "# Read this one first.\n" in text
    assert 'title: "A Paper About Memory"  # the short title\n' in text
    assert "comments: 9 # as of the first listing\n" in text
    assert "listed: 2026-01-10\n" in text
    assert "# Where it came from:\nsource:\n" in text
    paper, problems = load_file(path, SLUG)
    assert paper is not None and not problems
    assert (paper.comments, str(paper.listed)) == (9, "2026-01-10")
    assert [s.file for s in paper.source] == ["day1.txt", "day2.txt"]
    # A third import with nothing new changes nothing.
    before = path.read_bytes()
    code, out, _ = reimport(run_cli, site)
    assert code == 0 and "1 unchanged" in out and path.read_bytes() == before


def test_a_comment_inside_a_changed_field_keeps_the_file_unchanged(run_cli: Run,
                                                                   site: Path) -> None:
    path = site / "content" / "papers" / SLUG
    edit(path, '  file: "day1.txt"', '  # the first day\n  file: "day1.txt"')
    before = path.read_bytes()
    code, out, err = reimport(run_cli, site)
    assert code == 0
    assert err == ("content/papers/a-paper-about-memory.md: warning: has comments in its front "
                   "matter that rewriting it would lose; not rewritten (comments, listed, source "
                   "not updated: put the comments below the front matter, or make the change by "
                   "hand)\n")
    assert "0 updated" in out and "0 with hand edits kept, 1 not rewritten" in out
    assert path.read_bytes() == before
    code, _, err = reimport(run_cli, site, "--strict")
    assert code == 1 and "--strict" in err and path.read_bytes() == before


def test_hash_in_strings_is_not_a_comment(run_cli: Run, site: Path) -> None:
    path = site / "content" / "papers" / SLUG
    edit(path, "source:", 'tags: ["C#", F# and more, "x # y"]\nsource:')
    code, out, err = reimport(run_cli, site)
    assert code == 0 and err == "" and "1 updated" in out
    text = path.read_text("utf-8")
    assert 'tags:\n- "C#"\n- "F# and more"\n- "x # y"\n' in text  # rewritten: no comment to keep


@pytest.mark.parametrize(("front", "found"), [
    ('title: "a # b"  # real\n', ["# real"]),
    ("# top\nkey: plain value # tail\nother: 'q # not'\n", ["# top", "# tail"]),
    ("text: |\n  # inside a block scalar\n  more\n# after\n", ["# after"]),
    ("list: [a, '#', b]  #c\n", ["#c"]),
    ("url: http://x/#frag\n", []),
])
def test_comments_are_found_outside_tokens(front: str, found: list[str]) -> None:
    assert comments(front) == found


def test_new_field_goes_after_the_one_it_follows() -> None:
    from sitegen.frontmatter import parse_paper

    original = ('---\n# note\ntitle: "T"\ndate: 2024-01-02  # day\nsource:\n- kind: "k"\n'
                '  file: "f"\nimported:\n  title: "x"\n---\n\nBody.\n')
    paper, problems = parse_paper(original, "x.md")
    assert paper is not None and not problems
    old = dumps(paper)
    paper.comments = 5
    paper.upvotes = 7
    new = dumps(paper)
    updated = update_in_place(original, old, new)
    assert updated == ('---\n# note\ntitle: "T"\ndate: 2024-01-02  # day\ncomments: 5\n'
                       'upvotes: 7\nsource:\n- kind: "k"\n  file: "f"\nimported:\n'
                       '  title: "x"\n---\n\nBody.\n')


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    saved = os.umask(0o022)
    os.umask(saved)
    yield lambda mask: os.umask(mask) and None
    os.umask(saved)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_files_follow_the_umask(run_cli: Run, tmp_path: Path, umask: Callable[[int], None],
                                    mask: int, mode: int) -> None:
    umask(mask)
    listing = tmp_path / "day1.txt"
    listing.write_text(PAPER.format(day=9, n=4), encoding="utf-8")
    code, _, err = run_cli(["import", "--site", tmp_path / "site", listing])
    assert code == 0, err
    assert stat.S_IMODE((tmp_path / "site" / "content" / "papers" / SLUG).stat().st_mode) == mode


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600, 0o664])
def test_rewritten_files_keep_their_mode(run_cli: Run, site: Path, mode: int) -> None:
    path = site / "content" / "papers" / SLUG
    path.chmod(mode)
    code, out, _ = reimport(run_cli, site)
    assert code == 0 and "1 updated" in out
    assert "comments: 9" in path.read_text("utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert [p.name for p in path.parent.iterdir()] == [SLUG]  # no temporary file left
