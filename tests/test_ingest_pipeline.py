"""Ingest plumbing with a fake embedder: incremental, replace, prune, bad files, crash recovery."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.service import Assistant
from tests.conftest import SAMPLE, SEED_241, FakeEmbedder


@pytest.fixture
def assistant(settings: Settings, fake_embedder: FakeEmbedder) -> Assistant:
    return Assistant(settings, embedder=fake_embedder)


def _consistent(assistant: Assistant) -> None:
    cons = assistant.status()["consistency"]
    assert cons["ok"], cons["problems"]


def test_sample_ingests_and_reingest_is_a_no_op(assistant: Assistant, fake_embedder: FakeEmbedder) -> None:
    first = assistant.ingest([SAMPLE])
    assert len(first.by_status("indexed")) == 7, first.summary_lines()
    assert first.chunks_added > 20
    _consistent(assistant)
    calls = fake_embedder.calls
    chunks = assistant.catalog.count_chunks()
    again = assistant.ingest([SAMPLE])
    assert len(again.by_status("unchanged")) == 7 and again.chunks_added == 0
    assert fake_embedder.calls == calls  # nothing embedded again
    assert assistant.catalog.count_chunks() == chunks == assistant.vectors.count()


def test_changed_file_is_replaced_not_duplicated(assistant: Assistant, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    seed = docs / SEED_241
    shutil.copy(SAMPLE / SEED_241, seed)
    assistant.ingest([docs])
    before = assistant.catalog.count_chunks()
    head, rest = seed.read_text(encoding="utf-8").split("\n", 1)
    seed.write_text(
        f"{head}\nĐoạn mới: Việt Nam cam kết thực hiện nghiêm túc các khuyến nghị.\n{rest}", encoding="utf-8"
    )
    report = assistant.ingest([docs])
    assert len(report.by_status("indexed")) == 1 and report.chunks_removed == before
    assert assistant.vectors.count() == assistant.catalog.count_chunks() == report.chunks_added
    texts = " ".join(r.text for r in assistant.catalog.iter_chunks())
    assert "Đoạn mới" in texts
    _consistent(assistant)


def test_prune_removes_documents_whose_files_are_gone(assistant: Assistant, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in (SEED_241, "002_7ce1fd81c91580d3.txt"):
        shutil.copy(SAMPLE / name, docs / name)
    assistant.ingest([docs])
    (docs / SEED_241).unlink()
    report = assistant.ingest([docs], prune=True)
    assert [Path(r.path).name for r in report.by_status("removed")] == [SEED_241]
    assert [d["file_name"] for d in assistant.documents()] == ["002_7ce1fd81c91580d3.txt"]
    _consistent(assistant)


def test_bad_files_are_reported_and_good_ones_indexed(assistant: Assistant, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SAMPLE / SEED_241, docs / SEED_241)
    (docs / "empty.txt").write_bytes(b"")
    (docs / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (docs / "broken.pdf").write_bytes((SAMPLE / "vietnam2014.pdf").read_bytes()[:5000])
    (docs / "notes.xyz").write_text("ignored in folders")
    report = assistant.ingest([docs, tmp_path / "missing-folder"])
    failed = {Path(r.path).name: r.reason for r in report.by_status("failed")}
    assert set(failed) == {"empty.txt", "binary.txt", "broken.pdf", "missing-folder"}, failed
    assert all(reason for reason in failed.values())
    assert [Path(r.path).name for r in report.by_status("indexed")] == [SEED_241]
    _consistent(assistant)


def test_interrupted_write_is_rolled_back_and_redone(assistant: Assistant, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SAMPLE / SEED_241, docs / SEED_241)
    assistant.ingest([docs])
    good = assistant.catalog.count_chunks()
    # Simulate a kill after Chroma got a new version's chunks but before the catalog commit.
    doc_id = next(iter(assistant.catalog.doc_ids()))
    assistant.catalog.begin_pending("deadbeef", str((docs / SEED_241).resolve()), doc_id)
    node_vec = FakeEmbedder().embed_documents(["x"])[0]
    assistant.vectors.collection.upsert(
        ids=["deadbeef:0"], embeddings=[node_vec], documents=["x"], metadatas=[{"doc_id": "deadbeef"}]
    )
    assert not assistant.status()["consistency"]["ok"]
    report = assistant.ingest([docs])
    assert len(report.by_status("indexed")) == 1
    assert assistant.catalog.count_chunks() == good == assistant.vectors.count()
    _consistent(assistant)


def test_remove_document(assistant: Assistant) -> None:
    assistant.ingest([SAMPLE / SEED_241, SAMPLE / "vietnam2009.pdf"])
    result = assistant.remove("vietnam2009.pdf")
    assert result.status == "removed" and result.chunks_removed > 0
    assert [d["file_name"] for d in assistant.documents()] == [SEED_241]
    _consistent(assistant)
