"""Hand Pagefind the pages in sorted order, so that the index does not depend on the file system.

Pagefind numbers pages in the order it meets them, and that numbering is in
every index chunk, filter and sort list; ties in a sort list (two papers with
as many upvotes) keep it too. Its command line walks the site folder, which a
file system lists in its own order (ext4 by a hash of the name, seeded per
file system; tmpfs by creation), so the same pages gave a different index on
tmpfs and on ext4. Its service mode (``pagefind --service``, the protocol of
its Python and Node APIs: base64-encoded JSON messages, each followed by a
comma) reads one request at a time and handles each before the next, so
pages sent in sorted order are numbered in sorted order on every machine.

The pages are streamed by a writer thread while this one reads the answers
(a pipe holds only so many); an error answer or an early exit of Pagefind is
a :class:`BuildError` naming the page. The index comes back in the last
answer and is written here (see :func:`_write_files`): a file the live index
already holds with the same bytes is hard-linked from it instead, so that an
edit re-indexing a part creates files only for what changed.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from sitegen.errors import BuildError, Problem
from sitegen.outputs.pagefind_view import search_view

FOLDER = "pagefind"
# Files that sitegen rewrites after Pagefind (pagefind_files.make_reproducible): never
# linked, so that rewriting them cannot touch the live index.
REWRITTEN = ("pagefind-entry.json", "filter/")
REWRITTEN_SUFFIX = ".pf_meta"


def page_files(site: Path, glob: str) -> list[Path]:
    """The pages to index, by their site-relative path (code point order, any locale)."""
    found = [p for p in site.glob(glob) if p.is_file()]
    return sorted(found, key=lambda p: p.relative_to(site).as_posix())


def index_in_order(binary: Path, site: Path, output: Path, files: list[Path],
                   exclude: tuple[str, ...],
                   wrap: Callable[[list[str]], list[str]] = list) -> None:
    """Index ``files`` (under ``site``), in their order, into ``output``; ``wrap`` turns
    Pagefind's command into the one started (one that dies with sitegen)."""
    pages = [(p.relative_to(site).as_posix(), p) for p in files]
    index_pages(binary, output, pages, exclude, wrap)


def read_whole(path: Path) -> str:
    """A page as it is written."""
    return path.read_text("utf-8", errors="replace")


def _read(path: Path) -> str:
    """A page as Pagefind needs it (:mod:`sitegen.outputs.pagefind_view`)."""
    return search_view(read_whole(path))


def index_pages(binary: Path, output: Path, pages: list[tuple[str, Path]],
                exclude: tuple[str, ...],
                wrap: Callable[[list[str]], list[str]] = list,
                read: Callable[[Path], str] = _read, reuse: Path | None = None) -> None:
    """Index ``pages`` (each its site path and the file holding it now), in their order,
    into ``output``: a page of a patch build is read from where the patch wrote it.
    ``read`` gives the HTML Pagefind is handed for a file; files equal to those in
    ``reuse`` (the live index of the same pages) are linked from there."""
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(wrap([str(binary), "--service"]), stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=errors)
        except OSError as exc:
            raise BuildError(f"search: could not run Pagefind: {exc}") from None
        try:
            _converse(process, output, pages, exclude, read, reuse)
        except BuildError as exc:
            errors.seek(0)
            detail = errors.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            if detail:
                raise BuildError(*exc.problems, Problem(FOLDER, 0, "Pagefind said: "
                                                        + " / ".join(detail))) from None
            raise
        finally:
            _close(process.stdin)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _message(number: int, payload: dict[str, Any]) -> bytes:
    body = json.dumps({"message_id": number, "payload": payload}, ensure_ascii=False)
    return base64.b64encode(body.encode("utf-8")) + b","


def _answers(stream: IO[bytes]) -> Iterator[dict[str, Any]]:
    """Pagefind's answers, one decoded message at a time, until it closes its output.

    The last answer holds the whole index (about 100 MB for a part of 12,500 pages):
    the buffer grows in place, is searched for the end of a message only where it has
    not been searched yet, and is decoded without a copy and then let go, so that no
    more than two forms of the index are held at once.
    """
    pending = bytearray()
    searched = 0
    while chunk := stream.read1(1 << 20):  # type: ignore[attr-defined]
        pending += chunk
        while (end := pending.find(b",", searched)) >= 0:
            with memoryview(pending) as view:
                decoded = base64.b64decode(view[:end])
                rest = bytearray(view[end + 1:])
            pending, searched = rest, 0
            if decoded.strip():
                answer = json.loads(decoded)
                del decoded
                yield answer
        searched = len(pending)


def _converse(process: subprocess.Popen[bytes], output: Path, pages: list[tuple[str, Path]],
              exclude: tuple[str, ...], read: Callable[[Path], str],
              reuse: Path | None) -> None:
    assert process.stdin is not None and process.stdout is not None
    answers = _answers(process.stdout)
    config = {"exclude_selectors": list(exclude)}
    _send(process.stdin, _message(1, {"type": "NewIndex", "config": config}))
    index_id = _expect(answers, "NewIndex", "")["index_id"]
    names = [name for name, _path in pages]
    files = [path for _name, path in pages]
    last = len(files) + 2
    failure: list[BaseException] = []

    def write() -> None:
        try:
            for number, (path, name) in enumerate(zip(files, names, strict=True), start=2):
                try:
                    text = read(path)
                except OSError as exc:
                    raise BuildError(Problem(name, 0, f"cannot be read for the search index: "
                                                      f"{exc.strerror or exc}")) from None
                _send(process.stdin, _message(number, {
                    "type": "AddFile", "index_id": index_id, "file_path": name, "url": None,
                    "file_contents": text}))
            _send(process.stdin, _message(last, {"type": "GetFiles", "index_id": index_id}))
        except BuildError as exc:
            failure.append(exc)
            _close(process.stdin)  # Pagefind then stops, and the reader with it

    writer = threading.Thread(target=write, name="pagefind-feed", daemon=True)
    writer.start()
    try:
        for number in range(2, last):
            _expect(answers, "IndexedFile", names[number - 2])
        _write_files(output, _expect(answers, "GetFiles", "").get("files") or [], reuse)
    except BuildError:
        if failure:  # the writer's reason comes first: it is why Pagefind stopped
            raise failure[0] from None
        raise
    finally:
        if writer.is_alive():
            process.kill()  # unblocks a writer stuck on a full pipe
        writer.join()


def _write_files(output: Path, files: list[dict[str, str]], reuse: Path | None = None) -> None:
    """Write the index that Pagefind handed back (its own writing can be cut short).

    Pagefind's service answers a request to write its files while some of them may
    still be on their way to the disk, and stops at once when its input closes:
    files came out empty. It is asked for the files instead, and they are written here.
    """
    made: set[str] = set()
    plain: dict[str, bool] = {}  # folder of ``reuse`` -> no link on the way out of it
    real = os.path.realpath(reuse) if reuse is not None else ""
    for item in files:
        rel = os.path.normpath(str(item.get("path", "")))
        if os.path.isabs(rel) or rel == "." or rel.split(os.sep, 1)[0] == "..":
            raise BuildError(Problem(FOLDER, 0, f"Pagefind named a file outside its folder: "
                                                f"{item.get('path')!r}"))
        folder = os.path.dirname(rel)
        if folder not in made:
            (output / folder).mkdir(parents=True, exist_ok=True)
            made.add(folder)
        data = base64.b64decode(str(item.get("content", "")))
        if reuse is not None and folder not in plain:
            plain[folder] = os.path.realpath(reuse / folder) == (
                os.path.join(real, folder) if folder else real)
        linkable = (reuse is not None and plain[folder] and not rel.startswith(REWRITTEN)
                    and not rel.endswith(REWRITTEN_SUFFIX))
        if not linkable or reuse is None or not _link_same(reuse / rel, output / rel, data):
            (output / rel).write_bytes(data)
    if not (output / "pagefind-entry.json").is_file():
        raise BuildError(Problem(FOLDER, 0, "Pagefind gave no pagefind-entry.json"))


def _link_same(old: Path, new: Path, data: bytes) -> bool:
    """Hard-link ``old`` to ``new`` when it holds exactly ``data``: no new file is made
    (creating files is most of what writing an index costs). False when not linked."""
    try:
        if old.is_symlink() or old.stat().st_size != len(data) or old.read_bytes() != data:
            return False
        os.link(old, new)
    except OSError:
        return False
    return True


def _close(stream: IO[bytes] | None) -> None:
    if stream is not None and not stream.closed:
        with contextlib.suppress(OSError):
            stream.close()


def _send(stream: IO[bytes] | None, data: bytes) -> None:
    assert stream is not None
    try:
        stream.write(data)
        stream.flush()
    except (BrokenPipeError, ValueError):
        raise BuildError(Problem(FOLDER, 0, "Pagefind stopped while reading the pages")) from None


def _expect(answers: Iterator[dict[str, Any]], kind: str, page: str) -> dict[str, Any]:
    """The next answer, which must be of ``kind`` (an error answer names ``page``)."""
    answer = next(answers, None)
    if answer is None:
        raise BuildError(Problem(FOLDER, 0, "Pagefind stopped before it had indexed every page"
                                 + (f" (at {page})" if page else "")))
    payload = answer.get("payload") or {}
    if payload.get("type") != kind:
        message = payload.get("message") or f"unexpected answer {payload.get('type')!r}"
        where = f"{page}: " if page else ""
        raise BuildError(Problem(FOLDER, 0, f"Pagefind failed: {where}{message}"))
    return dict(payload)
