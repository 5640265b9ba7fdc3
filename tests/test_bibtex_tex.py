"""The exported BibTeX run through real ``bibtex`` and ``pdflatex``: no value reaches TeX.

A site whose papers carry hostile titles, authors, DOIs and arXiv ids (``^^5c``
spellings of a backslash, ``\\input``, ``\\write18``, ``\\catcode``, unbalanced
braces, ``%`` comments) is built; its ``papers.bib`` is cited in full by a
LaTeX document with natbib's ``plainnat`` style (which prints ``url``, ``doi``
and ``eprint``) and compiled with shell escape *enabled*. The test asserts
that the document compiles, that the contents of a secret file named by the
payloads appear in neither the PDF text nor the logs, that no command ran
(no marker file) and no file was written, and that ordinary titles and
formulas come out as written.

TeX is needed: without it the tests are skipped on a workstation, and fail in
CI (``CI=true``), where ``scripts/test`` installs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from sitegen.outputs.bibtex import tex_title

TOOLS = ("pdflatex", "bibtex", "pdftotext", "kpsewhich")
SECRET = "SECRETxCONTENTSx4f2a91"  # one word: in math mode, hyphens would become minus signs


def require_tex() -> None:
    """Skip without TeX on a workstation; fail without it in CI (``CI=true``)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        found = subprocess.run(["kpsewhich", "url.sty", "natbib.sty", "plainnat.bst"],
                               capture_output=True, text=True, check=False).stdout.split()
        if len(found) < 3:
            missing.append("url.sty, natbib.sty and plainnat.bst")
    if missing:
        message = f"needs TeX ({', '.join(missing)}): scripts/test installs it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def tex() -> None:
    require_tex()


def _payloads(secret: Path, marker: Path) -> list[dict[str, object]]:
    """Front matter of the hostile papers (and two ordinary ones)."""
    s = secret.with_suffix("").as_posix()  # \input adds ".tex"
    m = marker.as_posix()
    titles = [
        f"Nice $x^^5cinput^^7b{s}^^7d$",
        f"\\input{{{s}}}",
        f"\\immediate\\write18{{touch {m}}}",
        f"^^5cinput^^7b{s}^^7d outside math",
        f"$^^5cimmediate^^5cwrite18^^7btouch {m}^^7d$",
        "Unbalanced }} braces { and more }",
        f"Percent % comment \\input{{{s}}}",
        "\\catcode`\\^^M=13 \\def^^M{\\input{" + s + "}}",
        f"$\\catcode 92=0$ and $\\input{{{s}}}$",
        f"$}}\\input{{{s}}}{{$ breaks out of a formula",
        f"$\\{{ \\input{{{s}}}$ unbalanced escaped brace",
        f"$$\\input{{{s}}}$$",
        f"$\\text{{\\input{{{s}}}}}$",
        "$x^^7d^^7b$ and ^^I and ^^? and ^^M",
        f"\\csname input\\endcsname{{{s}}}",
        "#1 ## & _ ~ $ \\\\ \\",
        "}, note = {@misc{evil, title={x}}",
        f"$a \\def\\x{{\\input{{{s}}}}}\\x$",
        f"\\openout1={m}\\write1{{x}}\\closeout1",
    ]
    papers: list[dict[str, object]] = [
        {"title": t, "date": f"2024-01-{i + 1:02d}", "authors": [f"Author {i}"]}
        for i, t in enumerate(titles)]
    papers += [
        {"title": "Hostile people", "date": "2024-02-01",
         "authors": [f"\\input{{{s}}}", f"^^5cinput^^7b{s}^^7d", "Evil}, title={X",
                     "Smith, John", "Tom and Jerry", "%comment"]},
        {"title": "Hostile identifiers", "date": "2024-02-02",
         "doi": f"10.1234/^^5cinput^^7b{s}^^7d%#{{}}\\x", "arxiv": f"^^5cinput^^7b{s}^^7d"},
        {"title": "Percent DOI", "date": "2024-02-03", "doi": "10.1000/a%\\input{x}"},
        {"title": "Attention Is All You Need", "date": "2017-06-12",
         "authors": ["Ashish Vaswani"], "arxiv": "1706.03762"},
        {"title": "Scaling $x^2$ Laws for $\\alpha$-Divergences in LLMs", "date": "2024-03-01",
         "doi": "10.1000/abc_def"},
    ]
    return papers


def _site(root: Path, papers: list[dict[str, object]]) -> Path:
    site = root / "site"
    folder = site / "content" / "papers"
    folder.mkdir(parents=True)
    (site / "sitegen.toml").write_text('title = "TeX"\nbase_url = "https://example.org/"\n'
                                       "search = false\n", encoding="utf-8")
    for number, paper in enumerate(papers):
        text = "---\n" + yaml.safe_dump(paper, allow_unicode=True, sort_keys=False) + "---\n\nA.\n"
        (folder / f"p{number:02d}.md").write_text(text, encoding="utf-8")
    return site


DOCUMENT = r"""\documentclass{article}
\usepackage[utf8]{inputenc}
\usepackage{url}
\usepackage[numbers]{natbib}
\begin{document}
\nocite{*}
\bibliographystyle{plainnat}
\bibliography{papers}
\end{document}
"""


def compile_bib(folder: Path) -> tuple[str, str]:
    """bibtex and pdflatex (shell escape on, so an injected \\write18 would run)."""
    env = {**os.environ, "openout_any": "p", "openin_any": "a"}

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True,
                              timeout=120, check=False, stdin=subprocess.DEVNULL,
                              errors="replace")

    latex = ("pdflatex", "-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
             "paper.tex")
    first = run(*latex)
    assert first.returncode == 0, first.stdout[-3000:]
    bib = run("bibtex", "paper")
    blg = (folder / "paper.blg").read_text(errors="replace")
    assert bib.returncode in (0, 1) and "error message" not in blg, blg  # 1: warnings only
    for _ in range(2):
        done = run(*latex)
        assert done.returncode == 0, done.stdout[-3000:]
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "paper.pdf", "-"], cwd=folder,
                          capture_output=True, text=True, check=True).stdout
    logs = "".join((folder / name).read_text(errors="replace")
                   for name in ("paper.log", "paper.blg", "paper.bbl"))
    return text, logs


@pytest.mark.slow
def test_hostile_bibtex_runs_no_tex_command(tex: None, tmp_path: Path,
                                            run_cli: Callable[[list[str]], tuple[int, str, str]]
                                            ) -> None:
    secret = tmp_path / "secret.tex"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    marker = tmp_path / "marker"
    papers = _payloads(secret, marker)
    site = _site(tmp_path, papers)
    out = tmp_path / "out"
    code, _, err = run_cli(["build", "--site", str(site), "--output", str(out), "-q"])
    assert code == 0, err
    bib = (out / "papers.bib").read_text("utf-8")
    assert "^^" not in bib
    work = tmp_path / "tex"
    work.mkdir()
    (work / "papers.bib").write_text(bib, encoding="utf-8")
    (work / "paper.tex").write_text(DOCUMENT, encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())

    text, logs = compile_bib(work)

    # Math mode spaces the letters out: compare without any whitespace.
    assert SECRET not in "".join(text.split()) and SECRET not in logs
    assert not marker.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    written = {p.name for p in work.iterdir()}
    assert written <= {"papers.bib", "paper.tex", "paper.aux", "paper.log", "paper.bbl",
                       "paper.blg", "paper.pdf", "paper.out"}, written
    # Every paper is in the bibliography, and the hostile text is shown, not run.
    flat = " ".join(text.split())
    assert flat.count("Author ") >= 19
    assert "Attention is all you need" in flat  # plainnat sentence-cases titles
    assert "input" in flat and "write18" in flat and "catcode" in flat
    assert "Tom and Jerry" in flat and "Smith" in flat
    assert "arxiv.org/abs/1706.03762" in flat
    # Plain formulas are kept as formulas; the DOI's underscore survives.
    assert "$x^2$" in bib and "$\\alpha$" in bib and "10.1000/abc_def" in flat


def test_math_rules_in_titles() -> None:
    """Which formulas stay formulas (the module docstring's rules), and which become text."""
    kept = ["$x^2$", "$\\alpha$", "$O(n \\log n)$", "$\\{x\\}$", "$x_{i}^{2}$", "$\\frac{a}{b}$"]
    for formula in kept:
        assert tex_title(f"On {formula} things").count(formula) == 1, formula
    refused = ["$x^^5c$", "$x^^7b$", "$\\input{a}$", "$\\{ x$", "$x \\}$", "$}x{$", "$\\def$",
               "$\\catcode$", "$a % b$", "$a # b$", "$x^ ^5c$ $^^$", "$\\write$",
               "$\\csname$", "$\\text{\\input}$"]
    for formula in refused:
        out = tex_title(f"On {formula} things")
        assert "^^" not in out, formula
        assert "\\input" not in out and "\\catcode" not in out and "\\def" not in out
        assert "\\write" not in out and "\\csname" not in out, formula
        # Braces only as BibTeX sees them balanced.
        depth = 0
        for char in out:
            depth += {"{": 1, "}": -1}.get(char, 0)
            assert depth >= 0, formula
        assert depth == 0, formula
