"""The scheduled workflow of ``sitegen init --schedule``: linted, then run day after day.

Its ``run:`` steps run as GitHub runs them (``bash -e -o pipefail``, see
tests/test_workflow_run.py, whose runner this reuses) in a fresh clone of a
local bare repository, as actions/checkout would leave it. The sources are a
real HTTP server on loopback answering ``api/daily_papers`` with recorded
real items, another list per day (tests/fixtures/sources/README.md); the day
is set with ``SITEGEN_TODAY``. The "Install sitegen" step is played by this
checkout's environment on PATH: installing from a package index is what
tests/test_workflow_run.py proves for the same step.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import needs_shared
from sources_server import DAY_ONE, DAY_TWO, Route, Services, real_day_responses, serve
from test_workflow_run import StepResult, run_steps, step_environment
from test_workflows import _lint

from sitegen.scaffold import WORKFLOW_PATH, init_site, workflow_text
from sitegen.sources.state import STATE_NAME

INSTALL_STEP = "Install sitegen"


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("scheduled") / "site"
    assert init_site(site, schedule=True) == 0
    return site


def test_scheduled_workflow_passes_actionlint(scheduled: Path) -> None:
    result = _lint(scheduled / WORKFLOW_PATH)
    assert result.returncode == 0, result.stdout + result.stderr


def test_scheduled_workflow_updates_commits_then_publishes(scheduled: Path) -> None:
    workflow = yaml.safe_load((scheduled / WORKFLOW_PATH).read_text("utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as true
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers
    assert "push" not in triggers  # its own commits must not start it again
    assert workflow["permissions"] == {"contents": "write", "pages": "write", "id-token": "write"}
    names = [s.get("name") or s["uses"].split("@")[0] for s in workflow["jobs"]["build"]["steps"]]
    order = ["Install sitegen", "Fetch new papers", "Commit the new papers", "Build",
             "Check links, sitemap and size limits", "Upload the site"]
    assert [names.index(n) for n in order] == sorted(names.index(n) for n in order)
    assert workflow["jobs"]["deploy"]["needs"] == "build"
    config = (scheduled / "sitegen.toml").read_text("utf-8")
    assert '\n[[sources]]\nkind = "hf-daily"\n' in config
    assert workflow_text(schedule=True) == (scheduled / WORKFLOW_PATH).read_text("utf-8")


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": str(cwd),
                                           "GIT_CONFIG_NOSYSTEM": "1"}).stdout


@pytest.fixture
def services() -> Iterator[Services]:
    with serve(Services(routes={"/api/daily_papers": Route(real_day_responses())})) as running:
        yield running


def _run_day(origin: Path, work: Path, day: str) -> tuple[list[StepResult], Path]:
    """One scheduled run on ``day``: a fresh checkout of ``origin``, the build job's steps."""
    checkout = work / f"run-{day}-{len(list(work.iterdir()))}"
    _git("clone", "--quiet", str(origin), str(checkout), cwd=work)
    home = checkout.with_name(checkout.name + "-home")
    home.mkdir()
    env = step_environment(Path(sys.prefix), home, "http://127.0.0.1:9/unused/")
    env |= {"SITEGEN_TODAY": day, "GIT_CONFIG_NOSYSTEM": "1"}
    text = (checkout / WORKFLOW_PATH).read_text("utf-8")
    steps: list[dict[str, Any]] = [s for s in yaml.safe_load(text)["jobs"]["build"]["steps"]
                                   if s.get("name") != INSTALL_STEP]
    return run_steps(steps, checkout, env), checkout


def _report(results: list[StepResult]) -> str:
    return "\n".join(f"--- {r.name}: exit {r.returncode}\n{r.output[-3000:]}" for r in results)


@needs_shared
def test_the_scheduled_steps_run_two_days_then_nothing_new(
        tmp_path: Path, services: Services) -> None:
    origin, work, seed = tmp_path / "origin.git", tmp_path / "work", tmp_path / "seed"
    work.mkdir()
    _git("init", "--quiet", "--bare", "--initial-branch=main", str(origin), cwd=tmp_path)
    assert init_site(seed, schedule=True) == 0
    config = seed / "sitegen.toml"
    config.write_text(config.read_text("utf-8").replace(
        '[[sources]]\nkind = "hf-daily"\n',
        f'[[sources]]\nkind = "hf-daily"\nurl = "{services.url}/api/daily_papers"\ndays = 2\n'),
        "utf-8")
    _git("init", "--quiet", "--initial-branch=main", cwd=seed)
    _git("add", "--all", ".", cwd=seed)
    _git("-c", "user.name=Owner", "-c", "user.email=owner@example.org", "commit", "--quiet",
         "-m", "New site", cwd=seed)
    _git("push", "--quiet", str(origin), "main", cwd=seed)

    def commits() -> list[str]:
        return _git("log", "--format=%s", "main", cwd=origin).splitlines()

    def papers() -> list[str]:
        listing = _git("ls-tree", "--name-only", "main", "content/papers/", cwd=origin)
        return sorted(Path(line).name for line in listing.splitlines() if line.endswith(".md"))

    results, _ = _run_day(origin, work, DAY_ONE)
    assert all(r.returncode == 0 for r in results), _report(results)
    assert commits() == ["Update papers", "New site"]
    assert papers() == ["large-multimodal-models-as-general-in-context-classifiers.md"]

    results, checkout = _run_day(origin, work, DAY_TWO)
    assert all(r.returncode == 0 for r in results), _report(results)
    assert results[-1].name == "Upload the site"
    assert commits() == ["Update papers", "Update papers", "New site"]
    assert papers() == ["large-multimodal-models-as-general-in-context-classifiers.md",
                        "scicode-a-research-coding-benchmark-curated-by-scientists.md"]
    state = _git("show", f"main:{STATE_NAME}", cwd=origin)
    assert f'"last_success": "{DAY_TWO}"' in state
    public = checkout / "public"
    trend = (public / "trending" / "index.html").read_text("utf-8")
    assert "SciCode: A Research Coding Benchmark" in trend and "+17 upvotes" in trend
    day_page = (public / "date" / DAY_TWO / "index.html").read_text("utf-8")
    assert "SciCode" in day_page and f'href="/mysite/date/{DAY_ONE}/"' in day_page
    assert (public / "date" / DAY_ONE / "index.html").is_file()

    results, _ = _run_day(origin, work, DAY_TWO)
    assert all(r.returncode == 0 for r in results), _report(results)
    commit_step = next(r for r in results if r.name == "Commit the new papers")
    assert "nothing new to commit" in commit_step.output
    assert commits() == ["Update papers", "Update papers", "New site"]
