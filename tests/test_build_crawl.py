"""Crawl built sites like a visitor: every page reachable, every link resolving,
every URL under the base path, and hostile text rendered inert.

Pages are parsed with html5lib (as a browser parses them); URLs are resolved
against the page's own URL and mapped to files of the output folder.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml

from sitegen import config

ROOT_BASE = "https://example.org/"
SUBPATH_BASE = "https://user.github.io/papers/"
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "poster", "data", "srcset")
# Theme scripts are files under these folders of the site (theme assets, search index).
SCRIPT_FOLDERS = ("static/", "pagefind/")
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")


def local_name(name: str) -> str:
    """A tag or attribute name without its namespace."""
    return name.rsplit("}", 1)[-1]


def page_url(base: str, rel: str) -> str:
    """The public URL of an output file (``papers/x/index.html`` → ``BASE/papers/x/``)."""
    if rel == "index.html" or rel.endswith("/index.html"):
        rel = rel[: -len("index.html")]
    return base + rel


@dataclass
class Site:
    """A built output folder and the base URL it was built for."""

    out: Path
    base: str
    pages: dict[str, Any] = field(default_factory=dict)  # rel path -> parsed root

    @property
    def base_path(self) -> str:
        return urlsplit(self.base).path

    def html_files(self) -> list[str]:
        return sorted(p.relative_to(self.out).as_posix() for p in self.out.rglob("*.html"))

    def page(self, rel: str, parse: Callable[[Path], Any]) -> Any:
        if rel not in self.pages:
            self.pages[rel] = parse(self.out / rel)
        return self.pages[rel]

    def target(self, page_rel: str, ref: str) -> tuple[str, str] | None:
        """The (output file, fragment) that ``ref`` on page ``page_rel`` points to.

        None for URLs outside the site (another host, another scheme, or a path of the
        same host outside the base path given as an absolute URL).
        """
        absolute = urljoin(page_url(self.base, page_rel), ref)
        parts = urlsplit(absolute)
        base = urlsplit(self.base)
        if parts.scheme not in ("http", "https") or parts.netloc != base.netloc:
            return None
        path = unquote(parts.path)
        if not path.startswith(self.base_path):
            return None
        rel = path[len(self.base_path):]
        return (rel + "index.html" if rel == "" or rel.endswith("/") else rel), parts.fragment


def url_references(root: Any) -> Iterator[tuple[Any, str, str]]:
    """(element, attribute, value) for every URL-valued attribute of every element."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            if local_name(name) in URL_ATTRIBUTES:
                yield element, local_name(name), value


def ids_of(root: Any) -> set[str]:
    found = set()
    for element in root.iter():
        if isinstance(element.tag, str):
            for name in ("id", "name"):
                if element.get(name):
                    found.add(element.get(name))
    return found


def crawl(site: Site, parse: Callable[[Path], Any]) -> set[str]:
    """Every HTML page reachable from the home page through internal links."""
    seen = {"index.html"}
    queue = deque(["index.html"])
    while queue:
        rel = queue.popleft()
        for element, _, value in url_references(site.page(rel, parse)):
            if local_name(element.tag) != "a":
                continue
            target = site.target(rel, value)
            if target is None:
                continue
            file, _ = target
            if file.endswith(".html") and file not in seen and (site.out / file).is_file():
                seen.add(file)
                queue.append(file)
    return seen


def expected_paper_slugs(content: Path) -> set[str]:
    """Paper slugs as the content files state them: ``slug:`` or else the file name."""
    slugs = set()
    for path in sorted(content.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        front = yaml.safe_load(text.split("\n---", 1)[0].removeprefix("---\n"))
        slugs.add(str(front.get("slug") or path.stem))
    return slugs


@pytest.fixture(scope="module")
def example_builds(tmp_path_factory: pytest.TempPathFactory,
                   copy_example: Callable[[Path], Path]) -> dict[str, Site]:
    """The repository's example site built once for each base URL (shared by the tests)."""
    from sitegen.cli import main

    builds = {}
    for label, base in (("root", ROOT_BASE), ("subpath", SUBPATH_BASE), ("lean", ROOT_BASE)):
        root = tmp_path_factory.mktemp(f"example-{label}")
        site = copy_example(root / "site")
        if label == "lean":  # every optional output switched off
            with (site / "sitegen.toml").open("a", encoding="utf-8") as handle:
                handle.write("".join(f"{name} = false\n" for name in OPTIONAL_OUTPUTS))
        out = root / "out"
        code = main(["build", "--site", str(site), "--output", str(out), "--base-url", base,
                     "-q"])
        assert code == 0
        builds[label] = Site(out, base)
    return builds


BASES = ["root", "subpath", "lean"]
# Options that switch off an output, and the files each one leaves out.
OPTIONAL_OUTPUTS = {
    "feeds": re.compile(r"(^|/)(feed|rss)\.xml$|^feed\.json$|^feeds\.opml$"),
    "top_pages": re.compile(r"^top/"),
    "archive": re.compile(r"^archive/"),
    "bib_files": re.compile(r"\.bib$|\.csl\.json$|\.ris$"),
    "papers_json": re.compile(r"^papers\.json$"),
}
REPO_CONTENT = Path(__file__).resolve().parent.parent / "content" / "papers"  # not pages/


@pytest.mark.parametrize("which", BASES)
def test_crawl_from_home_reaches_every_paper_and_tag_page(
        which: str, example_builds: dict[str, Site],
        parse_page: Callable[[Path], Any]) -> None:
    site = example_builds[which]
    reached = crawl(site, parse_page)
    slugs = expected_paper_slugs(REPO_CONTENT)
    assert len(slugs) == len(list(REPO_CONTENT.rglob("*.md")))
    paper_pages = {f"papers/{slug}/index.html" for slug in slugs}
    built_papers = {p for p in site.html_files() if p.startswith("papers/")}
    assert built_papers == paper_pages
    assert paper_pages <= reached, sorted(paper_pages - reached)
    tag_pages = {p for p in site.html_files() if re.fullmatch(r"tags/[^/]+/index\.html", p)}
    assert tag_pages, "the example site has no tag pages"
    assert tag_pages <= reached, sorted(tag_pages - reached)
    orphans = set(site.html_files()) - reached - {"404.html"}
    assert not orphans, f"pages no link leads to: {sorted(orphans)}"


@pytest.mark.parametrize("which", BASES)
def test_every_url_in_every_page_resolves_to_a_built_file(
        which: str, example_builds: dict[str, Site],
        parse_page: Callable[[Path], Any]) -> None:
    site = example_builds[which]
    broken: list[str] = []
    outside: list[str] = []
    checked = 0
    for rel in site.html_files():
        root = site.page(rel, parse_page)
        for element, attribute, value in url_references(root):
            parts = urlsplit(value)
            if parts.scheme or value.startswith("//"):
                internal = value.startswith(site.base)
            elif value.startswith("#"):
                internal = True
            else:
                internal = True
                if not value.startswith(site.base_path):
                    outside.append(f"{rel}: <{local_name(element.tag)} {attribute}={value!r}>")
                    continue
            if not internal:
                continue
            target = site.target(rel, value)
            assert target is not None, value
            file, fragment = target
            checked += 1
            if not (site.out / file).is_file():
                broken.append(f"{rel}: {value} -> {file} (missing)")
            elif (fragment and file.endswith(".html")
                  and fragment not in ids_of(site.page(file, parse_page))):
                broken.append(f"{rel}: {value} -> no element with id {fragment!r}")
    assert checked > 10 * len(site.html_files())
    assert not outside, ("internal URLs must start with the base path "
                         f"{site.base_path!r}:\n" + "\n".join(outside[:30]))
    unique = sorted(set(re.sub(r"^[^:]+: ", "", b) for b in broken))
    assert not broken, (f"{len(broken)} broken internal URLs ({len(unique)} distinct):\n"
                        + "\n".join(unique[:30]))


@pytest.mark.parametrize("which", BASES)
def test_internal_urls_stay_under_the_base_path(
        which: str, example_builds: dict[str, Site],
        parse_page: Callable[[Path], Any]) -> None:
    site = example_builds[which]
    host = urlsplit(site.base).netloc
    for rel in site.html_files():
        for _, attribute, value in url_references(site.page(rel, parse_page)):
            parts = urlsplit(value)
            if parts.netloc == host:
                assert value.startswith(site.base), f"{rel}: {attribute}={value!r}"
            elif not parts.scheme and not value.startswith("#"):
                assert value.startswith(site.base_path), f"{rel}: {attribute}={value!r}"
    canonical = site.page("index.html", parse_page).find(".//link[@rel='canonical']")
    assert canonical is not None and canonical.get("href") == site.base


@pytest.mark.parametrize("which", BASES)
def test_tag_pages_list_exactly_the_papers_that_carry_the_tag(
        which: str, example_builds: dict[str, Site],
        parse_page: Callable[[Path], Any]) -> None:
    site = example_builds[which]
    carried: dict[str, set[str]] = {}
    for rel in site.html_files():
        if not rel.startswith("papers/"):
            continue
        tag_list = site.page(rel, parse_page).find(".//article[@class='paper']//ul[@class='tags']")
        for link in [] if tag_list is None else tag_list.iter("a"):
            target = site.target(rel, link.get("href"))
            assert target is not None
            carried.setdefault(target[0], set()).add(rel)
    listed: dict[str, set[str]] = {}
    for rel in site.html_files():
        match = re.fullmatch(r"(tags/[^/]+/)(?:page/\d+/)?index\.html", rel)
        if not match:
            continue
        for card in site.page(rel, parse_page).iterfind(".//*[@class='card-title']/a"):
            target = site.target(rel, card.get("href"))
            assert target is not None
            listed.setdefault(match.group(1) + "index.html", set()).add(target[0])
    assert listed == carried
    index = site.page("tags/index.html", parse_page)
    counts = {}
    for item in index.iterfind(".//ul[@class='tag-index']/li"):
        link = item.find("a")
        target = site.target("tags/index.html", link.get("href"))
        assert target is not None
        count = "".join(item.find("span").itertext())
        counts[target[0]] = int(count.split()[0])
    assert counts == {tag: len(papers) for tag, papers in carried.items()}


# Hostile input ---------------------------------------------------------------------------

HOSTILE_TITLES = [
    '<script>alert("title")</script>',
    '"><img src=x onerror=alert(1)>',
    "Quotes ' \" & ampersands </title><script>alert(2)</script>",
]
HOSTILE_AUTHOR = "<script>alert(3)</script>"
HOSTILE_ORG = '"><svg onload=alert(4)>'
HOSTILE_TAGS = ["<script>", '"><img src=x onerror=alert(5)>']
HOSTILE_ABSTRACT = """\
<script>alert(6)</script>

[click me](javascript:alert(7)) and <a href="javascript:alert(8)">raw link</a>
and [spaced]( JaVaScRiPt:alert(9)) and <a href="&#106;avascript:alert(10)">entity</a>.

<img src=x onerror=alert(11)> <div onclick="alert(12)">a div</div>
<iframe src="javascript:alert(13)"></iframe> <svg onload="alert(14)"></svg>
<a href="data:text/html,<script>alert(15)</script>">data link</a>
<style>body { display: none }</style><form action="javascript:alert(16)"><button>go</button></form>
"""


def _hostile_paper(title: str, number: int) -> str:
    front = {
        "title": title,
        "date": f"2024-01-{number + 10:02d}",
        "authors": [HOSTILE_AUTHOR, "Plain Name"],
        "organization": {"id": HOSTILE_ORG, "name": HOSTILE_ORG},
        "tags": HOSTILE_TAGS,
        "arxiv": '"><script>alert(17)</script>',
        "doi": "javascript:alert(18)",
        "links": [{"kind": "code", "url": "https://example.org/a?b=1&c=2"}],
    }
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n\n" \
        + HOSTILE_ABSTRACT


def _dangerous_url(value: str) -> bool:
    squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
    return squeezed.startswith(DANGEROUS_SCHEMES)


def _inline_scripts(root: Any) -> list[Any]:
    return [e for e in root.iter("script") if not e.get("src")]


def injection_problems(site: Site, rel: str, root: Any, known_inline: set[str]) -> list[str]:
    """Elements and attributes on a page that could run script or load foreign content."""
    problems: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = local_name(element.tag)
        for name, value in element.attrib.items():
            if local_name(name).lower().startswith("on"):
                problems.append(f"{rel}: <{tag} {name}={value!r}>")
            if local_name(name) in URL_ATTRIBUTES and _dangerous_url(value):
                problems.append(f"{rel}: <{tag} {name}={value!r}>")
        if tag in ("img", "iframe", "object", "embed", "frame", "base"):
            problems.append(f"{rel}: unexpected <{tag}> element")
        if tag == "script":
            src = element.get("src")
            text = "".join(element.itertext()).strip()
            if src:
                target = site.target(rel, src)
                if target is None or not target[0].startswith(SCRIPT_FOLDERS):
                    problems.append(f"{rel}: <script src={src!r}>")
            elif (element.get("type") or "").lower() in ("application/ld+json",
                                                          "application/json"):
                json.loads(text)  # data, not code; must still parse
            elif text not in known_inline:
                problems.append(f"{rel}: inline <script>{text[:60]}</script>")
    return problems


def test_injection_checker_finds_injected_markup(parse_page: Callable[[Path], Any]) -> None:
    site = Site(Path("."), ROOT_BASE)
    clean = parse_page(b'<p>fine <a href="/x/">x</a></p><script src="/static/a.js"></script>'
                       b'<script>known()</script>')
    assert injection_problems(site, "a.html", clean, {"known()"}) == []
    for markup in (b"<script>alert(1)</script>", b'<script src="https://evil.example/x.js">'
                   b"</script>", b'<p onclick="x()">p</p>', b'<a href=" JavaScript:x()">a</a>',
                   b'<img src=x onerror=alert(1)>', b"<svg><a href='javascript:x()'>s</a></svg>",
                   b'<script src="/papers/x/evil.js"></script>'):
        found = injection_problems(site, "a.html", parse_page(markup), {"known()"})
        assert found, markup


def test_hostile_text_is_rendered_as_text_only(
        tmp_path: Path, build_site: Callable[..., Path],
        parse_page: Callable[[Path], Any]) -> None:
    # The theme's own inline scripts, from a build of a benign site with the same settings.
    benign_site = tmp_path / "benign"
    (benign_site / "content" / "papers").mkdir(parents=True)
    (benign_site / "sitegen.toml").write_text("", encoding="utf-8")
    (benign_site / "content" / "papers" / "benign.md").write_text(
        "---\ntitle: A Benign Paper\ndate: 2024-01-10\nauthors: [Plain Name]\n"
        "tags: [plain]\n---\n\nA benign abstract.\n", encoding="utf-8")
    benign = build_site(benign_site, tmp_path / "benign-out", base_url=ROOT_BASE)
    known_inline = {"".join(e.itertext()).strip()
                    for p in benign.rglob("*.html") for e in _inline_scripts(parse_page(p))}

    site = tmp_path / "hostile"
    papers = site / "content" / "papers"
    papers.mkdir(parents=True)
    (site / "sitegen.toml").write_text("", encoding="utf-8")
    for number, title in enumerate(HOSTILE_TITLES):
        (papers / f"hostile-{number}.md").write_text(_hostile_paper(title, number),
                                                     encoding="utf-8")
    out = build_site(site, tmp_path / "out", base_url=ROOT_BASE)
    built = Site(out, ROOT_BASE)

    pages = built.html_files()
    assert len(pages) > 10
    problems = [p for rel in pages
                for p in injection_problems(built, rel, built.page(rel, parse_page), known_inline)]
    assert not problems, "\n".join(problems[:40])

    # Each hostile title is the exact text of its page's heading, title and card links.
    home = built.page("index.html", parse_page)
    card_titles = ["".join(a.itertext()) for a in home.iterfind(".//*[@class='card-title']/a")]
    for number, title in enumerate(HOSTILE_TITLES):
        root = built.page(f"papers/hostile-{number}/index.html", parse_page)
        assert "".join(root.find(".//h1").itertext()) == title
        assert "".join(root.find(".//title").itertext()).startswith(title)
        assert title in card_titles
        authors = "".join(root.find(".//p[@class='authors']").itertext())
        assert HOSTILE_AUTHOR in authors
        assert HOSTILE_ORG in "".join(root.find(".//p[@class='org']").itertext())
        abstract = root.find(".//section[@class='abstract']")
        text = "".join(abstract.itertext())
        for words in ("click me", "raw link", "spaced", "entity", "a div", "data link"):
            assert words in text
    tag_names = {"".join(a.itertext()) for a in
                 built.page("tags/index.html", parse_page).iterfind(".//ul[@class='tag-index']//a")}
    assert tag_names == set(HOSTILE_TAGS)


def test_switched_off_outputs_are_neither_written_nor_linked(
        example_builds: dict[str, Site], parse_page: Callable[[Path], Any]) -> None:
    """Each optional output exists in the default build; the lean build has none of them,
    and none of its pages, nor its sitemap, points to one."""
    full, lean = example_builds["root"], example_builds["lean"]
    assert set(OPTIONAL_OUTPUTS) == set(config.OPTIONAL_OUTPUTS)

    def files(site: Site) -> list[str]:
        return sorted(p.relative_to(site.out).as_posix() for p in site.out.rglob("*")
                      if p.is_file())

    for name, pattern in OPTIONAL_OUTPUTS.items():
        assert any(pattern.search(f) for f in files(full)), f"{name}: nothing in the full build"
        assert not [f for f in files(lean) if pattern.search(f)], name
    kept = {f for f in files(full) if not any(p.search(f) for p in OPTIONAL_OUTPUTS.values())}
    assert kept - {"sitemap.xml"} <= set(files(lean)), sorted(kept - set(files(lean)))
    targets = []
    for rel in lean.html_files():
        for _, _, value in url_references(lean.page(rel, parse_page)):
            target = lean.target(rel, value)
            if target is not None:
                targets.append((rel, target[0]))
    linked = [(rel, file) for rel, file in targets
              if any(p.search(file) for p in OPTIONAL_OUTPUTS.values())]
    assert not linked, linked[:10]
    sitemap = (lean.out / "sitemap.xml").read_text(encoding="utf-8")
    assert "/top/" not in sitemap and "/archive/" not in sitemap
    assert "/papers/" in sitemap
