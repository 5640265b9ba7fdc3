"""Rewrite a content file without losing what a person wrote: YAML comments, the file mode.

A re-import that changes a file writes it out anew from its data, which drops
the comments a person put in the front matter. When a file has comments,
only the fields that changed are replaced in its text, each where it stands,
and a field that is new is put after the one it follows in the importer's
order. The result is checked: it must read back as exactly the new data and
keep every comment, else :func:`update_in_place` gives None and the caller
leaves the file alone and says so.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from bisect import bisect_right
from pathlib import Path

import yaml

from sitegen.frontmatter import parse_paper
from sitegen.importers.content_files import dumps

_FRONT_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_TOP_KEY = re.compile(r"^([^\s#:-][^:\n]*):", re.MULTILINE)


def _split(text: str) -> tuple[str, str, str] | None:
    """(opening line, front matter, the rest from the closing line), or None."""
    if not text.startswith("---"):
        return None
    first = text.find("\n")
    if first < 0 or text[:first].strip() != "---":
        return None
    close = _FRONT_END.search(text, first + 1)
    if close is None:
        return None
    return text[:first + 1], text[first + 1:close.start()], text[close.start():]


def comments(front: str) -> list[str] | None:
    """The comments of YAML text, in order: each ``#`` outside every token to the end of
    its line. None when the text is not YAML."""
    try:
        tokens = list(yaml.scan(front, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    spans = sorted((t.start_mark.index, t.end_mark.index) for t in tokens
                   if t.end_mark.index > t.start_mark.index)
    starts = [start for start, _ in spans]
    found: list[str] = []
    pos = front.find("#")
    while pos >= 0:
        index = bisect_right(starts, pos) - 1
        if index >= 0 and spans[index][0] <= pos < spans[index][1]:
            pos = front.find("#", spans[index][1])
            continue
        end = front.find("\n", pos)
        end = len(front) if end < 0 else end
        found.append(front[pos:end].rstrip())
        pos = front.find("#", end)
    return found


def has_comments(text: str) -> bool:
    """True when the front matter of a content file holds a YAML comment."""
    parts = _split(text)
    return bool(parts and comments(parts[1]))


def _blocks(dumped: str) -> tuple[dict[str, str], str]:
    """The top-level fields of a file written by :func:`dumps`, each with its text, and the
    body after the front matter (dumps writes every key at the start of a line and never
    a multi-line scalar, so a field runs to the next such line)."""
    parts = _split(dumped)
    assert parts is not None, "dumps always writes front matter"
    _, front, rest = parts
    keys = list(_TOP_KEY.finditer(front))
    blocks = {}
    for number, match in enumerate(keys):
        end = keys[number + 1].start() if number + 1 < len(keys) else len(front)
        blocks[match.group(1)] = front[match.start():end]
    return blocks, rest


def changed_fields(old: str, new: str) -> list[str]:
    """The fields whose text differs between two files written by :func:`dumps`."""
    before, old_body = _blocks(old)
    after, new_body = _blocks(new)
    names = [k for k in after if k not in ("imported", "origin") and before.get(k) != after[k]]
    return names + (["abstract"] if old_body != new_body else [])


def _last_end(node: yaml.Node) -> int:
    """Where the text of ``node`` ends: a block collection ends with its last value, not
    where the parser notices it has ended (after the comments that follow it)."""
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
        return int(node.end_mark.index)
    values = node.value if isinstance(node, yaml.SequenceNode) else [v for _, v in node.value]
    return max((_last_end(v) for v in values), default=int(node.end_mark.index))


def update_in_place(original: str, old: str, new: str) -> str | None:
    """``original`` with the fields that differ between the files ``old`` and ``new``
    (both written by :func:`dumps`) replaced by their text in ``new``; None when that
    cannot be done without losing a comment or reading back differently."""
    parts = _split(original)
    if parts is None:
        return None
    head, front, rest = parts
    before, old_body = _blocks(old)
    after, new_body = _blocks(new)
    if set(before) - set(after) or old_body.strip() and old_body != new_body:
        return None
    try:
        root = yaml.compose(front, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    regions = {str(k.value): (int(k.start_mark.index), _last_end(v)) for k, v in root.value}
    edits = _edits(front, regions, before, after)
    if edits is None:
        return None
    for start, end, text in sorted(edits, reverse=True):
        front = front[:start] + text + front[end:]
    if old_body != new_body:
        rest = rest.split("\n", 1)[0] + "\n" + new_body.split("\n", 1)[1]
    result = head + front + rest
    return result if _same(result, new, original) else None


def _edits(front: str, regions: dict[str, tuple[int, int]], before: dict[str, str],
           after: dict[str, str]) -> list[tuple[int, int, str]] | None:
    """(start, end, text) replacements that turn the fields of ``before`` into ``after``."""
    edits = []
    previous = 0  # where a new field goes: after the line of the field before it
    for key, block in after.items():
        if key in regions:
            start, end = regions[key]
            if before.get(key) != block:
                if "#" in front[start:end] and comments(front[start:end]) != []:
                    return None
                edits.append((start, end, block.rstrip("\n")))
            newline = front.find("\n", end)
            previous = len(front) if newline < 0 else newline + 1
        elif key in before:  # the file names the field differently: leave it to a rewrite
            return None
        elif edits and edits[-1][:2] == (previous, previous):  # keep new fields in order
            edits[-1] = (previous, previous, edits[-1][2] + block)
        else:
            edits.append((previous, previous, block))
    return edits


def _same(result: str, new: str, original: str) -> bool:
    """True when ``result`` reads back as the data of ``new`` and keeps every comment."""
    paper, problems = parse_paper(result, "")
    if paper is None or problems or dumps(paper) != new:
        return False
    kept, was = _split(result), _split(original)
    return bool(kept and was and comments(kept[1]) == comments(was[1]))


def write_file(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` atomically unless it already holds those bytes.

    A file that exists keeps its permission bits; a new one gets the usual ``0666``
    less the umask, like a file made by any other tool (a temporary file from
    :mod:`tempfile` would be ``0600``).
    """
    data = text.encode("utf-8")
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        mode = None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".sitegen-{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(tmp, flags, 0o666 if mode is None else 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True
