"""The one corpus of broken and hostile input, and its one runner: every case, every kind.

Every case is a folder under ``tests/hostile/`` (see ``tests/hostile/README.md``);
the folder it sits in says its kind, and each kind runs the real command line
in a child process:

- *refused* (``content/``, ``sites/``, ``listings/``): after a good build of
  ``base/`` into ``../out``, the broken build or import must exit 1, print
  nothing on standard output and no traceback, print exactly the lines of its
  ``expected.txt`` on standard error, and leave every file under the temporary
  root (the previous site, the content, the home folder) byte-identical;
- *accepted* (``accepted/``): legal but dangerous input that must build, in
  time, with exactly its ``expected.txt``, then pass the checks its
  ``case.toml`` names (TeX run on ``papers.bib``, strings absent, a second
  build byte-identical);
- *serve* (``serve/``): one websocket message to a running preview server,
  which must close that connection only, log no traceback and keep serving.

A few accepted inputs that need checks of their own (``tags: [no, yes]``,
``title: 1.10``, a byte order mark with CRLF line ends, Unicode file names)
are tests at the end of this module.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from test_bibtex_tex import DOCUMENT, SECRET, compile_bib, require_tex
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from sitegen.cli import main

HOSTILE = Path(__file__).resolve().parent / "hostile"
BASE = HOSTILE / "base"
#: The kinds of case, each a folder of ``tests/hostile/``; the first three must be refused.
REFUSED = ("content", "sites", "listings")
KINDS = (*REFUSED, "accepted", "serve")
META = ("expected.txt", "case.toml", "README.md")
MIN_CASES = 200  # every kind counted


def _cases(kind: str) -> list[str]:
    """The case names of one kind: the sub-folders of ``tests/hostile/<kind>/``."""
    folder = HOSTILE / kind
    return sorted(p.name for p in folder.iterdir() if p.is_dir())


def _case_params() -> list[Any]:
    params = []
    for group in REFUSED:
        for name in _cases(group):
            spec = _spec(HOSTILE / group / name)
            marks = []
            if "xfail" in spec:
                marks.append(pytest.mark.xfail(strict=True, reason=spec["xfail"]))
            params.append(pytest.param(group, name, id=f"{group}/{name}", marks=marks))
    return params


def _spec(case: Path) -> dict[str, Any]:
    path = case / "case.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes; links by target, pipes by kind.

    ``.sitegen-cache`` (the build cache, not part of the site) is left out.
    """
    files: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d != ".sitegen-cache")
        for name in sorted(filenames + [d for d in dirnames if Path(dirpath, d).is_symlink()]):
            path = Path(dirpath, name)
            rel = path.relative_to(folder).as_posix()
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                files[rel] = b"symlink:" + os.fsencode(os.readlink(path))
            elif stat.S_ISREG(mode):
                files[rel] = path.read_bytes()
            else:
                files[rel] = f"special:{stat.S_IFMT(mode)}".encode()
    return files


def difference(before: dict[str, bytes], after: dict[str, bytes]) -> str:
    """What changed between two snapshots ('' when nothing did)."""
    lines = []
    for label, names in (("removed", sorted(set(before) - set(after))),
                         ("added", sorted(set(after) - set(before))),
                         ("changed", sorted(k for k in set(before) & set(after)
                                            if before[k] != after[k]))):
        if names:
            lines.append(f"{label}: {', '.join(names[:10])}{' ...' if len(names) > 10 else ''}")
    return "\n".join(lines)


# Inputs too large, too special or too machine-specific to keep as files.
def _abstract_of(size: int) -> Callable[[Path, Path], None]:
    def write(root: Path, site: Path) -> None:
        words = ("a hostile abstract that is far too long " * (size // 40 + 1))[:size]
        text = f"---\ntitle: Too Long\ndate: 2024-03-05\n---\n\n{words}\n"
        (site / "content" / "papers" / "paper.md").write_text(text, encoding="utf-8")
    return write


def _named_pipe(root: Path, site: Path) -> None:
    os.mkfifo(site / "content" / "papers" / "paper.md")


def _symlink_to_file_outside(root: Path, site: Path) -> None:
    secret = root / "secret.md"
    secret.write_text("---\ntitle: Secret\ndate: 2024-03-05\n---\n\nNot yours.\n", encoding="utf-8")
    (site / "content" / "papers" / "secret.md").symlink_to(secret)


def _symlink_to_folder_outside(root: Path, site: Path) -> None:
    folder = root / "elsewhere"
    folder.mkdir()
    (folder / "x.md").write_text("---\ntitle: Elsewhere\ndate: 2024-03-05\n---\n", encoding="utf-8")
    (site / "content" / "papers" / "elsewhere").symlink_to(folder, target_is_directory=True)


def _symlink_loop(root: Path, site: Path) -> None:
    (site / "content" / "papers" / "loop.md").symlink_to("loop.md")


def _good_paper_named(name: str) -> Callable[[Path, Path], None]:
    """A valid paper whose file name holds control characters (kept out of git's tree)."""
    def write(root: Path, site: Path) -> None:
        text = "---\ntitle: A Good Name\ndate: 2024-03-05\n---\n\nFine.\n"
        (site / "content" / "papers" / name).write_text(text, encoding="utf-8")
    return write


def _folder_not_made_by_sitegen(root: Path, site: Path) -> None:
    mine = root / "project" / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("\\documentclass{article}\n", encoding="utf-8")


def _output_is_a_file(root: Path, site: Path) -> None:
    (root / "project" / "notes.txt").write_text("my notes\n", encoding="utf-8")


def _foreign_staging_folder(root: Path, site: Path) -> None:
    staging = root / "project" / ".out.sitegen-staging"
    staging.mkdir()
    (staging / "draft.txt").write_text("not sitegen's\n", encoding="utf-8")


def _listing_3_mb_title(root: Path, site: Path) -> None:
    text = "Jan 9\n\n" + "x" * 3_000_000 + "\n\n  • 3 authors\n·\nJan 5, 2026\n"
    (root / "project" / "input.txt").write_text(text, encoding="utf-8")


def _input_named_pipe(root: Path, site: Path) -> None:
    os.mkfifo(root / "project" / "input.json")  # nobody writes: reading it would wait forever


def _input_over_50_mb(root: Path, site: Path) -> None:
    with (root / "project" / "input.json").open("wb") as handle:
        handle.truncate(50_000_001)  # sparse: no disk space and no time to write


def _empty_static(root: Path, site: Path) -> None:
    (site / "static").mkdir()  # git keeps no empty folder


def _home_link(root: Path, site: Path) -> None:
    (site / "homelink").symlink_to(root / "home", target_is_directory=True)


def _site_link(root: Path, site: Path) -> None:
    (root / "project" / "sitelink").symlink_to(site, target_is_directory=True)


def _config_is_a_folder(root: Path, site: Path) -> None:
    (site / "sitegen.toml").unlink()
    (site / "sitegen.toml").mkdir()
    (site / "sitegen.toml" / "title.txt").write_text("not a config\n", encoding="utf-8")


def _config_is_a_pipe(root: Path, site: Path) -> None:
    (site / "sitegen.toml").unlink()
    os.mkfifo(site / "sitegen.toml")  # nobody writes: opening it for reading would wait


def _config_is_a_dangling_link(root: Path, site: Path) -> None:
    (site / "sitegen.toml").unlink()
    (site / "sitegen.toml").symlink_to("no-such-file.toml")


def _config_is_dev_zero(root: Path, site: Path) -> None:
    (site / "sitegen.toml").unlink()
    (site / "sitegen.toml").symlink_to("/dev/zero")


def _content_is_a_file(root: Path, site: Path) -> None:
    shutil.rmtree(site / "content")
    (site / "content").write_text("not a folder\n", encoding="utf-8")


def _content_removed(root: Path, site: Path) -> None:
    shutil.rmtree(site / "content")


def _papers_removed(root: Path, site: Path) -> None:
    shutil.rmtree(site / "content" / "papers")
    (site / "content" / "papers").mkdir()


def _content_link_outside(root: Path, site: Path) -> None:
    (root / "elsewhere").mkdir()
    shutil.rmtree(site / "content")
    (site / "content").symlink_to(root / "elsewhere", target_is_directory=True)


def _config_nested(opening: str, closing: str, depth: int) -> Callable[[Path, Path], None]:
    def write(root: Path, site: Path) -> None:
        value = opening * depth + "1" + closing * depth
        (site / "sitegen.toml").write_text(f'title = "Deep"\ntag_rules = {value}\n', "utf-8")
    return write


SETUPS: dict[str, Callable[[Path, Path], None]] = {
    "config_arrays_5000_deep": _config_nested("[", "]", 5000),
    "config_tables_5000_deep": _config_nested("{a = ", "}", 5000),
    "config_arrays_200_deep": _config_nested("[", "]", 200),
    "empty_static": _empty_static,
    "home_link": _home_link,
    "site_link": _site_link,
    "config_is_a_folder": _config_is_a_folder,
    "config_is_a_pipe": _config_is_a_pipe,
    "config_is_a_dangling_link": _config_is_a_dangling_link,
    "config_is_dev_zero": _config_is_dev_zero,
    "content_is_a_file": _content_is_a_file,
    "content_removed": _content_removed,
    "papers_removed": _papers_removed,
    "content_link_outside": _content_link_outside,
    "abstract_1_5_mb": _abstract_of(1_500_000),
    "abstract_5_mb": _abstract_of(5_000_000),
    "named_pipe": _named_pipe,
    "symlink_to_file_outside": _symlink_to_file_outside,
    "symlink_to_folder_outside": _symlink_to_folder_outside,
    "symlink_loop": _symlink_loop,
    "name_with_newline": _good_paper_named("x.md:1: forged\nerror: a second line.md"),
    "name_with_escape": _good_paper_named("red\x1b[31m\x1b]0;title\x07.md"),
    "name_with_tab_and_bell": _good_paper_named("tab\tbell\x07.md"),
    "folder_not_made_by_sitegen": _folder_not_made_by_sitegen,
    "output_is_a_file": _output_is_a_file,
    "foreign_staging_folder": _foreign_staging_folder,
    "listing_3_mb_title": _listing_3_mb_title,
    "input_named_pipe": _input_named_pipe,
    "input_over_50_mb": _input_over_50_mb,
}


def generate(spec: dict[str, Any], folder: Path) -> str:
    """Write an input described in ``case.toml`` as ``[generate]``: ``file`` and ``pieces``,
    a list of ``[text, times]`` (a 20 MB line is one short line of TOML); returns its name."""
    data = "".join(text * times for text, times in spec["pieces"])
    (folder / spec["file"]).write_bytes(data.encode("utf-8", "surrogatepass"))
    return str(spec["file"])


@pytest.fixture(scope="module")
def built_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``project/site`` (a copy of the base site) and ``project/out`` (its build), built once."""
    work = tmp_path_factory.mktemp("hostile-base") / "project"
    shutil.copytree(BASE, work / "site")
    code = main(["build", "--site", str(work / "site"), "--output", str(work / "out"), "-q"])
    assert code == 0
    assert (work / "out" / "index.html").is_file()
    return work


def _copy_case_files(case: Path, target: Path) -> list[str]:
    """Copy a case's input files (not its metadata) into ``target``; returns their names."""
    names = []
    for entry in sorted(case.iterdir()):
        if entry.name in META:
            continue
        names.append(entry.name)
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry, target / entry.name)
    return names


def _run(args: list[str], cwd: Path, home: Path) -> tuple[int, str, str]:
    env = {**os.environ, "HOME": str(home)}
    env.pop("PYTHONWARNINGS", None)
    result = subprocess.run([sys.executable, "-m", "sitegen.cli", *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize(("group", "name"), _case_params())
def test_hostile_case(group: str, name: str, tmp_path: Path, built_base: Path) -> None:
    case = HOSTILE / group / name
    spec = _spec(case)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".profile").write_text("# must survive every case\n", encoding="utf-8")
    work = tmp_path / "project"
    shutil.copytree(built_base, work, symlinks=True)
    site = work / "site"

    inputs: list[str] = []
    if group == "content":
        inputs = _copy_case_files(case, site / "content" / "papers")
        default = ["build", "--output", "../out"]
    elif group == "sites":
        inputs = _copy_case_files(case, site)
        default = ["build", "--output", "../out"]
    else:
        inputs = _copy_case_files(case, work)
        default = ["import", "--strict", "../{input}"]
    if "setup" in spec:
        SETUPS[spec["setup"]](tmp_path, site)
    if "generate" in spec:
        inputs.insert(0, generate(spec["generate"], work))
    if group == "listings" and not inputs:
        inputs = sorted(p.name for p in work.iterdir() if p.name.startswith("input"))
    first_input = inputs[0] if inputs else ""
    args = [a.replace("{input}", first_input) for a in spec.get("args", default)]

    before = snapshot(tmp_path)
    code, stdout, stderr = _run(args, site, home)

    expected = (case / "expected.txt").read_text(encoding="utf-8")
    expected = expected.replace("{tmp}", str(tmp_path))
    assert "Traceback" not in stderr, stderr
    assert stderr.splitlines() == expected.splitlines(), stderr
    assert code == spec.get("exit", 1), stdout + stderr
    assert stdout == ""
    changed = difference(before, snapshot(tmp_path))
    assert not changed, f"the failed command changed files:\n{changed}"


# ---------------------------------------------------------------- accepted: must build, safely

ACCEPTED = HOSTILE / "accepted"
ACCEPTED_KEYS = {"seconds", "generate", "search", "tex", "bib_excludes", "deterministic"}
TEX_FILES = {"papers.bib", "paper.tex", "paper.aux", "paper.log", "paper.bbl", "paper.blg",
             "paper.pdf", "paper.out"}


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _copy_accepted(case: Path, papers: Path, secret: Path, marker: Path) -> None:
    for source in sorted(case.rglob("*")):
        rel = source.relative_to(case)
        if not source.is_file() or rel.as_posix() in META:
            continue
        target = papers / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text("utf-8")
        text = text.replace("{secret}", secret.with_suffix("").as_posix())
        target.write_text(text.replace("{marker}", marker.as_posix()), encoding="utf-8")


def _generate_papers(papers: Path, spec: dict[str, Any]) -> None:
    for item in spec.get("generate", []):
        body = "".join(str(text) * int(count) for text, count in item["parts"])
        head = f"---\ntitle: {item['title']}\ndate: 2024-03-05\n---\n\n"
        (papers / item["file"]).write_text(head + body + "\n", encoding="utf-8")


def _build_within(site: Path, out: str, seconds: float) -> tuple[int, str, str]:
    env = {**os.environ}
    env.pop("PYTHONWARNINGS", None)
    try:
        done = subprocess.run([sys.executable, "-m", "sitegen.cli", "build", "--output", out,
                               "-q"], cwd=site, env=env, capture_output=True, text=True,
                              timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the build took more than {seconds} s")
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("name", _cases("accepted"))
def test_accepted_case(name: str, tmp_path: Path) -> None:
    case = ACCEPTED / name
    spec = _spec(case)
    if spec.get("tex"):
        require_tex()
    secret = tmp_path / "secret.tex"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    marker = tmp_path / "marker"
    site = tmp_path / "project" / "site"
    shutil.copytree(BASE, site)
    if spec.get("search"):
        config = site / "sitegen.toml"
        config.write_text(config.read_text("utf-8").replace("search = false", "search = true"),
                          encoding="utf-8")
    papers = site / "content" / "papers"
    _copy_accepted(case, papers, secret, marker)
    _generate_papers(papers, spec)

    code, stdout, stderr = _build_within(site, "../out", float(spec.get("seconds", 120)))
    assert "Traceback" not in stderr, stderr
    assert (code, stdout) == (0, ""), stderr
    assert stderr.splitlines() == (case / "expected.txt").read_text("utf-8").splitlines()
    out = site.parent / "out"
    bib = (out / "papers.bib").read_text("utf-8")
    for text in spec.get("bib_excludes", []):
        assert text not in bib, text
    if spec.get("search"):
        assert (out / "pagefind" / "pagefind-entry.json").is_file()
    if spec.get("tex"):
        _check_tex(tmp_path, bib, marker)
    if spec.get("deterministic"):
        _check_deterministic(site, out)


def _check_tex(tmp_path: Path, bib: str, marker: Path) -> None:
    work = tmp_path / "tex"
    work.mkdir()
    (work / "papers.bib").write_text(bib, encoding="utf-8")
    (work / "paper.tex").write_text(DOCUMENT, encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    text, logs = compile_bib(work)
    assert SECRET not in "".join(text.split()) and SECRET not in logs
    assert not marker.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert {p.name for p in work.iterdir()} <= TEX_FILES
    entries = len(re.findall(r"(?m)^@[a-z]+\{", bib))  # every entry, hostile ones too, is printed
    assert (work / "paper.bbl").read_text(errors="replace").count("\\bibitem") == entries
    assert f"[{entries}]" in text


def _check_deterministic(site: Path, out: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        pytest.skip("needs a writable /dev/shm")
    other = shm / f"sitegen-accepted-{uuid.uuid4().hex}"
    try:
        code, _, stderr = _build_within(site, str(other / "out"), 120)
        assert code == 0, stderr
        assert _tree(other / "out") == _tree(out)
    finally:
        shutil.rmtree(other, ignore_errors=True)


# ---------------------------------------------------------------- serve: hostile websocket messages

SERVE = HOSTILE / "serve"


def _message(case: Path) -> str | bytes:
    """``message.txt`` is sent as a text frame, ``message.bin`` as a binary one."""
    text = case / "message.txt"
    return text.read_text("utf-8") if text.is_file() else (case / "message.bin").read_bytes()


class Preview:
    """``sitegen serve`` in a child process, on a free loopback port."""

    def __init__(self, site: Path, log: Path) -> None:
        self.log = log
        self._errors: IO[str] = log.open("w", encoding="utf-8")
        env = {**os.environ, "HOME": str(site.parent)}
        env.pop("PYTHONWARNINGS", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sitegen.cli", "serve", "--port", "0"], cwd=site, env=env,
            stdout=subprocess.PIPE, stderr=self._errors, text=True)
        assert self.process.stdout is not None
        line = ""  # the first build's summary, then "serving http://127.0.0.1:PORT (...)"
        for line in self.process.stdout:
            if line.startswith("serving "):
                break
        assert line.startswith("serving http://127.0.0.1:"), line + self.errors()
        self.host = line.split("//", 1)[1].split("/", 1)[0].split(" ", 1)[0]

    def errors(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._errors.close()


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    root = tmp_path_factory.mktemp("hostile-serve")
    shutil.copytree(BASE, root / "site")
    running = Preview(root / "site", root / "serve-errors.txt")
    try:
        yield running
    finally:
        running.stop()


async def _connect(host: str) -> Any:
    request = HTTPRequest(f"ws://{host}/livereload",
                          headers={"Host": host, "Origin": f"http://{host}"}, request_timeout=10)
    return await websocket_connect(request)


@pytest.mark.parametrize("name", _cases("serve"))
def test_serve_case(name: str, preview: Preview) -> None:
    message = _message(SERVE / name)

    async def scenario() -> None:
        conn = await _connect(preview.host)
        started = time.monotonic()
        await conn.write_message(message, binary=isinstance(message, bytes))
        assert await asyncio.wait_for(conn.read_message(), 10) is None  # closed
        assert time.monotonic() - started < 5
        good = await _connect(preview.host)
        await good.write_message(json.dumps({"command": "hello"}))
        reply = await asyncio.wait_for(good.read_message(), 10)
        assert json.loads(reply)["command"] == "hello"
        good.close()

    asyncio.run(scenario())
    assert preview.process.poll() is None, preview.errors()
    errors = preview.errors()
    assert "RecursionError" not in errors and "Traceback" not in errors, errors


# ---------------------------------------------------------------- the corpus as a whole


def _check_layout(kind: str, case: Path) -> None:
    label = f"{kind}/{case.name}"
    inputs = [p for p in case.rglob("*") if p.is_file() and p.name not in META]
    if kind == "serve":
        assert {p.name for p in inputs} in ({"message.txt"}, {"message.bin"}), label
        return
    assert (case / "expected.txt").is_file(), f"{label} has no expected.txt"
    spec = _spec(case)
    if kind == "accepted":
        assert set(spec) <= ACCEPTED_KEYS, (label, spec)
        assert any(p.suffix == ".md" for p in inputs) or spec.get("generate"), \
            f"{label} has no input"
        return
    assert set(spec) <= {"args", "setup", "exit", "xfail", "generate"}, f"{label}: {spec}"
    assert spec.get("setup", "") in ("", *SETUPS), f"{label}: unknown setup"
    assert inputs or {"setup", "args", "generate"} & set(spec), f"{label} is empty"


def test_corpus_size_and_layout() -> None:
    folders = sorted(p.name for p in HOSTILE.iterdir() if p.is_dir())
    assert folders == sorted(("base", *KINDS)), "a folder of tests/hostile/ that no kind runs"
    counts = {kind: len(_cases(kind)) for kind in KINDS}
    total = sum(counts.values())
    print(f"\nhostile corpus: {total} cases ({', '.join(f'{k} {n}' for k, n in counts.items())})")
    assert total >= MIN_CASES
    assert all(counts.values()), counts
    for kind in KINDS:
        for name in _cases(kind):
            _check_layout(kind, HOSTILE / kind / name)


# ---------------------------------------------- accepted inputs with checks of their own


def _site_with(tmp_path: Path, files: dict[str, bytes]) -> Path:
    site = tmp_path / "site"
    shutil.copytree(BASE, site)
    for name, data in files.items():
        (site / "content" / "papers" / name).write_bytes(data)
    return site


def _build(site: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    code = main(["build", "--site", str(site), "--output", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 0, err
    return err


def _page_text(out: Path, slug: str, parse: Callable[[bytes], Any]) -> tuple[Any, str]:
    root = parse((out / "papers" / slug / "index.html").read_bytes())
    return root, " ".join("".join(root.itertext()).split())


def test_yaml_lookalikes_stay_strings(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      parse_page: Callable[[bytes], Any]) -> None:
    paper = (b"---\ntitle: 1.10\ndate: 2024-03-05\ntags: [no, yes]\nauthors: [null, ~, Off]\n"
             b"organization: 0x1F\n---\n\nYAML 1.1 would turn these into numbers and booleans.\n")
    site = _site_with(tmp_path, {"version.md": paper})
    out = tmp_path / "out"
    _build(site, out, capsys)
    root, _ = _page_text(out, "version", parse_page)
    assert "".join(root.find(".//h1").itertext()) == "1.10"
    tag_names = ["".join(a.itertext()) for a in root.findall(".//ul[@class='tags']/li/a")]
    assert tag_names == ["no", "yes"]
    authors = "".join(root.find(".//p[@class='authors']").itertext())
    assert authors == "Authors: Off"  # null and ~ are empty values, Off stays text
    org = "".join(root.find(".//p[@class='org']").itertext())
    assert org == "Organization: 0x1F"
    assert (out / "tags" / "no" / "index.html").is_file()
    assert (out / "tags" / "yes" / "index.html").is_file()


@pytest.mark.parametrize("variant", ["bom-crlf", "bom-lf", "crlf", "cr-only"])
def test_bom_and_line_endings_are_accepted(variant: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str],
                                           parse_page: Callable[[bytes], Any]) -> None:
    text = ("---\ntitle: Line Ends\ndate: 2024-03-05\ntags: [memory]\n---\n\n"
            "First paragraph.\n\nSecond paragraph.\n")
    newline = {"bom-crlf": "\r\n", "bom-lf": "\n", "crlf": "\r\n", "cr-only": "\r"}[variant]
    data = text.replace("\n", newline).encode("utf-8")
    if variant.startswith("bom"):
        data = b"\xef\xbb\xbf" + data
    site = _site_with(tmp_path, {"line-ends.md": data})
    out = tmp_path / "out"
    _build(site, out, capsys)
    root, _ = _page_text(out, "line-ends", parse_page)
    assert "".join(root.find(".//h1").itertext()) == "Line Ends"
    paragraphs = ["".join(p.itertext()) for p in root.findall(".//section[@class='abstract']/p")]
    assert paragraphs == ["First paragraph.", "Second paragraph."]
    page = (out / "papers" / "line-ends" / "index.html").read_bytes()
    assert b"\xef\xbb\xbf" not in page
    assert b"\r" not in page


def test_unicode_and_timestamps_are_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             parse_page: Callable[[bytes], Any]) -> None:
    title = "Ünïcödé \u202eright-to-left\u202c, emoji 🧠 and CJK 記憶"
    paper = (f"---\ntitle: \"{title}\"\ndate: 2024-03-05T23:59:59Z\n---\n\n"
             "Text with a zero-width\u200bspace and a line\u2028separator.\n").encode()
    site = _site_with(tmp_path, {"Ünïcödé Paper.md": paper})
    out = tmp_path / "out"
    _build(site, out, capsys)
    pages = sorted(p.parent.name for p in (out / "papers").glob("*/index.html"))
    assert "unicode-paper" in pages
    root, _ = _page_text(out, "unicode-paper", parse_page)
    assert "".join(root.find(".//h1").itertext()) == title
    assert root.find(".//time").get("datetime") == "2024-03-05"
