"""The preview's search finds a saved paper by its new text at once, not after its part.

The search index is in parts (:mod:`sitegen.outputs.search_parts`), and the
part holding an edited paper is indexed again only after the preview's whole
build: seconds on a large site, for up to 2,500 pages. So, as soon as the
quick page of a saved paper is drawn (:mod:`sitegen.serve.quick`), the preview
indexes that one page on its own, and serves the result from memory as an
index at ``pagefind/sitegen-edits/``, named in the parts file
(:data:`~sitegen.outputs.search_parts.PARTS_FILE`) with the page's old entry
in its part: the search page merges the edit index and hides that entry
(``search.js``). Once the part itself has been indexed again, the preview
stops serving them.

Nothing of it is written to the output folder: the build cache would see a
folder it did not write and rewrite the whole tree, and a built site never
holds an edit index.
"""

from __future__ import annotations

import json
import shutil
import zlib
from pathlib import Path
from typing import Any

from sitegen.outputs.pagefind_feed import index_pages
from sitegen.outputs.pagefind_view import search_view
from sitegen.outputs.search import EXCLUDE, FOLDER, dying_with_us, pagefind_binary
from sitegen.outputs.search_parts import BUNDLE_SUFFIXES, PARTS_FILE, part_folder, part_of

EDITS = "sitegen-edits"
FRAGMENT = "fragment/"
SUFFIX = ".pf_fragment"
# A fragment is gzip-compressed "pagefind_dcd" and its JSON, which starts with the URL.
_URL_END = b',"content":'


def index_edit(out: Path, rel: str, html: bytes, scratch: Path) -> dict[str, bytes]:
    """The files, by site path, that let the search of the site in ``out`` find the page
    at ``rel`` as it is now (``html``): its edit index and a parts file naming it. Empty
    when there is no search index, or when its entry for the page is already this one.
    Pagefind writes into ``scratch``, which is removed."""
    listed = _read_parts(out / FOLDER)
    if listed is None:
        return {}
    text = search_view(html.decode("utf-8", "replace"))
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        index_pages(pagefind_binary(), scratch, [(rel, out / rel)], EXCLUDE, dying_with_us,
                    read=lambda _path: text)
        files = {path.relative_to(scratch).as_posix(): path.read_bytes()
                 for path in sorted(scratch.rglob("*"))
                 if path.is_file() and not path.name.endswith(BUNDLE_SUFFIXES)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    made = [name for name in files if name.startswith(FRAGMENT) and name.endswith(SUFFIX)]
    if len(made) != 1:
        return {}
    new = made[0].removeprefix(FRAGMENT).removesuffix(SUFFIX)
    part = out / FOLDER / part_folder(part_of(rel, len(listed["parts"]) + 1))
    old = _entry_of(part / FRAGMENT, _url_field(files[made[0]]))
    if old == new:
        return {}
    listed["edits"] = {"index": EDITS + "/", "hide": [old] if old else []}
    served = {f"{FOLDER}/{EDITS}/{name}": data for name, data in files.items()}
    served[f"{FOLDER}/{PARTS_FILE}"] = (json.dumps(listed, separators=(",", ":")) + "\n").encode()
    return served


def _read_parts(live: Path) -> dict[str, Any] | None:
    try:
        listed = json.loads((live / PARTS_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(listed, dict) or not isinstance(listed.get("parts"), list):
        return None
    return listed


def _url_field(fragment: bytes, limit: int = 4096) -> bytes:
    """The start of a fragment up to the end of its URL (as Pagefind encodes it)."""
    head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(fragment, limit)
    end = head.find(_URL_END)
    return head[:end] if end >= 0 else b""


def _entry_of(fragments: Path, url_field: bytes) -> str | None:
    """The entry (fragment name) in ``fragments`` of the page with ``url_field``."""
    if not url_field:
        return None
    for path in sorted(fragments.glob("*" + SUFFIX)):
        try:
            if _url_field(path.read_bytes(), len(url_field) + len(_URL_END)) == url_field:
                return path.name.removesuffix(SUFFIX)
        except (OSError, zlib.error):
            continue
    return None
