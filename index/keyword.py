"""BM25 keyword index over the catalog's chunk tokens (bm25s sparse matrices).

Built from the catalog's ``chunks.keywords`` column, so it always holds exactly the
catalog's chunk ids; it is saved in the data dir with the catalog version it was built
from and rebuilt when that version moves on (after any ingest that changed chunks).
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np

from index.catalog import Catalog
from index.filters import Condition, matches
from index.tokenize import keyword_tokens

VERSION_KEY = "chunks_version"
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG


class KeywordIndex:
    """BM25 over chunk tokens with the same metadata filters as the vector store."""

    def __init__(self, directory: Path, catalog: Catalog) -> None:
        self.directory = directory
        self.catalog = catalog
        self._lock = threading.Lock()
        self._bm25: Any = None
        self._ids: list[str] = []
        self._meta: list[dict[str, Any]] = []
        self._version: str | None = None

    @property
    def version(self) -> str | None:
        """Catalog version the loaded index was built from."""
        return self._version

    def ensure_current(self) -> None:
        """Load the saved index, or rebuild it if the catalog has changed since."""
        want = self.catalog.get_state(VERSION_KEY) or "0"
        with self._lock:
            if self._version == want:
                return
            if not self._load(want):
                self._build(want)

    def ids(self) -> list[str]:
        self.ensure_current()
        return list(self._ids)

    def search(self, query: str, top_k: int, conditions: list[Condition]) -> list[tuple[str, float, float]]:
        """(chunk id, BM25 score, share of query terms matched) best first."""
        self.ensure_current()
        tokens = [t for t in keyword_tokens(query) if t in self._vocab]
        if not self._ids or not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        if conditions:
            mask = np.array([matches(m, conditions) for m in self._meta], dtype=bool)
            scores = np.where(mask, scores, 0.0)
        top = np.argsort(-scores)[:top_k]
        query_terms = {t for t in keyword_tokens(query, segment_words=False) if "_" not in t}
        hits = [(self._ids[i], float(scores[i])) for i in top if scores[i] > 0]
        rows = self.catalog.get_chunks([cid for cid, _ in hits])
        out = []
        for cid, score in hits:
            terms = set(rows[cid].keywords.split()) if cid in rows else set()
            out.append((cid, score, len(query_terms & terms) / len(query_terms) if query_terms else 0.0))
        return out

    def _build(self, version: str) -> None:
        import bm25s

        ids, meta, corpus = [], [], []
        for row in self.catalog.iter_chunks():
            ids.append(row.chunk_id)
            meta.append(row.metadata)
            corpus.append(row.keywords.split())
        bm25 = bm25s.BM25()
        if corpus:
            bm25.index(corpus, show_progress=False)
        self._set(bm25, ids, meta, corpus, version)
        tmp = self.directory.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if corpus:
            bm25.save(str(tmp / "bm25"))
        (tmp / "ids.json").write_text(json.dumps({"version": version, "ids": ids}))
        shutil.rmtree(self.directory, ignore_errors=True)
        tmp.rename(self.directory)

    def _load(self, version: str) -> bool:
        manifest = self.directory / "ids.json"
        if not manifest.exists():
            return False
        saved = json.loads(manifest.read_text())
        if saved.get("version") != version:
            return False
        import bm25s

        rows = self.catalog.get_chunks(saved["ids"])
        if len(rows) != len(saved["ids"]):
            return False
        bm25 = bm25s.BM25.load(str(self.directory / "bm25")) if saved["ids"] else bm25s.BM25()
        corpus = [rows[i].keywords.split() for i in saved["ids"]]
        self._set(bm25, saved["ids"], [rows[i].metadata for i in saved["ids"]], corpus, version)
        return True

    def _set(
        self, bm25: Any, ids: list[str], meta: list[dict[str, Any]], corpus: list[list[str]], version: str
    ) -> None:
        self._bm25, self._ids, self._meta, self._version = bm25, ids, meta, version
        self._vocab = set(getattr(bm25, "vocab_dict", {}) or {})
