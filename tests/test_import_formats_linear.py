"""Linear time on hostile input for the feed, RIS, scholarly JSON and capture readers, timed
as in ``test_import_linear`` (64 KB, 256 KB and 1 MB; quadratic growth fails)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from test_import_linear import assert_linear

from sitegen.importers import apis, arxiv, arxiv_feeds, hf_capture, ris

Case = tuple[Callable[[int], Any], Callable[[Any], object]]
RSS_HEAD = '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>'
OAI_HEAD = '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>'


def _run(parse: Callable[[str, str], object]) -> Callable[[str], object]:
    return lambda text: parse(text, "x")


CASES: dict[str, Case] = {
    "rss-unclosed-items": (lambda n: RSS_HEAD + "<item>" * (n // 6), _run(arxiv_feeds.parse_rss)),
    "rss-item-starts-without-gt": (lambda n: RSS_HEAD + "<item " * (n // 6),
                                   _run(arxiv_feeds.parse_rss)),
    "rss-one-long-description": (
        lambda n: RSS_HEAD + "<item><title>t</title><guid>oai:arXiv.org:2401.01234</guid>"
                  "<description>arXiv:2401.01234v1 Announce Type: new " + "Abstract: " * (n // 10)
                  + "</description></item></channel></rss>", _run(arxiv_feeds.parse_rss)),
    "atom-oai-ids": (lambda n: '<feed xmlns="http://www.w3.org/2005/Atom">' +
                     "<entry><id>oai:arXiv.org:" + "9" * n + "</id></entry>",
                     _run(arxiv.parse_atom)),
    "oai-unclosed-records": (lambda n: OAI_HEAD + "<record>" * (n // 8),
                             _run(arxiv_feeds.parse_oai)),
    "oai-resumption-token-runs": (lambda n: "<resumptionToken " * (n // 17),
                                  arxiv_feeds.resumption_token),
    "ris-tag-lines-without-er": (lambda n: "TY  - JOUR\n" + "AU  - A, B\n" * (n // 11),
                                 _run(ris.parse)),
    "ris-stray-lines": (lambda n: "x\n" * (n // 2) + "TY  - JOUR\nER  - \n", _run(ris.parse)),
    "ris-long-abstract": (lambda n: "TY  - JOUR\nTI  - T\nPY  - 2020\nAB  - " + "a " * (n // 2)
                          + "\nER  - \n", _run(ris.parse)),
    "openalex-many-positions": (
        lambda n: json.dumps({"id": "https://openalex.org/W1", "title": "T",
                              "publication_date": "2020-01-01",
                              "abstract_inverted_index": {"w": list(range(n // 8))}}),
        _run(apis.parse_openalex)),
    "csl-many-items": (lambda n: json.dumps([{"title": "T", "issued": {"date-parts": [[2020]]},
                                              "container-title": "J"}] * (n // 70)),
                       _run(apis.parse_csl)),
    "s2-page-of-items": (lambda n: json.dumps({"data": [{"paperId": "p", "title": "T",
                                                         "year": 2020}] * (n // 45)}),
                         _run(apis.parse_s2)),
    "capture-open-brackets": (lambda n: "[" * n, _run(hf_capture.parse)),
    "capture-unclosed-links": (lambda n: "[a](" * (n // 4), _run(hf_capture.parse)),
    "capture-reference-links": (lambda n: "[a][1] " * (n // 7) + "\n[1]: https://x.org/",
                                _run(hf_capture.parse)),
    "capture-upvote-lines": (lambda n: "-\n\n" * (n // 3), _run(hf_capture.parse)),
    "capture-community-lines": (
        lambda n: "Jan 5, 2026\n[3](https://huggingface.co/papers/2601.00001#community)\n"
                  * (n // 67), _run(hf_capture.parse)),
    "capture-links-over-lines": (
        lambda n: ("[a\n" + "b\n" * 58 + "](https://huggingface.co/papers/2601.00001)\n")
        * (n // 163), _run(hf_capture.parse)),
    "capture-openers-without-close": (lambda n: ("[a\n" + "b\n" * 70) * (n // 143),
                                      _run(hf_capture.parse)),
    "capture-nested-brackets": (lambda n: "[" * (n // 2) + "]" * (n // 2) + "\n",
                                _run(hf_capture.parse)),
    "capture-bare-addresses": (
        lambda n: "T\nhttps://huggingface.co/papers/2601.00001\n" * (n // 44),
        _run(hf_capture.parse)),
    "capture-org-lines": (lambda n: "Org\nhttps://huggingface.co/org\n·\n" * (n // 33),
                          _run(hf_capture.parse)),
    "capture-titles-without-dates": (
        lambda n: "### [T](https://huggingface.co/papers/2601.00001)\n\n" * (n // 52),
        _run(hf_capture.parse)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_new_formats_are_linear(name: str) -> None:
    assert_linear(*CASES[name])


def test_capture_with_many_dates_before_the_first_title_is_linear() -> None:
    title = "\n### [T](https://huggingface.co/papers/2601.00001)\n"
    assert_linear(lambda n: "Jan 5, 2026\nx\n" * (n // 14) + title,
                  lambda text: hf_capture.parse(text, "x"))
