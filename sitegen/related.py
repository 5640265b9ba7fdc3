"""Related papers, part of the derive stage: TF-IDF over titles and abstracts.

Each paper's title and abstract become a TF-IDF vector, weighted as
scikit-learn's ``TfidfVectorizer(stop_words="english", sublinear_tf=True,
max_df=0.5, strip_accents="unicode")`` weights them: words of two or more
letters or digits, lowercased, accents folded, English stop words out
(:mod:`sitegen.stopwords`), ``1 + ln(count)`` times the smoothed IDF
``ln((1 + papers) / (1 + papers with the word)) + 1``, words in more than half
the papers left out (on sites of 20 papers or more), rows L2-normalised. It is
done here with numpy and scipy because importing scikit-learn costs more than
computing the vectors of 10,000 papers.

The score of two papers is the cosine of their vectors (their dot product) on
sites of fewer than :data:`EXACT_BELOW` papers. Comparing every pair grows with
the square of the number of papers, so on larger sites the score is defined on
the words that link papers (:func:`pruned`):

* each paper's *heaviest* words are its :data:`TOP_TERMS` largest weights (ties:
  the word that sorts first);
* a word among the heaviest of more than ``max(CAP_MIN, CAP_SHARE × papers)``
  papers links nothing: it says little about which papers belong together,
  and its papers alone would make ``cap²`` pairs;
* the score of papers ``i`` and ``j`` is the sum of ``x_it × x_jt`` over the
  linking words ``t`` that ``i`` or ``j`` counts among its heaviest: the part of
  their cosine carried by those words.

Only papers sharing such a word score above zero, so the products, taken in
blocks of :data:`BLOCK` papers, are sparse: at most ``cap × TOP_TERMS`` pairs
per paper from the heaviest words of each side. Each paper gets its
:data:`TOP_K` highest-scoring other papers; scores are rounded to 1e-6 and ties
go to the slug that sorts first, so the last bits of a sum cannot reorder
papers. A paper with fewer than ``TOP_K`` scoring papers is filled up with
papers of score 0 in slug order: every page lists ``TOP_K`` (when the site has
that many papers).

IDF weights depend on every paper, so an edited abstract can move any paper's
list: the lists are computed for the whole corpus at once and kept in
``.sitegen-cache/related.pickle`` under a hash of every slug, title and
abstract (see :func:`corpus_key`). A build whose texts did not change reads
them back; one whose texts changed computes them again, well under a second at
10,000 papers (see ``bench/RESULTS.md``). Reusing stale IDF weights
would be cheaper, but an incremental build must give the bytes a clean build
gives.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import unicodedata
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from sitegen.stopwords import ENGLISH_STOP_WORDS

TOP_K = 5
TOP_TERMS = 24  # words kept per paper for the similarity
CAP_MIN = 50  # a word kept by more papers than max(CAP_MIN, CAP_SHARE × papers) is dropped
CAP_SHARE = 0.01
EXACT_BELOW = 1000  # smaller sites compare every pair: cheap there, and nothing is lost
BLOCK = 2048  # papers per block of the similarity product (at most 4096)
_SCALE = 2**20 - 1  # above any score × 1e6 (cosines are at most 1)
CHUNK = 4096  # papers whose words are read at a time
MAX_WORDS = 2**31 - 1  # columns of a part: more distinct words than any site has
FORMAT = 2  # bump when the method changes: the cached lists are then computed again
CACHE_FILE = "related.pickle"
WORD = re.compile(r"(?u)\b\w\w+\b")
_SPLIT = bytes(c if chr(c).isascii() and (chr(c).isalnum() or c == 95) else 32
               for c in range(256))  # ASCII letters, digits and "_" kept, other bytes split
_STOP_BYTES = frozenset(w.encode("ascii") for w in ENGLISH_STOP_WORDS)


def corpus_key(texts: Sequence[tuple[str, str]]) -> str:
    """A hash of every ``(slug, text)`` and the method: equal keys, equal lists."""
    digest = hashlib.sha1(
        f"related:{FORMAT}:{TOP_K}:{TOP_TERMS}:{CAP_MIN}:{CAP_SHARE}:{EXACT_BELOW}\x00"
        .encode(),
        usedforsecurity=False)
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


def compute(ordered: Sequence[tuple[str, str]], top_k: int = TOP_K, parallel: bool = False,
            exact: bool = False) -> dict[str, tuple[str, ...]]:
    """The related slugs of papers given as ``(slug, text)`` sorted by slug; the blocks
    of the product go to forked workers when ``parallel`` and there are several.

    Sites of fewer than :data:`EXACT_BELOW` papers, or ``exact``, score every pair by
    the cosine of the whole vectors (quadratic: the reference the benchmark measures the
    pruning against)."""
    from sitegen.parallel import fork_imap

    slugs = [slug for slug, _ in ordered]
    if len(slugs) < 2:
        return {slug: () for slug in slugs}
    full = vectors([text for _, text in ordered])
    exact = exact or len(slugs) < EXACT_BELOW
    heavy, linking = (full, full) if exact else pruned(full)
    want = min(top_k, len(slugs) - 1)
    starts = list(range(0, len(slugs), BLOCK))

    def block(start: int) -> list[list[int]]:
        stop = min(start + BLOCK, len(slugs))
        return _block_top(_scores(heavy, linking, start, stop, exact), start, stop, want)

    lists: dict[str, tuple[str, ...]] = {}
    for start, rows in zip(starts, fork_imap("related", block, starts,
                                             2 if parallel else len(starts) + 1, chunk=1),
                           strict=True):
        for offset, row in enumerate(rows):
            lists[slugs[start + offset]] = tuple(slugs[i] for i in row)
    return lists


def words(text: str) -> list[bytes]:
    """The words of ``text`` (UTF-8), stop words still in: lowercased, accents folded,
    runs of letters, digits or underscores; :func:`vectors` drops those of one byte
    (the words of ``\\b\\w\\w+\\b``)."""
    text = text.lower()
    if text.isascii():  # the common case, without a regex: every other byte splits words
        return text.encode("ascii").translate(_SPLIT).split()
    folded = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in folded if not unicodedata.combining(c))
    return [w.encode("utf-8", "surrogatepass") for w in WORD.findall(text)]


def vectors(texts: Sequence[str]) -> Any:  # a scipy CSR matrix
    """The TF-IDF rows of ``texts`` (float64, L2-normalised, a column per word in the
    order of the words; a site without any word gets one empty column)."""
    import numpy as np
    from scipy import sparse

    count = len(texts)
    vocabulary: dict[bytes, int] = {}  # word -> number in order of first sight
    parts = [_counts(texts[at:at + CHUNK], vocabulary) for at in range(0, count, CHUNK)]
    # UTF-8 bytes sort as their characters do: columns in the order of the words, and
    # one more column last for the words dropped (its weights are set to 0 below).
    dropped = {w for w in vocabulary if len(w) < 2} | (_STOP_BYTES & vocabulary.keys())
    terms = sorted(vocabulary.keys() - dropped)
    if not terms:
        return sparse.csr_matrix((count, 1), dtype=np.float64)
    column = np.full(len(vocabulary), len(terms), dtype=np.int64)
    column[[vocabulary[w] for w in terms]] = np.arange(len(terms))
    counts = sparse.vstack(parts, format="csr")
    counts = sparse.csr_matrix((counts.data, column[counts.indices], counts.indptr),
                               shape=(count, len(terms) + 1))
    counts.sort_indices()
    frequency = np.bincount(counts.indices, minlength=len(terms))
    idf = np.log((1 + count) / (1 + frequency)) + 1
    weights = (1 + np.log(counts.data)) * idf[counts.indices]
    weights[counts.indices == len(terms)] = 0
    if count >= 20:  # on tiny sites every word is rare
        weights[frequency[counts.indices] > 0.5 * count] = 0
    rows = np.repeat(np.arange(count), np.diff(counts.indptr))
    norms = np.sqrt(np.bincount(rows, weights * weights, minlength=count))
    counts.data = weights / np.where(norms > 0, norms, 1)[rows]
    counts.eliminate_zeros()
    return counts


def _counts(texts: Sequence[str], vocabulary: dict[bytes, int]) -> Any:
    """How often each word is in each of ``texts`` (CSR, a column per word by its number
    in ``vocabulary``, which gains the new words): a part at a time, so that only a
    part's words are ever held as objects."""
    import numpy as np
    from scipy import sparse

    found = [words(text) for text in texts]
    tokens = list(chain.from_iterable(found))
    for word in sorted(set(tokens).difference(vocabulary)):
        vocabulary[word] = len(vocabulary)
    ids = np.fromiter(map(vocabulary.__getitem__, tokens), dtype=np.int64, count=len(tokens))
    rows = np.repeat(np.arange(len(texts)), list(map(len, found)))
    part = sparse.csr_matrix((np.ones(len(ids)), (rows, ids)),
                             shape=(len(texts), MAX_WORDS))
    part.sum_duplicates()
    return part


def cap(count: int) -> int:
    """The most papers a word may be kept by and still link papers."""
    return max(CAP_MIN, int(CAP_SHARE * count))


def pruned(matrix: Any) -> tuple[Any, Any]:
    """Two copies of ``matrix`` keeping only the words that link papers: ``heavy`` keeps
    each row's :data:`TOP_TERMS` heaviest words, ``linking`` all the row's words that
    some paper keeps in ``heavy``; neither keeps a word more than :func:`cap` papers
    count among their heaviest (nor one that only one paper does: it links nothing)."""
    import numpy as np

    count = matrix.shape[0]
    lengths = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(count), lengths)
    order = np.lexsort((matrix.indices, -matrix.data, rows))
    place = np.empty_like(order)
    place[order] = np.arange(len(order)) - np.repeat(matrix.indptr[:-1], lengths)
    top = place < TOP_TERMS
    kept_by = np.bincount(matrix.indices[top], minlength=matrix.shape[1])
    links = ((kept_by <= cap(count)) & (kept_by > 0))[matrix.indices]
    return _subset(matrix, rows, top & links), _subset(matrix, rows, links)


def _subset(matrix: Any, rows: Any, keep: Any) -> Any:
    """The entries of CSR ``matrix`` where ``keep`` (``rows``: each entry's row)."""
    import numpy as np
    from scipy import sparse

    bounds = np.concatenate(([0], np.cumsum(np.bincount(rows[keep], minlength=matrix.shape[0]))))
    return sparse.csr_matrix((matrix.data[keep], matrix.indices[keep], bounds),
                             shape=matrix.shape)


def _scores(heavy: Any, linking: Any, start: int, stop: int, exact: bool) -> Any:
    """The scores of rows ``start:stop`` against every row (sparse): the sum of
    ``x_it × x_jt`` over the linking words ``t`` that row ``i`` or row ``j`` counts among
    its heaviest, that is ``L·Hᵀ + H·Lᵀ − H·Hᵀ``; with ``exact``, the full cosine."""
    block = heavy[start:stop]
    if exact:
        return block @ heavy.T
    return (linking[start:stop] @ heavy.T) + (block @ linking.T) - (block @ heavy.T)


def _block_top(scores: Any, start: int, stop: int, want: int) -> list[list[int]]:
    """For rows ``start:stop`` of ``scores``, the indices of the ``want`` best other rows:
    higher rounded score first, then lower index (the rows are in slug order), then rows
    scoring 0 in index order."""
    import numpy as np

    scores = scores.tocoo()
    rows, cols = scores.row.astype(np.int64), scores.col.astype(np.int64)
    quantised = np.rint(scores.data * 1e6).astype(np.int64)  # the score rounded to 1e-6
    keep = (cols != rows + start) & (quantised > 0)  # never oneself
    # One sort of one key orders it all: row, then higher score, then index (12 + 20 +
    # 31 bits: BLOCK <= 4096 rows, scores up to 1, fewer than 2**31 papers).
    keys = np.sort((rows[keep] << 51) | ((_SCALE - quantised[keep]) << 31) | cols[keep])
    rows, cols = keys >> 51, keys & (2**31 - 1)
    firsts = np.searchsorted(rows, np.arange(stop - start + 1))
    picked: list[list[int]] = []
    for local in range(stop - start):
        best = cols[firsts[local]:min(firsts[local + 1], firsts[local] + want)].tolist()
        picked.append(best + _fill(best, start + local, want - len(best)))
    return picked


def _fill(taken: list[int], own: int, missing: int) -> list[int]:
    """The first ``missing`` rows in slug order that are neither ``own`` nor taken."""
    out: list[int] = []
    candidate = 0
    while len(out) < missing:
        if candidate != own and candidate not in taken:
            out.append(candidate)
        candidate += 1
    return out


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
