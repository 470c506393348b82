"""Embedding speed and agreement of the embedding backends on the same real passages.

    .venv/bin/python benchmarks/embed_bench.py [--passages 60] [--runs 3] [--backends torch,onnx-int8]

Passages are real chunks, made exactly as ingest makes them (chunker, title prompt), from
../shared/corpus/un-wg-reports/vietnam2014.pdf and the five seed texts, the first N in that
order. Every round embeds all of them once with every backend, one backend after the other
(interleaved, so a noisy neighbour on the machine slows all backends alike); the figures are
medians over the rounds. Torch always runs at fp32 (what ``embed_dtype=auto`` picks on a CPU
without bf16 units) and is the reference for cosine similarity, of passages and of the eval
set's questions (embedded with the query prompt). No cache is used. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import EMBED_BACKENDS, Settings
from evals.dataset import load_eval_set
from evals.runner import DEFAULT_SET
from ingest.chunking import chunk_document, make_splitter
from ingest.embed import document_text, load_encoder
from ingest.loaders import load_file

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SOURCES = [SHARED / "corpus" / "un-wg-reports" / "vietnam2014.pdf", *sorted((SHARED / "seeds").glob("*.txt"))]


def passages(settings: Settings, limit: int) -> list[str]:
    """The first ``limit`` chunk texts of the sources, prompted as ingest embeds them."""
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap, settings.embed_model_dir)
    texts: list[str] = []
    for path in SOURCES:
        doc = load_file(path)
        title = str(doc.metadata.get("title") or path.name)
        texts += [document_text(c.text, title) for c in chunk_document(doc, splitter)]
    return texts[:limit]


def timed_encode(model: Any, texts: list[str], batch_size: int) -> tuple[np.ndarray, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
    return np.asarray(vectors, dtype=np.float32), time.perf_counter() - wall, time.process_time() - cpu


def cosine_stats(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    cos = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {"mean": round(float(cos.mean()), 5), "min": round(float(cos.min()), 5)}


def rank_agreement(p_ref: np.ndarray, q_ref: np.ndarray, p: np.ndarray, q: np.ndarray) -> dict[str, float]:
    """For every question, does the backend pick the same best passage as torch among these passages?"""
    best_ref, best = (q_ref @ p_ref.T).argmax(axis=1), (q @ p.T).argmax(axis=1)
    return {"same_top1": round(float((best_ref == best).mean()), 4)}


def run(settings: Settings, backends: list[str], n_passages: int, runs: int) -> dict[str, Any]:
    texts = passages(settings, n_passages)
    questions = [item.question for item in load_eval_set(DEFAULT_SET)]
    models = {}
    load_s = {}
    for backend in backends:
        started = time.perf_counter()
        models[backend] = load_encoder(settings.embed_model_dir, settings.embed_threads, "float32", backend)
        load_s[backend] = round(time.perf_counter() - started, 2)
    tokenizer = models[backends[0]].tokenizer
    tokens = [len(tokenizer(t)["input_ids"]) for t in texts]
    wall: dict[str, list[float]] = {b: [] for b in backends}
    cpu: dict[str, list[float]] = {b: [] for b in backends}
    vectors: dict[str, np.ndarray] = {}
    load_avg = [os.getloadavg()[0]]
    for _ in range(runs):
        for backend in backends:
            vectors[backend], w, c = timed_encode(models[backend], texts, settings.embed_batch_size)
            wall[backend].append(w)
            cpu[backend].append(c)
            load_avg.append(os.getloadavg()[0])
    query_vectors, query_ms = {}, {}
    for backend in backends:
        started = time.perf_counter()
        query_vectors[backend] = np.stack(
            [models[backend].encode_query(q, normalize_embeddings=True) for q in questions]
        )
        query_ms[backend] = round(1000 * (time.perf_counter() - started) / len(questions), 1)
    ref = backends[0]
    results = {}
    for backend in backends:
        median_wall = statistics.median(wall[backend])
        results[backend] = {
            "passages_per_s": round(len(texts) / median_wall, 3),
            "tokens_per_s": round(sum(tokens) / median_wall, 1),
            "wall_s_runs": [round(x, 2) for x in wall[backend]],
            "cpu_s_runs": [round(x, 2) for x in cpu[backend]],
            "speedup_vs_" + ref: round(statistics.median(wall[ref]) / median_wall, 2),
            "speedup_per_round": [round(r / x, 2) for r, x in zip(wall[ref], wall[backend])],
            "cpu_speedup_vs_" + ref: round(statistics.median(cpu[ref]) / statistics.median(cpu[backend]), 2),
            "passage_cosine_vs_" + ref: cosine_stats(vectors[backend], vectors[ref]),
            "query_cosine_vs_" + ref: cosine_stats(query_vectors[backend], query_vectors[ref]),
            "top1_vs_" + ref: rank_agreement(
                vectors[ref], query_vectors[ref], vectors[backend], query_vectors[backend]
            ),
            "query_ms_mean": query_ms[backend],
            "load_s": load_s[backend],
        }
    return {
        "passages": len(texts),
        "tokens": {"mean": round(statistics.mean(tokens), 1), "max": max(tokens), "total": sum(tokens)},
        "questions": len(questions),
        "runs": runs,
        "batch_size": settings.embed_batch_size,
        "threads": settings.embed_threads,
        "cpu": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "load_avg_1min": {"min": min(load_avg), "max": max(load_avg)},
        "backends": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="torch,onnx-int8", help=f"comma-separated, from {EMBED_BACKENDS}")
    args = parser.parse_args()
    backends = ["torch", *[b for b in args.backends.split(",") if b and b != "torch"]]
    print(json.dumps(run(Settings.from_env(), backends, args.passages, args.runs), indent=2))


if __name__ == "__main__":
    main()
