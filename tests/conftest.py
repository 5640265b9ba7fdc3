"""Shared fixtures: run the CLI, build a site, copy fixture sites, snapshot output trees.

The fixtures are factories (each returns a function) so that any test module
can use them without importing this file. Nothing here writes into the
repository: sites are copied into ``tmp_path`` before they are built, because a
build keeps its cache next to the site's ``sitegen.toml``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kinds import KIND_OF

from sitegen.cli import main

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"
SITES = TESTS / "sites"
#: Real input samples, kept beside the project (never copied into it).
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"
# Site-level inputs of the repository's own example site (the repository root).
EXAMPLE_PARTS = ("sitegen.toml", "content", "templates", "static")

CliResult = tuple[int, str, str]

# A shell without job control starts background commands with Ctrl-C ignored, and
# the ignored signal passes to every child: the tests that stop `sitegen serve` with
# SIGINT would then wait forever. Children of a handled signal start with the default.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def shared_fixture(name: str) -> Path:
    """The real input sample ``name``: ``../shared/fixtures/NAME`` beside the checkout.

    The project keeps no copies of these samples. A test that reads one is
    marked :data:`needs_shared`, which skips it, with the reason, where the
    folder is absent (in ``parametrize``: ``pytest.param(path, marks=needs_shared)``).
    """
    return SHARED_FIXTURES / name


needs_shared = pytest.mark.skipif(
    not SHARED_FIXTURES.is_dir(),
    reason=f"the real input samples are not here: {SHARED_FIXTURES} is absent "
           "(they are kept beside the project checkout, not in it)")


def wrote_nothing(site: Path) -> bool:
    """True when an ``import --site`` left ``site`` as :func:`make_site_for` made it: a
    ``sitegen.toml`` and, at most, the cache folder that holds the site lock."""
    return sorted(p.name for p in site.iterdir()) in (["sitegen.toml"],
                                                      [".sitegen-cache", "sitegen.toml"])


def make_site_for(args: list[str] | tuple[object, ...]) -> None:
    """Make the ``--site`` folder of an ``import`` a site (an empty ``sitegen.toml``) if
    it is not one: import tests are about importing, and a folder without it is refused."""
    argv = [str(a) for a in args]
    if argv[:1] != ["import"] or "--init" in argv:
        return
    site = Path(argv[argv.index("--site") + 1]) if "--site" in argv else Path(".")
    if not (site / "sitegen.toml").exists():
        site.mkdir(parents=True, exist_ok=True)
        (site / "sitegen.toml").write_text("", encoding="utf-8")


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str],
            request: pytest.FixtureRequest) -> Callable[[list[str]], CliResult]:
    """Run ``sitegen ARGS`` in this process; returns (exit code, stdout, stderr).

    In a module marked ``import_site``, ``import --site DIR`` first makes DIR a site
    (see :func:`make_site_for`).
    """
    make_sites = request.node.get_closest_marker("import_site") is not None

    def run(args: list[str]) -> CliResult:
        if make_sites:
            make_site_for(args)
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse usage errors and --version
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def run_cli_process() -> Callable[..., CliResult]:
    """Run ``python -m sitegen.cli ARGS`` in a child process (for exit codes and tracebacks).

    ``cwd`` sets the working folder; ``env`` adds environment variables.
    """

    def run(args: list[str], cwd: Path | None = None,
            env: dict[str, str] | None = None) -> CliResult:
        environ = {**os.environ, **(env or {})}
        environ.pop("PYTHONWARNINGS", None)
        result = subprocess.run([sys.executable, "-m", "sitegen.cli", *map(str, args)],
                                cwd=cwd, env=environ, capture_output=True, text=True,
                                timeout=300, check=False)
        return result.returncode, result.stdout, result.stderr

    return run


@pytest.fixture
def build_site(run_cli: Callable[[list[str]], CliResult]) -> Callable[..., Path]:
    """Build ``site`` into ``out`` (``sitegen build``), asserting success; returns ``out``.

    Extra keyword arguments: ``clean=True`` adds ``--clean``, ``args`` adds more flags.
    """

    def build(site: Path, out: Path, base_url: str | None = None, clean: bool = False,
              args: list[str] | None = None) -> Path:
        argv = ["build", "--site", str(site), "--output", str(out), "-q"]
        if base_url is not None:
            argv += ["--base-url", base_url]
        if clean:
            argv.append("--clean")
        argv += args or []
        code, stdout, stderr = run_cli(argv)
        assert code == 0, f"sitegen {' '.join(argv)} exited {code}:\n{stdout}{stderr}"
        return out

    return build


@pytest.fixture
def copy_site(tmp_path: Path) -> Callable[..., Path]:
    """Copy a fixture site (a name under tests/sites/ or a folder) to a fresh temporary folder."""

    def copy(source: str | Path, name: str | None = None) -> Path:
        src = Path(source) if isinstance(source, Path) else SITES / source
        dest = tmp_path / (name or src.name)
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".sitegen-cache"))
        return dest

    return copy


def copy_example_to(dest: Path) -> Path:
    """Copy the repository's example site (content/, and config, templates, static if any)."""
    dest.mkdir(parents=True)
    for part in EXAMPLE_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        elif src.is_file():
            shutil.copy2(src, dest / part)
    return dest


@pytest.fixture(scope="session")
def copy_example() -> Callable[[Path], Path]:
    """``copy_example(dest)``: a copy of the repository's example site at ``dest``."""
    return copy_example_to


@pytest.fixture
def example_site(tmp_path: Path) -> Path:
    """A copy of the repository's example site in a temporary folder."""
    return copy_example_to(tmp_path / "example")


def tree_bytes(folder: Path, skip: tuple[str, ...] = (".sitegen-cache",)) -> dict[str, bytes]:
    """Every file under ``folder`` (dot-files included) by relative path, with its bytes.

    Folders named in ``skip`` are left out; symbolic links are recorded by target.
    """
    files: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in skip)
        for name in sorted(filenames):
            path = Path(dirpath, name)
            rel = path.relative_to(folder).as_posix()
            files[rel] = (b"symlink:" + os.fsencode(os.readlink(path)) if path.is_symlink()
                          else path.read_bytes())
    return files


@pytest.fixture(scope="session")
def snapshot() -> Callable[..., dict[str, bytes]]:
    """``snapshot(folder)``: every file under it with its bytes (see :func:`tree_bytes`)."""
    return tree_bytes


def describe_tree_difference(left: dict[str, bytes], right: dict[str, bytes],
                             limit: int = 20) -> str:
    """A short human-readable account of how two snapshots differ ('' when equal)."""
    lines: list[str] = []
    only_left = sorted(set(left) - set(right))
    only_right = sorted(set(right) - set(left))
    changed = sorted(k for k in set(left) & set(right) if left[k] != right[k])
    for label, names in (("only in first", only_left), ("only in second", only_right),
                         ("different", changed)):
        if names:
            shown = ", ".join(names[:limit]) + (" ..." if len(names) > limit else "")
            lines.append(f"{label} ({len(names)}): {shown}")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def tree_difference() -> Callable[..., str]:
    """``tree_difference(a, b)``: '' when two snapshots are equal, else what differs."""
    return describe_tree_difference


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A throw-away HOME, so that no test can touch the real home folder."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    yield home


def parse_html(data: bytes | str) -> Any:
    """Parse a page as a browser would (html5lib); returns the root element (ElementTree).

    Element tags are plain names (``a``, ``script``); SVG and MathML elements keep
    their namespace (``{http://www.w3.org/2000/svg}svg``).
    """
    import html5lib

    return html5lib.parse(data, treebuilder="etree", namespaceHTMLElements=False)


@pytest.fixture(scope="session")
def parse_page() -> Callable[[bytes | str | Path], Any]:
    """``parse_page(path_or_bytes)``: the page parsed with html5lib (see :func:`parse_html`)."""

    def parse(source: bytes | str | Path) -> Any:
        return parse_html(source.read_bytes() if isinstance(source, Path) else source)

    return parse


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its module's kind (see ``tests/kinds.py``)."""
    for item in items:
        kind = KIND_OF.get(item.module.__name__ if item.module else "")
        if kind:
            item.add_marker(getattr(pytest.mark, kind))


def wait_until(check: Callable[[], bool], timeout: float = 15) -> bool:
    """Poll ``check`` until it holds or ``timeout`` seconds pass; its last answer."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


@pytest.fixture
def held_builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Preview builds (``sitegen serve``) that wait until ``gate`` is set, and fail while
    ``fail`` is set: what a preview does before its whole build ends can be looked at."""
    import threading

    import sitegen.serve as serve_module
    from sitegen.errors import BuildError, Problem

    control: dict[str, Any] = {"gate": threading.Event(), "fail": False}
    control["gate"].set()
    real = serve_module.build_preview

    def held(site: Any) -> Any:
        assert control["gate"].wait(60)
        if control["fail"]:
            raise BuildError(Problem("content/papers/x.md", 3, "made to fail"))
        return real(site)

    monkeypatch.setattr(serve_module, "build_preview", held)
    yield control
    control["gate"].set()
