"""Read the announcement feeds of rss.arxiv.org (RSS 2.0) and arXiv's OAI-PMH answers.

RSS: each ``<item>`` has the id in ``<guid>`` (``oai:arXiv.org:2509.13332v1``),
the announcement type in ``<arxiv:announce_type>`` (new, cross, replace,
replace-cross; also at the head of ``<description>``), authors in one
``<dc:creator>`` and the announcement day in ``<pubDate>``, which is the
paper's date here (the feed does not give the first version's date).
The Atom flavour of the same feed is read by :mod:`sitegen.importers.arxiv`.

OAI-PMH: ``ListRecords`` (or ``GetRecord``) in the ``arXiv`` metadata format
(``<created>`` is the first version's date) or in ``oai_dc`` (the earliest
``<dc:date>``). Deleted records are left out; :func:`resumption_token` gives
the token that asks for the next page.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from email.utils import parsedate_to_datetime

from sitegen.errors import Problem
from sitegen.importers.arxiv import announcement, creators, fill_arxiv, split_id, tex_quotes
from sitegen.importers.base import (
    Parsed,
    Skip,
    collapse_ws,
    iso_date,
    make_links,
    source_name,
    tex_to_text,
    unwrap_paragraphs,
)
from sitegen.importers.xmlchunks import children, local, records, text_of, texts_of
from sitegen.model import Paper, Source

RSS_KIND = "arxiv-rss"
OAI_KIND = "arxiv-oai"
_TOKEN = re.compile(r"<(?:[\w.\-]+:)?resumptionToken\b[^<>]*?(?:/>|>([^<]*)<)")


def looks_like_rss(text: str) -> bool:
    """An RSS 2.0 document from arXiv."""
    head = text[:5000]
    return re.search(r"<rss\b", head) is not None and "arxiv" in head.lower()


def looks_like_oai(text: str) -> bool:
    """An OAI-PMH answer (``<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">``)."""
    head = text[:5000]
    return "<OAI-PMH" in head and "openarchives.org/OAI/2.0" in head


def resumption_token(text: str) -> str | None:
    """The ``resumptionToken`` of an OAI-PMH page, or None on the last page."""
    found = _TOKEN.search(text)
    token = collapse_ws(found.group(1) or "") if found else ""
    return token or None


def _rfc822(value: str) -> date | None:
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        return iso_date(value)


# --- RSS 2.0 ------------------------------------------------------------------------------


def parse_rss(text: str, label: str) -> Parsed:
    """Every ``<item>`` of an arXiv RSS feed; items that cannot be read become warnings."""
    result = Parsed()
    first = text.find("<item")
    channel = re.search(r"<pubDate>([^<]{1,100})</pubDate>", text[:first if first >= 0 else 20_000])
    announced = _rfc822(channel.group(1)) if channel else None  # the day of the whole feed
    for record in records(text, label, "rss", "item", result):
        try:
            paper = _rss_paper(record.element, label, announced)
        except Skip as exc:
            result.warnings.append(Problem(label, record.line, f"item {record.number} {exc}; "
                                                               "skipped"))
            continue
        paper.lines = {"title": record.line}
        result.papers.append(paper)
    if not result.papers and not result.warnings:
        result.warnings.append(Problem(label, 0, "the feed has no <item>; arXiv sends an empty "
                                                 "feed on days without announcements"))
    return result


def _rss_paper(item: ET.Element, label: str, announced_on: date | None) -> Paper:
    raw_id = text_of(item, "guid") or text_of(item, "link")
    if not raw_id:
        raise Skip("has no <guid> or <link>")
    try:
        arxiv_id, version = split_id(raw_id)
    except Skip:
        arxiv_id, version = split_id(text_of(item, "link"))
    title = text_of(item, "title")
    if not title:
        raise Skip(f"({arxiv_id}) has no <title>")
    when = _rfc822(text_of(item, "pubDate")) or announced_on
    if when is None:
        raise Skip(f"({arxiv_id}) has no valid <pubDate>")
    announced, abstract = announcement(
        "".join(next(iter(children(item, "description")), ET.Element("x")).itertext()))
    announced = text_of(item, "announce_type").lower() or announced
    summary = unwrap_paragraphs(abstract)
    paper = Paper(title=tex_quotes(title), date=when, body=tex_quotes(summary),
                  authors=creators(text_of(item, "creator")),
                  arxiv=arxiv_id, doi=text_of(item, "DOI") or None,
                  links=make_links([], summary), source=[Source(RSS_KIND, source_name(label))])
    fill_arxiv(paper, version, texts_of(item, "category"), "",
               text_of(item, "journal_reference"), text_of(item, "comment"))
    if announced:
        paper.extra["announce_type"] = announced
    return paper


# --- OAI-PMH ------------------------------------------------------------------------------


def parse_oai(text: str, label: str) -> Parsed:
    """Every record of an OAI-PMH answer in the ``arXiv`` or ``oai_dc`` format."""
    result = Parsed()
    error = re.search(r"<error\b[^<>]*code=\"([^\"]*)\"[^<>]*>([^<]*)<", text[:20_000])
    for record in records(text, label, "OAI-PMH", "record", result):
        header = next(iter(children(record.element, "header")), None)
        if header is not None and header.get("status") == "deleted":
            continue
        try:
            paper = _oai_paper(record.element, header, label)
        except Skip as exc:
            result.warnings.append(Problem(label, record.line, f"record {record.number} {exc}; "
                                                               "skipped"))
            continue
        paper.lines = {"title": record.line}
        result.papers.append(paper)
    if error and not result.papers:
        reason = f"{error.group(1)}: {collapse_ws(error.group(2))}"
        result.warnings.append(Problem(label, 0, f"the OAI-PMH answer is an error: {reason}"))
    return result


def _oai_paper(record: ET.Element, header: ET.Element | None, label: str) -> Paper:
    metadata = next(iter(children(record, "metadata")), None)
    inner = next(iter(metadata), None) if metadata is not None else None
    if inner is None:
        raise Skip("has no <metadata>")
    if local(inner.tag) == "dc":
        return _dc_paper(inner, text_of(header, "identifier"), label)
    if local(inner.tag) not in ("arXiv", "arXivRaw"):
        raise Skip(f"is in the metadata format <{local(inner.tag)}>, not arXiv or oai_dc")
    arxiv_id, version = split_id(text_of(inner, "id") or text_of(header, "identifier"))
    title = tex_to_text(text_of(inner, "title"))
    if not title:
        raise Skip(f"({arxiv_id}) has no <title>")
    when = iso_date(text_of(inner, "created")) or iso_date(text_of(header, "datestamp"))
    if when is None:
        raise Skip(f"({arxiv_id}) has no valid <created> date")
    authors = []
    for group in children(inner, "authors"):
        for author in children(group, "author"):
            parts = (text_of(author, "forenames"), text_of(author, "keyname"),
                     text_of(author, "suffix"))
            authors.append(tex_to_text(" ".join(p for p in parts if p)))
    summary = unwrap_paragraphs(
        "".join(next(iter(children(inner, "abstract")), ET.Element("x")).itertext()))
    paper = Paper(title=title, date=when, body=summary, authors=[a for a in authors if a],
                  arxiv=arxiv_id, doi=text_of(inner, "doi") or None,
                  links=make_links([], summary), source=[Source(OAI_KIND, source_name(label))])
    fill_arxiv(paper, version, text_of(inner, "categories").split(), "",
               text_of(inner, "journal-ref"), text_of(inner, "comments"))
    return paper


def _dc_paper(dc: ET.Element, identifier: str, label: str) -> Paper:
    """A Dublin Core record: arXiv puts the abstract and "Comment: ..." in descriptions."""
    ids = [identifier, *texts_of(dc, "identifier")]
    arxiv_id = version = None
    for raw in ids:
        try:
            arxiv_id, version = split_id(raw)
            break
        except Skip:
            continue
    title = tex_to_text(text_of(dc, "title"))
    if not title:
        raise Skip(f"({arxiv_id or identifier}) has no <dc:title>")
    dates = sorted(d for d in (iso_date(v) for v in texts_of(dc, "date")) if d)
    if not dates:
        raise Skip(f"({arxiv_id or identifier}) has no valid <dc:date>")
    authors = []
    for name in texts_of(dc, "creator"):
        last, comma, first = name.partition(", ")
        authors.append(tex_to_text(f"{first} {last}" if comma else name))
    descriptions = [d for d in (collapse_ws(x) for x in _raw_texts(dc, "description")) if d]
    comments = [d.split(":", 1)[1].strip() for d in descriptions if d.startswith("Comment:")]
    abstract = next((d for d in _raw_texts(dc, "description")
                     if not collapse_ws(d).startswith("Comment:")), "")
    summary = unwrap_paragraphs(abstract)
    doi = next((i[4:] for i in ids if i.lower().startswith("doi:")), None)
    paper = Paper(title=title, date=dates[0], body=summary, authors=authors, arxiv=arxiv_id,
                  doi=doi, links=make_links([], summary),
                  source=[Source(OAI_KIND, source_name(label))])
    fill_arxiv(paper, version, [], "", "", comments[0] if comments else "")
    return paper


def _raw_texts(element: ET.Element, name: str) -> list[str]:
    return ["".join(child.itertext()) for child in children(element, name)]
