"""``python -m sitegen``: the same command as ``sitegen``, for when the script is not on PATH."""

from sitegen.cli import entry

entry()
