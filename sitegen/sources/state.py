"""``sources.lock.json``: the date each source last ran successfully, committed with the site.

Small, sorted and written only when it changes (atomically), so a scheduled run
that finds nothing new leaves the repository as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sitegen.errors import InputError, Problem
from sitegen.importers.rewrite import write_file

STATE_NAME = "sources.lock.json"
FORMAT = 1


@dataclass
class State:
    """The last successful run of each source, by source name."""

    last: dict[str, date] = field(default_factory=dict)

    def text(self) -> str:
        data = {"format": FORMAT,
                "sources": {name: {"last_success": day.isoformat()}
                            for name, day in sorted(self.last.items())}}
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_state(site_root: Path) -> State:
    """The state file of the site, or an empty state when there is none yet."""
    path = site_root / STATE_NAME
    try:
        raw = path.read_text("utf-8")
    except FileNotFoundError:
        return State()
    try:
        data = json.loads(raw)
        sources = data["sources"] if data.get("format") == FORMAT else None
        if not isinstance(sources, dict):
            raise ValueError(f"expected format {FORMAT} with a 'sources' object")
        return State({str(name): date.fromisoformat(entry["last_success"])
                      for name, entry in sources.items()})
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(Problem(STATE_NAME, 0, f"cannot be read ({exc}); fix it or delete "
                                                "it to fetch the recent days again")) from None


def write_state(site_root: Path, state: State) -> bool:
    """Write the state file if its text changed; True when it did."""
    return write_file(site_root / STATE_NAME, state.text())
