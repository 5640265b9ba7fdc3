"""The GitHub Pages workflow that ``sitegen init`` writes, proven by running it.

The wheel of this checkout and the wheels of its dependencies are served from a
PEP 503 package index on loopback. A site is made with ``sitegen init`` (and
papers imported into it, as its owner would commit them); then the ``run:``
steps of the workflow's build job run in order, each as GitHub runs it
(``bash -e -o pipefail``), in a fresh virtual environment whose pip sees that
index and nothing else: no configuration file, no other index, no find-links.
The ``uses:`` steps are played by stand-ins: the site folder is the checkout,
the virtual environment is setup-python, and actions/configure-pages gives its
documented outputs as values that are put into the expressions, as the runner
does. The test passes only if the site builds and ``sitegen check`` passes, and
a workflow that installs another name or version fails it.

The dependency wheels come from ``.cache/wheelhouse/``, which scripts/test fills
from the package registry at install time; tests never reach the network.
"""

from __future__ import annotations

import functools
import hashlib
import html
import os
import re
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from sitegen import DISTRIBUTION, __version__
from sitegen.cli import main
from sitegen.scaffold import SITEGEN_REQUIREMENT, WORKFLOW_PATH, init_site, workflow_text

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
WHEELHOUSE = REPO / ".cache" / "wheelhouse"
#: Written by scripts/test after the wheelhouse is complete.
WHEELHOUSE_STAMP = WHEELHOUSE / ".stamp"
EXAMPLE_LISTING = REPO / "examples" / "hf-daily-papers-2026-01-09.txt"
RELEASE_WORKFLOW = REPO / ".github" / "workflows" / "release.yml"

#: The outputs actions/configure-pages documents, for a project site.
PAGES_OUTPUTS = {
    "base_url": "https://example.github.io/mysite",
    "origin": "https://example.github.io",
    "host": "example.github.io",
    "base_path": "/mysite",
}
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
STEP_OUTPUT = re.compile(r"steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)")
#: Actions whose work the test environment itself does.
STAND_INS = {
    "actions/checkout": "the site folder is the checked-out repository",
    "actions/setup-python": "a fresh virtual environment is the Python set up",
    "actions/configure-pages": "PAGES_OUTPUTS are its outputs",
    "actions/upload-pages-artifact": "the folder it would upload must exist",
}


def normalized(name: str) -> str:
    """A project name as PEP 503 spells it in index URLs."""
    return re.sub(r"[-_.]+", "-", name).lower()


# --- the package index ----------------------------------------------------------------------


@dataclass
class PackageIndex:
    """A PEP 503 simple index served over HTTP on loopback, with a log of what was asked."""

    url: str
    requests: list[tuple[str, int]] = field(default_factory=list)

    def asked(self, path: str) -> list[int]:
        """The status codes answered for ``path``."""
        return [status for asked, status in self.requests if asked == path]


def write_index(root: Path, wheels: list[Path]) -> None:
    """``root/simple/<project>/index.html`` for each project, linking its wheels with hashes."""
    projects: dict[str, list[Path]] = {}
    for wheel in wheels:
        projects.setdefault(normalized(wheel.name.split("-")[0]), []).append(wheel)
    files = root / "files"
    files.mkdir(parents=True)
    for wheel in wheels:
        (files / wheel.name).symlink_to(wheel.resolve())
    simple = root / "simple"
    listing = []
    for project, items in sorted(projects.items()):
        links = []
        for wheel in sorted(items):
            digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
            href = f"../../files/{urllib.parse.quote(wheel.name)}#sha256={digest}"
            links.append(f'<a href="{html.escape(href)}">{html.escape(wheel.name)}</a><br>')
        (simple / project).mkdir(parents=True)
        (simple / project / "index.html").write_text(
            "<!DOCTYPE html>\n<html><body>\n" + "\n".join(links) + "\n</body></html>\n",
            encoding="utf-8")
        listing.append(f'<a href="{project}/">{project}</a><br>')
    (simple / "index.html").write_text(
        "<!DOCTYPE html>\n<html><body>\n" + "\n".join(listing) + "\n</body></html>\n",
        encoding="utf-8")


class _IndexHandler(SimpleHTTPRequestHandler):
    log: list[tuple[str, int]]

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log.append((urllib.parse.urlsplit(self.path).path, int(code)))

    def log_message(self, format: str, *args: Any) -> None:
        pass


def require_wheelhouse(folder: Path, environ: dict[str, str] | os._Environ[str]) -> None:
    """Skip when scripts/test has not filled ``folder``; under CI, fail instead."""
    if (folder / WHEELHOUSE_STAMP.name).is_file():
        return
    reason = f"no dependency wheelhouse at {folder} (scripts/test fills it from the registry)"
    if environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"{reason}; CI is set, so the workflow test may not be skipped")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def wheelhouse() -> list[Path]:
    """The dependency wheels scripts/test downloaded; missing: skip, or fail under CI."""
    require_wheelhouse(WHEELHOUSE, os.environ)
    wheels = sorted(WHEELHOUSE.glob("*.whl"))
    assert wheels, f"{WHEELHOUSE} has a stamp but no wheels: run scripts/test again"
    return wheels


@pytest.fixture(scope="module")
def sitegen_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this checkout, built offline with hatchling's build hook."""
    out = tmp_path_factory.mktemp("dist")
    code = "import sys, hatchling.build as b; print(b.build_wheel(sys.argv[1]))"
    result = subprocess.run([sys.executable, "-c", code, str(out)], cwd=REPO,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return out / result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, wheelhouse: list[Path],
          sitegen_wheel: Path) -> Iterator[PackageIndex]:
    root = tmp_path_factory.mktemp("index")
    write_index(root, [sitegen_wheel, *wheelhouse])
    log: list[tuple[str, int]] = []
    handler = type("Handler", (_IndexHandler,), {"log": log})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield PackageIndex(f"http://127.0.0.1:{server.server_address[1]}/simple/", log)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- running the workflow -------------------------------------------------------------------


@dataclass
class StepResult:
    name: str
    returncode: int
    output: str


def expand(script: str, outputs: dict[str, dict[str, str]]) -> str:
    """``script`` with each ``${{ steps.ID.outputs.NAME }}`` replaced by its value.

    The runner replaces expressions in the text before the shell sees it; so
    does this. Any other expression, or an output the step does not have, is
    an error: the workflow would be wrong on GitHub too.
    """

    def value(match: re.Match[str]) -> str:
        found = STEP_OUTPUT.fullmatch(match.group(1))
        if not found or found.group(2) not in outputs.get(found.group(1), {}):
            raise ValueError(f"no value for the expression {match.group(0)!r}")
        return outputs[found.group(1)][found.group(2)]

    return EXPRESSION.sub(value, script)


def step_environment(venv: Path, home: Path, index_url: str) -> dict[str, str]:
    """What a step runs with: the venv first on PATH, pip seeing only ``index_url``.

    Nothing of the machine's pip setup passes (PIP_* variables, configuration
    files, constraints, find-links); HOME is a fresh folder, so pip's cache is empty.
    """
    return {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_INDEX_URL": index_url,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
    }


def run_build_job(workflow: str, site: Path, env: dict[str, str]) -> list[StepResult]:
    """Run the build job's steps in order in ``site``; stops after the first that fails."""
    return run_steps(yaml.safe_load(workflow)["jobs"]["build"]["steps"], site, env)


def run_steps(steps: list[dict[str, Any]], site: Path, env: dict[str, str]) -> list[StepResult]:
    """Run ``steps`` in ``site``: ``run:`` in bash as the runner does, ``uses:`` by stand-ins."""
    outputs: dict[str, dict[str, str]] = {}
    results: list[StepResult] = []
    for step in steps:
        name = step.get("name") or step.get("uses") or step["run"]
        if "uses" in step:
            action = step["uses"].split("@")[0]
            assert action in STAND_INS, f"the test has no stand-in for {action}"
            if action == "actions/configure-pages":
                outputs[step["id"]] = PAGES_OUTPUTS
            if action == "actions/upload-pages-artifact":
                folder = site / step["with"]["path"]
                results.append(StepResult(name, 0 if folder.is_dir() else 1,
                                          f"{folder} is a folder: {folder.is_dir()}"))
            continue
        assert set(step) <= {"name", "id", "run"}, f"step {name!r} needs more than run: {step}"
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c",
             expand(step["run"], outputs)],
            cwd=site, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, timeout=600, check=False)
        results.append(StepResult(name, result.returncode, result.stdout))
        if result.returncode != 0:
            break
    return results


def _report(results: list[StepResult]) -> str:
    return "\n".join(f"--- {r.name}: exit {r.returncode}\n{r.output[-3000:]}" for r in results)


@pytest.fixture
def new_site(tmp_path: Path) -> Path:
    """A site made by ``sitegen init``, with the example listing imported and committed."""
    site = tmp_path / "mysite"
    assert init_site(site) == 0
    assert main(["import", "--site", str(site), str(EXAMPLE_LISTING)]) == 0
    assert list((site / "content" / "papers").glob("*.md"))
    return site


def run_workflow(site: Path, tmp_path: Path, index: PackageIndex,
                 workflow: str | None = None) -> tuple[list[StepResult], Path]:
    """Run ``workflow`` (default: the one init wrote) for ``site`` in a fresh venv."""
    venv, home = tmp_path / "venv", tmp_path / "home"
    home.mkdir()
    index.requests.clear()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    text = workflow if workflow is not None else (site / WORKFLOW_PATH).read_text("utf-8")
    return run_build_job(text, site, step_environment(venv, home, index.url)), venv


# --- the tests ------------------------------------------------------------------------------


def test_the_generated_workflow_builds_and_checks_the_site(
        new_site: Path, tmp_path: Path, index: PackageIndex) -> None:
    results, venv = run_workflow(new_site, tmp_path, index)
    report = _report(results)
    assert [r.returncode for r in results] == [0] * len(results), report
    ran = [r.name for r in results]
    assert ran[-1] == "Upload the site" and "Check links, sitemap and size limits" in ran, ran

    # pip installed this checkout's wheel from the loopback index, by its PyPI name
    assert 200 in index.asked(f"/simple/{DISTRIBUTION}/")
    assert 200 in index.asked(f"/files/sitegen_papers-{__version__}-py3-none-any.whl")
    version = subprocess.run([str(venv / "bin" / "sitegen"), "--version"], capture_output=True,
                             text=True, timeout=60, check=True).stdout
    assert version == f"sitegen {__version__}\n"

    # the site was built for the URL that configure-pages gave
    public = new_site / "public"
    home = (public / "index.html").read_text("utf-8")
    hrefs = re.findall(r'href="([^"]+)"', home)
    internal = [h for h in hrefs if not re.match(r"[a-z]+:|#", h)]
    assert internal and all(h.startswith("/mysite/") for h in internal), internal[:10]
    sitemap = (public / "sitemap.xml").read_text("utf-8")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert locs and all(loc.startswith(PAGES_OUTPUTS["base_url"] + "/") for loc in locs)
    papers = len(list((new_site / "content" / "papers").glob("*.md")))
    assert sum("/papers/" in loc for loc in locs) >= papers


def _next_minor(version: str) -> str:
    major, minor, *_ = version.split(".")
    return f"{major}.{int(minor) + 1}.0"


@pytest.mark.parametrize("requirement", [
    f"sitegen=={__version__}",
    f"{DISTRIBUTION}=={_next_minor(__version__)}",
], ids=["wrong name", "wrong version"])
def test_a_workflow_installing_another_name_or_version_fails(
        requirement: str, new_site: Path, tmp_path: Path, index: PackageIndex) -> None:
    workflow = workflow_text(f'python -m pip install "{requirement}"')
    assert f'"{SITEGEN_REQUIREMENT}"' not in workflow
    results, _ = run_workflow(new_site, tmp_path, index, workflow)
    report = _report(results)
    assert results[-1].name == "Install sitegen" and results[-1].returncode != 0, report
    assert "No matching distribution found" in results[-1].output, report
    assert not (new_site / "public").exists()
    name = requirement.split("==")[0]
    if name == DISTRIBUTION:  # the project is there, at another version
        assert 200 in index.asked(f"/simple/{DISTRIBUTION}/"), index.requests
        assert f"(from versions: {__version__})" in results[-1].output, report
    else:  # the index has no such project
        assert index.asked(f"/simple/{normalized(name)}/") == [404], index.requests


RELEASE_SMOKE_STEP = "Install the wheel into a clean environment and make a site with it"


def test_the_release_workflow_smoke_test_runs(tmp_path: Path, index: PackageIndex,
                                              sitegen_wheel: Path) -> None:
    """The release's check of the built wheel runs: install, init, import, build, check.

    The step runs as on the runner after ``python -m build``: in a checkout with
    dist/ holding the wheel, with setup-python's interpreter first on PATH
    (here the one the tests run on, outside any virtual environment), and pip
    seeing only the loopback index for the dependencies.
    """
    steps = yaml.safe_load(RELEASE_WORKFLOW.read_text("utf-8"))["jobs"]["build"]["steps"]
    [step] = [s for s in steps if s.get("name") == RELEASE_SMOKE_STEP]
    checkout, runner_temp, python_bin, home = (tmp_path / name for name in (
        "checkout", "runner", "python", "home"))
    for folder in (checkout / "dist", checkout / "examples", runner_temp, python_bin, home):
        folder.mkdir(parents=True)
    (checkout / "dist" / sitegen_wheel.name).write_bytes(sitegen_wheel.read_bytes())
    (checkout / "examples" / EXAMPLE_LISTING.name).write_bytes(EXAMPLE_LISTING.read_bytes())
    (python_bin / "python").symlink_to(getattr(sys, "_base_executable", sys.executable))
    env = step_environment(tmp_path, home, index.url) | {
        "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
        "GITHUB_WORKSPACE": str(checkout), "RUNNER_TEMP": str(runner_temp)}
    index.requests.clear()
    [result] = run_steps([step], checkout, env)
    assert result.returncode == 0, _report([result])
    assert f"sitegen {__version__}" in result.output
    assert "check passed" in result.output, result.output[-3000:]
    assert (runner_temp / "site" / "public" / "index.html").is_file()
    assert 200 in index.asked("/simple/jinja2/")  # the dependencies came from the index


def test_expressions_are_filled_from_the_pages_outputs_only() -> None:
    outputs = {"pages": PAGES_OUTPUTS}
    assert expand('sitegen build --base-url "${{ steps.pages.outputs.base_url }}/"',
                  outputs) == 'sitegen build --base-url "https://example.github.io/mysite/"'
    for wrong in ("${{ steps.pages.outputs.base_uri }}", "${{ steps.page.outputs.base_url }}",
                  "${{ github.repository }}"):
        with pytest.raises(ValueError, match="no value for the expression"):
            expand(f"echo {wrong}", outputs)


def test_a_missing_wheelhouse_skips_only_outside_ci(tmp_path: Path) -> None:
    with pytest.raises(pytest.skip.Exception, match="no dependency wheelhouse"):
        require_wheelhouse(tmp_path, {})
    for ci in ("true", "1"):
        with pytest.raises(pytest.fail.Exception, match="CI is set"):
            require_wheelhouse(tmp_path, {"CI": ci})
    (tmp_path / WHEELHOUSE_STAMP.name).write_text("stamp", "utf-8")
    require_wheelhouse(tmp_path, {"CI": "true"})
