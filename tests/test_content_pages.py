"""Pages besides papers: ``content/pages/<name>.md`` becomes ``/<name>/``.

Built sites are parsed with html5lib and their navigation links followed; the
golden fixture site's pages (committed output) are checked for what each
Markdown extension writes; bad pages fail with every problem at once, each as
``file:line: message``; hostile text in a page is neutralised; and incremental
builds re-render exactly what a page edit or a menu change affects.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from sitegen.config import load_config
from sitegen.content import scan_content
from sitegen.content_pages import RESERVED, load_pages, menu_entries, parse_page
from sitegen.outputs.search import FOLDER as SEARCH_FOLDER
from sitegen.page_render import render_body
from sitegen.site import Site

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "site"
BASE = "/sub/"

CONFIG = f'''title = "Pages Test"
base_url = "https://example.org{BASE}"
search = false
'''
PAPER = """---
title: "One Paper"
date: 2024-05-01
tags: ["memory"]
---

An abstract.
"""
ABOUT = """---
title: About this site
menu:
  weight: 1
  title: About
---

[TOC]

## Sources

| Source | Papers |
|:-------|-------:|
| Daily Papers | 39 |
| arXiv | 2 |

Built by sitegen.[^how]

[^how]: With `sitegen build`.
"""

CliResult = tuple[int, str, str]


def make_site(root: Path, pages: dict[str, str], papers: dict[str, str] | None = None
              ) -> Path:
    """A site with the given pages (file name under content/pages/ -> text)."""
    (root / "content" / "papers").mkdir(parents=True)
    (root / "sitegen.toml").write_text(CONFIG, encoding="utf-8")
    for name, text in (papers if papers is not None else {"one.md": PAPER}).items():
        (root / "content" / "papers" / name).write_text(text, encoding="utf-8")
    for name, text in pages.items():
        path = root / "content" / "pages" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def text_of(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def nav_links(page: Any) -> list[tuple[str, str]]:
    """(link text, href) of the main navigation."""
    nav = next(n for n in page.iter("nav") if n.get("aria-label") == "Main")
    return [(text_of(a), a.get("href")) for a in nav.iter("a")]


def file_of(out: Path, href: str) -> Path:
    """The built file a root-relative link under the base path leads to."""
    path = urlsplit(href).path
    assert path.startswith(BASE), href
    rel = path[len(BASE):]
    return out / (rel + "index.html" if rel.endswith("/") or not rel else rel)


# --- the acceptance: /about/index.html, its table, linked from the navigation ---------------

def test_about_page_is_built_with_its_table_and_linked_from_every_page(
        tmp_path: Path, build_site: Callable[..., Path], run_cli: Callable[..., CliResult],
        parse_page: Callable[[Path], Any]) -> None:
    site = make_site(tmp_path / "site", {"about.md": ABOUT})
    out = build_site(site, tmp_path / "out")
    about = out / "about" / "index.html"
    assert about.is_file()
    others = [out / "index.html", out / "papers" / "one" / "index.html",
              out / "tags" / "index.html", out / "404.html"]
    for other in others:
        links = nav_links(parse_page(other))
        assert ("About", f"{BASE}about/") in links, f"{other.relative_to(out)}: {links}"
        assert links[-1] == ("About", f"{BASE}about/")  # after the site's own entries
        followed = parse_page(file_of(out, dict(links)["About"]))
        assert text_of(next(followed.iter("h1"))) == "About this site"
    page = parse_page(about)
    tables = list(page.iter("table"))
    assert len(tables) == 1
    rows = [[(cell.tag, text_of(cell), cell.get("align")) for cell in row]
            for row in tables[0].iter("tr")]
    assert rows == [[("th", "Source", "left"), ("th", "Papers", "right")],
                    [("td", "Daily Papers", "left"), ("td", "39", "right")],
                    [("td", "arXiv", "left"), ("td", "2", "right")]]
    current = [a for a in page.iter("a") if a.get("aria-current") == "page"]
    assert [text_of(a) for a in current] == ["About"]
    assert next(page.iter("title")).text == "About this site · Pages Test"
    sitemap = (out / "sitemap.xml").read_text("utf-8")
    assert f"<loc>https://example.org{BASE}about/</loc>" in sitemap
    # Every link resolves, footnote and contents fragments included.
    code, stdout, stderr = run_cli(["check", "--site", site, "--output", out])
    assert code == 0, stdout + stderr


def test_a_site_without_pages_has_no_extra_navigation(
        tmp_path: Path, build_site: Callable[..., Path],
        parse_page: Callable[[Path], Any]) -> None:
    out = build_site(make_site(tmp_path / "site", {}), tmp_path / "out")
    labels = [label for label, _ in nav_links(parse_page(out / "index.html"))]
    assert labels == ["Latest", "Top", "Trending", "Archive", "Tags"]


def test_pages_folder_is_not_read_as_papers(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", {"about.md": ABOUT})
    scan = scan_content(site / "content", site)
    assert [label for _, label, _ in scan.files] == ["content/papers/one.md"]
    assert [label for _, label, _ in scan.pages] == ["content/pages/about.md"]


# --- the golden fixture site's pages --------------------------------------------------------

def test_golden_pages_render_every_extension(parse_page: Callable[[Path], Any]) -> None:
    page = parse_page(GOLDEN / "about" / "index.html")
    article = next(e for e in page.iter("article") if e.get("class") == "page")
    ids = {e.get("id") for e in page.iter() if e.get("id")}
    toc = next(e for e in article.iter("div") if e.get("class") == "toc")
    targets = [a.get("href") for a in toc.iter("a")]
    assert targets == ["#what-is-here", "#how-it-is-built"]
    assert all(target[1:] in ids for target in targets)
    footnote_refs = [a for a in article.iter("a") if a.get("class") == "footnote-ref"]
    backrefs = [a for a in article.iter("a") if a.get("class") == "footnote-backref"]
    assert len(footnote_refs) == len(backrefs) == 1
    assert footnote_refs[0].get("href")[1:] in ids and backrefs[0].get("href")[1:] in ids
    code = [e for e in article.iter("code") if e.get("class")]
    assert [(c.get("class"), c.text) for c in code] == [("language-sh",
                                                          "sitegen build --clean\n")]
    assert [th.get("align") for th in article.iter("th")] == ["left", "right", "center"]
    assert "<angle brackets>" in text_of(article)
    # Menu: About (weight 10) before How to cite (20); the colophon has no entry.
    for html in sorted(GOLDEN.rglob("*.html")):
        links = nav_links(parse_page(html))
        assert links[-2:] == [("About", "/golden/about/"),
                              ("How to cite this list", "/golden/how-to-cite/")], html
    assert (GOLDEN / "colophon" / "index.html").is_file()
    assert (GOLDEN / "how-to-cite" / "index.html").is_file()


def test_reserved_names_cover_every_top_level_output() -> None:
    pages = {p.stem for p in (ROOT / "tests/sites/golden/content/pages").glob("*.md")}
    folders = {p.name for p in GOLDEN.iterdir() if p.is_dir()} | {SEARCH_FOLDER}
    assert folders - pages <= RESERVED, sorted(folders - pages - RESERVED)


# --- front matter ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "---\ntitle: How to cite\nmenu: {weight: 2, title: Cite}\n---\nBody.\n",
    '+++\ntitle = "How to cite"\n[menu]\nweight = 2\ntitle = "Cite"\n+++\nBody.\n',
    '{\n  "title": "How to cite",\n  "menu": {"weight": 2, "title": "Cite"}\n}\nBody.\n',
    "\n\n---\ntitle: 'How to cite'\nmenu:\n  weight: 2\n  title: Cite\n---\n\nBody.\n",
])
def test_yaml_toml_and_json_front_matter(text: str) -> None:
    page, problems = parse_page(text, "content/pages/cite.md", "cite")
    assert problems == []
    assert page is not None
    assert (page.title, page.body, page.path) == ("How to cite", "Body.", "cite/")
    assert page.menu is not None and (page.menu.weight, page.menu.title) == (2, "Cite")


def test_menu_order_is_by_weight_then_title() -> None:
    pages = []
    for name, weight, title in [("b", 2, "Zeta"), ("a", 2, "alpha"), ("c", 1, "Last"),
                                ("d", -1, "First")]:
        page, _ = parse_page(f"---\ntitle: {title}\nmenu: {{weight: {weight}}}\n---\n",
                             f"content/pages/{name}.md", name)
        assert page is not None
        pages.append(page)
    assert [e.title for e in menu_entries(pages)] == ["First", "Last", "alpha", "Zeta"]
    assert menu_entries(pages) == menu_entries(reversed(pages))


BAD_PAGES = {
    "about.md": "---\ntitle: [1, 2]\ndate: 2024-01-01\nmenu: 2\n---\nBody\n",
    "tags.md": "---\ntitle: Tags\n---\n",
    "About Us.md": "---\ntitle: About us\n---\n",
    "team/alice.md": "---\ntitle: Alice\n---\n",
    "broken-yaml.md": "---\ntitle: x\nmenu: {weight: 1\n---\n",
    "broken-toml.md": "+++\ntitle = \"x\"\nmenu = \n+++\n",
    "broken-json.md": "{\n  \"title\": \"x\",\n  \"menu\": 1,\n}\n",
    "bare.md": "Just text.\n",
    "open.md": "---\ntitle: x\n\nNo closing line.\n",
    "menus.md": "---\ntitle: Menus\nmenu: {weight: true, label: x}\n---\n",
    "empty.md": "---\ntitle: '  '\ndescription: 3\n---\n",
    "list.md": "---\n- title\n- menu\n---\n",
    "bell.md": "---\ndescription: x\ntitle: a\x07b\n---\n",
}
EXPECTED = [
    "content/pages/About Us.md: a page's file name is its URL: use lowercase letters, digits "
    "and hyphens (e.g. about.md or how-to-cite.md)",
    "content/pages/about.md:2: 'title' must be text, not list (put the value in quotes)",
    "content/pages/about.md:3: unknown field 'date': a page has title, description, menu "
    "(papers belong anywhere under the content folder except pages/)",
    "content/pages/about.md:4: 'menu' must be a table with a 'weight' and an optional 'title', "
    "e.g. 'menu: {weight: 10}' or, with its own link text, 'menu: {weight: 10, title: About}'",
    "content/pages/bare.md:1: no front matter: start the file with a '---' line, then "
    "'title: ...', then another '---' line",
    "content/pages/bell.md:3: invalid YAML: control characters are not allowed (U+0007)",
    "content/pages/broken-json.md:4: invalid JSON: Expecting property name enclosed in "
    "double quotes",
    "content/pages/broken-toml.md:3: invalid TOML: Invalid value",
    "content/pages/broken-yaml.md:4: invalid YAML: did not find expected ',' or '}'",
    "content/pages/empty.md:2: 'title' is empty",
    "content/pages/empty.md:3: 'description' must be text, not int (put the value in quotes)",
    "content/pages/list.md:2: front matter must be 'field: value' pairs",
    "content/pages/menus.md:3: unknown menu field 'label': a menu entry has weight, title",
    "content/pages/open.md:1: the YAML front matter that starts here has no closing '---' line",
    "content/pages/tags.md: the name 'tags' is taken by the site's own pages (/tags/); "
    "rename the file",
    "content/pages/team/alice.md: pages cannot be in subfolders of content/pages/: move it to "
    "content/pages/alice.md",
    "content/papers/bad.md:1: missing required field 'title'",
]


def test_every_problem_of_every_page_at_once_with_file_and_line(
        tmp_path: Path, build_site: Callable[..., Path], run_cli: Callable[..., CliResult],
        snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    site = make_site(tmp_path / "site", {"about.md": ABOUT})
    out = build_site(site, tmp_path / "out")
    before = snapshot(out)
    for name, text in BAD_PAGES.items():
        path = site / "content" / "pages" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (site / "content" / "papers" / "bad.md").write_text("---\ndate: 2024-01-01\n---\n")
    code, stdout, stderr = run_cli(["build", "--site", site, "--output", out, "-q"])
    assert code == 1
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("content/")]
    assert lines == EXPECTED, "\n".join(lines)
    assert snapshot(out) == before  # the previous site is kept


# --- hostile text ---------------------------------------------------------------------------

HOSTILE_TITLE = '<script>alert("zq1")</script><img src=x onerror=alert("zq2")>'
HOSTILE_BODY = """[TOC]

## <img src=x onerror=alert("zq3")>Heading

<script>alert("zq4")</script>
<div onclick="alert('zq5')" style="position:fixed">div</div>
<iframe src="https://evil.example/zq6"></iframe>
<svg onload=alert("zq7")></svg>
[link](javascript:alert("zq8")) <a href=" jav&#x09;ascript:alert('zq9')">a</a>
<img src="https://example.org/x.png" onerror="alert('zq10')" alt="ok">

| <b onmouseover=alert("zq11")>h</b> |
|---|
| <form action="javascript:alert('zq12')"><input></form> |

```html
<script>alert("zq13")</script>
```
"""
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "data")


def test_script_and_event_handlers_in_a_page_are_neutralised(
        tmp_path: Path, build_site: Callable[..., Path],
        parse_page: Callable[[Path], Any]) -> None:
    import json

    front = (f"---\ntitle: {json.dumps(HOSTILE_TITLE)}\n"
             f"menu: {{weight: 1, title: {json.dumps(HOSTILE_TITLE)}}}\n---\n")
    out = build_site(make_site(tmp_path / "site", {"evil.md": front + HOSTILE_BODY}),
                     tmp_path / "out")
    for html in sorted(out.rglob("*.html")):
        page = parse_page(html)
        for element in page.iter():
            if not isinstance(element.tag, str):
                continue
            name = element.tag.rsplit("}", 1)[-1]
            if name == "script":  # the theme's: its own files, or JSON-LD data
                theme = ((element.get("src") or "").startswith(f"{BASE}static/")
                         or element.get("type") == "application/ld+json")
                assert theme and "zq" not in (element.text or ""), (html, element.attrib)
            assert name not in ("iframe", "svg", "form", "input", "style"), (html, name)
            for attribute, value in element.attrib.items():
                assert not attribute.lower().startswith("on"), (html, attribute)
                assert attribute != "style", (html, attribute)
                if attribute in URL_ATTRIBUTES:
                    cleaned = "".join(ch for ch in value if ch > " ").lower()
                    assert not cleaned.startswith(("javascript:", "vbscript:", "data:")), value
        links = nav_links(page)
        assert (HOSTILE_TITLE, f"{BASE}evil/") in links, html  # shown as text, exactly
    page = parse_page(out / "evil" / "index.html")
    assert text_of(next(page.iter("h1"))) == HOSTILE_TITLE
    code = [e.text for e in page.iter("code")]
    assert '<script>alert("zq13")</script>\n' in code  # code shows markup as text
    images = [img.attrib for img in page.iter("img")]
    assert {"src": "https://example.org/x.png", "alt": "ok"} in images


def test_render_body_keeps_layout_ids_free() -> None:
    html = render_body("[TOC]\n\n## Main\n\n## Main\n")
    assert 'id="main"' not in html
    assert '<h2 id="main-section">' in html and 'href="#main-section"' in html


# --- incremental builds ---------------------------------------------------------------------

def _build(site: Path) -> Any:
    return Site(load_config(site), quiet=True, parallel=False).build()


def _bump(path: Path, text: str) -> None:
    """Write ``text`` with a modification time the build cannot mistake for the old one."""
    stat = path.stat()
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


def test_incremental_builds_follow_page_and_menu_changes(
        tmp_path: Path, snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    site = make_site(tmp_path / "site", {"about.md": ABOUT})
    first = _build(site)
    out = site / "public"
    html = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    assert "about/index.html" in html and first.written == first.pages
    assert _build(site).skipped

    # A body edit re-renders that page only.
    before = snapshot(out)
    _bump(site / "content/pages/about.md", ABOUT.replace("Built by sitegen", "Made by sitegen"))
    result = _build(site)
    after = snapshot(out)
    assert result.written == 1
    assert [n for n in after if after[n] != before.get(n)] == ["about/index.html"]
    assert b"Made by sitegen" in after["about/index.html"]

    # A new menu title is on every page: every HTML file is written again.
    _bump(site / "content/pages/about.md", ABOUT.replace("title: About\n", "title: Colophon\n"))
    result = _build(site)
    assert result.written >= len(html)
    assert all(b">Colophon</a>" in (out / name).read_bytes() for name in html)

    # A page without a menu entry adds itself and its sitemap line, and nothing else.
    (site / "content/pages/extra.md").write_text("---\ntitle: Extra\n---\nMore.\n")
    before = snapshot(out)
    _build(site)
    after = snapshot(out)
    assert sorted(n for n in after if after[n] != before.get(n)) == ["extra/index.html",
                                                                     "sitemap.xml"]

    # Removing a page removes its file and its menu entry everywhere.
    (site / "content/pages/about.md").unlink()
    _build(site)
    assert not (out / "about").exists()
    assert all(b">Colophon</a>" not in (out / name).read_bytes()
               for name in html if name != "about/index.html")


def test_loading_reports_pages_sorted_with_their_menu(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", {"b.md": "---\ntitle: B\nmenu: {weight: 1}\n---\n",
                                         "a.md": "---\ntitle: A\n---\n"})
    scan = scan_content(site / "content", site)
    pages, problems = load_pages(scan.pages, site / "content")
    assert problems == []
    assert [(p.name, p.title, p.menu is not None) for p in pages] == [("a", "A", False),
                                                                      ("b", "B", True)]
