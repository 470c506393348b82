"""A persistent embedding cache keyed by the hash of the exact text embedded (and the backend).

Embedding is the slowest step (≈2–3 passages/s on 2 cores), so unchanged text is never
embedded twice: not on re-ingest, not in a fresh eval index, not after a crash.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import numpy as np


def text_key(text: str, namespace: str = "") -> str:
    """Stable key for a text to embed by one model backend.

    Vectors from different backends (fp32 torch, int8 ONNX) differ slightly, so each backend
    has its own ``namespace``; the empty one (torch) keeps the keys of caches built before.
    """
    data = f"{namespace}\0{text}" if namespace else text
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """SQLite table of float32 vectors; safe to share between data dirs and processes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        self._db.commit()

    def get_many(self, keys: Iterable[str]) -> dict[str, list[float]]:
        """The cached vectors among ``keys``."""
        keys = list(keys)
        found: dict[str, list[float]] = {}
        for start in range(0, len(keys), 500):
            batch = keys[start : start + 500]
            marks = ",".join("?" * len(batch))
            for key, blob in self._db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", batch):
                found[key] = np.frombuffer(blob, dtype=np.float32).tolist()
        return found

    def put_many(self, items: dict[str, list[float]]) -> None:
        """Store vectors; committed at once so a crash keeps the work done so far."""
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()]
        self._db.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)", rows)
        self._db.commit()

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        self._db.close()
