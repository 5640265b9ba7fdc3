"""Script injection: hostile payloads in every field that reaches the output.

Each payload carries a unique marker (``zxq07x``) so that injected content can
be told from the theme's own. One site is built with every payload in every
field (title, authors, organization id and name, tags, abstract, link URLs,
arXiv id, DOI, file name) and in the configuration (title, description,
author, language); a second site with the same shape and harmless text is the
baseline that says which elements the theme itself uses. Then every output
file is checked:

- HTML (parsed with html5lib, as a browser would): no script besides the
  theme's (``src`` under ``static/`` or ``pagefind/``, or inline text with no
  marker; JSON-LD must parse and give back the original text), no ``on*``
  attribute, no ``javascript:``/``vbscript:``/``data:`` URL in any URL
  attribute (after decoding and stripping whitespace and control characters),
  no element the theme and the sanitiser's allowlist do not produce, and the
  visible title, authors, organization and tags are exactly the original text;
- feeds and other XML: well formed, entry titles exactly the original titles,
  and HTML carried inside them passes the HTML checks;
- ``papers.json``: parses and holds the original text of every field;
- the search index (Pagefind): the HTML it indexes is covered above; its
  fragments, when present, hold no live markup.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import html5lib
import nh3
import pytest

from sitegen.cli import main
from sitegen.frontmatter import parse_paper
from sitegen.taxonomy import normalize_tag

MARK = "zxq{:02d}x"
# (name, payload); "{m}" is replaced by the payload's marker.
PAYLOADS: list[tuple[str, str]] = [
    ("script", "<script>alert('{m}')</script>"),
    ("script-src", "<SCRIPT SRC=//evil.example/{m}.js></SCRIPT>"),
    ("svg-onload-breakout", "\"><svg onload=alert('{m}')>"),
    ("img-onerror-breakout", "'><img src=x onerror=alert('{m}')>"),
    ("double-quote-attribute", "\" onmouseover=\"alert('{m}')\" x=\""),
    ("single-quote-attribute", "' onfocus='alert(1)' autofocus x='{m}"),
    ("title-breakout", "</title><script>alert('{m}')</script>"),
    ("script-breakout", "</script><script>alert('{m}')</script>"),
    ("textarea-breakout", "</textarea><script>alert('{m}')</script>"),
    ("style-breakout", "</style><script>alert('{m}')</script>"),
    ("javascript-url", "javascript:alert('{m}')"),
    ("javascript-mixed-case", "JaVaScRiPt:alert('{m}')"),
    ("javascript-entity", "&#106;avascript:alert('{m}')"),
    ("anchor-javascript", "<a href=\"javascript:alert('{m}')\">x</a>"),
    ("anchor-mixed-case", "<a href=\"JaVaScRiPt:alert('{m}')\">x</a>"),
    ("anchor-entity", "<a href=\"&#106;avascript:alert('{m}')\">x</a>"),
    ("anchor-tab-in-scheme", "<a href=\"java\tscript:alert('{m}')\">x</a>"),
    ("anchor-control-prefix", "<a href=\" &#14; javascript:alert('{m}')\">x</a>"),
    ("anchor-vbscript", "<a href=\"vbscript:msgbox('{m}')\">x</a>"),
    ("cdata-end", "]]><script>alert('{m}')</script><![CDATA["),
    ("html-comment", "<!--<script>alert('{m}')</script>-->"),
    ("comment-open", "<!-- {m} <img src=x onerror=alert(1)>"),
    ("unicode-line-separators", "a\u2028b\u2029c</script><script>alert('{m}')</script>"),
    ("template-expression", "{{{{ 7*7 }}}} {m}"),
    ("template-raw", "{{% raw %}}{{{{ config }}}}{{% endraw %}} {m}"),
    ("template-subclasses", "{{{{ ''.__class__.__mro__[1].__subclasses__() }}}} {m}"),
    ("markdown-link-javascript", "[x{m}](javascript:alert(1))"),
    ("markdown-link-spaced", "[x{m}]( javascript:alert(1) )"),
    ("markdown-link-angle", "[x{m}](<javascript:alert(1)>)"),
    ("markdown-autolink", "<javascript:alert('{m}')>"),
    ("markdown-image-onerror", "![x{m}](x\" onerror=\"alert(1))"),
    ("markdown-reference", "[x{m}][r]\n\n[r]: javascript:alert(1)"),
    ("markdown-data-url", "[x{m}](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
    ("data-url-anchor", "<a href=\"data:text/html,<script>alert('{m}')</script>\">x</a>"),
    ("iframe-srcdoc", "<iframe srcdoc=\"<script>alert('{m}')</script>\"></iframe>"),
    ("math-mtext-script", "<math><mtext><script>alert('{m}')</script></mtext></math>"),
    ("math-xlink", "<math><mi xlink:href=\"javascript:alert('{m}')\">x</mi></math>"),
    ("latex-href", "$\\href{{javascript:alert('{m}')}}{{x}}$"),
    ("latex-text-html", "$\\text{{<script>alert('{m}')</script>}}$"),
    ("latex-display", "$$\\style{{background:url(javascript:alert(1))}}{{x}}\\mathrm{{{m}}}$$"),
    ("svg-script", "<svg><script>alert('{m}')</script></svg>"),
    ("svg-xlink", "<svg><a xlink:href=\"javascript:alert('{m}')\"><text>x</text></a></svg>"),
    ("form-action", "<form action=\"javascript:alert('{m}')\"><button formaction="
                    "\"javascript:alert(1)\">x</button></form>"),
    ("object-data", "<object data=\"javascript:alert('{m}')\"></object>"),
    ("embed-src", "<embed src=\"javascript:alert('{m}')\">"),
    ("base-href", "<base href=\"javascript:alert('{m}')//\">"),
    ("meta-refresh", "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert('{m}')\">"),
    ("style-import", "<style>@import 'javascript:alert(\"{m}\")';</style>"),
    ("style-attribute", "<div style=\"background:url(javascript:alert('{m}'))\">x</div>"),
    ("body-onload", "<body onload=alert('{m}')>"),
    ("details-ontoggle", "<details open ontoggle=alert('{m}')>x</details>"),
    ("nested-script", "<scr<script>ipt>alert('{m}')</scr</script>ipt>"),
    ("double-open", "<<script>script>alert('{m}')<</script>/script>"),
    ("noscript-mutation", "<noscript><p title=\"</noscript><img src=x onerror=alert('{m}')>\">"),
    ("svg-style-mutation", "<svg><style><img src=x onerror=alert('{m}')></style></svg>"),
    ("table-background", "<table><td background=\"javascript:alert('{m}')\">x</td></table>"),
    ("percent-encoded", "%3Cscript%3Ealert('{m}')%3C/script%3E"),
    # C0 controls are refused in content (tests/test_control_chars.py); DEL is not.
    ("del-and-invisible", "\x7f\u200b{m}\u00ad\x7f"),
    ("right-to-left-override", "\u202e{m}\u202c gnp.exe"),
]
CONFIG_FIELDS = ("title", "description", "author")
PAPER_FIELDS = ("title", "authors", "organization id", "organization name", "tags", "abstract",
                "links", "arxiv", "doi")
# http(s) URLs with brackets and other characters a links: value may hold.
LINK_URL = "https://example.org/{m}/a(b)[c]{{d}}?q=1&r=%22#frag"
# links: values sitegen must refuse, each with its exact message.
BAD_LINKS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "&#106;avascript:alert(1)",
    " javascript:alert(1)", "java\tscript:alert(1)", "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>", "https://example.org/\"onmouseover=\"alert(1)",
    "https://example.org/'onmouseover='alert(1)", "https://example.org/<script>",
    "https://example.org/a b", "https://example.org/`x`", "//evil.example/x", "https://",
    "file:///etc/passwd", "ftp://example.org/x",
]
URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster", "background", "cite",
             "longdesc", "codebase", "manifest", "icon", "ping", "dynsrc", "lowsrc", "usemap",
             "profile", "archive", "classid", "srcset"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
MATHML = {"math", "maction", "menclose", "merror", "mfenced", "mfrac", "mi", "mmultiscripts",
          "mn", "mo", "mover", "mpadded", "mphantom", "mprescripts", "mroot", "mrow", "ms",
          "mspace", "msqrt", "mstyle", "msub", "msubsup", "msup", "mtable", "mtd", "mtext",
          "mtr", "munder", "munderover", "none", "semantics", "annotation"}
# What the abstract sanitiser may let through besides the theme's own elements.
SANITISED = (set(nh3.ALLOWED_TAGS) - {"img", "area", "map"}) | MATHML
XLINK = "{http://www.w3.org/1999/xlink}"
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_EDGES = re.compile(r"^[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]+|[\x00-\x20]+$")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Filled while the checks run; the last test reports and checks them.
CHECKED: Counter[str] = Counter()


def marker(index: int) -> str:
    return MARK.format(index)


def payload(index: int) -> str:
    return PAYLOADS[index][1].replace("{m}", marker(index)).replace("{{", "{").replace("}}", "}")


def yaml_quote(text: str) -> str:
    """A YAML double-quoted scalar holding exactly ``text``."""
    out = json.dumps(text, ensure_ascii=False)
    for char in ("\u2028", "\u2029", "\x85", "\x7f"):
        out = out.replace(char, f"\\u{ord(char):04x}")
    return out


def toml_quote(text: str) -> str:
    """A TOML basic string holding exactly ``text``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped) + '"'


def paper_fields(index: int, hostile: bool) -> dict[str, Any]:
    """The fields of paper ``index``: payloads, or harmless text of the same shape."""
    m = marker(index)
    text = payload(index) if hostile else f"Plain text {m}"
    abstract = (f"{text}\n\nIn a paragraph: {text}\n\n> {text}\n\n* {text}\n\n"
                f"A [link](https://example.org/{m}) and `code` and <sub>sub</sub>.")
    if not hostile:
        abstract += ("\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n1. one\n2. two\n\n"
                     "```\ncode block\n```\n\nSome $x^2 + \\frac{1}{2}$ math and "
                     "$$\\sum_i x_i$$\n")
    return {
        "title": text,
        "authors": [text, f"Plain Author {m}"],
        "organization": {"id": f"{text} id", "name": f"{text} name"},
        "tags": [text],
        "links": [LINK_URL.format(m=m)],
        "arxiv": text,
        "doi": f"10.1234/{text}",
        "abstract": abstract,
        "date": date(2024, 1, 1) + timedelta(days=index),
    }


def write_site(root: Path, hostile: bool) -> Path:
    site = root / ("hostile" if hostile else "baseline")
    papers = site / "content" / "papers"
    papers.mkdir(parents=True)
    everything = " ".join(payload(i) for i in range(len(PAYLOADS))) if hostile else "Plain site"
    config = [f"{key} = {toml_quote(everything + ' ' + key)}" for key in CONFIG_FIELDS]
    config += ['base_url = "https://example.org/x/"', "search = true", "per_page = 10"]
    (site / "sitegen.toml").write_text("\n".join(config) + "\n", encoding="utf-8")
    for index in range(len(PAYLOADS)):
        fields = paper_fields(index, hostile)
        org = fields["organization"]
        lines = [
            "---",
            f"title: {yaml_quote(fields['title'])}",
            f"date: {fields['date'].isoformat()}",
            "authors: [" + ", ".join(yaml_quote(a) for a in fields["authors"]) + "]",
            f"organization: {{id: {yaml_quote(org['id'])}, name: {yaml_quote(org['name'])}}}",
            "tags: [" + ", ".join(yaml_quote(t) for t in fields["tags"]) + "]",
            "links: [" + ", ".join(yaml_quote(u) for u in fields["links"]) + "]",
            f"arxiv: {yaml_quote(fields['arxiv'])}",
            f"doi: {yaml_quote(fields['doi'])}",
            f"upvotes: {index}",
            "---",
            "",
            fields["abstract"],
            "",
        ]
        (papers / f"p{index:02d}.md").write_text("\n".join(lines), encoding="utf-8")
    name = '"><img src=x onerror=alert(1)> zxqfnx.md' if hostile else "plain zxqfnx.md"
    (papers / name).write_text("---\ntitle: File name payload\ndate: 2023-06-01\n---\n\nBody.\n",
                               encoding="utf-8")
    return site


def build(site: Path, out: Path) -> None:
    code = main(["build", "--site", str(site), "--output", str(out), "-q", "--clean"])
    assert code == 0


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The hostile site and its baseline, built."""
    root = tmp_path_factory.mktemp("xss")
    built = {}
    for hostile in (False, True):
        site = write_site(root, hostile)
        out = root / f"{site.name}-out"
        build(site, out)
        built[site.name] = out
        built[site.name + "-site"] = site
    return built


def parse(data: bytes | str) -> Any:
    return html5lib.parse(data, treebuilder="etree", namespaceHTMLElements=False)


def local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def elements(root: Any) -> Iterator[Any]:
    for element in root.iter():
        if isinstance(element.tag, str):
            yield element


def theme_vocabulary(out: Path) -> tuple[set[str], set[str]]:
    """Element names and script ``src`` paths in the baseline build."""
    tags, scripts = set(), set()
    for path in out.rglob("*.html"):
        for element in elements(parse(path.read_bytes())):
            tags.add(local(element.tag))
            if local(element.tag) == "script" and element.get("src"):
                scripts.add(element.get("src").split("?", 1)[0])
    return tags, scripts


def bad_url(value: str) -> bool:
    """True when a browser would run ``value`` as a script or data URL.

    As the URL standard parses it: C0 controls, spaces and invisible separators
    around the URL are dropped, and tabs and line breaks anywhere are removed
    (``java<TAB>script:`` is ``javascript:``); a space *inside* the scheme makes
    it a relative URL. Entities are decoded once more in case of double encoding.
    """
    for candidate in (value, html.unescape(value)):
        url = _EDGES.sub("", _TAB_NEWLINE.sub("", candidate)).lower()
        if url.startswith(BAD_SCHEMES):
            return True
    return False


def markers_in(text: str) -> list[str]:
    return re.findall(r"zxq(?:\d\d|fn)x", text.lower())


def check_html(root: Any, label: str, allowed_tags: set[str], base: str) -> tuple[list[str],
                                                                                  list[Any]]:
    """Problems in one parsed HTML document, and the JSON-LD records it holds."""
    problems, records = [], []
    for element in elements(root):
        name = local(element.tag)
        if name not in allowed_tags:
            problems.append(f"{label}: element <{name}> {dict(element.attrib)}")
        if name == "script":
            src = element.get("src")
            kind = (element.get("type") or "").lower()
            if src:
                path = src.split("?", 1)[0]
                if not (path.startswith(base + "static/") or "/pagefind/" in path) \
                        or markers_in(src):
                    problems.append(f"{label}: script src {src!r}")
            elif kind == "application/ld+json":
                try:
                    records.append(json.loads(element.text or ""))
                except ValueError as exc:
                    problems.append(f"{label}: JSON-LD does not parse ({exc})")
            elif markers_in(element.text or ""):
                problems.append(f"{label}: inline script with a payload: {element.text!r:.80}")
        for attribute, value in element.attrib.items():
            attr = local(attribute)
            if attr.startswith("on"):
                problems.append(f"{label}: <{name} {attr}={value!r:.60}>")
            if (attr in URL_ATTRS or attribute == XLINK + "href") and bad_url(value):
                problems.append(f"{label}: <{name} {attr}={value!r:.60}>")
            if attr in ("srcdoc", "http-equiv", "formaction"):
                problems.append(f"{label}: <{name} {attr}={value!r:.60}>")
            if attr == "style" and markers_in(value):
                problems.append(f"{label}: <{name} style={value!r:.60}>")
    return problems, records


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def expected_texts(index: int) -> list[str]:
    fields = paper_fields(index, hostile=True)
    org = fields["organization"]
    return [fields["title"], *fields["authors"], org["id"], org["name"], *fields["tags"],
            fields["arxiv"], fields["doi"], *fields["links"]]


# ---------------------------------------------------------------------------- the checks


def test_there_are_enough_payloads() -> None:
    assert len(PAYLOADS) >= 40
    assert len({name for name, _ in PAYLOADS}) == len(PAYLOADS)
    print(f"\nXSS payloads: {len(PAYLOADS)} payloads x {len(PAPER_FIELDS)} paper fields "
          f"+ {len(CONFIG_FIELDS)} config fields, and {len(BAD_LINKS)} refused link URLs")


def test_every_paper_was_built(sites: dict[str, Path]) -> None:
    out = sites["hostile"]
    for index in range(len(PAYLOADS)):
        assert (out / "papers" / f"p{index:02d}" / "index.html").is_file()


def test_no_html_output_runs_injected_script(sites: dict[str, Path]) -> None:
    base_tags, _ = theme_vocabulary(sites["baseline"])
    allowed = base_tags | SANITISED
    out = sites["hostile"]
    problems, files = [], 0
    for path in sorted(out.rglob("*.html")):
        label = path.relative_to(out).as_posix()
        found, _ = check_html(parse(path.read_bytes()), label, allowed, "/x/")
        problems += found
        files += 1
    CHECKED["html"] += files
    assert files > len(PAYLOADS)
    assert not problems, "\n".join(problems[:40])


def test_the_baseline_passes_the_same_checks(sites: dict[str, Path]) -> None:
    """The checks themselves: the harmless site must not trip them."""
    base_tags, _ = theme_vocabulary(sites["baseline"])
    out = sites["baseline"]
    problems = []
    for path in sorted(out.rglob("*.html")):
        found, _ = check_html(parse(path.read_bytes()), path.name, base_tags | SANITISED, "/x/")
        problems += found
    assert not problems, "\n".join(problems[:20])
    assert {"html", "head", "body", "a", "h1"} <= base_tags


@pytest.mark.parametrize("index", range(len(PAYLOADS)), ids=[n for n, _ in PAYLOADS])
def test_paper_page_shows_the_exact_text(index: int, sites: dict[str, Path]) -> None:
    fields = paper_fields(index, hostile=True)
    page = sites["hostile"] / "papers" / f"p{index:02d}" / "index.html"
    root = parse(page.read_bytes())
    title = fields["title"]
    shown = html5lib_text(title)
    if "$" not in title:
        assert text_of(root.find(".//h1")) == shown
    assert text_of(root.find(".//title")).startswith(shown + " · ")
    authors = text_of(root.find(".//p[@class='authors']"))
    assert authors == "Authors: " + ", ".join(html5lib_text(a) for a in fields["authors"])
    org = fields["organization"]
    assert text_of(root.find(".//p[@class='org']")) == \
        f"Organization: {html5lib_text(org['name'])} ({html5lib_text(org['id'])})"
    tags = [text_of(a) for a in root.findall(".//ul[@class='tags']/li/a")]
    assert html5lib_text(normalize_tag(fields["tags"][0])) in tags  # tags are lowercased
    hrefs = [a.get("href") for a in root.iter("a")]
    assert fields["links"][0] in hrefs
    assert not [href for href in hrefs if href is not None and bad_url(href)]
    if "7*7" in title:
        assert "{{ 7*7 }}" in text_of(root.find(".//h1"))
        assert "49" not in text_of(root.find(".//h1"))


def html5lib_text(text: str) -> str:
    """``text`` as html5lib gives it back: CR and NUL are normalised by the parser."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")


def text_of(element: Any) -> str:
    assert element is not None
    return "".join(element.itertext())


def test_json_ld_gives_back_the_original_text(sites: dict[str, Path]) -> None:
    out = sites["hostile"]
    base_tags, _ = theme_vocabulary(sites["baseline"])
    pages_with_records = 0
    for index in range(len(PAYLOADS)):
        page = out / "papers" / f"p{index:02d}" / "index.html"
        _, records = check_html(parse(page.read_bytes()), page.name, base_tags | SANITISED, "/x/")
        if not records:
            continue
        pages_with_records += 1
        found = set().union(*(set(strings(r)) for r in records))
        fields = paper_fields(index, hostile=True)
        assert fields["title"] in found
        for name in fields["authors"]:
            assert name in found
        for string in found:
            assert "\\u003c" not in string  # decoded once, not twice
    CHECKED["json-ld"] += pages_with_records
    if any(b"application/ld+json" in p.read_bytes() for p in out.rglob("*.html")):
        assert pages_with_records == len(PAYLOADS)


def test_json_files_parse_and_keep_the_original_text(sites: dict[str, Path]) -> None:
    out = sites["hostile"]
    files = sorted(p for p in out.rglob("*.json") if "pagefind" not in p.parts)
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        CHECKED["json"] += 1
        if path.name != "papers.json":
            continue
        found = set(strings(data))
        for index in range(len(PAYLOADS)):
            for text in expected_texts(index):
                assert text in found, (path.name, text)
            abstract = paper_fields(index, hostile=True)["abstract"]
            assert abstract.strip() in found
        for key in CONFIG_FIELDS[:2]:
            assert any(s.endswith(" " + key) and "zxq00x" in s for s in found)


def _feeds(out: Path, kind: str) -> list[Path]:
    """The Atom (``feed``) or RSS (``rss``) files of a build."""
    return [p for p in sorted(out.rglob("*.xml"))
            if local(ET.parse(p).getroot().tag) == kind]


def test_xml_is_well_formed_and_keeps_the_text(sites: dict[str, Path]) -> None:
    out = sites["hostile"]
    titles = {_XML_INVALID.sub("", paper_fields(i, True)["title"]) for i in range(len(PAYLOADS))}
    titles.add("File name payload")
    entries = 0
    for path in sorted(out.rglob("*.xml")):
        root = ET.parse(path).getroot()  # raises when not well formed
        CHECKED["xml"] += 1
        for element in root.iter():
            if local(element.tag) in ("entry", "item"):
                title = next((c for c in element if local(c.tag) == "title"), None)
                assert title is not None and title.text in titles, (path.name, title)
                entries += 1
    CHECKED["feed entries"] += entries
    if (out / "feed.xml").is_file():
        assert entries > 0


def _html_parts(root: ET.Element, kind: str) -> Iterator[tuple[str, str]]:
    """(element name, text) of feed elements whose text readers show as HTML.

    Atom says so with ``type="html"``; in RSS every ``description`` is HTML
    (entity-encoded), whatever it holds.
    """
    for element in root.iter():
        name = local(element.tag)
        carries_html = element.get("type") == "html" if kind == "feed" else name == "description"
        if carries_html and element.text:
            yield name, element.text


def _check_feeds(out: Path, kind: str, allowed: set[str]) -> None:
    files = _feeds(out, kind)
    if not files:
        pytest.skip(f"no {kind} files in this build")
    problems, fragments = [], 0
    for path in files:
        for name, fragment in _html_parts(ET.parse(path).getroot(), kind):
            label = f"{path.relative_to(out).as_posix()} <{name}>"
            problems += check_html(parse(fragment), label, allowed, "/x/")[0]
            fragments += 1
    CHECKED[f"{kind} html fragments"] += fragments
    assert not problems, "\n".join(problems[:20])


def test_html_inside_atom_feeds_is_sanitised(sites: dict[str, Path]) -> None:
    base_tags, _ = theme_vocabulary(sites["baseline"])
    _check_feeds(sites["hostile"], "feed", base_tags | SANITISED)


def test_html_inside_rss_feeds_is_sanitised(sites: dict[str, Path]) -> None:
    base_tags, _ = theme_vocabulary(sites["baseline"])
    _check_feeds(sites["hostile"], "rss", base_tags | SANITISED)


def test_search_index_keeps_the_text(sites: dict[str, Path]) -> None:
    """Pagefind indexes the checked paper pages; its fragments must give back their titles.

    Fragments hold plain text (the theme's search script shows titles with
    ``textContent`` and keeps only ``<mark>`` from excerpts), so what matters
    here is that they decode and carry the original text, not markup.
    """
    out = sites["hostile"] / "pagefind"
    if not out.is_dir():
        pytest.skip("no search index in this build")
    titles = {}
    for path in sorted(out.rglob("*.pf_fragment")):
        raw = gzip.decompress(path.read_bytes())
        assert raw.startswith(b"pagefind_dcd")
        record = json.loads(raw[len(b"pagefind_dcd"):].decode("utf-8"))
        titles[record["url"].rstrip("/").rsplit("/", 1)[-1]] = record["meta"]["title"]
        CHECKED["search fragments"] += 1
    for index in range(len(PAYLOADS)):
        title = paper_fields(index, hostile=True)["title"]
        shown = " ".join(html5lib_text(title).split())  # Pagefind collapses white space
        assert " ".join(titles[f"p{index:02d}"].split()) == shown, index


@pytest.mark.parametrize("url", BAD_LINKS)
def test_links_refuse_anything_but_http_urls(url: str) -> None:
    text = f"---\ntitle: Links\ndate: 2024-03-05\nlinks: [{yaml_quote(url)}]\n---\n\nBody.\n"
    paper, problems = parse_paper(text, "content/papers/links.md")
    assert paper is None
    shown = url.strip()[:80]
    assert [str(p) for p in problems] == [
        f"content/papers/links.md:4: links: {shown!r} is not an http(s) URL"]


def test_a_refused_link_fails_the_build_without_a_traceback(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    site = tmp_path / "site"
    (site / "content" / "papers").mkdir(parents=True)
    (site / "sitegen.toml").write_text("", encoding="utf-8")
    (site / "content" / "papers" / "x.md").write_text(
        "---\ntitle: X\ndate: 2024-03-05\nlinks:\n  - kind: code\n    url: 'JaVaScRiPt:alert(1)'\n"
        "---\n", encoding="utf-8")
    code = main(["build", "--site", str(site), "--output", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert code == 1
    assert err == "content/papers/x.md:4: links: 'JaVaScRiPt:alert(1)' is not an http(s) URL\n"
    assert not (tmp_path / "out").exists()


def test_checks_ran_on_every_kind_of_output(sites: dict[str, Path]) -> None:
    """The checks above must have run on whatever outputs this build has."""
    out = sites["hostile"]
    kinds = Counter(p.suffix for p in out.rglob("*") if p.is_file())
    summary = ", ".join(f"{k} {v}" for k, v in sorted(CHECKED.items()))
    print(f"\nXSS output checks: {summary}; output file types: {dict(sorted(kinds.items()))}")
    assert CHECKED["html"] == kinds[".html"]
    assert CHECKED["xml"] == kinds[".xml"]
    if (out / "papers.json").is_file():
        assert CHECKED["json"] >= 1
    if any(b"application/ld+json" in p.read_bytes() for p in out.rglob("*.html")):
        assert CHECKED["json-ld"] == len(PAYLOADS)
    if (out / "pagefind").is_dir():
        assert CHECKED["search fragments"] > 0

