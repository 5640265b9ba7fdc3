"""Make Pagefind's index byte-reproducible by putting its unordered parts in order.

Pagefind (1.5) writes its filter files and the lists of filters and sorts in
its metadata file in hash-map order, which changes from run to run (Pagefind
issue #638); everything else it writes is already stable. Its files are
gzipped CBOR behind a ``pagefind_dcd`` signature (read and written with
``cbor2``) and are named by a hash of their content. This module sorts the
filter values, the filter list and the sort list, renames the rewritten files
by a hash of their new content and points ``pagefind-entry.json`` at the new
metadata file. Nothing changes in meaning: the browser looks filters and sorts
up by name.

It is careful rather than clever: unless every file decodes to exactly the
expected shape and re-encodes to exactly its original bytes, nothing is
rewritten and the index is left as Pagefind wrote it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import cbor2

SIGNATURE = b"pagefind_dcd"
ENTRY = "pagefind-entry.json"


class FormatError(ValueError):
    """A Pagefind file is not in the shape this module knows."""


def _encode(value: Any) -> bytes:
    """Shortest-form CBOR with definite lengths, as Pagefind's encoder writes it.

    cbor2's default encoding is exactly that for the types Pagefind uses (integers,
    byte and text strings, arrays); ``canonical`` would change nothing for them.
    """
    try:
        return cbor2.dumps(value)
    except cbor2.CBOREncodeError as exc:
        raise FormatError(f"cannot encode {type(value).__name__}: {exc}") from None


def read_file(path: Path) -> Any:
    """The CBOR value of a Pagefind file; FormatError unless it re-encodes to the same bytes."""
    data = path.read_bytes()
    if not data.startswith(SIGNATURE):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise FormatError(f"{path.name}: not gzip") from exc
    if not data.startswith(SIGNATURE):
        raise FormatError(f"{path.name}: no Pagefind signature")
    payload = data[len(SIGNATURE):]
    try:
        value = cbor2.loads(payload)
    except cbor2.CBORError as exc:
        raise FormatError(f"{path.name}: not CBOR ({exc})") from None
    # Also refuses what loads() accepts but Pagefind never writes: trailing bytes,
    # indefinite lengths, longer-than-needed heads, floats, tags.
    if _encode(value) != payload:
        raise FormatError(f"{path.name}: does not round-trip")
    return value


def pack(value: Any) -> bytes:
    """A Pagefind file's bytes: signature and CBOR, gzipped without a timestamp."""
    return gzip.compress(SIGNATURE + _encode(value), compresslevel=9, mtime=0)


def _name(prefix: str, payload: bytes, length: int, taken: set[str]) -> str:
    digest = hashlib.sha256(payload).hexdigest()
    while f"{prefix}{digest[:length]}" in taken and length < len(digest):
        length += 1
    return f"{prefix}{digest[:length]}"


def _plan_filters(folder: Path) -> tuple[dict[str, str], dict[Path, bytes]]:
    """New names and bytes for every filter file (values sorted by value)."""
    renames: dict[str, str] = {}
    writes: dict[Path, bytes] = {}
    taken: set[str] = set()
    for path in sorted((folder / "filter").glob("*.pf_filter")):
        value = read_file(path)
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
                and all(isinstance(v, list) and len(v) == 2 and isinstance(v[0], str)
                        for v in value[1])):
            raise FormatError(f"{path.name}: unexpected filter layout")
        value[1].sort(key=lambda item: item[0])
        data = pack(value)
        language = path.stem.rsplit("_", 1)[0]
        new = _name(language + "_", _encode(value), 7, taken)
        taken.add(new)
        renames[path.stem] = new
        writes[path.with_name(new + ".pf_filter")] = data
    return renames, writes


def _plan_meta(folder: Path, entry: dict[str, Any], renames: dict[str, str],
               writes: dict[Path, bytes]) -> None:
    """Sort the filter and sort lists of each language's metadata file; rename it."""
    for language, info in entry["languages"].items():
        path = folder / f"pagefind.{info['hash']}.pf_meta"
        value = read_file(path)
        if not (isinstance(value, list) and len(value) >= 5 and isinstance(value[0], str)
                and all(isinstance(f, list) and len(f) == 2 for f in value[3])
                and all(isinstance(s, list) and len(s) == 2 for s in value[4])):
            raise FormatError(f"{path.name}: unexpected metadata layout")
        value[3] = sorted([[name, renames.get(hashed, hashed)] for name, hashed in value[3]])
        value[4] = sorted(value[4], key=lambda item: item[0])
        info["hash"] = _name(f"{language}_", _encode(value), 10, set())
        writes[folder / f"pagefind.{info['hash']}.pf_meta"] = pack(value)


def make_reproducible(folder: Path) -> bool:
    """Rewrite ``folder``'s unordered Pagefind files in a fixed order; False if left as is."""
    try:
        entry = json.loads((folder / ENTRY).read_text("utf-8"))
        if not isinstance(entry.get("languages"), dict):
            raise FormatError("entry: no languages")
        entry["languages"] = dict(sorted(entry["languages"].items()))
        old = set((folder / "filter").glob("*.pf_filter")) | set(folder.glob("*.pf_meta"))
        renames, writes = _plan_filters(folder)
        _plan_meta(folder, entry, renames, writes)
    except (OSError, ValueError, KeyError, TypeError):
        return False
    for path in old - set(writes):
        path.unlink()
    for path, data in writes.items():
        path.write_bytes(data)
    text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    (folder / ENTRY).write_text(text, encoding="utf-8")
    return True
