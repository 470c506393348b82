"""Filtered dense search: searching among the ids a filter allows (the embedded store's path)
and Chroma's own metadata filter (the server's path) both give the exact filtered neighbours."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.filters import Condition, matches
from index.vector import VectorIndex, connect

N, DIM, K = 600, 32, 10
META = [{"half": i % 2, "tenth": i % 10, "doc_type": "a" if i % 3 else "b"} for i in range(N)]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[VectorIndex, np.ndarray]:
    emb = np.random.default_rng(7).normal(size=(N, DIM)).astype(np.float32)
    index = VectorIndex(connect(Path(tmp_path_factory.mktemp("chroma"))), "filters")
    index.collection.upsert(ids=[f"c{i}" for i in range(N)], embeddings=emb.tolist(), metadatas=META)
    return index, emb


def exact(emb: np.ndarray, q: np.ndarray, keep: list[int]) -> list[str]:
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    sims = unit[keep] @ (q / np.linalg.norm(q))
    return [f"c{keep[i]}" for i in np.argsort(-sims)[:K]]


@pytest.mark.parametrize(
    "conditions",
    [
        [Condition("half", "==", 1)],
        [Condition("tenth", "==", 3)],
        [Condition("doc_type", "==", "b"), Condition("half", "==", 0)],
        [Condition("tenth", "==", 42)],  # nothing meets it
    ],
)
def test_both_filter_paths_find_the_exact_filtered_neighbours(store, conditions) -> None:  # type: ignore[no-untyped-def]
    index, emb = store
    keep = [i for i in range(N) if matches(META[i], conditions)]
    rng = np.random.default_rng(1)
    for _ in range(5):
        q = rng.normal(size=DIM).astype(np.float32).tolist()
        by_ids = index.query(q, K, conditions, lambda: [f"c{i}" for i in keep])
        by_where = index.query(q, K, conditions)
        assert [cid for cid, _ in by_ids] == exact(emb, np.array(q), keep) if keep else by_ids == []
        assert [(c, round(s, 5)) for c, s in by_ids] == [(c, round(s, 5)) for c, s in by_where]


def test_a_server_gets_the_filter_not_the_id_list(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    index, _ = store
    monkeypatch.setattr(index, "remote", True)
    listed: list[bool] = []
    q = np.ones(DIM).tolist()
    hits = index.query(q, K, [Condition("half", "==", 1)], lambda: listed.append(True) or [])  # type: ignore[func-returns-value]
    assert not listed and len(hits) == K and all(int(c[1:]) % 2 == 1 for c, _ in hits)


def test_an_unfiltered_search_of_a_small_collection_is_exact(tmp_path: Path) -> None:
    """Below Chroma's sync threshold the HNSW graph is rebuilt in every process and its answer's
    tail varied between runs; a small collection is searched whole, so the top k is exact."""
    n, dim, k = 990, 768, 40
    emb = np.random.default_rng(11).normal(size=(n, dim)).astype(np.float32)
    index = VectorIndex(connect(tmp_path / "chroma"), "small")
    index.collection.upsert(ids=[f"c{i}" for i in range(n)], embeddings=emb.tolist())
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    rng = np.random.default_rng(3)
    for _ in range(20):
        q = rng.normal(size=dim).astype(np.float32)
        want = [f"c{i}" for i in np.argsort(-(unit @ (q / np.linalg.norm(q))))[:k]]
        assert [cid for cid, _ in index.query(q.tolist(), k)] == want
