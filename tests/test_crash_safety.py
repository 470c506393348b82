"""Crash safety of ingest (GitHub issue 9): SIGKILL an ingest at random points, again and again.

A worker process imports the project once and forks one child per ingest run, so each run
starts in well under a second; the test kills the child after a random (seeded) delay. Between
runs the test rewrites, deletes and restores files, so kills land in first writes, in
replacements of a changed file, in prunes and in the start-up recovery of the previous kill.

After every kill the index must open through the facade, report its status and answer a
search, and every disagreement between the stores must be explained by the journal (a
half-written document) or by a file that is gone. A last, uninterrupted run must then leave
exactly what a clean ingest of the same folder gives: the same documents and chunk ids in the
catalog, Chroma and the keyword index, with no duplicate and no orphan.
"""

from __future__ import annotations

import json
import os
import queue
import random
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.config import QueryOptions, Settings
from assistant.service import Assistant
from tests.conftest import REPO, SAMPLE, FakeEmbedder

KILLS = 10  # kills that must land in a running ingest
MAX_ROUNDS = 16  # a kill can come after the run has finished; those do not count
SEED = 20261123
EMBED_SECONDS_PER_TEXT = 0.05  # the fake embedder's pace: slow enough that kills land mid-ingest
QUESTION = "Việt Nam chấp thuận khuyến nghị UPR"

WORKER = textwrap.dedent(
    """
    import json, os, signal, sys, time
    from pathlib import Path

    sys.path.insert(0, sys.argv[1])
    from assistant.config import Settings
    from assistant.service import Assistant
    from index.tokenize import keyword_tokens
    from ingest.chunking import make_splitter
    from tests.conftest import FakeEmbedder
    import bm25s, ingest.pipeline

    # Load the tokenizers once, before forking (no store is opened here): each run then
    # starts in a fraction of a second and the kills land in ingest work, not in set-up.
    settings = Settings.from_env()
    make_splitter(settings.chunk_size, settings.chunk_overlap, settings.embed_model_dir)
    keyword_tokens("Việt Nam chấp thuận các khuyến nghị của Hội đồng Nhân quyền")

    class SlowEmbedder(FakeEmbedder):
        def embed_documents(self, texts):
            time.sleep(float(sys.argv[2]) * len(texts))
            return super().embed_documents(texts)

    def say(line):
        os.write(1, (line + "\\n").encode())

    def die_after(spec):
        # 'Catalog.begin_pending:2': SIGKILL this process right after that method's 2nd call returns.
        from index.catalog import Catalog
        from index.vector import VectorIndex

        name, count = spec.split(":")
        cls, method = {"Catalog": Catalog, "VectorIndex": VectorIndex}[name.split(".")[0]], name.split(".")[1]
        original, calls = getattr(cls, method), []

        def wrapper(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            calls.append(1)
            if len(calls) == int(count):
                say(f"dying after {spec}")
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        setattr(cls, method, wrapper)

    say("ready")
    while line := sys.stdin.readline():
        data_dir, inputs, die_at = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                if die_at:
                    die_after(die_at)
                assistant = Assistant(Settings.from_env(data_dir=Path(data_dir)), embedder=SlowEmbedder())
                say(f"started {os.getpid()}")
                progress = lambda name, done, total: say(f"file {done}/{total} {name}")
                report = assistant.ingest([Path(inputs)], prune=True, progress=progress)
                say("done " + json.dumps({k: v for k, v in report.to_dict().items() if k != "files"}))
                os._exit(0)
            except BaseException as exc:
                say(f"error {type(exc).__name__}: {' '.join(str(exc).split())}")
                os._exit(1)
        # The child is reaped only after the kill: until then its pid cannot be reused.
        if sys.stdin.readline().strip() == "kill":
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        say(f"exit {status}")
    """
)


class Worker:
    """The forking worker process and a reader thread for its output lines."""

    def __init__(self, tmp: Path) -> None:
        script = tmp / "ingest_worker.py"
        script.write_text(WORKER, encoding="utf-8")
        self.log = (tmp / "worker.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(script), str(REPO), str(EMBED_SECONDS_PER_TEXT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env={**os.environ, "TOKENIZERS_PARALLELISM": "false"},  # tokenizers must not start threads before fork
            text=True,
            cwd=tmp,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        assert self.next_line(120) == "ready"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def next_line(self, timeout: float) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"worker said nothing for {timeout} s") from None

    def start(self, data_dir: Path, inputs: Path, die_at: str = "") -> float:
        """Fork an ingest of ``inputs`` into ``data_dir`` (dying at ``die_at``); when it started."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps([str(data_dir), str(inputs), die_at]) + "\n")
        self.proc.stdin.flush()
        line = self.next_line(60)
        assert line.startswith("started "), line
        return time.monotonic()

    def finish(self, kill: bool = False) -> tuple[list[str], str]:
        """(what the child said after 'started', its exit line: 'exit 0', or 'exit 9' when killed)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write("kill\n" if kill else "wait\n")
        self.proc.stdin.flush()
        said = []
        while not (line := self.next_line(120)).startswith("exit "):
            said.append(line)
        return said, line

    def run(self, data_dir: Path, inputs: Path) -> tuple[dict[str, object], float]:
        """An uninterrupted ingest: its report totals and how long it took."""
        started = self.start(data_dir, inputs)
        said, code = self.finish()
        assert said and said[-1].startswith("done ") and code == "exit 0", (said, code)
        return json.loads(said[-1][5:]), time.monotonic() - started

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.log.close()


def make_corpus(folder: Path) -> None:
    """Ten small documents: the five sample news seeds and five short English notes."""
    folder.mkdir()
    for seed in sorted(SAMPLE.glob("*.txt")):
        shutil.copy(seed, folder / seed.name)
    for n in range(5):
        paragraphs = [
            f"Note {n}, paragraph {p}: the Working Group on the Universal Periodic Review examined Viet Nam; "
            f"the State accepted recommendations on theme {n * 10 + p} and reported on their follow-up."
            for p in range(12)
        ]
        (folder / f"note-{n}.md").write_text("\n\n".join(paragraphs), encoding="utf-8")


def mutate(folder: Path, rng: random.Random, round_: int, parked: Path) -> None:
    """Rewrite a few files (each becomes a new document version); delete or restore one."""
    for path in rng.sample(sorted(p for p in folder.iterdir() if p.is_file()), 4):
        extra = f"\n\nCập nhật lần {round_}: Việt Nam tiếp tục thực hiện các khuyến nghị UPR ({rng.random():.6f})."
        path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    if round_ % 4 == 1:
        victim = rng.choice(sorted(folder.glob("note-*.md")))
        shutil.move(victim, parked / victim.name)
    elif round_ % 4 == 3:
        for path in parked.iterdir():
            shutil.move(path, folder / path.name)


@dataclass
class Stores:
    """What one data dir holds, read through the facade and its stores."""

    documents: dict[str, str]  # source -> doc_id
    n_chunks: dict[str, int]  # doc_id -> chunk count the catalog claims
    catalog: set[str]
    chroma: set[str]
    chroma_docs: set[str]  # doc ids on Chroma's chunks
    keyword: set[str]
    pending: set[str]  # doc ids (new and old versions) in the journal
    texts: dict[str, str]  # chunk id -> text


class OpenStores:
    """Opens a data dir through the facade and reads every store; ``close`` lets go of them all,
    so the next run's process has the files to itself (Chroma caches clients per path)."""

    def __init__(self) -> None:
        self.opened: list[Assistant] = []

    def __call__(self, data_dir: Path) -> tuple[Assistant, Stores]:
        assistant = Assistant(Settings.from_env(data_dir=data_dir), embedder=FakeEmbedder())
        self.opened.append(assistant)
        docs = assistant.catalog.documents()
        got = assistant.vectors.collection.get(include=["metadatas"])
        return assistant, Stores(
            documents={src: info["doc_id"] for src, info in docs.items()},
            n_chunks={info["doc_id"]: info["n_chunks"] for info in docs.values()},
            catalog=assistant.catalog.chunk_ids(),
            chroma=set(got["ids"]),
            chroma_docs={str(m.get("doc_id")) for m in got["metadatas"] or []},
            keyword=set(assistant.keyword.ids()),
            pending={d for row in assistant.catalog.pending() for d in (row[0], row[2]) if d},
            texts={row.chunk_id: row.text for row in assistant.catalog.iter_chunks()},
        )

    def close(self) -> None:
        from chromadb.api.shared_system_client import SharedSystemClient

        for assistant in self.opened:
            assistant.catalog.close()
        self.opened.clear()
        SharedSystemClient.clear_system_cache()


@pytest.fixture
def open_stores() -> Iterator[OpenStores]:
    stores = OpenStores()
    yield stores
    stores.close()


def check_after_kill(assistant: Assistant, stores: Stores, inputs: Path) -> None:
    """The index opens, answers, and every disagreement between the stores is explained."""
    status = assistant.status()
    assert status["documents"] == len(stores.documents)
    hits = assistant.search(QUESTION, QueryOptions(mode="hybrid"))
    if stores.catalog:
        assert hits, "a search over a non-empty index found nothing"
        assert all(p.chunk_id in stores.catalog for p in hits)
    assert stores.keyword == stores.catalog, "the keyword index differs from the catalog"
    gone = {doc_id for src, doc_id in stores.documents.items() if not Path(src).exists()}
    explained = stores.pending | gone
    orphans = {cid.rsplit(":", 1)[0] for cid in stores.chroma - stores.catalog}
    missing = {cid.rsplit(":", 1)[0] for cid in stores.catalog - stores.chroma}
    assert orphans <= explained, f"Chroma chunks of documents neither indexed nor journaled: {orphans - explained}"
    assert missing <= explained, f"catalog chunks missing from Chroma, unexplained: {missing - explained}"
    assert all(Path(src).parent == inputs.resolve() for src in stores.documents)


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    worker = Worker(tmp_path_factory.mktemp("worker"))
    yield worker
    worker.close()


def check_final(worker: Worker, open_stores: OpenStores, data_dir: Path, inputs: Path, clean: Path) -> None:
    """After one more uninterrupted run the index equals a clean ingest of the same folder."""
    final, _ = worker.run(data_dir, inputs)
    assert final["failed"] == 0, final
    worker.run(clean, inputs)
    _, got = open_stores(data_dir)
    _, want = open_stores(clean)
    assert set(got.documents) == {str(p.resolve()) for p in inputs.iterdir()}
    assert got.documents == want.documents
    assert got.catalog == want.catalog == got.chroma == got.keyword, "stores disagree after the final run"
    assert got.texts == want.texts
    assert not got.pending
    assert got.chroma_docs == set(got.documents.values())
    for doc_id, n in got.n_chunks.items():  # no gaps and no duplicates in any document's chunks
        assert {cid for cid in got.catalog if cid.startswith(f"{doc_id}:")} == {f"{doc_id}:{i}" for i in range(n)}


def test_sigkill_at_random_points_never_corrupts_the_index(
    tmp_path: Path, worker: Worker, open_stores: OpenStores
) -> None:
    rng = random.Random(SEED)
    inputs, parked, data_dir = tmp_path / "docs", tmp_path / "parked", tmp_path / "data"
    make_corpus(inputs)
    parked.mkdir()
    first, full_run = worker.run(data_dir, inputs)
    assert first["indexed"] == 10 and first["failed"] == 0, first
    kills: list[str] = []  # where each kill landed: the last file the run had started
    for round_ in range(MAX_ROUNDS):
        if len(kills) == KILLS:
            break
        mutate(inputs, rng, round_, parked)
        delay = rng.uniform(0.0, full_run)
        started = worker.start(data_dir, inputs)
        time.sleep(max(0.0, started + delay - time.monotonic()))
        said, code = worker.finish(kill=True)
        assert not any(line.startswith("error") for line in said), said
        if not any(line.startswith("done") for line in said):
            assert code == "exit 9", (said, code)
            kills.append(said[-1] if said else "set-up")
        check_after_kill(*open_stores(data_dir), inputs)
        open_stores.close()
    assert len(kills) == KILLS, f"only {len(kills)} of {MAX_ROUNDS} kills hit a running ingest: {kills}"
    check_final(worker, open_stores, data_dir, inputs, tmp_path / "clean")


# Each step of the write order, hit on purpose (counts include the recovery's own calls).
STEPS = (
    ("rewrite", "Catalog.begin_pending:2"),  # 1st file replaced, 2nd only journaled
    ("", "VectorIndex.delete_document:1"),  # in recovery: Chroma cleaned, catalog not yet
    ("", "VectorIndex.add:1"),  # the rolled-back file's new version in Chroma, not in the catalog
    ("rewrite", "VectorIndex.delete_document:2"),  # a replacement: old version gone from Chroma only
    ("", "Catalog.clear_pending:1"),  # inside the recovery's SQLite transaction, before commit
    ("", "Catalog.put_document:1"),  # inside a document's SQLite transaction, before commit
    ("clean", ""),
    ("delete", "VectorIndex.delete_document:1"),  # prune: chunks gone from Chroma, document not yet
)


def test_sigkill_at_each_step_of_the_write_order(tmp_path: Path, worker: Worker, open_stores: OpenStores) -> None:
    rng = random.Random(SEED + 1)
    inputs, data_dir = tmp_path / "docs", tmp_path / "data"
    make_corpus(inputs)
    worker.run(data_dir, inputs)
    for round_, (change, die_at) in enumerate(STEPS):
        if change == "rewrite":
            for path in rng.sample(sorted(inputs.iterdir()), 3):
                path.write_text(path.read_text(encoding="utf-8") + f"\n\nPhiên bản {round_}.", encoding="utf-8")
        elif change == "delete":
            (inputs / "note-3.md").unlink()
        worker.start(data_dir, inputs, die_at)
        said, code = worker.finish()
        if die_at:
            assert f"dying after {die_at}" in said and code == "exit 9", (die_at, said, code)
        else:
            assert code == "exit 0", said
        check_after_kill(*open_stores(data_dir), inputs)
        open_stores.close()
    check_final(worker, open_stores, data_dir, inputs, tmp_path / "clean")


def test_a_file_restored_after_a_killed_prune_is_indexed_again(
    tmp_path: Path, worker: Worker, open_stores: OpenStores
) -> None:
    inputs, parked, data_dir = tmp_path / "docs", tmp_path / "parked", tmp_path / "data"
    make_corpus(inputs)
    parked.mkdir()
    worker.run(data_dir, inputs)
    shutil.move(inputs / "note-3.md", parked / "note-3.md")
    worker.start(data_dir, inputs, "VectorIndex.delete_document:1")  # the prune's delete
    said, code = worker.finish()
    assert code == "exit 9", said
    shutil.move(parked / "note-3.md", inputs / "note-3.md")  # e.g. a network drive that was briefly gone
    check_final(worker, open_stores, data_dir, inputs, tmp_path / "clean")
