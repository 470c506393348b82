"""Keyword index: build, load, small-ingest update, memory and query time at large sizes.

    .venv/bin/python benchmarks/keyword_bench.py --source-data-dir DIR [--sizes 100000 1000000]
        [--impls segments rebuild] [--memory-limit-gb 12]

A synthetic catalog of SIZE chunks is made of REAL chunks: those of an existing index (DIR,
e.g. built by `upr ingest data/sample evals/corpus --data-dir DIR`) copied, with their text,
metadata and keyword tokens, under new document and chunk ids. Each measurement runs in a
fresh process so that peak memory (``ru_maxrss``) is its own:

- ``build``: a first ``ensure_current`` on an empty keyword folder;
- ``load``: a new process opening the saved index;
- ``update``: after loading, one document (≈50 chunks) is added to the catalog, then one
  removed, each followed by ``ensure_current`` (what `upr ingest` of one file costs);
- ``query``: keyword search of every eval question, plain and with a filter.

``segments`` is index/keyword.py; ``rebuild`` is the previous implementation (one bm25s index
rebuilt after any change), taken from git (``--rebuild-from``, default HEAD).
Memory is peak RSS minus the RSS after imports; disk is the size of the keyword folder.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from evals.dataset import load_eval_set  # noqa: E402
from evals.runner import DEFAULT_SET  # noqa: E402
from index.catalog import Catalog, ChunkRow  # noqa: E402
from index.filters import parse_filters  # noqa: E402

VERSION_KEY = "chunks_version"


def make_catalog(source: Path, size: int, path: Path) -> None:
    """``size`` chunks: copies of the source catalog's documents under new ids."""
    src = Catalog(source / "catalog.sqlite")
    docs = src.documents()
    by_doc: dict[str, list[ChunkRow]] = {}
    for row in src.iter_chunks():
        by_doc.setdefault(row.doc_id, []).append(row)
    catalog = Catalog(path)
    made, copy = 0, 0
    while made < size:
        with catalog.transaction() as conn:
            for source_path, info in docs.items():
                rows = by_doc.get(info["doc_id"], [])[: size - made]
                if not rows:
                    continue
                doc_id = f"c{copy}-{info['doc_id']}"
                doc = {
                    "doc_id": doc_id,
                    "source": f"/synthetic/{copy}{source_path}",
                    "file_name": info["file_name"],
                    "content_hash": doc_id,
                    "metadata": info["metadata"],
                }
                copies = [ChunkRow(f"{doc_id}:{r.seq}", doc_id, r.seq, r.text, r.metadata, r.keywords) for r in rows]
                catalog.put_document(conn, doc, copies, None)
                made += len(copies)
        copy += 1
    with catalog.transaction() as conn:
        catalog.set_state(conn, VERSION_KEY, f"bench-{size}")
    catalog.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    catalog.close()


def keyword_class(impl: str, rebuild_from: str) -> Any:
    if impl == "segments":
        from index.keyword import KeywordIndex

        return KeywordIndex
    code = subprocess.run(
        ["git", "show", f"{rebuild_from}:index/keyword.py"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    module_path = Path(tempfile.mkdtemp(prefix="kwb-")) / "keyword_rebuild.py"
    module_path.write_text(code)
    spec = importlib.util.spec_from_file_location("keyword_rebuild", module_path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.KeywordIndex


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def add_document(catalog: Catalog, source: Path, tag: str) -> int:
    """One real document (the source's largest) under a new id, as an ingest would write it."""
    src = Catalog(source / "catalog.sqlite")
    info = max(src.documents().values(), key=lambda d: d["n_chunks"])
    rows = [r for r in src.iter_chunks() if r.doc_id == info["doc_id"]]
    doc_id = f"{tag}-{info['doc_id']}"
    doc = {
        "doc_id": doc_id,
        "source": f"/new/{tag}",
        "file_name": info["file_name"],
        "content_hash": doc_id,
        "metadata": info["metadata"],
    }
    with catalog.transaction() as conn:
        catalog.put_document(
            conn,
            doc,
            [ChunkRow(f"{doc_id}:{r.seq}", doc_id, r.seq, r.text, r.metadata, r.keywords) for r in rows],
            None,
        )
        catalog.set_state(conn, VERSION_KEY, uuid.uuid4().hex)
    return len(rows)


def worker(args: argparse.Namespace) -> dict[str, Any]:
    """One measurement in this (fresh) process."""
    if args.memory_limit_gb:
        limit = int(args.memory_limit_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    cls = keyword_class(args.impl, args.rebuild_from)
    from index.tokenize import keyword_tokens

    keyword_tokens("Việt Nam chấp thuận")  # pyvi loaded before the baseline
    catalog = Catalog(args.work / "catalog.sqlite")
    folder = args.work / f"keyword-{args.impl}"
    base = rss_mb()
    out: dict[str, Any] = {"impl": args.impl, "phase": args.phase, "rss_after_imports_mb": round(base)}
    index = cls(folder, catalog)
    t = time.perf_counter()
    try:
        index.ensure_current()
    except MemoryError:
        return {
            **out,
            "error": f"MemoryError under a {args.memory_limit_gb} GB address-space limit",
            "seconds_until_error": round(time.perf_counter() - t, 1),
        }
    out[f"{args.phase}_s"] = round(time.perf_counter() - t, 2)
    out["rss_loaded_mb"] = round(rss_mb() - base)
    if args.phase == "update":
        tag = uuid.uuid4().hex[:6]
        t = time.perf_counter()
        added = add_document(catalog, args.source_data_dir, tag)
        out["catalog_write_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        index.ensure_current()
        out["add_one_document_s"], out["chunks_added"] = round(time.perf_counter() - t, 2), added
        gone = next(iter(sorted(catalog.doc_ids())))
        with catalog.transaction() as conn:
            catalog.delete_document(conn, gone)
            catalog.set_state(conn, VERSION_KEY, uuid.uuid4().hex)
        t = time.perf_counter()
        index.ensure_current()
        out["remove_one_document_s"] = round(time.perf_counter() - t, 2)
        out["ids_equal_catalog"] = set(index.ids()) == catalog.chunk_ids()
    if args.phase == "query":
        questions = [i.question for i in load_eval_set(DEFAULT_SET)]
        for name, conditions in (("plain", []), ("filter", parse_filters(["type=wg_report", "cycle=2"]))):
            times = []
            for q in questions:
                t = time.perf_counter()
                index.search(q, 40, conditions)
                times.append(time.perf_counter() - t)
            times.sort()
            out[f"query_{name}_p50_ms"] = round(times[len(times) // 2] * 1000, 1)
            out[f"query_{name}_p95_ms"] = round(times[int(0.95 * (len(times) - 1))] * 1000, 1)
    out["peak_mb"] = round(peak_mb() - base)
    out["disk_mb"] = round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20)
    return out


def run_worker(args: argparse.Namespace, impl: str, phase: str, work: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--worker",
        phase,
        "--impl",
        impl,
        "--work",
        str(work),
        "--source-data-dir",
        str(args.source_data_dir),
        "--rebuild-from",
        args.rebuild_from,
    ]
    if args.memory_limit_gb:
        command += ["--memory-limit-gb", str(args.memory_limit_gb)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        return {"impl": impl, "phase": phase, "error": done.stderr.strip().splitlines()[-1:]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source-data-dir", type=Path, required=True)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--impls", nargs="+", default=["segments", "rebuild"], choices=["segments", "rebuild"])
    parser.add_argument("--phases", nargs="+", default=["build", "load", "update", "query"])
    parser.add_argument("--rebuild-from", default="HEAD", help="git revision of the previous implementation")
    parser.add_argument("--memory-limit-gb", type=float, default=0, help="address-space limit per measurement")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--impl", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        args.phase = args.worker
        print(json.dumps(worker(args)))
        return
    results: dict[str, Any] = {}
    for size in args.sizes:
        work = Path(tempfile.mkdtemp(prefix="upr-kwbench-"))
        try:
            t = time.perf_counter()
            make_catalog(args.source_data_dir, size, work / "catalog.sqlite")
            results[str(size)] = {"catalog_s": round(time.perf_counter() - t, 1)}
            for impl in args.impls:  # phases in order: update changes the catalog, query reads its result
                for phase in args.phases:
                    row = run_worker(args, impl, phase, work)
                    results[str(size)].setdefault(impl, {})[phase] = row
                    print(json.dumps({"size": size, **row}), flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
