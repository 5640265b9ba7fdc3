"""The GitHub Actions versions of sitegen's workflows, read from their one place.

``scaffold_files/actions.toml`` names each action with the ref to use and the
release that ref was checked against. The workflow ``sitegen init`` writes
gets its ``uses:`` lines from it, and the repository's own workflows are held
to it by the tests, so an upgrade is one edit that reaches every workflow.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: In a workflow template, ``uses: OWNER/NAME@__REF__`` takes its ref from actions.toml.
REF_MARKER = "__REF__"
_TEMPLATE_USES = re.compile(r"(?P<action>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)@" + REF_MARKER)


@dataclass(frozen=True)
class ActionPin:
    """One action: the ref workflows use and the release that ref was checked against."""

    name: str
    ref: str
    release: str

    def uses(self) -> str:
        """The value of a ``uses:`` key, with the checked release as a comment."""
        return f"{self.name}@{self.ref}  # {self.release}"


@cache
def action_pins() -> dict[str, ActionPin]:
    """Every action of actions.toml by name (``actions/checkout``)."""
    source = resources.files("sitegen").joinpath("scaffold_files", "actions.toml")
    table = tomllib.loads(source.read_text(encoding="utf-8"))["actions"]
    return {name: ActionPin(name, entry["ref"], entry["release"])
            for name, entry in table.items()}


def pin_actions(template: str) -> str:
    """``template`` with every ``OWNER/NAME@__REF__`` made the pinned ``uses:`` value.

    An action missing from actions.toml is a mistake in sitegen itself, so it
    raises rather than writing a workflow that GitHub would reject.
    """
    pins = action_pins()

    def pinned(match: re.Match[str]) -> str:
        name = match.group("action")
        if name not in pins:
            raise KeyError(f"{name} is not in scaffold_files/actions.toml")
        return pins[name].uses()

    return _TEMPLATE_USES.sub(pinned, template)
