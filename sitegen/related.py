"""Related papers, part of the derive stage: TF-IDF over titles and abstracts.

scikit-learn's ``TfidfVectorizer`` turns each paper's title and abstract into
an L2-normalised vector (English stop words out, sublinear term counts, words
in more than half the papers ignored); the cosine similarity of two papers is
the dot product of their rows. The rows are multiplied in blocks of
:data:`BLOCK` papers against the whole sparse matrix, so memory stays at one
dense block (``BLOCK`` × papers) however large the site.

Each paper gets its :data:`TOP_K` most similar other papers. The order is
total: higher score first, then slug, and scores are rounded to 1e-6 before
comparing so that the last bits of a sum cannot reorder equal papers. A paper
that shares no word with enough others is filled up with papers of score 0 in
slug order: every page lists ``TOP_K`` (when the site has that many papers).

IDF weights depend on every paper, so an edited abstract can move any paper's
list: the lists are computed for the whole corpus at once and kept in
``.sitegen-cache/related.pickle`` under a hash of every slug, title and
abstract (see :func:`corpus_key`). A build whose texts did not change (a
no-op, a template edit, new upvote counts) reads the lists back; one whose
texts changed computes them again, which costs about a second per 10,000 papers
(see ``bench/RESULTS.md``). Reusing stale IDF weights would be cheaper, but an
incremental build must give the bytes a clean build gives.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Sequence
from pathlib import Path

TOP_K = 5
BLOCK = 512  # papers per block of the similarity product
FORMAT = 1  # bump when the method changes: the cached lists are then computed again
CACHE_FILE = "related.pickle"


def corpus_key(texts: Sequence[tuple[str, str]]) -> str:
    """A hash of every ``(slug, text)`` and the method: equal keys, equal lists."""
    digest = hashlib.sha1(f"related:{FORMAT}:{TOP_K}\x00".encode(), usedforsecurity=False)
    for slug, text in texts:
        digest.update(slug.encode("utf-8", "surrogatepass") + b"\x00")
        digest.update(text.encode("utf-8", "surrogatepass") + b"\x01")
    return digest.hexdigest()


def related_lists(texts: Sequence[tuple[str, str]], cache_dir: Path | None = None,
                  parallel: bool = False) -> dict[str, tuple[str, ...]]:
    """The related slugs of every paper, by slug; read from the cache while the texts hold.

    ``texts`` is ``(slug, title and abstract)`` per paper, slugs unique.
    """
    ordered = sorted(texts)
    key = corpus_key(ordered)
    path = cache_dir / CACHE_FILE if cache_dir is not None else None
    kept = _read(path, key) if path is not None else None
    if kept is not None:
        return kept
    lists = compute(ordered, parallel=parallel)
    if path is not None:
        _write(path, key, lists)
    return lists


def compute(ordered: Sequence[tuple[str, str]], top_k: int = TOP_K, parallel: bool = False
            ) -> dict[str, tuple[str, ...]]:
    """The related slugs of papers given as ``(slug, text)`` sorted by slug; the blocks
    of the product go to forked workers when ``parallel`` and there are several."""
    from sitegen.parallel import fork_imap

    slugs = [slug for slug, _ in ordered]
    if len(slugs) < 2:
        return {slug: () for slug in slugs}
    matrix = _vectors([text for _, text in ordered])
    want = min(top_k, len(slugs) - 1)
    starts = list(range(0, len(slugs), BLOCK))

    def block(start: int) -> list[list[int]]:
        return _block_top(matrix, start, min(start + BLOCK, len(slugs)), want)

    lists: dict[str, tuple[str, ...]] = {}
    for start, rows in zip(starts, fork_imap("related", block, starts,
                                             2 if parallel else len(starts) + 1, chunk=1),
                           strict=True):
        for offset, row in enumerate(rows):
            lists[slugs[start + offset]] = tuple(slugs[i] for i in row)
    return lists


def _vectors(texts: list[str]):  # type: ignore[no-untyped-def]  # a scipy sparse matrix
    """The TF-IDF rows of ``texts`` (float32, L2-normalised); no words at all gives zeros."""
    import numpy as np
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    max_df = 0.5 if len(texts) >= 20 else 1.0  # on tiny sites every word is rare
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, max_df=max_df,
                                 dtype=np.float32, strip_accents="unicode")
    try:
        return vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # no word left in any text (empty abstracts, stop words only)
        return sparse.csr_matrix((len(texts), 1), dtype=np.float32)


def columns_of(matrix):  # type: ignore[no-untyped-def]
    """The matrix by columns (made once: every block picks the columns of its words)."""
    csc = getattr(matrix, "_by_columns", None)
    if csc is None:
        csc = matrix._by_columns = matrix.tocsc()
    return csc


def _block_top(matrix, start: int, stop: int, want: int) -> list[list[int]]:  # type: ignore[no-untyped-def]
    """For rows ``start:stop``, the indices of the ``want`` most similar other rows:
    higher score first, then lower index (the rows are in slug order)."""
    import numpy as np

    count = matrix.shape[0]
    block = matrix[start:stop]
    columns = np.unique(block.indices)  # only the words of this block can score
    scores = np.ascontiguousarray(
        (columns_of(matrix)[:, columns] @ block[:, columns].toarray().T).T)
    local = np.arange(stop - start)
    scores[local, local + start] = -np.inf  # never oneself
    # Every index scoring at least the want-th best score is a candidate (ties included);
    # one sort by row, then score, then index orders them all.
    kth = np.partition(scores, count - want, axis=1)[:, count - want]
    rows, cols = np.nonzero(scores >= kth[:, None])
    order = np.lexsort((cols, -scores[rows, cols], rows))
    rows, cols = rows[order], cols[order]
    firsts = np.searchsorted(rows, local)
    picked = cols[firsts[:, None] + np.arange(want)]
    return picked.tolist()  # type: ignore[no-any-return,unused-ignore]


def _read(path: Path, key: str) -> dict[str, tuple[str, ...]] | None:
    """The cached lists if they were made for ``key``; a bad cache only costs time."""
    try:
        with path.open("rb") as handle:
            stored_key, lists = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
        return None
    return lists if stored_key == key and isinstance(lists, dict) else None


def _write(path: Path, key: str, lists: dict[str, tuple[str, ...]]) -> None:
    """Keep the lists for the next build: written to a side file, then renamed."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as handle:
            pickle.dump((key, lists), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    with contextlib.suppress(OSError):
        temporary.unlink(missing_ok=True)
