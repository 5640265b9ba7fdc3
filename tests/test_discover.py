"""Related papers, author names and the JSON Feed as units: the rules, the order, the checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from sitegen import related
from sitegen.people import group_orgs, group_people, person_key, reorder

# --- author names -----------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [
    ("José García", "Jose Garcia"),  # accents fold
    ("GARCÍA, José", "José García"),  # "Last, First" and case
    ("J. Smith", "J Smith"),  # an initial with or without its period
    ("Zoë  Ångström", "Zoe Angstrom"),  # spaces tidied, marks folded
    ("Jean-Luc Picard", "jean-luc picard"),
])
def test_spellings_of_one_person_share_a_key(a: str, b: str) -> None:
    assert person_key(a) == person_key(b)


@pytest.mark.parametrize(("a", "b"), [
    ("J. Smith", "John Smith"),  # an initial fits many first names: kept apart
    ("Wei Zhang", "Zhang Wei"),  # order is not guessed without a comma
    ("Jean-Luc Picard", "Jean Luc Picard"),  # a hyphen is part of the name
    ("Anna Müller", "Anna Mueller"),  # transliterations are not guessed
])
def test_names_that_may_be_two_people_stay_apart(a: str, b: str) -> None:
    assert person_key(a) != person_key(b)


def test_only_one_comma_reorders_and_suffixes_are_kept() -> None:
    assert reorder("Lovelace, Ada") == "Ada Lovelace"
    assert reorder("Smith, Jr.") == "Smith, Jr."
    assert reorder("King, Martin Luther, Jr.") == "King, Martin Luther, Jr."


def test_a_person_shows_the_most_used_spelling_with_accents_winning_ties() -> None:
    grouping = group_people([["Jose Garcia"], ["José García"], ["José García", "Ada Lovelace"]])
    by_slug = {g.slug: g for g in grouping.groups}
    assert by_slug["jose-garcia"].name == "José García"
    assert by_slug["jose-garcia"].members == [0, 1, 2]
    tie = group_people([["Jose Garcia"], ["José García"]])
    assert tie.groups[0].name == "José García"


def test_names_that_slugify_alike_get_distinct_slugs_and_a_clash() -> None:
    grouping = group_people([["Pat O'Brien"], ["Pat O'Brien"], ["Pat O Brien"]])
    slugs = sorted(g.slug for g in grouping.groups)
    assert len(slugs) == 2 and slugs[0] == "pat-o-brien"
    assert slugs[1].startswith("pat-o-brien-")
    # The one with more papers keeps the plain slug; the other is named in the clash.
    plain = next(g for g in grouping.groups if g.slug == "pat-o-brien")
    assert plain.name == "Pat O'Brien"
    assert grouping.clashes == [(slugs[1], "Pat O Brien", "Pat O'Brien")]
    again = group_people([["Pat O Brien"], ["Pat O'Brien"], ["Pat O'Brien"]])
    assert sorted(g.slug for g in again.groups) == slugs  # deterministic


def test_organisations_group_by_id() -> None:
    grouping = group_orgs([("acme", "Acme AI"), None, ("ACME", "Acme AI Lab"), ("osc", "OSC")])
    assert [(g.slug, g.members) for g in grouping.groups] == [("acme", [0, 2]), ("osc", [3])]


# --- related papers ---------------------------------------------------------------------------

TEXTS = [
    ("a-retrieval", "Dense retrieval for open domain question answering with passages"),
    ("b-retrieval", "Passage retrieval and reranking for question answering"),
    ("c-vision", "Image segmentation with convolutional networks for medical scans"),
    ("d-vision", "Medical image segmentation using convolutional encoders"),
    ("e-speech", "Speech recognition with transducers for streaming audio"),
    ("f-speech", "Streaming speech recognition for low latency audio"),
    ("g-same", "Identical text about graph neural networks"),
    ("h-same", "Identical text about graph neural networks"),
]


def test_every_paper_gets_five_others_best_first() -> None:
    lists = related.compute(sorted(TEXTS))
    for slug, others in lists.items():
        assert len(others) == 5 and slug not in others and len(set(others)) == 5
    assert lists["a-retrieval"][0] == "b-retrieval"
    assert lists["c-vision"][0] == "d-vision"
    assert lists["e-speech"][0] == "f-speech"
    assert lists["g-same"][0] == "h-same" and lists["h-same"][0] == "g-same"


def test_ties_are_broken_by_slug_and_the_result_does_not_depend_on_input_order() -> None:
    # Texts sharing no word with each other: every score is 0, so slug order decides.
    texts = [(f"p{i}", f"word{i}") for i in range(8)]
    lists = related.compute(sorted(texts))
    assert lists["p3"] == ("p0", "p1", "p2", "p4", "p5")
    assert related.related_lists(list(reversed(texts))) == lists


def test_small_sites_list_what_there_is() -> None:
    assert related.compute([("only", "one paper")]) == {"only": ()}
    assert related.compute(sorted(TEXTS[:3]))["a-retrieval"] == ("b-retrieval", "c-vision")


def test_blocks_give_the_same_lists_as_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [(f"p{i:03d}", f"topic{i % 7} shared{i % 3} words{i % 5} about things")
             for i in range(60)]
    whole = related.compute(texts)
    monkeypatch.setattr(related, "BLOCK", 7)
    assert related.compute(texts) == whole


def test_blocks_of_the_pruned_scores_agree_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(related, "EXACT_BELOW", 0)
    texts = [(f"p{i:03d}", f"topic{i % 7} shared{i % 3} words{i % 5} about{i % 11} things")
             for i in range(60)]
    whole = related.compute(texts)
    monkeypatch.setattr(related, "BLOCK", 7)
    assert related.compute(texts) == whole


def _pruning(monkeypatch: pytest.MonkeyPatch, cap: int) -> None:
    """Prune as a large site does, with a cap of ``cap`` papers per word."""
    monkeypatch.setattr(related, "EXACT_BELOW", 0)
    monkeypatch.setattr(related, "CAP_MIN", cap)
    monkeypatch.setattr(related, "CAP_SHARE", 0.0)


def test_a_word_among_the_heaviest_of_too_many_papers_links_none(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # "common" is in every p paper; p4 and p5 also share "rare"; the a papers share
    # nothing with anyone, and their slugs sort first.
    texts = [(f"a{i}", f"alone{i}") for i in range(3)]
    texts += [(f"p{i}", f"common own{i}" + (" rare" if i >= 4 else "")) for i in range(6)]
    exact = related.compute(sorted(texts), exact=True)
    assert exact["p3"] == ("p0", "p1", "p2", "p4", "p5")  # sharing "common" scores above 0
    _pruning(monkeypatch, cap=4)  # "common" is among the heaviest of 6 papers: over the cap
    lists = related.compute(sorted(texts))
    assert lists["p4"] == ("p5", "a0", "a1", "a2", "p0")  # "rare" (2 papers) links, then 0s
    assert lists["p3"] == ("a0", "a1", "a2", "p0", "p1")  # only "common": nothing links
    _pruning(monkeypatch, cap=6)  # now within the cap: "common" links every paper
    assert related.compute(sorted(texts)) == exact


def test_only_the_heaviest_words_link(monkeypatch: pytest.MonkeyPatch) -> None:
    _pruning(monkeypatch, cap=50)
    monkeypatch.setattr(related, "TOP_TERMS", 1)
    # p0's heaviest word is "zeta" (said three times); "alpha" it says once. p1 and p2
    # say "alpha" only once as well, beside a heavier word of their own.
    texts = [("p0", "zeta zeta zeta alpha"), ("p1", "beta beta beta alpha"),
             ("p2", "gamma gamma gamma alpha"), ("p3", "zeta")]
    lists = related.compute(sorted(texts))
    assert lists["p0"][0] == "p3" and lists["p3"][0] == "p0"
    # "alpha" is nobody's heaviest word, so p1 and p2 share nothing that links.
    assert lists["p1"] == ("p0", "p2", "p3") and lists["p2"] == ("p0", "p1", "p3")


def test_pruned_ties_go_to_the_slug_first_and_input_order_does_not_matter(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _pruning(monkeypatch, cap=50)
    texts = [("m-paper", "quantum annealing"), ("z-twin", "quantum annealing"),
             ("b-twin", "quantum annealing"), ("k-twin", "quantum annealing"),
             ("a-other", "protein folding"), ("c-other", "protein folding")]
    lists = related.related_lists(texts)
    assert lists["m-paper"] == ("b-twin", "k-twin", "z-twin", "a-other", "c-other")
    for shuffled in (list(reversed(texts)), texts[3:] + texts[:3]):
        assert related.related_lists(shuffled) == lists


@pytest.mark.parametrize(("text", "expected"), [
    ("Graph-based RAG, v2_x!", [b"graph", b"based", b"rag", b"v2_x"]),  # \\w runs, lowercased
    ("Café naïve Ångström", [b"cafe", b"naive", b"angstrom"]),  # accents folded
    ("İstanbul straße ﬁle", [b"istanbul", "straße".encode(), b"file"]),  # NFKD, then marks out
])
def test_words_are_the_runs_scikit_learn_would_find(text: str, expected: list[bytes]) -> None:
    # One-letter runs and stop words are left to vectors(): they get no column.
    assert [w for w in related.words(text) if len(w) > 1] == expected


def test_one_letter_words_and_stop_words_get_no_weight() -> None:
    matrix = related.vectors(["a b the graph", "x graph of models", "c"])
    assert matrix.shape[0] == 3 and matrix[2].nnz == 0
    assert [round(float(v), 6) for v in matrix[0].data] == [1.0]  # "graph" alone


def test_lists_are_kept_while_the_texts_hold(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    first = related.related_lists(TEXTS, tmp_path)
    assert (tmp_path / related.CACHE_FILE).is_file()

    def fail(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("computed again although nothing changed")

    monkeypatch.setattr(related, "compute", fail)
    assert related.related_lists(TEXTS, tmp_path) == first
    monkeypatch.undo()
    changed = [*TEXTS[:-1], ("h-same", "Speech recognition for streaming audio")]
    assert related.related_lists(changed, tmp_path)["h-same"][0] in ("e-speech", "f-speech")
    (tmp_path / related.CACHE_FILE).write_bytes(b"not a pickle")
    assert related.related_lists(TEXTS, tmp_path) == first  # a bad cache costs time only


# --- JSON Feed 1.1, checked against the spec (https://www.jsonfeed.org/version/1.1/) ----------

FEED_KEYS = {"version", "title", "home_page_url", "feed_url", "description", "user_comment",
             "next_url", "icon", "favicon", "authors", "language", "expired", "hubs", "items"}
ITEM_KEYS = {"id", "url", "external_url", "title", "content_html", "content_text", "summary",
             "image", "banner_image", "date_published", "date_modified", "authors", "tags",
             "language", "attachments"}
URL_KEYS = {"home_page_url", "feed_url", "next_url", "icon", "favicon", "url", "external_url",
            "image", "banner_image"}


def _absolute_url(value: Any) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return parts is not None and parts.scheme in ("http", "https") and bool(parts.netloc)


def _rfc3339(value: Any) -> bool:
    from datetime import datetime

    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return value.endswith("Z") or value[-6] in "+-"


def json_feed_problems(feed: Any) -> list[str]:
    """What in ``feed`` breaks JSON Feed 1.1: required keys, types, URLs and dates."""
    problems = []
    if not isinstance(feed, dict):
        return ["the feed is not an object"]
    if feed.get("version") != "https://jsonfeed.org/version/1.1":
        problems.append(f"version {feed.get('version')!r}")
    if not isinstance(feed.get("title"), str) or not feed["title"]:
        problems.append("title missing or not a string")
    problems += [f"unknown key {k}" for k in feed if k not in FEED_KEYS and not k.startswith("_")]
    problems += [f"{k} is not a URL" for k in URL_KEYS & set(feed) if not _absolute_url(feed[k])]
    items = feed.get("items")
    if not isinstance(items, list):
        return [*problems, "items missing or not an array"]
    ids = [item.get("id") for item in items if isinstance(item, dict)]
    if len(set(map(str, ids))) != len(items):
        problems.append("item ids are not unique")
    for number, item in enumerate(items):
        where = f"item {number}"
        if not isinstance(item, dict):
            problems.append(f"{where} is not an object")
            continue
        problems += [f"{where}: unknown key {k}" for k in item
                     if k not in ITEM_KEYS and not k.startswith("_")]
        if not isinstance(item.get("id"), str) or not item["id"]:
            problems.append(f"{where}: id missing or not a string")
        if not any(isinstance(item.get(k), str) for k in ("content_html", "content_text")):
            problems.append(f"{where}: neither content_html nor content_text")
        for key in ("title", "summary", "content_html", "content_text", "language"):
            if key in item and not isinstance(item[key], str):
                problems.append(f"{where}: {key} is not a string")
        problems += [f"{where}: {k} is not a URL" for k in URL_KEYS & set(item)
                     if not _absolute_url(item[k])]
        problems += [f"{where}: {k} is not RFC 3339" for k in ("date_published", "date_modified")
                     if k in item and not _rfc3339(item[k])]
        tags = item.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            problems.append(f"{where}: tags is not an array of strings")
        for author in item.get("authors", []):
            if not isinstance(author, dict) or not author or not set(author) <= {
                    "name", "url", "avatar"} or not isinstance(author.get("name", ""), str):
                problems.append(f"{where}: bad author {author!r}")
    return problems


def test_the_checks_catch_what_the_spec_forbids() -> None:
    good = {"version": "https://jsonfeed.org/version/1.1", "title": "T",
            "items": [{"id": "1", "content_text": "x", "date_published": "2024-01-02T00:00:00Z"}]}
    assert json_feed_problems(good) == []
    assert json_feed_problems({**good, "version": "1.1"})
    assert json_feed_problems({**good, "items": [{"id": "1"}]})
    assert json_feed_problems({**good, "items": [{"id": 1, "content_text": "x"}]})
    assert json_feed_problems({**good, "feed_url": "/feed.json"})
    assert json_feed_problems({**good, "items": [{"id": "1", "content_text": "x",
                                                  "date_published": "2024-01-02"}]})
    assert json_feed_problems({**good, "titel": "typo"})


def test_the_golden_feed_json_is_json_feed_1_1() -> None:
    golden = Path(__file__).resolve().parent / "golden" / "site" / "feed.json"
    feed = json.loads(golden.read_text("utf-8"))
    assert json_feed_problems(feed) == []
    assert feed["items"], "an empty feed proves nothing"
    assert all(item["image"].endswith((".png", ".webp")) for item in feed["items"])


CARD_TEXTS = [
    ("Attention Is All You Need", "A. Vaswani, N. Shazeer and 6 more", "NeurIPS 2017", "Papers"),
    ("x" * 5000 + " " + "word " * 2000, "", "V" * 3000, "S " * 500),  # far too long
    ("مرحبا بالعالم: عنوان hello עברית", "田中 太郎, 李 明", "ICLR", "مجلة"),  # RTL, CJK
    ("😀🚀 emoji \x00\x07\x1b[31m\u202e\ud800 controls\ttab\nnewline", "\x00", "", ""),
    ("", "", "", ""),
    ("\u0301" * 3000, "\u200b" * 3000, "", ""),  # zero-width marks only: cut at CAP
]


def _card_digests(reverse: bool = False) -> list[str]:
    """Digests of the cards of :data:`CARD_TEXTS`, drawn in reverse order if asked."""
    import hashlib

    from sitegen.outputs.social import draw_card

    order = list(reversed(CARD_TEXTS)) if reverse else CARD_TEXTS
    digests = [hashlib.sha256(draw_card(*text)).hexdigest() for text in order]
    return list(reversed(digests)) if reverse else digests


def test_cards_of_hostile_text_are_small_pngs_with_long_text_cut() -> None:
    import io

    from PIL import Image

    from sitegen.outputs.social import ELLIPSIS, WIDTH, _wrap, draw_card

    for text in CARD_TEXTS:
        data = draw_card(*text)
        assert len(data) < 40_000, text[0][:20]
        with Image.open(io.BytesIO(data)) as card:
            assert card.format == "PNG" and card.size == (1200, 630)
            card.load()
    title = _wrap(CARD_TEXTS[1][0], 56, WIDTH, 4)
    assert len(title) == 4 and title[-1][-1] == ELLIPSIS
    assert _wrap("A short title", 56, WIDTH, 4) == [["A", "short", "title"]]
    assert _wrap("\u0301" * 3000, 56, WIDTH, 1)[-1][-1] == ELLIPSIS  # cut although narrow
    assert _wrap("", 30, WIDTH, 2) == []
    empty, drawn = draw_card("Title", "", "", "Site"), draw_card("Title", "Ada", "", "Site")
    assert empty != drawn  # the authors line is drawn when there is one


def test_cards_are_the_same_bytes_in_another_process() -> None:
    """Word masks are cached per process; a fresh process (other cache contents, other
    order) must draw identical bytes."""
    import subprocess
    import sys

    script = ("from tests.test_discover import _card_digests; "
              "print(' '.join(_card_digests(reverse=True)))")
    other = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                           text=True, cwd=Path(__file__).resolve().parent.parent).stdout.split()
    assert other == _card_digests()
    assert len(set(other)) == len(CARD_TEXTS)
