"""Feedback storage and its export in the eval-set format."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from assistant.feedback import FeedbackStore
from assistant.types import Answer, Citation
from evals.dataset import load_eval_set

QUESTION = "Việt Nam chấp thuận bao nhiêu khuyến nghị UPR chu kỳ III?"
QUOTE = "Việt Nam đã chấp thuận 241 khuyến nghị."


def answered() -> Answer:
    citation = Citation(1, "d1:0", "000_437c9dafada3569e.txt", "Hội thảo UPR", None, QUOTE, "2021-04-07")
    return Answer(QUESTION, "Việt Nam đã chấp thuận 241 khuyến nghị [1].", False, citations=[citation],
                  backend="extractive")


def refused() -> Answer:
    return Answer("Who won the 1998 World Cup?", "The documents do not contain this information.", True,
                  backend="extractive")


def test_rows_keep_question_answer_sources_and_context(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    row_id = store.add(answered(), 1, "  đúng  ", {"documents": 7, "embed_model": "m"})
    [row] = store.rows()
    assert row["id"] == row_id
    assert (row["question"], row["rating"], row["comment"], row["backend"]) == (QUESTION, 1, "đúng", "extractive")
    assert row["sources"][0]["source"] == "000_437c9dafada3569e.txt"
    assert row["fingerprint"] == {"documents": 7, "embed_model": "m"}
    assert row["language"] == "vi" and row["refused"] is False
    assert row["created_at"]


def test_comment_can_follow_the_rating(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    row_id = store.add(answered(), -1)
    assert store.set_comment(row_id, "thiếu nguồn")
    assert not store.set_comment(row_id + 100, "x")
    assert store.rows()[0]["comment"] == "thiếu nguồn"


def test_rating_must_be_plus_or_minus_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        FeedbackStore(tmp_path / "f.sqlite").add(answered(), 0)


def test_no_secret_reaches_the_database(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite"
    fingerprint = {"documents": 1, "openai_api_key": "sk-SECRET", "auth_file": "/etc/users", "token": "T0K"}
    FeedbackStore(path).add(answered(), 1, fingerprint=fingerprint)
    dump = "\n".join(sqlite3.connect(path).iterdump())
    assert "sk-SECRET" not in dump and "/etc/users" not in dump and "T0K" not in dump
    assert '"documents": 1' in dump


def test_export_uses_the_eval_set_format(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    store.add(answered(), 1, "chính xác")
    store.add(refused(), -1)
    out = io.StringIO()
    assert store.export_jsonl(out) == 2
    first, second = [json.loads(line) for line in out.getvalue().splitlines()]
    assert first == {
        "id": "feedback-0001", "question": QUESTION, "language": "vi", "answer": answered().answer,
        "must_contain": [], "source_ids": ["000_437c9dafada3569e.txt"], "type": "factoid", "evidence": [QUOTE],
        "rating": 1, "comment": "chính xác", "backend": "extractive", "created_at": first["created_at"],
    }
    assert second["type"] == "unanswerable" and second["language"] == "en"
    assert second["source_ids"] == [] and second["rating"] == -1


def test_strict_export_loads_as_an_eval_set(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    store.add(answered(), 1)
    store.add(refused(), -1)
    path = tmp_path / "out" / "feedback.jsonl"
    assert store.export_jsonl(path, include_feedback=False) == 2
    items = load_eval_set(path)
    assert [i.type for i in items] == ["factoid", "unanswerable"]
    assert items[0].source_ids == ["000_437c9dafada3569e.txt"]
