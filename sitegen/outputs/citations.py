"""Citation formats besides BibTeX: CSL-JSON, RIS and the ``citation_*`` meta tags.

Each says everything the paper's file knows that the format can hold: entry
type, venue, volume, issue, pages, publisher, the date at its precision (a
year-only date is ``[[2023]]``, ``2023///``, ``2023``, never January 1), the
DOI and the e-print, and whether the author list is complete. Beside each
paper's ``.bib`` go ``<slug>.csl.json`` and ``<slug>.ris``; ``papers.csl.json``
holds every paper.

Imported text is untrusted: CSL-JSON is written by :func:`json.dumps`; RIS is
one field per line, so every value has its line breaks (and every other
Unicode line or paragraph separator) folded into spaces before ``rispy``
writes it, and no value can start a line of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from typing import Any

from sitegen.config import Config
from sitegen.keys import Job, make_key
from sitegen.outputs import bibtex
from sitegen.views import PaperView, SiteData

FORMAT = 1  # bump when CSL-JSON or RIS is written differently
_CSL_TYPES = {
    "article": "article-journal", "inproceedings": "paper-conference",
    "conference": "paper-conference", "proceedings": "book", "book": "book",
    "booklet": "pamphlet", "inbook": "chapter", "incollection": "chapter",
    "phdthesis": "thesis", "mastersthesis": "thesis", "thesis": "thesis",
    "techreport": "report", "report": "report", "manual": "report", "dataset": "dataset",
    "software": "software", "online": "webpage",
}
_RIS_TYPES = {
    "article": "JOUR", "inproceedings": "CPAPER", "conference": "CPAPER", "proceedings": "CONF",
    "book": "BOOK", "booklet": "PAMP", "inbook": "CHAP", "incollection": "CHAP",
    "phdthesis": "THES", "mastersthesis": "THES", "thesis": "THES", "techreport": "RPRT",
    "report": "RPRT", "manual": "RPRT", "dataset": "DATA", "software": "COMP",
    "online": "ELEC", "unpublished": "UNPB",
}
INCOMPLETE = "The author list is incomplete (the source ends it with \"and others\")."


@dataclass(frozen=True)
class Pages:
    """A page range split for formats that want its ends apart (``citation_firstpage``)."""

    first: str
    last: str


def page_range(pages: str | None) -> Pages | None:
    """``123--145`` (or ``123-145``, ``123–145``) as first and last; ``e1234`` as first."""
    if not pages:
        return None
    text = pages.replace("\u2013", "-").replace("\u2014", "-")
    first, _, last = text.partition("-")
    return Pages(first.strip(), last.strip("- ").strip())


def _csl_pages(pages: str | None) -> str | None:
    """A page range as CSL writes it, ``101-118`` (BibTeX's ``--`` and dashes folded)."""
    found = page_range(pages)
    if found is None:
        return None
    return f"{found.first}-{found.last}" if found.last else found.first


def _entry_type(view: PaperView) -> str:
    return bibtex.entry_type(view)


def _split_name(name: str) -> dict[str, str]:
    """"First Last" as CSL given and family names; one word stays a literal name."""
    parts = name.rsplit(" ", 1)
    if len(parts) == 1:
        return {"literal": name}
    return {"family": parts[1], "given": parts[0]}


def csl_item(view: PaperView, config: Config) -> dict[str, Any]:
    """One paper as a CSL-JSON item (what pandoc, Zotero and citeproc read)."""
    paper = view.paper
    kind = _entry_type(view)
    item: dict[str, Any] = {"id": view.cite_key, "citation-key": view.cite_key,
                            "type": _CSL_TYPES.get(kind, "article"), "title": paper.title}
    if paper.authors:
        item["author"] = [_split_name(name) for name in paper.authors]
        if not paper.authors_complete:
            item["author"].append({"literal": "others"})
    parts = [paper.date.year, paper.date.month, paper.date.day]
    item["issued"] = {"date-parts": [parts[:1 + paper.when.rank()]]}
    for key, value in (("container-title", paper.venue), ("event-title", paper.event),
                       ("volume", paper.volume), ("issue", paper.number),
                       ("page", _csl_pages(paper.pages)), ("publisher", paper.publisher),
                       ("DOI", paper.doi)):
        if value:
            item[key] = value
    if paper.arxiv:
        item["number"] = f"arXiv:{paper.arxiv}"
        if kind == "misc" and not paper.venue and "publisher" not in item:
            item["publisher"] = "arXiv"  # how citation styles name an e-print's home
    url = bibtex.cite_url(view, config)
    if url:
        item["URL"] = url
    notes = [text for text in (paper.journal_ref, None if paper.authors_complete or not
                               paper.authors else INCOMPLETE) if text]
    if notes:
        item["note"] = " ".join(notes)
    if paper.body:
        item["abstract"] = paper.body
    return item


def csl_body(view: PaperView, config: Config) -> str:
    """The paper's item as :func:`csl_json` writes it, between its two key lines (the key
    depends on the other papers) and its abstract (kept once, in the paper): made once
    per paper by the derive stage."""
    item = csl_item(view, config)
    del item["id"], item["citation-key"]
    item.pop("abstract", None)
    text = json.dumps(item, ensure_ascii=False, indent=2)  # "{\n  ...\n}": indented once more
    return text.replace("\n", "\n  ")[len("{\n"):-len("\n  }")]


def _csl_text(view: PaperView, config: Config) -> str:
    """One item of :func:`csl_json`'s array, indented as ``json.dumps`` indents it."""
    body = view.derived.csl if view.derived.csl is not None else csl_body(view, config)
    key = json.dumps(view.cite_key, ensure_ascii=False)
    abstract = view.paper.body  # the last field of csl_item, when there is one
    tail = f',\n    "abstract": {json.dumps(abstract, ensure_ascii=False)}' if abstract else ""
    return f'  {{\n    "id": {key},\n    "citation-key": {key},\n{body}{tail}\n  }}'


def csl_json(views: list[PaperView], config: Config) -> list[bytes]:
    """A CSL-JSON file: an array of items, as ``json.dumps(items, indent=2)`` writes it,
    joined from each paper's :func:`csl_body` (encoding 10,000 items took half a second).

    Parts rather than one joined copy: at 100,000 papers the file is about 200 MB, and
    one string of it holds up to four bytes a character.
    """
    if not views:
        return [b"[]\n"]
    parts = [b"[\n"]
    for view in views:
        parts += (_csl_text(view, config).encode(), b",\n")
    parts[-1] = b"\n]\n"
    return parts


def _line(value: str) -> str:
    """One RIS value on one line: every line break and separator becomes a space."""
    return " ".join(value.split())


def ris_record(view: PaperView, config: Config) -> dict[str, Any]:
    """One paper as a RIS record, in rispy's field names."""
    paper = view.paper
    kind = _entry_type(view)
    ris_type = _RIS_TYPES.get(kind, "GEN")
    record: dict[str, Any] = {"type_of_reference": ris_type, "id": view.cite_key,
                              "title": paper.title}
    record["authors"] = [_ris_name(name) for name in paper.authors]
    record["year"] = f"{paper.date.year:04d}"
    parts = paper.when.text().split("-") + ["", ""]
    record["date"] = "/".join(parts[:3]) + "/"
    if paper.venue:
        record["journal_name" if ris_type == "JOUR" else "secondary_title"] = paper.venue
    pages = page_range(paper.pages)
    for key, value in (("volume", paper.volume), ("number", paper.number),
                       ("start_page", pages.first if pages else None),
                       ("end_page", pages.last if pages else None),
                       ("publisher", paper.publisher), ("doi", paper.doi)):
        if value:
            record[key] = value
    url = bibtex.cite_url(view, config)
    record["urls"] = [url] if url else []
    notes = [f"arXiv:{paper.arxiv}" if paper.arxiv else "", paper.journal_ref or "",
             "" if paper.authors_complete or not paper.authors else INCOMPLETE]
    record["notes"] = [note for note in notes if note]
    if paper.body:
        record["abstract"] = paper.body
    return {key: ([_line(v) for v in value] if isinstance(value, list) else _line(value))
            for key, value in record.items() if value}


def _ris_name(name: str) -> str:
    parts = name.rsplit(" ", 1)
    return f"{parts[1]}, {parts[0]}" if len(parts) == 2 else name


def ris_text(views: list[PaperView], config: Config) -> bytes:
    """A RIS file, written by rispy (without its record-number lines)."""
    import rispy
    from rispy.writer import RisWriter

    class _Writer(RisWriter):
        def set_header(self, count: int) -> str:
            return ""

    records = [ris_record(view, config) for view in views]
    return rispy.dumps(records, implementation=_Writer).encode("utf-8")


def citation_meta(view: PaperView) -> list[tuple[str, str]]:
    """The ``citation_*`` meta tags (Google Scholar, Zotero), as (name, content) pairs."""
    paper = view.paper
    kind = _entry_type(view)
    tags = [("citation_title", paper.title)]
    tags += [("citation_author", name) for name in paper.authors]
    tags.append(("citation_publication_date", paper.when.text().replace("-", "/")))
    if paper.venue:
        name = ("citation_journal_title" if kind == "article" else
                "citation_conference_title" if kind in ("inproceedings", "conference") else
                "citation_inbook_title" if kind in bibtex.BOOK_TYPES else
                "citation_journal_title")
        tags.append((name, paper.venue))
    pages = page_range(paper.pages)
    for name, value in (("citation_volume", paper.volume), ("citation_issue", paper.number),
                        ("citation_firstpage", pages.first if pages else None),
                        ("citation_lastpage", pages.last if pages else None),
                        ("citation_publisher", paper.publisher),
                        ("citation_arxiv_id", paper.arxiv), ("citation_doi", paper.doi)):
        if value:
            tags.append((name, value))
    if paper.arxiv:
        tags.append(("citation_pdf_url", f"https://arxiv.org/pdf/{paper.arxiv}"))
    return [(name, _line(content)) for name, content in tags]  # one line each, for readers


def export_paths(view: PaperView) -> dict[str, str]:
    """Where a paper's citation files are written, by format: beside its page."""
    base = f"{view.path}{view.slug}"
    return {"bib": f"{base}.bib", "csl": f"{base}.csl.json", "ris": f"{base}.ris"}


def citation_jobs(site: SiteData) -> list[Job]:
    """``<slug>.csl.json`` and ``<slug>.ris`` beside each paper, and ``papers.csl.json``."""
    config = site.config
    settings = (FORMAT, bibtex.FORMAT, config.base_url)
    jobs = []
    prefix = make_key("citations", settings)
    for view in site.papers:
        key = f"{prefix}:{view.key}:{view.cite_key}"
        paths = export_paths(view)
        jobs.append(Job(paths["csl"], key + ":csl", partial(csl_json, [view], config)))
        jobs.append(Job(paths["ris"], key + ":ris", partial(ris_text, [view], config)))
    all_key = make_key("papers.csl.json", settings, [(v.key, v.cite_key) for v in site.papers])
    jobs.append(Job("papers.csl.json", all_key, partial(csl_json, site.papers, config),
                    whole=True))
    return jobs
