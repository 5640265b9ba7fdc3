"""Linear time on any input: every parser and regular expression imported text reaches.

Each case times one stage on a pathological input of 64 KB, 256 KB and 1 MB
(long runs of one character, unclosed constructs, many blank lines, many
records). Linear work grows 16 times from 64 KB to 1 MB and quadratic work
256 times; the test allows 64 (the geometric middle), so a loaded machine
does not make it flaky, and stops early when 256 KB already grows
quadratically instead of waiting minutes for 1 MB. Time is the process's own
CPU time, which other processes on the machine do not inflate.

Several of these took minutes before: 2 MB of unclosed ``<entry>`` ran for
314 s, 1 MB of broken JSON lines or of ``)`` after a URL did not finish.
TeX conversion (pylatexenc, about 7 µs a character) and finding comments in
front matter (PyYAML's scanner) are checked from 4 KB to 64 KB instead.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from sitegen.errors import SitegenError
from sitegen.errors import visible as printable
from sitegen.importers import arxiv, bibtex, hf_api, listing
from sitegen.importers.base import find_urls, make_links, safe_url, tex_to_text, unwrap_paragraphs
from sitegen.importers.bibmacros import Macros
from sitegen.importers.clean import scrub
from sitegen.importers.jsonread import json_records
from sitegen.importers.limits import check_lines
from sitegen.importers.rewrite import comments
from sitegen.model import Paper

KB = 1024
SIZES = (64 * KB, 256 * KB, 1024 * KB)
Case = tuple[Callable[[int], Any], Callable[[Any], object]]


def _cpu(run: Callable[[Any], object], arg: Any, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        start = time.process_time()
        try:
            run(arg)
        except SitegenError:  # a limit may stop the input: the time to stop is what counts
            pass
        finally:
            took = time.process_time() - start
            gc.enable()
        best = min(best, took)
    return best


def assert_linear(make: Callable[[int], Any], run: Callable[[Any], object],
                  sizes: tuple[int, int, int] = SIZES) -> None:
    small, middle, large = sizes
    base = _cpu(run, make(small), 3)
    mid = _cpu(run, make(middle), 2)
    assert mid <= 16 * base + 0.05, f"{middle} bytes: {mid:.3f} s, {small}: {base:.3f} s"
    top = _cpu(run, make(large), 1)
    ratio = (large // small) ** 1.5  # 64 for 16 times the size
    assert top <= ratio * base + 0.1, f"{large} bytes: {top:.3f} s, {small}: {base:.3f} s"


def _listing(body: Callable[[int], str]) -> Case:
    return body, lambda text: listing.parse_listing(text, "x.txt")


PAPER = "Title {i}\n\nAbstract {i} with https://github.com/org/repo{i}.\n\n  • 3 authors\n·\n" \
        "Jan 5, 2026 4\n\n"
LISTING_CASES: dict[str, Case] = {
    "blank-lines": _listing(lambda n: "Jan 9\n" + "\n" * n),
    "spaces-and-newlines": _listing(lambda n: "Jan 9\n" + " \n\t" * (n // 3)),
    "one-long-line": _listing(lambda n: "Jan 9\n\n" + "a " * (n // 2)),
    "many-papers": _listing(lambda n: "Jan 9\n\n" + "".join(
        PAPER.format(i=i) for i in range(n // len(PAPER)))),
    "header-lines": _listing(lambda n: "Jan 9\n" * (n // 6)),
    "dot-lines": _listing(lambda n: "Jan 9\n\nT\n\n" + "·\n" * (n // 2) + "Jan 5, 2026\n"),
    "chrome-lines": _listing(lambda n: "new\ndaily papers\n" * (n // 16)),
    "dots-on-one-line": _listing(lambda n: "Jan 9\n\n" + " · " * (n // 3)),
    "date-like-line": _listing(lambda n: "Jan 9\n\n" + "Jan 5, " + "2026 " * (n // 5)),
    "org-like-lines": _listing(lambda n: "Jan 9\n\nT\n\n" + "ab.c-d Name\n" * (n // 12)),
    "parens-after-url": _listing(lambda n: "Jan 9\n\nT\n\nhttp://x" + ")" * n
                                 + "\n\n• 3 authors\n·\nJan 5, 2026\n"),
    "detection-of-blank-lines": ("\n".__mul__, listing.looks_like_listing),
}


def _json(parse: Callable[[str, str], object], body: Callable[[int], str]) -> Case:
    return body, lambda text: parse(text, "x.json")


SNAPSHOT = ('{"id": "2101.%05d", "title": "T", "versions": [{"version": "v1", '
            '"created": "Mon, 4 Jan 2021 00:00:00 GMT"}], "authors": "A, B"}\n')
HF = '{"title": "T%d", "publishedAt": "2024-01-02T00:00:00Z", "summary": "s"}'
JSON_CASES: dict[str, Case] = {
    "json-lines": _json(arxiv.parse_jsonl, lambda n: "".join(
        SNAPSHOT % i for i in range(n // len(SNAPSHOT)))),
    "json-lines-with-900-broken": _json(arxiv.parse_jsonl, lambda n: "".join(
        (SNAPSHOT % i) if i % max(n // len(SNAPSHOT) // 900, 1) else "{broken\n"
        for i in range(n // len(SNAPSHOT)))),
    "array-items": _json(hf_api.parse, lambda n: "[" + ",\n".join(
        HF % i for i in range(n // len(HF))) + "]"),
    "array-with-900-broken-items": _json(hf_api.parse, lambda n: "[" + ",\n".join(
        (HF % i) if i % max(n // len(HF) // 900, 1) else '{"x": nope}'
        for i in range(n // len(HF))) + "]"),
    "array-of-spaces": _json(hf_api.parse, lambda n: '[{"publishedAt": 1}' + " " * n + "]"),
    "unclosed-string-item": _json(hf_api.parse, lambda n: '[{"publishedAt": 1}, "' + "x" * n),
    "unclosed-objects": _json(hf_api.parse, lambda n: '{"publishedAt": 1}\n' + '{"a": ' * (n // 6)),
    "brackets-after-array": _json(hf_api.parse, lambda n: '[{"publishedAt": 1}]' + "]" * n),
    "wide-value": _json(hf_api.parse, lambda n: '[{"publishedAt": 1, "x": [' + "[1]," * (n // 4)
                        + "1]}]"),
    "records-only": (lambda n: "".join(SNAPSHOT % i for i in range(n // len(SNAPSHOT))),
                     lambda text: json_records(text, "x.jsonl")),
}

ENTRY = ("<entry><id>http://arxiv.org/abs/2101.%05dv1</id><title>T</title>"
         "<published>2021-01-01T00:00:00Z</published><summary>s</summary></entry>\n")
FEED = '<feed xmlns="http://www.w3.org/2005/Atom">\n'
ATOM_CASES: dict[str, Case] = {
    # 2 MB of these took 314 s: each entry searched the rest of the text for its end.
    "unclosed-entries": (lambda n: FEED + ("<entry>" + "x" * 1000) * (n // 1007),
                         lambda text: arxiv.parse_atom(text, "x.xml")),
    "many-entries": (lambda n: FEED + "".join(ENTRY % i for i in range(n // len(ENTRY))),
                     lambda text: arxiv.parse_atom(text, "x.xml")),
    "feed-tags-without-end": (lambda n: "<feed" * (n // 5),
                              lambda text: arxiv.parse_atom(text, "x.xml")),
    "urls-in-summary": (lambda n: FEED + (ENTRY % 1).replace(
        "<summary>s", "<summary>" + "".join(f"http://a{i}.org " for i in range(n // 16))),
        lambda text: arxiv.parse_atom(text, "x.xml")),
}

GOOD = "@article{k%d, title = {Title %d}, year = 2024, author = {Last, First and Other}}\n"
BIB_CASES: dict[str, Case] = {
    "entries": (lambda n: "".join(GOOD % (i, i) for i in range(n // len(GOOD))),
                lambda text: bibtex.parse(text, "x.bib")),
    "at-lines": (lambda n: GOOD % (1, 1) + "@\n" * (n // 2),
                 lambda text: bibtex.parse(text, "x.bib")),
    "unterminated-quote": (lambda n: GOOD % (1, 1) + '@article{q, title = "' + "q" * n,
                           lambda text: bibtex.parse(text, "x.bib")),
    "unclosed-braces": (lambda n: "@article{q, title = {" + "{" * n,
                        lambda text: bibtex.parse(text, "x.bib")),
    "mid-line-entries": (lambda n: GOOD % (1, 1) + "x @a{" * min(n // 5, 9_000),
                         lambda text: bibtex.parse(text, "x.bib")),
    "spaces-after-arxiv": (lambda n: "@article{k, title = {T}, year = 2024, note = {arxiv"
                           + " " * n + "}}\n", lambda text: bibtex.parse(text, "x.bib")),
    "many-strings": (lambda n: "".join(f'@string{{s{i} = "v"}}\n' for i in range(n // 20))
                     + GOOD % (1, 1), lambda text: bibtex.parse(text, "x.bib")),
    "concatenation": (lambda n: " # ".join(['"a"', "{b}", "m"] * (n // 12)),
                      lambda raw: Macros("x.bib").expand(raw, 1, "title")),
    "nested-braces-value": (lambda n: "{" * (n // 2) + "}" * (n // 2) + " # x",
                            lambda raw: Macros("x.bib").expand(raw, 1, "title")),
    "authors": (lambda n: "Last, First and " * (n // 16),
                lambda raw: bibtex.split_authors(raw)),
}


def _paper(body: str) -> Paper:
    return Paper(title="T", date=__import__("datetime").date(2024, 1, 2), body=body)


TEXT_CASES: dict[str, Case] = {
    "url-then-parens": (lambda n: "http://x" + ")" * n, find_urls),
    "url-then-mixed-punctuation": (lambda n: "http://x/(" + ").]," * (n // 4), find_urls),
    "www-runs": (lambda n: "www." * (n // 4), find_urls),
    "github-runs": (lambda n: "github.com/" * (n // 11), find_urls),
    "latex-url-unclosed": (lambda n: "\\url{" * (n // 5), find_urls),
    "latex-href-spaces": (lambda n: "\\href{a}" + " " * n, find_urls),
    "many-distinct-urls": (lambda n: "".join(f"http://a{i}.org " for i in range(n // 16)),
                           lambda text: make_links([], text)),
    "safe-url-with-a-quote": (lambda n: "http://" + "a" * n + "'", safe_url),
    "safe-url-slashes": (lambda n: "http://" + "a/" * (n // 2) + "<", safe_url),
    "paragraphs": (lambda n: "\n \n" * (n // 3), unwrap_paragraphs),
    "newline-then-spaces": (lambda n: "\n" + " " * n + "x", unwrap_paragraphs),
    "line-limit-check": (lambda n: "x" * n, lambda text: check_lines(text, "x", "a test")),
    "control-characters": (lambda n: "\x1b" * n, lambda text: scrub(_paper(text), "x")),
    "printable": (lambda n: "\x1b\n" * (n // 2), printable),
}


def test_front_matter_comments_are_found_in_linear_time() -> None:
    """PyYAML's scanner is pure Python (about 20 µs a character); a content file is at most
    a few megabytes and only files with comments are scanned."""
    assert_linear(lambda n: 'a: "#"\n' * (n // 7) + "# c\n", comments, (4 * KB, 16 * KB, 64 * KB))


@pytest.mark.parametrize("name", sorted(LISTING_CASES))
def test_listing_is_linear(name: str) -> None:
    assert_linear(*LISTING_CASES[name])


@pytest.mark.parametrize("name", sorted(JSON_CASES))
def test_json_is_linear(name: str) -> None:
    assert_linear(*JSON_CASES[name])


@pytest.mark.parametrize("name", sorted(ATOM_CASES))
def test_atom_is_linear(name: str) -> None:
    assert_linear(*ATOM_CASES[name])


@pytest.mark.parametrize("name", sorted(BIB_CASES))
def test_bibtex_is_linear(name: str) -> None:
    assert_linear(*BIB_CASES[name])


@pytest.mark.parametrize("name", sorted(TEXT_CASES))
def test_text_helpers_are_linear(name: str) -> None:
    assert_linear(*TEXT_CASES[name])


@pytest.mark.parametrize("unit", ["\\\\", "{}", "~", "--", '\\"o', "\\ ", "{", "$", "\\verb|"])
def test_tex_conversion_is_linear(unit: str) -> None:
    assert_linear(lambda n: unit * (n // len(unit)), tex_to_text, (4 * KB, 16 * KB, 64 * KB))


def test_broken_json_lines_stop_at_the_warning_limit() -> None:
    """Half a million broken records: the import stops at the warning limit, at once,
    instead of collecting a warning for each."""
    text = '{"versions": []}\n' + "{]\n" * 500_000
    start = time.process_time()
    with pytest.raises(SitegenError, match="more than 1,000 problems"):
        arxiv.parse_jsonl(text, "x.jsonl")
    assert time.process_time() - start < 1.0


def test_json_values_are_checked_without_recursion() -> None:
    wide = json.dumps([{"a": [["x"] * 10] * 10}] * 2000)
    records, warnings = json_records(wide, "x.json")
    assert len(records) == 2000 and not warnings
