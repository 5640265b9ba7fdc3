"""The distribution: what ``pip install sitegen-papers`` gets, and the commands it provides.

The sdist and the wheel are built from this checkout with hatchling's own
build hooks (what pip and ``python -m build`` call), offline, and their members
and metadata are read back.
"""

from __future__ import annotations

import email.parser
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from sitegen import DISTRIBUTION, __version__

REPO = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
STEM = f"sitegen_papers-{__version__}"


def build(kind: str, out: Path) -> Path:
    """Build the ``wheel`` or ``sdist`` of the checkout into ``out``; returns the file."""
    code = f"import sys, hatchling.build as b; print(b.build_{kind}(sys.argv[1]))"
    result = subprocess.run([sys.executable, "-c", code, str(out)], cwd=REPO,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return out / result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build("wheel", tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build("sdist", tmp_path_factory.mktemp("sdist"))


def _headers(text: str) -> email.message.Message:
    return email.parser.Parser().parsestr(text)


def test_the_distribution_is_named_sitegen_papers(wheel: Path, sdist: Path) -> None:
    assert PROJECT["name"] == DISTRIBUTION == "sitegen-papers"
    assert wheel.name == f"{STEM}-py3-none-any.whl"
    assert sdist.name == f"{STEM}.tar.gz"


def test_license_is_in_the_wheel_and_the_sdist(wheel: Path, sdist: Path) -> None:
    license_text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert f"{STEM}.dist-info/licenses/LICENSE" in names, names
        assert archive.read(f"{STEM}.dist-info/licenses/LICENSE").decode() == license_text
    with tarfile.open(sdist) as archive:
        member = archive.extractfile(f"{STEM}/LICENSE")
        assert member is not None and member.read().decode() == license_text


def test_wheel_metadata_is_complete(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        meta = _headers(archive.read(f"{STEM}.dist-info/METADATA").decode())
        entry_points = archive.read(f"{STEM}.dist-info/entry_points.txt").decode()
        names = archive.namelist()
    assert meta["Name"] == "sitegen-papers" and meta["Version"] == __version__
    assert meta["License-Expression"] == "MIT" and meta["License-File"] == "LICENSE"
    urls = dict(value.split(", ", 1) for value in meta.get_all("Project-URL"))
    assert set(urls) == {"Homepage", "Documentation", "Issues", "Source"}
    assert all(url.startswith("https://github.com/sitegen-papers/sitegen") for url in urls.values())
    classifiers = meta.get_all("Classifier")
    assert "Programming Language :: Python :: 3 :: Only" in classifiers
    assert any(c.startswith("Development Status ::") for c in classifiers)
    assert meta["Author"] == "sitegen contributors" and meta["Keywords"]
    assert "sitegen = sitegen.cli:entry" in entry_points
    # the package keeps its import name, and ships its theme and workflow files
    assert "sitegen/__main__.py" in names and "sitegen/scaffold_files/actions.toml" in names
    assert any(n.startswith("sitegen/themes/default/templates/") for n in names)


def test_sdist_holds_the_sources_and_docs_but_not_tests(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        pkg_info = archive.extractfile(f"{STEM}/PKG-INFO")
        assert pkg_info is not None
        assert _headers(pkg_info.read().decode())["Name"] == "sitegen-papers"
    for name in ("README.md", "pyproject.toml", "sitegen/cli.py", "docs/deploy.md"):
        assert f"{STEM}/{name}" in names
    assert not any(n.startswith(f"{STEM}/tests/") for n in names)


def test_installed_metadata_matches_the_package() -> None:
    """The environment running the tests has sitegen installed under its own name."""
    assert metadata.version(DISTRIBUTION) == __version__


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "sitegen", "--version"],
    [str(Path(sys.executable).parent / "sitegen"), "--version"],
], ids=["python -m sitegen", "sitegen"])
def test_version_from_the_command_line(command: list[str], tmp_path: Path) -> None:
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"sitegen {__version__}\n", "")


def test_python_m_sitegen_runs_the_command(tmp_path: Path) -> None:
    """``python -m sitegen`` is the whole command line, not only --version."""
    result = subprocess.run([sys.executable, "-m", "sitegen", "init", "site"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "sitegen.toml").is_file()
    result = subprocess.run([sys.executable, "-m", "sitegen", "frobnicate"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2 and "usage: sitegen" in result.stderr
