"""Write papers as Markdown files with YAML front matter, byte-stable.

Every string is written double-quoted so that YAML never reads ``no`` as a
boolean or ``1.10`` as a number; keys stay plain. Files are written only when
their bytes change, through a temporary file and a rename, so a crash never
leaves half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from sitegen.model import FIELD_ORDER, Link, Organization, Paper, Source, When


class _Key(str):
    """A mapping key: written plain, unlike every other string."""


class _Dumper(yaml.SafeDumper):
    """SafeDumper that quotes all string values, never wraps lines and writes no aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')


def _key(dumper: yaml.SafeDumper, value: _Key) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value))


class _Pair(list[Any]):
    """A short list written on one line (``[12, 3]``): one day of ``counts``."""


def _pair(dumper: yaml.SafeDumper, value: _Pair) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_Pair, _pair)
_Dumper.add_representer(_Key, _key)


def _plain(value: Any) -> Any:
    """Turn dataclasses into plain mappings with plain-written keys, in a fixed order."""
    if isinstance(value, Organization):
        return {_Key("id"): value.id, _Key("name"): value.name}
    if isinstance(value, Link):
        return {_Key("kind"): value.kind, _Key("url"): value.url}
    if isinstance(value, When):  # "2023" and "2023-12" plain, so YAML reads them back as text
        return value.day if value.precision == "day" else _Key(value.text())
    if isinstance(value, Source):
        out: dict[Any, Any] = {_Key("kind"): value.kind, _Key("file"): value.file}
        if value.listed is not None:
            out[_Key("listed")] = value.listed
        return out
    if isinstance(value, dict):
        return {k if isinstance(k, date) else _Key(str(k)): _pair_or_plain(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _pair_or_plain(value: Any) -> Any:
    """A tuple in a mapping (a day of ``counts``) is written on one line."""
    return _Pair(value) if isinstance(value, tuple) else _plain(value)


def field_values(paper: Paper) -> dict[str, Any]:
    """The front-matter fields a paper has, in file order (empty ones left out)."""
    out: dict[str, Any] = {}
    for name in FIELD_ORDER:
        value = getattr(paper, name)
        if value is None or value == [] or value == {} or (
                name == "authors_complete" and (value or not paper.authors)):
            continue  # a complete author list (the default) is not written
        if name == "date":
            value = paper.when
        elif name == "origin":
            kinds = {s.kind for s in paper.source}
            if len(kinds) == 1 and set(value.values()) <= kinds:
                continue  # one kind of source: every field came from it (not written)
            value = dict(sorted(value.items()))
        out[name] = value
    for key, value in paper.extra.items():
        out[key] = value
    if paper.imported:
        out["imported"] = dict(sorted(paper.imported.items()))
    return out


def fingerprint(value: Any) -> str:
    """A short, stable hash of a field value, used to recognise hand edits."""
    text = json.dumps(_jsonable(value), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def _jsonable(value: Any) -> Any:
    plain = _plain(value)
    if isinstance(plain, dict):
        return {str(k): _jsonable(v) for k, v in plain.items()}
    if isinstance(plain, list):
        return [_jsonable(v) for v in plain]
    if isinstance(plain, date):
        return plain.isoformat()
    if isinstance(plain, str):
        return plain.strip()
    return plain


def dumps(paper: Paper) -> str:
    """The full text of a content file for ``paper``."""
    data = {_Key(k): _plain(v) for k, v in field_values(paper).items()}
    front = yaml.dump(
        data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1 << 30,
        default_flow_style=False,
    )
    body = paper.body.strip("\n")
    text = f"---\n{front}---\n"
    if body:
        text += f"\n{body}\n"
    return text


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` atomically unless it already holds those bytes."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".sitegen-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
