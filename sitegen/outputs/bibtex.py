r"""BibTeX entries: one ``.bib`` per paper, ``papers.bib`` for the site, and the citation keys.

Keys look like ``vaswani2017attention`` (first author's last name, year, first
significant title word), ASCII only. Papers sharing a key get ``b``, ``c``, ...
in order of date then slug, oldest first, so adding a newer paper never renames
an older paper's key.

A ``.bib`` file's text is run by TeX (through BibTeX), and imported values are
untrusted, so no value may reach a TeX primitive. The rules:

* Text (titles outside formulas, authors): every TeX special is spelled as a
  command — ``\`` ``\textbackslash{}``, ``{`` ``\textbraceleft{}``, ``}``
  ``\textbraceright{}``, ``^`` ``\textasciicircum{}``, ``~``
  ``\textasciitilde{}``, ``# $ % & _`` with a backslash. So the value holds no
  backslash but ours, no ``^`` (TeX reads ``^^5c`` as a backslash) and no brace
  but the empty pairs after our commands (BibTeX counts ``\{`` as a brace, so
  an escaped brace could still end a field early). Control characters are dropped.
* Formulas in titles stay ``$...$`` only when made of plain math: letters,
  digits, operators, ``^``, ``_``, braces, and known math commands (no I/O or
  definitions); never two ``^`` in a row; braces balanced both as BibTeX counts
  them (every brace) and as TeX does (unescaped ones); no blank line. Any other
  formula is escaped as text. ``$x^2$`` stays; ``$x^^5cinput$`` does not.
* ``doi`` and ``eprint`` (identifiers) and ``url``: ``\``, ``{``, ``}``, ``^``,
  ``#``, ``%``, space and ``"`` are percent-encoded, so the value stays a working
  link in ``\url{}`` and a harmless string anywhere else. In the site's own page
  URL an existing ``%XX`` escape is kept.

The regular expressions here see imported text; each is linear (possessive
quantifiers where alternatives could share characters).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from sitegen.config import Config
from sitegen.markup import find_math
from sitegen.views import PaperView

FORMAT = 3  # bump when entries are written differently
_STOPWORD_TEXT = (
    "a an the on of in for to and or with from by at as is are be via towards toward "
    "into onto over under what how why when do does can we our your its their this that "
    "these those")
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_SPECIALS = {
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
    "#": r"\#", "$": r"\$", "%": r"\%", "&": r"\&", "_": r"\_", "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_WORD_SPLIT = re.compile(r"[\s\-/:]+")
_HAS_LETTER = re.compile("[a-z]")
_SPECIAL_RE = re.compile(r"[\\{}#$%&_~^]")
_NON_ALNUM = re.compile(r"[^a-z0-9]")
_SPACES = re.compile(r"\s+")
_AND = re.compile(r"\band\b", re.IGNORECASE)
# A word (letters, digits, "_" and "-") from its first letter; consumed whole (possessive),
# so a long run of "a-a-a-..." is scanned once, not once from every letter.
_CAPS_WORD = re.compile(r"(?<![\\\w{])[A-Za-z][\w\-]*+")
_CAPITAL = re.compile("[A-Z]")
# Characters XML 1.0 and TeX both choke on: controls other than tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Possessive: without it, "\\aaaa\\aaaa...#" backtracks through every split of every
# command name (exponential: 8 such commands took 40 s).
_MATH_SAFE = re.compile(
    r"(?:[A-Za-z0-9\s+\-*/=<>()\[\],.;:!|'^_{}]|\\[A-Za-z]++|\\[,;:! {}|])*+")
# Structural and function commands kept in titles besides latex2mathml's symbol table.
_MATH_COMMAND_TEXT = (
    "frac dfrac tfrac sqrt mathrm mathbf mathit mathsf mathtt mathcal mathbb mathfrak "
    "mathscr boldsymbol bm text textrm textbf textit operatorname left right big Big bigg "
    "Bigg hat bar tilde vec dot ddot overline underline widehat widetilde log ln exp sin cos "
    "tan max min sup inf lim arg det dim ker deg gcd Pr mid quad qquad cdot cdots ldots dots "
    "infty top prime")
_MATH_COMMANDS = frozenset(_MATH_COMMAND_TEXT.split())


def ascii_word(text: str) -> str:
    """Lowercase ASCII letters and digits of ``text`` (accents folded: ``Müller`` → ``muller``)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub("", folded.lower())


def ascii_word_list(text: str) -> list[str]:
    """The non-empty ASCII words of ``text``, split at spaces, dashes, slashes and colons."""
    spaced = text.replace("\u2013", " ").replace("\u2014", " ")  # en and em dashes
    folded = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode("ascii")
    return [w for w in (_NON_ALNUM.sub("", part) for part in _WORD_SPLIT.split(
        folded.lower())) if w]


def base_key(view: PaperView) -> str:
    """The bibliography's own key when the paper came with one (made safe), else
    ``lastname`` + ``year`` + ``firstword``; before any suffix for uniqueness."""
    own = safe_key(view.paper.bibtex_key or "")
    if own:
        return own
    last = ""
    if view.authors:
        name = view.authors[0].strip()
        part = name.split(",")[0] if "," in name else (name.split() or [""])[-1]
        last = ascii_word(part)
    words = ascii_word_list(_without_math(view.title))
    first = next((w for w in words if _HAS_LETTER.search(w) and w not in _STOPWORDS), "")
    first = first or next(iter(words), "") or "paper"
    return f"{last or 'anon'}{view.date.year:04d}{first}"


# Characters a citation key keeps: what BibTeX, biblatex and pandoc all accept in a key.
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_:.\-+/]")


def safe_key(key: str) -> str:
    """A citation key with anything BibTeX could act on (braces, commas, ``%``, ``^``,
    spaces, quotes) dropped; empty when nothing usable is left."""
    cleaned = _KEY_UNSAFE.sub("", key)[:100].strip("/.:")
    return cleaned if re.search("[A-Za-z0-9]", cleaned) else ""


def citation_keys(papers: Iterable[tuple[date, str, str]]) -> dict[str, str]:
    """A unique citation key for every paper, by slug, from ``(date, slug, base key)``."""
    taken: dict[str, int] = {}
    keys: dict[str, str] = {}
    used: set[str] = set()
    for _, slug, base in sorted(papers):
        count = taken.get(base, 0)
        key = base if count == 0 else base + _suffix(count)
        while key in used:  # a suffixed key can equal another paper's base key
            count += 1
            key = base + _suffix(count)
        taken[base] = count + 1
        used.add(key)
        keys[slug] = key
    return keys


def _suffix(count: int) -> str:
    """``1`` → ``b``, ``25`` → ``z``, ``26`` → ``ba``: letters after the first, unsuffixed key."""
    letters = ""
    number = count
    while True:
        letters = "abcdefghijklmnopqrstuvwxyz"[number % 26] + letters
        number //= 26
        if number == 0:
            return letters


def tex_escape(text: str) -> str:
    """Plain text as TeX: specials escaped, control characters dropped, spaces collapsed."""
    text = _SPACES.sub(" ", _CONTROL.sub(" ", text))
    return _SPECIAL_RE.sub(lambda m: _SPECIALS[m.group()], text)


def tex_title(title: str) -> str:
    """A title for BibTeX: text escaped, safe formulas kept, capitalised words protected."""
    if "$" not in title:
        return _protect_caps(tex_escape(title)).strip()
    out, last = [], 0
    for span in find_math(title):
        out.append(_protect_caps(tex_escape(title[last:span.start].replace("\\$", "$"))))
        out.append(f"${span.latex}$" if _safe_math(span.latex) else tex_escape(span.raw))
        last = span.end
    out.append(_protect_caps(tex_escape(title[last:].replace("\\$", "$"))))
    return "".join(out).strip()


def _protect_caps(text: str) -> str:
    """Brace words with a capital after their first letter (``LLMs``, ``GPT-4``)."""
    return _CAPS_WORD.sub(_brace_if_capital, text)


def _brace_if_capital(match: re.Match[str]) -> str:
    word = match.group()
    return "{" + word + "}" if _CAPITAL.search(word, 1) else word


def _safe_math(latex: str) -> bool:
    """True for formulas made only of plain math: no I/O or definitions reach TeX.

    ``^^`` is refused outright (TeX reads ``^^5c`` as a backslash, ``^^7b`` as a
    brace); braces must balance as BibTeX counts them (every brace, escaped or
    not) and as TeX does (unescaped ones only).
    """
    if "^^" in latex or "\n\n" in latex or not _MATH_SAFE.fullmatch(latex):
        return False
    bibtex_depth = tex_depth = 0
    for match in re.finditer(r"\\?[{}]", latex):
        step = 1 if match.group().endswith("{") else -1
        bibtex_depth += step
        if len(match.group()) == 1:
            tex_depth += step
        if bibtex_depth < 0 or tex_depth < 0:
            return False
    if bibtex_depth or tex_depth:
        return False
    return all(_known_command(name) for name in re.findall(r"\\([A-Za-z]+)", latex))


def _known_command(name: str) -> bool:
    if name in _MATH_COMMANDS:
        return True
    try:
        from latex2mathml.symbols_parser import convert_symbol
    except ImportError:  # pragma: no cover - layout of a future latex2mathml
        return False
    return convert_symbol("\\" + name) is not None


def _without_math(text: str) -> str:
    if "$" not in text:
        return text
    out, last = [], 0
    for span in find_math(text):
        out.append(text[last:span.start])
        last = span.end
    out.append(text[last:])
    return " ".join(out)


def _author(name: str) -> str:
    """One author for the ``and``-separated list; braced when it would split wrongly."""
    escaped = tex_escape(name).strip()
    if "," in name or _AND.search(name):
        return "{" + escaped + "}"
    return escaped


# BibTeX entry types written as they are; any other type from a bibliography is @misc.
ENTRY_TYPES = frozenset({
    "article", "book", "booklet", "inbook", "incollection", "inproceedings", "conference",
    "manual", "mastersthesis", "misc", "phdthesis", "proceedings", "techreport",
    "unpublished", "thesis", "report", "online", "dataset", "software"})
# Entry types whose venue is a book title (proceedings); for every other type, a journal.
BOOK_TYPES = frozenset({"inproceedings", "conference", "incollection", "inbook"})


def entry_type(view: PaperView) -> str:
    """The entry type: the bibliography's when BibTeX knows it, else ``misc`` (an
    e-print, cited by its ``eprint``)."""
    kind = view.paper.entry_type or "misc"
    return kind if kind in ENTRY_TYPES else "misc"


def entry(view: PaperView) -> str:
    """The BibTeX entry of one paper: its key line (the key depends on the other papers)
    and the fields the derive stage made (:func:`entry_fields`)."""
    return f"@{entry_type(view)}{{{view.cite_key},\n" + view.derived.bib


def _venue_fields(view: PaperView) -> list[tuple[str, str]]:
    """Where it was published: journal or book title, event, volume, number, pages..."""
    paper, kind = view.paper, entry_type(view)
    fields: list[tuple[str, str]] = []
    if paper.venue:
        name = "booktitle" if kind in BOOK_TYPES else "journal"
        fields.append((name, tex_escape(paper.venue).strip()))
    for name, value in (("eventtitle", paper.event), ("volume", paper.volume),
                        ("number", paper.number), ("pages", paper.pages),
                        ("publisher", paper.publisher)):
        if value:
            text = value.replace("\u2013", "--").replace("\u2014", "--") if name == "pages" \
                else value
            fields.append((name, tex_escape(text).strip()))
    return fields


def entry_fields(view: PaperView, config: Config) -> str:
    """An entry's lines after the key line, closing brace included: title, authors
    (``and others`` when the list is cut short), venue, the date at its precision,
    the e-print and DOI."""
    paper = view.paper
    fields: list[tuple[str, str]] = [("title", tex_title(view.title))]
    if view.authors:
        names = [_author(a) for a in view.authors]
        fields.append(("author", " and ".join(names + ([] if paper.authors_complete
                                                         else ["others"]))))
    fields += _venue_fields(view)
    fields.append(("year", str(view.date.year)))
    if paper.precision != "year":
        fields.append(("month", _MONTHS[view.date.month - 1]))
    fields.append(("date", paper.when.text()))
    if view.arxiv:
        fields += [("eprint", _verbatim(view.arxiv)), ("archivePrefix", "arXiv")]
        if paper.primary_category:
            fields.append(("primaryClass", _verbatim(paper.primary_category)))
    if view.doi:
        fields.append(("doi", _verbatim(view.doi)))
    url = cite_url(view, config)
    if url:
        fields.append(("url", url))
    lines = []
    for name, value in fields:
        bare = name == "month"
        lines.append(f"  {name} = {value}," if bare else f"  {name} = {{{value}}},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def cite_url(view: PaperView, config: Config) -> str:
    """The paper's URL for citing: arXiv, else DOI, else this site's page when absolute."""
    if view.arxiv:
        return "https://arxiv.org/abs/" + _verbatim(view.arxiv)
    if view.doi:
        return "https://doi.org/" + _verbatim(view.doi)
    if config.absolute_base:
        return _verbatim(config.absolute(view.path), keep_escapes=True)
    return ""


# What TeX or BibTeX could read as more than a character; "%" is added unless it starts
# an escape that is kept. Controls (and so line breaks) are dropped first.
_URL_UNSAFE = re.compile(r'[\\{}^#\s"]|%(?![0-9A-Fa-f]{2})')
_URL_UNSAFE_ALL = re.compile(r'[\\{}^#\s"%]')


def _verbatim(value: str, keep_escapes: bool = False) -> str:
    """A value for url, doi and eprint: what TeX or BibTeX could act on is percent-encoded.

    ``keep_escapes`` keeps an existing ``%XX`` (the site's own URL, already encoded).
    """
    value = _CONTROL.sub("", value).strip()
    unsafe = _URL_UNSAFE if keep_escapes else _URL_UNSAFE_ALL
    return unsafe.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), value)


def bib_path(view: PaperView) -> str:
    """Where a paper's own ``.bib`` file is written."""
    return f"{view.path}{view.slug}.bib"
