"""The build cache: what the last build wrote, so the next one redoes only what changed.

Stored as JSON in ``.sitegen-cache/build.json`` under the site root (never
pickle: a cache file must not be able to run code). A missing or unreadable
cache just means a full build.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.config import Config
from sitegen.output import MARKER
from sitegen.pages import make_key

CACHE_FILE = "build.json"
FORMAT = 1


def _stat_key(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def _tree_stats(folder: Path) -> list[tuple[str, int, int, int]]:
    stats = []
    if folder.is_dir():
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath, name)
                try:
                    stats.append((str(path.relative_to(folder)), *_stat_key(path)))
                except OSError:
                    stats.append((str(path), -1, -1, -1))
    return stats


def content_signature(config: Config, env_key: str) -> str:
    """A hash of the content and static files' names, sizes and times, plus ``env_key``."""
    return make_key(env_key, _tree_stats(config.content_path), _tree_stats(config.root / "static"))


@dataclass
class BuildCache:
    """Keys of the files the last build wrote, and the signature of its inputs."""

    signature: str = ""
    keys: dict[str, str] = field(default_factory=dict)
    output: str = ""
    marker: list[int] = field(default_factory=list)

    @classmethod
    def load(cls, cache_dir: Path) -> BuildCache:
        try:
            data = json.loads((cache_dir / CACHE_FILE).read_text("utf-8"))
            if data.get("format") != FORMAT:
                return cls()
            return cls(str(data["signature"]), {str(k): str(v) for k, v in data["keys"].items()},
                       str(data["output"]), [int(x) for x in data["marker"]])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls()

    def is_current(self, signature: str, out: Path) -> bool:
        """True when nothing changed since the last build and its output is still in place."""
        if signature != self.signature or str(out) != self.output:
            return False
        try:
            return list(_stat_key(out / MARKER)) == self.marker
        except OSError:
            return False

    def save(self, cache_dir: Path, signature: str, keys: dict[str, str], out: Path) -> None:
        """Record this build (written through a temporary file and a rename)."""
        cache_dir.mkdir(parents=True, exist_ok=True)
        data = {"format": FORMAT, "signature": signature, "keys": keys, "output": str(out),
                "marker": list(_stat_key(out / MARKER))}
        tmp = cache_dir / (CACHE_FILE + ".tmp")
        tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        os.replace(tmp, cache_dir / CACHE_FILE)
        self.signature, self.keys, self.output = signature, keys, str(out)
