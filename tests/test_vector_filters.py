"""Filtered dense search: the post-filtered wide search and Chroma's own filtered search give
the exact filtered nearest neighbours, whichever path a filter takes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index import vector
from index.filters import Condition
from index.vector import VectorIndex, connect

N, DIM, K = 600, 32, 10


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[VectorIndex, np.ndarray]:
    rng = np.random.default_rng(7)
    emb = rng.normal(size=(N, DIM)).astype(np.float32)
    index = VectorIndex(connect(Path(tmp_path_factory.mktemp("chroma"))), "filters")
    index.collection.upsert(
        ids=[f"c{i}" for i in range(N)],
        embeddings=emb.tolist(),
        metadatas=[{"half": i % 2, "tenth": i % 10, "doc_type": "a" if i % 3 else "b"} for i in range(N)],
    )
    return index, emb


def exact(emb: np.ndarray, q: np.ndarray, keep: list[int]) -> list[str]:
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    sims = unit[keep] @ (q / np.linalg.norm(q))
    return [f"c{keep[i]}" for i in np.argsort(-sims)[:K]]


@pytest.mark.parametrize(
    ("conditions", "keep", "chroma_filter"),
    [
        ([Condition("half", "==", 1)], lambda i: i % 2 == 1, False),  # 40 of the wide 80 match: post-filtered
        ([Condition("tenth", "==", 3)], lambda i: i % 10 == 3, True),  # ≈ 8 of 80 match: Chroma's filtered search
        ([Condition("doc_type", "==", "b"), Condition("half", "==", 0)], lambda i: i % 6 == 0, None),  # either
    ],
)
def test_filtered_search_finds_the_exact_filtered_neighbours(  # type: ignore[no-untyped-def]
    store, conditions, keep, chroma_filter, monkeypatch
) -> None:
    index, emb = store
    calls: list[bool] = []
    real = index._query
    monkeypatch.setattr(index, "_query", lambda e, k, f: calls.append(f is not None) or real(e, k, f))
    rng = np.random.default_rng(1)
    for _ in range(5):
        q = rng.normal(size=DIM).astype(np.float32)
        got = [cid for cid, _ in index.query(q.tolist(), K, conditions)]
        assert got == exact(emb, q, [i for i in range(N) if keep(i)])
    assert K * vector.OVERFETCH == 80
    if chroma_filter is not None:
        assert any(calls) is chroma_filter


def test_unfiltered_search_is_one_query(store) -> None:  # type: ignore[no-untyped-def]
    index, emb = store
    q = emb[5] + 0.01
    assert index.query(q.tolist(), K)[0][0] == "c5"
