"""Ingest throughput vs the raw model encode throughput on the same texts.

    .venv/bin/python benchmarks/ingest_bench.py [--reports 10] [--runs 1]

Ingests the five seeds plus the first N UN Working Group report PDFs (alphabetical) from
../shared/corpus/un-wg-reports into a temporary data dir with an EMPTY embedding cache
(so every chunk is really embedded), then times ``encode`` of the very same chunk texts
directly. The ratio is the pipeline's overhead (loading, cleaning, chunking, writing).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from assistant.config import Settings
from assistant.service import Assistant
from ingest.embed import CachedSTEmbedding, document_text

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def corpus(n_reports: int, work: Path) -> Path:
    folder = work / "corpus"
    folder.mkdir()
    for seed in sorted((SHARED / "seeds").glob("*.txt")):
        shutil.copy(seed, folder / seed.name)
    for pdf in sorted((SHARED / "corpus" / "un-wg-reports").glob("*.pdf"))[:n_reports]:
        shutil.copy(pdf, folder / pdf.name)
    return folder


def one_run(n_reports: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="upr-bench-"))
    try:
        base = Settings.from_env()
        settings = base.replace(data_dir=work / "data")
        embedder = CachedSTEmbedding(
            settings.embed_model_dir,
            work / "cache.sqlite",
            settings.embed_batch_size,
            settings.embed_threads,
            settings.embed_dtype,
        )
        _ = embedder.model  # load outside the timed region; load time is reported by MODELS.md
        assistant = Assistant(settings, embedder=embedder)
        folder = corpus(n_reports, work)
        t0 = time.perf_counter()
        report = assistant.ingest([folder])
        ingest_s = time.perf_counter() - t0
        rows = list(assistant.catalog.iter_chunks())
        titles = {d["doc_id"]: d["metadata"].get("title") for d in assistant.catalog.documents().values()}
        texts = [document_text(r.text, titles.get(r.doc_id)) for r in rows]
        tokenizer = embedder.model.tokenizer
        tokens = sum(len(tokenizer(t)["input_ids"]) for t in texts)
        t1 = time.perf_counter()
        embedder.model.encode(texts, batch_size=settings.embed_batch_size, normalize_embeddings=True)
        encode_s = time.perf_counter() - t1
        docs = len(report.by_status("indexed"))
        return {
            "documents": docs,
            "failed": len(report.by_status("failed")),
            "chunks": len(rows),
            "tokens": tokens,
            "ingest_s": ingest_s,
            "encode_s": encode_s,
            "docs_per_s": docs / ingest_s,
            "chunks_per_s": len(rows) / ingest_s,
            "tokens_per_s": tokens / ingest_s,
            "raw_chunks_per_s": len(rows) / encode_s,
            "overhead_ratio": ingest_s / encode_s,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=10)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    runs = [one_run(args.reports) for _ in range(args.runs)]
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(json.dumps({"runs": len(runs), "median": median}, indent=2))


if __name__ == "__main__":
    main()
