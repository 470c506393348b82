"""Staff feedback on answers (👍/👎 and a comment), kept in SQLite and exported as eval items.

Rated answers are the cheapest source of new eval questions: ``export_jsonl`` writes them in
the format of ``evals/datasets/upr_eval.jsonl`` so a reviewer only has to fill ``must_contain``.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from assistant.types import Answer
from ingest.metadata import detect_language

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    refused INTEGER NOT NULL,
    language TEXT NOT NULL,
    sources TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    comment TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL,
    backend TEXT NOT NULL
)
"""
# Fingerprints come from settings; a key that looks like a credential is never written to disk.
_SECRET_KEY = re.compile(r"key|secret|password|passwd|token|auth", re.I)


FEEDBACK_FILE = "feedback.sqlite"  # inside the data dir, next to the index it rates


def open_store(data_dir: Path | str) -> FeedbackStore:
    """The feedback store of a data dir (what the UI writes and ``upr feedback export`` reads)."""
    return FeedbackStore(Path(data_dir) / FEEDBACK_FILE)


def without_secrets(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` without credential-like keys (api_key, auth_file, token, ...)."""
    return {k: v for k, v in data.items() if not _SECRET_KEY.search(str(k))}


class FeedbackStore:
    """Ratings of answers in one SQLite file (one connection per call: safe from UI threads)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def add(self, answer: Answer, rating: int, comment: str = "", fingerprint: dict[str, Any] | None = None,
            backend: str | None = None) -> int:
        """Store one rating (+1 or -1) of an answer with its citations; returns the row id."""
        if rating not in (1, -1):
            raise ValueError(f"rating must be +1 or -1, got {rating!r}")
        sources = [c.to_dict() for c in answer.citations]
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"), answer.question, answer.answer, int(answer.refused),
            detect_language(answer.question), json.dumps(sources, ensure_ascii=False), rating, comment.strip(),
            json.dumps(without_secrets(fingerprint or {}), ensure_ascii=False, sort_keys=True),
            backend or answer.backend,
        )
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO feedback (created_at, question, answer, refused, language, sources, rating, comment,"
                " fingerprint, backend) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cur.lastrowid or 0)

    def set_comment(self, row_id: int, comment: str) -> bool:
        """Attach (or replace) the comment of a stored rating; False if there is no such row."""
        with self._connect() as conn:
            cur = conn.execute("UPDATE feedback SET comment = ? WHERE id = ?", (comment.strip(), row_id))
            return cur.rowcount == 1

    def rows(self) -> list[dict[str, Any]]:
        """Every stored rating, oldest first, with JSON columns decoded."""
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM feedback ORDER BY id").fetchall()
        out = []
        for row in rows:
            item = dict(row)
            item["sources"] = json.loads(item["sources"])
            item["fingerprint"] = json.loads(item["fingerprint"])
            item["refused"] = bool(item["refused"])
            out.append(item)
        return out

    def export_jsonl(self, target: Path | str | IO[str], include_feedback: bool = True) -> int:
        """Write every rating as an eval-set line; returns how many lines were written.

        With ``include_feedback=False`` the lines carry exactly the eval-set fields, so
        ``evals.dataset.load_eval_set`` reads the file as is.
        """
        items = [to_eval_item(row, include_feedback) for row in self.rows()]
        lines = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
        if isinstance(target, (str, Path)):
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            Path(target).write_text(lines, encoding="utf-8")
        else:
            target.write(lines)
        return len(items)


def to_eval_item(row: dict[str, Any], include_feedback: bool = True) -> dict[str, Any]:
    """One feedback row in the eval-set format (``must_contain`` is left for a reviewer)."""
    sources = row["sources"]
    item: dict[str, Any] = {
        "id": f"feedback-{row['id']:04d}",
        "question": row["question"],
        "language": row["language"],
        "answer": row["answer"],
        "must_contain": [],
        "source_ids": list(dict.fromkeys(s["source"] for s in sources if s.get("source"))),
        "type": "unanswerable" if row["refused"] else "factoid",
        "evidence": [s["quote"] for s in sources if s.get("quote")],
    }
    if include_feedback:
        item.update(rating=row["rating"], comment=row["comment"], backend=row["backend"],
                    created_at=row["created_at"])
    return item
