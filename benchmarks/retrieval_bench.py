"""Retrieval latency (dense, keyword, hybrid, hybrid with a filter) at growing collection sizes.

    .venv/bin/python benchmarks/retrieval_bench.py --source-data-dir DIR [--sizes 1000 10000 100000] [--keep KEEP]

A large collection is built from REAL chunks: the chunks of an existing index (DIR, e.g. one
built by `upr ingest data/sample evals/corpus --data-dir DIR`) are replicated with new ids until
the size is reached; each copy re-uses the original's embedding plus small Gaussian noise (so
HNSW sees distinct points) and the original's keyword tokens. Queries are the eval set's
questions, embedded once up front: the figures are retrieval only (query embedding is ≈50 ms
more, measured separately and printed).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.retrieval import HybridSearch
from evals.dataset import load_eval_set
from evals.runner import DEFAULT_SET
from index.catalog import Catalog, ChunkRow
from index.filters import parse_filters
from index.keyword import VERSION_KEY, KeywordIndex
from index.vector import VectorIndex, connect
from ingest.embed import CachedSTEmbedding


def build(source: Path, size: int, work: Path) -> tuple[Catalog, VectorIndex, KeywordIndex]:
    src_catalog = Catalog(source / "catalog.sqlite")
    src_vectors = VectorIndex(connect(source / "chroma"), Settings.from_env().collection)
    rows = list(src_catalog.iter_chunks())
    got = src_vectors.collection.get(ids=[r.chunk_id for r in rows], include=["embeddings"])
    vec = {cid: np.asarray(e, dtype=np.float32) for cid, e in zip(got["ids"], got["embeddings"])}
    catalog = Catalog(work / "catalog.sqlite")
    vectors = VectorIndex(connect(work / "chroma"), "bench")
    rng = np.random.default_rng(0)
    copies = -(-size // len(rows))
    made = 0
    for c in range(copies):
        batch = rows[: min(len(rows), size - made)]
        doc_rows = [ChunkRow(f"c{c}-{r.chunk_id}", f"c{c}-{r.doc_id}", r.seq, r.text, r.metadata, r.keywords)
                    for r in batch]
        embs = [vec[r.chunk_id] + rng.normal(0, 0.01, vec[r.chunk_id].shape).astype(np.float32) for r in batch]
        with catalog.transaction() as conn:
            docs = {r.doc_id for r in doc_rows}
            for d in docs:
                conn.execute("INSERT OR IGNORE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (d, d, d, d, "{}", 0, 0.0))
            conn.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
                             [(r.chunk_id, r.doc_id, r.seq, r.text, json.dumps(r.metadata), r.keywords)
                              for r in doc_rows])
        for start in range(0, len(doc_rows), 2000):
            part = doc_rows[start : start + 2000]
            vectors.collection.upsert(ids=[r.chunk_id for r in part],
                                      embeddings=[e.tolist() for e in embs[start : start + 2000]],
                                      metadatas=[{k: v for k, v in {**r.metadata, "doc_id": r.doc_id}.items()
                                                  if isinstance(v, (str, int, float))} for r in part])
        made += len(batch)
    with catalog.transaction() as conn:
        catalog.set_state(conn, VERSION_KEY, f"bench-{size}")
    keyword = KeywordIndex(work / "keyword", catalog)
    keyword.ensure_current()
    return catalog, vectors, keyword


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def open_built(work: Path) -> tuple[Catalog, VectorIndex, KeywordIndex]:
    catalog = Catalog(work / "catalog.sqlite")
    return catalog, VectorIndex(connect(work / "chroma"), "bench"), KeywordIndex(work / "keyword", catalog)


def bench(size: int, source: Path, queries: list[tuple[str, list[float]]], keep: Path | None) -> dict[str, object]:
    work = keep / str(size) if keep else Path(tempfile.mkdtemp(prefix="upr-rbench-"))
    try:
        t0 = time.perf_counter()
        if keep and (work / "built").exists():
            catalog, vectors, keyword = open_built(work)
        else:
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            catalog, vectors, keyword = build(source, size, work)
            if keep:
                (work / "built").write_text(str(size))
        build_s = time.perf_counter() - t0
        qvec = dict(queries)
        search = HybridSearch(catalog, vectors, keyword, lambda q: qvec[q], candidate_k=40)
        out: dict[str, object] = {"chunks": vectors.count(), "build_s": round(build_s, 1)}
        cases = {"dense": ("dense", []), "keyword": ("keyword", []), "hybrid": ("hybrid", []),
                 "hybrid+filter": ("hybrid", parse_filters(["type=wg_report", "cycle=2"]))}
        for name, (mode, conds) in cases.items():
            times = []
            for q, _ in queries * 2:
                t = time.perf_counter()
                search.retrieve(q, 5, conds, mode)
                times.append(time.perf_counter() - t)
            out[name] = {"p50_ms": round(pct(times, 0.5), 1), "p95_ms": round(pct(times, 0.95), 1)}
        return out
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source-data-dir", type=Path, required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--keep", type=Path, default=None,
                        help="build each size under KEEP/SIZE and keep it; a later run re-uses it "
                        "(build_s is then the time to open it)")
    args = parser.parse_args()
    settings = Settings.from_env()
    embedder = CachedSTEmbedding(settings.embed_model_dir, None, dtype=settings.embed_dtype)
    questions = [i.question for i in load_eval_set(DEFAULT_SET)]
    t = time.perf_counter()
    queries = [(q, embedder.get_query_embedding(q)) for q in questions]
    embed_ms = (time.perf_counter() - t) / len(questions) * 1000
    results = {"query_embedding_mean_ms": round(embed_ms, 1), "queries": len(queries)}
    for size in args.sizes:
        results[str(size)] = bench(size, args.source_data_dir, queries, args.keep)
        print(json.dumps({str(size): results[str(size)]}), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
