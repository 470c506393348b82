"""Documents, chunks and tokens of a whole corpus without embedding anything: the basis for
extrapolating ingest time from the measured chunks/s (see BENCHMARKS.md).

    .venv/bin/python benchmarks/corpus_stats.py ../shared/corpus/un-wg-reports [more folders]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from tqdm import tqdm

from assistant.config import Settings
from assistant.errors import AssistantError
from ingest.chunking import chunk_document, make_splitter, token_counter
from ingest.loaders import load_file
from ingest.pipeline import discover


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args()
    s = Settings.from_env()
    splitter = make_splitter(s.chunk_size, s.chunk_overlap, s.embed_model_dir)
    count = token_counter(str(s.embed_model_dir))
    docs = chunks = tokens = 0
    failed: dict[str, str] = {}
    started = time.perf_counter()
    for path, problem in tqdm(list(discover(args.paths)), unit="file"):
        if problem:
            failed[path.name] = problem
            continue
        try:
            pieces = chunk_document(load_file(path), splitter)
        except AssistantError as exc:
            failed[path.name] = str(exc)
            continue
        docs += 1
        chunks += len(pieces)
        tokens += sum(len(count(c.text)) for c in pieces)
    print(json.dumps({"documents": docs, "chunks": chunks, "tokens": tokens, "failed": failed,
                      "load_and_chunk_s": round(time.perf_counter() - started, 1)}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
