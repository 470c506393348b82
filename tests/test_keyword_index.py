"""The keyword index: bm25s's scores, incremental updates equal to a rebuild, persistence,
compaction, filters, and two processes sharing one data dir."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import pytest

from index import bm25, keyword
from index.catalog import Catalog, ChunkRow
from index.filters import matches, parse_filters
from index.keyword import VERSION_KEY, KeywordIndex
from index.tokenize import keyword_tokens
from tests.conftest import SAMPLE

QUERIES = [
    "Việt Nam chấp thuận khuyến nghị",
    "chap thuan khuyen nghi",
    "quyền con người",
    "Geneva 2014 UPR",
    "recommendations accepted",
    "kế hoạch tổng thể",
]
FILTERS = [[], ["type=news"], ["language=vi", "from=2014"], ["cycle=2"], ["to=2013-06"], ["source=d3.txt"]]


def paragraphs() -> list[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLE.glob("*.txt")))
    return [p for p in (" ".join(line.split()) for line in text.splitlines()) if len(p) > 80]


PARAGRAPHS = paragraphs()


def add_document(catalog: Catalog, n: int, chunks: int = 6, texts: list[str] | None = None, **meta: Any) -> str:
    """Document ``d{n}`` with ``chunks`` chunks of real Vietnamese text; bumps the catalog version."""
    doc_id = f"d{n}"
    metadata = {
        "doc_type": ["news", "wg_report", "plan"][n % 3],
        "language": "vi",
        "cycle": 1 + n % 3,
        "date_num": 20080101 + 10000 * (n % 8),
        "file_name": f"{doc_id}.txt",
        **meta,
    }
    rows = []
    for seq in range(chunks):
        text = texts[seq] if texts else PARAGRAPHS[(n * 7 + seq * 3) % len(PARAGRAPHS)]
        rows.append(ChunkRow(f"{doc_id}:{seq}", doc_id, seq, text, metadata, " ".join(keyword_tokens(text))))
    doc = {
        "doc_id": doc_id,
        "source": f"/docs/{doc_id}.txt",
        "file_name": f"{doc_id}.txt",
        "content_hash": doc_id,
        "metadata": metadata,
    }
    with catalog.transaction() as conn:
        catalog.put_document(conn, doc, rows, None)
        catalog.set_state(conn, VERSION_KEY, uuid.uuid4().hex)
    return doc_id


def remove_document(catalog: Catalog, doc_id: str) -> None:
    with catalog.transaction() as conn:
        catalog.delete_document(conn, doc_id)
        catalog.set_state(conn, VERSION_KEY, uuid.uuid4().hex)


def results(index: KeywordIndex) -> list[Any]:
    return [index.search(q, 8, parse_filters(f)) for q in QUERIES for f in FILTERS]


def rebuilt(catalog: Catalog, tmp_path: Path) -> KeywordIndex:
    fresh = KeywordIndex(tmp_path / f"fresh-{uuid.uuid4().hex[:6]}", catalog)
    fresh.ensure_current()
    assert len(fresh._snap.segments) == 1  # type: ignore[union-attr]
    return fresh


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return Catalog(tmp_path / "catalog.sqlite")


def test_scores_are_those_of_bm25s(catalog: Catalog, tmp_path: Path) -> None:
    for n in range(12):
        add_document(catalog, n)
    index = rebuilt(catalog, tmp_path)
    snap = index._snap
    assert snap is not None
    corpus = [row.keywords.split() for row in catalog.iter_chunks()]
    reference = bm25s.BM25()
    reference.index(corpus, show_progress=False)
    assert [r.chunk_id for r in catalog.iter_chunks()] == snap.segments[0].ids
    for query in QUERIES:
        tokens = [t for t in keyword_tokens(query) if t in reference.vocab_dict]
        ours = bm25.scores(snap.segments, snap.live, snap.stats, Counter(keyword_tokens(query)))
        if not tokens:
            assert ours is None, query
            continue
        assert ours is not None
        np.testing.assert_allclose(ours[0], reference.get_scores(tokens), rtol=1e-5, atol=1e-5)


def test_incremental_updates_give_exactly_the_rebuilt_results(catalog: Catalog, tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "keyword", catalog)
    for n in range(10):
        add_document(catalog, n)
    index.ensure_current()
    first = index._snap.segments[0]  # type: ignore[union-attr]
    add_document(catalog, 10)
    add_document(catalog, 11, chunks=2)
    index.ensure_current()
    remove_document(catalog, "d3")
    remove_document(catalog, "d11")
    index.ensure_current()
    snap = index._snap
    assert snap is not None and snap.segments[0] is first and len(snap.segments) == 2  # nothing rebuilt
    assert sorted(index.ids()) == sorted(catalog.chunk_ids())
    assert results(index) == results(rebuilt(catalog, tmp_path))
    assert any(hits for hits in results(index)) and not any(
        cid.startswith("d3:") for r in results(index) for cid, _, _ in r
    )


def test_a_new_process_loads_the_saved_index_without_building(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = KeywordIndex(tmp_path / "keyword", catalog)
    for n in range(6):
        add_document(catalog, n)
    writer.ensure_current()
    reader = KeywordIndex(tmp_path / "keyword", catalog)
    reader.ensure_current()
    add_document(catalog, 6)
    remove_document(catalog, "d1")
    writer.ensure_current()  # the ingest process brings the saved index up to date

    def no_build(rows: Any) -> None:
        raise AssertionError("the saved index should have been used")

    monkeypatch.setattr(bm25, "build", no_build)
    reader.ensure_current()
    assert reader.version == writer.version and reader.ids() == writer.ids()
    assert KeywordIndex(tmp_path / "keyword", catalog).ids() == writer.ids()
    monkeypatch.undo()
    assert results(reader) == results(rebuilt(catalog, tmp_path))


def test_small_segments_are_merged_and_a_large_change_compacts(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyword, "MAX_SMALL_SEGMENTS", 2)
    monkeypatch.setattr(keyword, "COMPACT_MIN_ROWS", 15)
    index = KeywordIndex(tmp_path / "keyword", catalog)
    for n in range(20):
        add_document(catalog, n, chunks=5)
    index.ensure_current()
    for n in range(20, 23):
        add_document(catalog, n, chunks=2)
        index.ensure_current()
    sizes = [s.size for s in index._snap.segments]  # type: ignore[union-attr]
    assert sizes == [100, 6]  # three small segments became one
    for n in range(23, 30):  # 6 + 14 > 15 rows outside the first segment: rebuilt as one
        add_document(catalog, n, chunks=2)
    index.ensure_current()
    assert [s.size for s in index._snap.segments] == [120]  # type: ignore[union-attr]
    folders = sorted(p.name for p in (tmp_path / "keyword").iterdir())
    assert folders == ["manifest.json", index._snap.segments[0].path.name]  # type: ignore[union-attr]
    assert results(index) == results(rebuilt(catalog, tmp_path))


def test_filter_columns_agree_with_the_metadata_predicate(catalog: Catalog, tmp_path: Path) -> None:
    for n in range(9):
        add_document(catalog, n, chunks=2)
    add_document(catalog, 9, chunks=2, cycle=None, date_num="2014")  # missing and non-numeric values
    index = rebuilt(catalog, tmp_path)
    segment = index._snap.segments[0]  # type: ignore[union-attr]
    meta = {r.chunk_id: r.metadata for r in catalog.iter_chunks()}
    for spec in [*FILTERS, ["cycle=1", "type=plan"], ["from=2009", "to=2011"], ["country=Viet Nam"]]:
        conditions = parse_filters(spec)
        expected = [matches(meta[cid], conditions) for cid in segment.ids]
        assert segment.mask(conditions).tolist() == expected, spec
        assert segment.mask(parse_filters(spec)).tolist() == expected, spec  # the cached answer
    # A filtered hybrid search asks twice (keyword scores, dense ids): the second time is free.
    first = segment.mask(parse_filters(["cycle=1", "type=plan"]))
    assert segment.mask(parse_filters(["cycle=1", "type=plan"])) is first and not first.flags.writeable


def test_ties_are_ranked_by_chunk_id_whatever_the_segments(catalog: Catalog, tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "keyword", catalog)
    assert index.search("khuyến nghị", 5, []) == [] and index.ids() == []
    for n in (5, 8, 2):  # the same text three times, each document in a segment of its own
        add_document(catalog, n, chunks=1, texts=[PARAGRAPHS[0]])
        index.ensure_current()
    add_document(catalog, 1, chunks=1, texts=[PARAGRAPHS[1]])
    index.ensure_current()
    assert len(index._snap.segments) == 4  # type: ignore[union-attr]
    hits = index.search(PARAGRAPHS[0], 2, [])
    assert [cid for cid, _, _ in hits] == ["d2:0", "d5:0"] and hits[0][1] == hits[1][1] > 0


def test_the_previous_format_is_replaced(catalog: Catalog, tmp_path: Path) -> None:
    old = tmp_path / "keyword"
    (old / "bm25").mkdir(parents=True)
    (old / "ids.json").write_text(json.dumps({"version": "x", "ids": ["gone:0"]}))
    add_document(catalog, 1)
    index = KeywordIndex(old, catalog)
    assert sorted(index.ids()) == sorted(catalog.chunk_ids())
    assert not (old / "bm25").exists() and not (old / "ids.json").exists()
