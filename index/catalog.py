"""The SQLite catalog: which documents are indexed, their chunks and keyword tokens.

It is the source of truth beside Chroma: the keyword index is built from its ``chunks``
table, ``upr status`` compares it with Chroma, and its ``pending`` table is the journal
that makes an interrupted ingest recoverable (see ``ingest.pipeline``).
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INSTANCE_KEY = "catalog_id"
SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    source TEXT NOT NULL UNIQUE,
    file_name TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    metadata TEXT NOT NULL,
    n_chunks INTEGER NOT NULL,
    ingested_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    text TEXT NOT NULL,
    metadata TEXT NOT NULL,
    keywords TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS pending (
    doc_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    old_doc_id TEXT,
    started_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    finished_at REAL NOT NULL,
    report TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class ChunkRow:
    """One chunk as the catalog keeps it."""

    chunk_id: str
    doc_id: str
    seq: int
    text: str
    metadata: dict[str, Any]
    keywords: str


class Catalog:
    """Thin typed access to the catalog database in the data dir."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(str(path), timeout=60, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self.db.commit()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing write: a crash inside leaves the catalog as it was."""
        try:
            yield self.db
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise

    def documents(self) -> dict[str, dict[str, Any]]:
        """source path -> {doc_id, content_hash, file_name, n_chunks, metadata}."""
        rows = self.db.execute("SELECT source, doc_id, content_hash, file_name, n_chunks, metadata FROM documents")
        return {
            src: {"doc_id": d, "content_hash": h, "file_name": f, "n_chunks": n, "metadata": json.loads(m)}
            for src, d, h, f, n, m in rows
        }

    def doc_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT doc_id FROM documents")}

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT chunk_id FROM chunks")}

    def count_chunks(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def iter_chunks(self, batch: int = 5000) -> Iterator[ChunkRow]:
        """Every chunk in a stable order (by chunk id)."""
        cur = self.db.execute("SELECT chunk_id, doc_id, seq, text, metadata, keywords FROM chunks ORDER BY chunk_id")
        while rows := cur.fetchmany(batch):
            for cid, did, seq, text, meta, kw in rows:
                yield ChunkRow(cid, did, seq, text, json.loads(meta), kw)

    def chunk_doc_ids(self) -> set[str]:
        """Documents that have chunks (read from the chunks' own index: cheap at a million chunks)."""
        return {r[0] for r in self.db.execute("SELECT DISTINCT doc_id FROM chunks")}

    def iter_keyword_rows(
        self, fields: Sequence[str], doc_ids: Iterable[str] | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """(chunk_id, doc_id, keywords, *metadata ``fields``) of every chunk or of ``doc_ids``'
        chunks: what the keyword index needs, without the text or parsing metadata in Python."""
        if not all(f.isidentifier() for f in fields):
            raise ValueError(f"not a metadata field name: {fields}")
        extract = "".join(f", json_extract(metadata, '$.{f}')" for f in fields)
        sql = f"SELECT chunk_id, doc_id, keywords{extract} FROM chunks"
        if doc_ids is None:
            yield from self.db.execute(f"{sql} ORDER BY chunk_id")
            return
        wanted = sorted(doc_ids)
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            yield from self.db.execute(f"{sql} WHERE doc_id IN ({','.join('?' * len(part))}) ORDER BY chunk_id", part)

    def document_chunks(self, doc_id: str) -> list[ChunkRow]:
        """The chunks of one document, in reading order."""
        sql = "SELECT chunk_id, doc_id, seq, text, metadata, keywords FROM chunks WHERE doc_id = ? ORDER BY seq"
        return [ChunkRow(c, d, q, t, json.loads(m), k) for c, d, q, t, m, k in self.db.execute(sql, (doc_id,))]

    def get_chunks(self, chunk_ids: list[str]) -> dict[str, ChunkRow]:
        out: dict[str, ChunkRow] = {}
        for start in range(0, len(chunk_ids), 500):
            part = chunk_ids[start : start + 500]
            marks = ",".join("?" * len(part))
            sql = f"SELECT chunk_id, doc_id, seq, text, metadata, keywords FROM chunks WHERE chunk_id IN ({marks})"
            for cid, did, seq, text, meta, kw in self.db.execute(sql, part):
                out[cid] = ChunkRow(cid, did, seq, text, json.loads(meta), kw)
        return out

    def put_document(
        self, conn: sqlite3.Connection, doc: dict[str, Any], chunks: list[ChunkRow], replaces: str | None
    ) -> None:
        """Replace ``replaces`` (old doc id, if any) by ``doc`` and its chunks; call inside a transaction."""
        for old in {replaces, doc["doc_id"]} - {None}:
            conn.execute("DELETE FROM documents WHERE doc_id = ?", (old,))
        conn.execute("DELETE FROM documents WHERE source = ?", (doc["source"],))
        conn.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                doc["doc_id"],
                doc["source"],
                doc["file_name"],
                doc["content_hash"],
                json.dumps(doc["metadata"], ensure_ascii=False),
                len(chunks),
                time.time(),
            ),
        )
        conn.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
            [
                (c.chunk_id, c.doc_id, c.seq, c.text, json.dumps(c.metadata, ensure_ascii=False), c.keywords)
                for c in chunks
            ],
        )

    def delete_document(self, conn: sqlite3.Connection, doc_id: str) -> None:
        conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    # --- journal -------------------------------------------------------------------
    def begin_pending(self, doc_id: str, source: str, old_doc_id: str | None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?)", (doc_id, source, old_doc_id, time.time())
            )

    def pending(self) -> list[tuple[str, str, str | None]]:
        return list(self.db.execute("SELECT doc_id, source, old_doc_id FROM pending"))

    def clear_pending(self, conn: sqlite3.Connection, doc_id: str) -> None:
        conn.execute("DELETE FROM pending WHERE doc_id = ?", (doc_id,))

    # --- runs and state --------------------------------------------------------------
    def record_run(self, report: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO runs (finished_at, report) VALUES (?, ?)",
                (time.time(), json.dumps(report, ensure_ascii=False)),
            )

    def last_run(self) -> dict[str, Any] | None:
        row = self.db.execute("SELECT finished_at, report FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return {"finished_at": row[0], **json.loads(row[1])} if row else None

    def last_run_summary(self) -> dict[str, Any] | None:
        """The last run's totals without the per-file list."""
        run = self.last_run()
        return {k: v for k, v in run.items() if k != "files"} if run else None

    def get_state(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_state(self, conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (key, value))

    def instance_id(self) -> str:
        """A random id made once per catalog: which Chroma collection is this catalog's (a copy
        of the data dir keeps it, a new data dir gets another)."""
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO state VALUES (?, ?)", (INSTANCE_KEY, uuid.uuid4().hex[:16]))
        return str(self.get_state(INSTANCE_KEY))

    def close(self) -> None:
        self.db.close()
