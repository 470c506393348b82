"""BM25 segments: raw term frequencies in a term-major sparse matrix, scored at query time.

bm25s precomputes every (chunk, term) score, which bakes the collection statistics (chunk
count, average length, document frequencies) into the index: adding one document means
rebuilding all of it. A segment keeps raw term frequencies instead, so a large segment and
small ones for recent ingests are scored together with the statistics of all of them, and
give exactly the scores one rebuilt index would (bm25s's default "lucene" BM25, same k1 and
b). Segments are immutable and saved as .npy files that are memory-mapped when loaded.
"""

from __future__ import annotations

import json
import math
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from index.filters import FILTER_KEYS, Condition

K1, B = 1.5, 0.75  # bm25s defaults
# Every metadata field a filter can name has a column, so filtering needs no metadata dicts.
FIELDS: tuple[str, ...] = tuple(sorted({spec[0] for spec in FILTER_KEYS.values()}))
ARRAYS = ("indptr", "rows", "tf", "doc_len", "doc_codes")
BATCH = 5000
Row = tuple[Any, ...]  # (chunk_id, doc_id, keywords, *values of FIELDS)


class _Vocab(dict[str, int]):
    """token -> term id, numbering new tokens as they come."""

    def __missing__(self, token: str) -> int:
        self[token] = len(self)
        return self[token]


@dataclass
class Segment:
    """Chunks (rows) with their term frequencies, lengths, documents and filter columns."""

    ids: list[str]
    doc_ids: list[str]  # documents, by code
    vocab: dict[str, int]
    indptr: np.ndarray  # per term: where its postings start in rows/tf
    rows: np.ndarray  # per posting: the chunk's row
    tf: np.ndarray  # per posting: how often the term occurs in the chunk
    doc_len: np.ndarray  # per row: tokens, repeats included
    doc_codes: np.ndarray  # per row: index into doc_ids
    columns: dict[str, np.ndarray]  # per field: code of the row's value, -1 when it has none
    values: dict[str, list[Any]]  # per field: the distinct values, by code
    path: Path | None = None
    _codes: dict[str, dict[Any, int]] = field(default_factory=dict, repr=False)
    # The last filter's rows: a filtered hybrid search asks twice (keyword scores, dense ids).
    _last_mask: tuple[tuple[Condition, ...], np.ndarray] | None = field(default=None, repr=False)

    @property
    def size(self) -> int:
        return len(self.ids)

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows, term frequencies) of the chunks that contain ``term``."""
        t = self.vocab.get(term)
        if t is None:
            return None
        start, end = int(self.indptr[t]), int(self.indptr[t + 1])
        return self.rows[start:end], self.tf[start:end]

    def mask(self, conditions: Sequence[Condition]) -> np.ndarray:
        """Rows whose metadata satisfies every condition (as ``index.filters.matches`` decides).
        Read-only: the array is shared with the next call for the same conditions."""
        key = tuple(conditions)
        last = self._last_mask
        if last is not None and last[0] == key:
            return last[1]
        keep = self._mask(key)
        keep.flags.writeable = False
        self._last_mask = (key, keep)
        return keep

    def _mask(self, conditions: Sequence[Condition]) -> np.ndarray:
        keep = np.ones(self.size, dtype=bool)
        for c in conditions:
            if c.field not in self.columns:
                raise ValueError(f"the keyword index has no column for filter field {c.field!r}")
            codes = self.columns[c.field]
            if c.op == "==":
                code = self._codes.setdefault(c.field, {v: i for i, v in enumerate(self.values[c.field])}).get(c.value)
                keep &= codes == (-2 if code is None else code)
            else:
                numbers = [float(v) if isinstance(v, (int, float)) else math.nan for v in self.values[c.field]]
                have = np.array([*numbers, math.nan])[codes]  # code -1 picks the trailing NaN
                keep &= have >= float(c.value) if c.op == ">=" else have <= float(c.value)
        return keep

    # --- persistence -------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the segment to ``path`` (a new folder) and continue from the memory-mapped copy."""
        path.mkdir(parents=True)
        for name in ARRAYS:
            np.save(path / f"{name}.npy", getattr(self, name))
        for name, codes in self.columns.items():
            np.save(path / f"col.{name}.npy", codes)
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        lists = {"ids": self.ids, "doc_ids": self.doc_ids, "terms": terms, "values": self.values}
        (path / "segment.json").write_text(json.dumps(lists, ensure_ascii=False), encoding="utf-8")
        arrays, self.columns = _mapped(path, self.values)
        for name, array_ in arrays.items():
            setattr(self, name, array_)
        self.path = path

    @classmethod
    def load(cls, path: Path) -> Segment:
        """A saved segment; its arrays are memory-mapped, so the OS pages them in as needed."""
        lists = json.loads((path / "segment.json").read_text(encoding="utf-8"))
        if tuple(lists["values"]) != FIELDS:
            raise ValueError(f"{path} was built for other filter fields")
        arrays, columns = _mapped(path, lists["values"])
        vocab = {t: i for i, t in enumerate(lists["terms"])}
        indptr, rows, tf, doc_len, doc_codes = (arrays[name] for name in ARRAYS)
        return cls(
            lists["ids"], lists["doc_ids"], vocab, indptr, rows, tf, doc_len, doc_codes, columns, lists["values"], path
        )


def _mapped(path: Path, fields: Iterable[str]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    arrays = {name: np.load(path / f"{name}.npy", mmap_mode="r") for name in ARRAYS}
    return arrays, {f: np.load(path / f"col.{f}.npy", mmap_mode="r") for f in fields}


def build(rows: Iterable[Row]) -> Segment:
    """A segment from catalog rows, streamed: only term ids and counts are kept per chunk."""
    vocab = _Vocab()
    ids: list[str] = []
    docs: dict[str, int] = {}
    doc_codes = array("i")
    values: dict[str, dict[Any, int]] = {f: {} for f in FIELDS}
    columns = {f: array("i") for f in FIELDS}
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    flat, lengths = array("q"), array("i")
    for chunk_id, doc_id, keywords, *meta in rows:
        ids.append(chunk_id)
        doc_codes.append(docs.setdefault(doc_id, len(docs)))
        for f, value in zip(FIELDS, meta):
            columns[f].append(-1 if value is None else values[f].setdefault(value, len(values[f])))
        before = len(flat)
        flat.extend(map(vocab.__getitem__, keywords.split()))
        lengths.append(len(flat) - before)
        if len(lengths) == BATCH:
            parts.append(_count(flat, lengths))
            flat, lengths = array("q"), array("i")
    parts.append(_count(flat, lengths))
    doc_len, terms, tf, distinct = (np.concatenate(p) for p in zip(*parts))
    del parts
    indptr = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(distinct, out=indptr[1:])
    by_term = sp.csr_matrix((tf, terms, indptr), shape=(len(ids), len(vocab))).tocsc()
    del terms, tf
    return Segment(
        ids,
        list(docs),
        dict(vocab),
        by_term.indptr.astype(np.int64),
        by_term.indices.astype(np.int32),
        by_term.data.astype(np.uint16),
        doc_len,
        np.frombuffer(doc_codes, dtype=np.int32),
        {f: np.frombuffer(c, dtype=np.int32) for f, c in columns.items()},
        {f: list(v) for f, v in values.items()},
    )


def _count(flat: array[int], lengths: array[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(lengths, distinct term ids, their counts, distinct terms per chunk) of a batch of
    chunks, with one vectorised sort for the whole batch."""
    length = np.frombuffer(lengths, dtype=np.int32).copy()
    row = np.repeat(np.arange(len(length), dtype=np.int64), length)
    keys, tf = np.unique((row << 32) | np.frombuffer(flat, dtype=np.int64), return_counts=True)
    distinct = np.bincount(keys >> 32, minlength=len(length)).astype(np.int64)
    tf = np.minimum(tf, np.iinfo(np.uint16).max).astype(np.uint16)
    return length, (keys & 0xFFFFFFFF).astype(np.int32), tf, distinct


def scores(
    segments: Sequence[Segment], live: Sequence[np.ndarray], stats: tuple[int, float], query: Counter[str]
) -> list[np.ndarray] | None:
    """BM25 of every row of every segment for the query tokens (a token counts as often as it
    occurs) under ``stats`` (live chunks, their mean length); ``None`` when nothing matches."""
    n_docs, avg_len = stats
    if n_docs == 0:
        return None
    every_row_live = [bool(m.all()) for m in live]
    found: dict[str, list[tuple[int, np.ndarray, np.ndarray]]] = {}
    df: Counter[str] = Counter()
    for term in sorted(query):
        for i, segment in enumerate(segments):
            hit = segment.postings(term)
            if hit is None or not len(hit[0]):
                continue
            found.setdefault(term, []).append((i, *hit))
            df[term] += len(hit[0]) if every_row_live[i] else int(np.count_nonzero(live[i][hit[0]]))
    if not +df:
        return None
    out = [np.zeros(s.size, dtype=np.float64) for s in segments]
    for term, n in sorted((+df).items()):
        weight = math.log(1 + (n_docs - n + 0.5) / (n + 0.5)) * query[term]
        for i, rows, tf in found[term]:
            f = tf.astype(np.float64)
            norm = K1 * (1 - B + B * segments[i].doc_len[rows] / avg_len)
            out[i][rows] += weight * f / (f + norm)
    for i, mask in enumerate(live):
        if not every_row_live[i]:
            out[i][~mask] = 0.0
    return out


def stats(segments: Sequence[Segment], live: Sequence[np.ndarray]) -> tuple[int, float]:
    """(live chunks, their mean length in tokens): the collection statistics of BM25."""
    n_docs = sum(int(np.count_nonzero(m)) for m in live)
    total = sum(int(s.doc_len[m].sum(dtype=np.int64)) for s, m in zip(segments, live))
    return n_docs, total / n_docs if n_docs else 0.0


def top(scores: np.ndarray, ids: list[str], k: int) -> list[tuple[str, float]]:
    """The rows with the k best positive scores, plus any tied with the k-th (ties are broken
    by chunk id later, so that ranks do not depend on how the index was built)."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        kth = np.partition(scores[positive], len(positive) - k)[len(positive) - k]
        positive = positive[scores[positive] >= kth]
    return [(ids[i], float(scores[i])) for i in positive]
