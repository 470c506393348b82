"""Ingest: discover files, load, chunk, embed (cached) and write them to Chroma and the catalog.

Per file, in an order that survives a kill at any point:
1. journal the new document version in the catalog's ``pending`` table;
2. upsert its chunks into Chroma (deterministic ids ``doc_id:n``);
3. delete the old version's chunks from Chroma;
4. in one SQLite transaction: replace the document, its chunks (the keyword index's source)
   and its recommendation records, clear the journal entry, bump the catalog version.
On start-up, journal entries left by a killed run are rolled back (both versions removed
from Chroma and the catalog), so the next run re-indexes that file cleanly: no duplicate
or orphan chunk survives. Bad files are caught one by one and reported; the batch goes on.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

from assistant.config import Settings
from assistant.errors import AssistantError
from index.catalog import Catalog, ChunkRow
from index.filters import date_number, name_key
from index.keyword import VERSION_KEY
from index.records import RecordStore
from index.tokenize import keyword_tokens
from index.vector import VectorIndex
from ingest.chunking import Chunk, chunk_document
from ingest.embed import document_text
from ingest.loaders import SUPPORTED_SUFFIXES, LoadedDocument, load_file
from ingest.recommendations import Recommendation
from ingest.records_extract import records_for
from ingest.report import FileResult, IngestReport

log = logging.getLogger(__name__)
PIPELINE_VERSION = "2"  # 2: recommendation records
Progress = Callable[[str, int, int], None]  # (file name, files done, files total)


class Embedder(Protocol):
    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...


def discover(paths: Iterable[Path]) -> Iterator[tuple[Path, str]]:
    """(path, problem) for every candidate file under ``paths``; problem is '' when loadable."""
    seen: set[Path] = set()
    for root in paths:
        if not root.exists():
            yield root, "no such file or folder"
            continue
        candidates = [root] if root.is_file() else _walk(root)
        for path in candidates:
            explicit = path == root
            if path.name.endswith(".meta.json") or (not explicit and path.name.startswith(".")):
                continue
            try:
                str(path).encode("utf-8")
            except UnicodeEncodeError:
                yield path, "the file name is not valid UTF-8 (saved by another system?); rename the file"
                continue
            if path.is_symlink() and not path.exists():
                yield path, _broken_link(path)
                continue
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                if explicit:
                    supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
                    yield path, f"unsupported file type {path.suffix or '(none)'}; supported: {supported}"
                continue
            yield path, ""


def _walk(root: Path) -> Iterator[Path]:
    # followlinks=False: a symlink loop cannot trap the walk.
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file() or path.is_symlink():  # broken links too: discover() reports them
                yield path


def _broken_link(path: Path) -> str:
    try:
        path.resolve(strict=True)
    except RuntimeError:
        return "symbolic link loop: the link points back to itself"
    except OSError as exc:
        if "loop" in str(exc).lower() or getattr(exc, "errno", None) == 40:  # ELOOP
            return "symbolic link loop: the link points back to itself"
    return f"broken symbolic link: its target {os.readlink(path)!r} does not exist"


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Ingestor:
    """Runs ingest batches against one catalog and one vector collection."""

    def __init__(
        self, settings: Settings, catalog: Catalog, vectors: VectorIndex, embedder: Embedder, splitter: SentenceSplitter
    ) -> None:
        self.settings, self.catalog, self.vectors, self.embedder, self.splitter = (
            settings,
            catalog,
            vectors,
            embedder,
            splitter,
        )
        self.records = RecordStore(catalog.db)  # tables in the catalog: same transactions, deleted with docs
        s = settings
        self.pipeline_key = f"v{PIPELINE_VERSION}|{s.embed_identity}|{s.chunk_size}|{s.chunk_overlap}"

    def run(self, paths: list[Path], prune: bool = False, progress: Progress | None = None) -> IngestReport:
        """Ingest files and folders; never raises for a bad file, only reports it."""
        started = time.monotonic()
        report = IngestReport()
        self.recover()
        known = self.catalog.documents()
        todo = list(discover(paths))
        try:
            for done, (path, problem) in enumerate(todo):
                if progress:
                    progress(path.name, done, len(todo))
                result = FileResult(str(path), "failed", problem) if problem else self._one(path, known, report)
                report.results.append(result)
            if prune:
                report.results.extend(self._prune(known))
        except KeyboardInterrupt:
            report.interrupted = True
        if progress:
            progress("", len(todo), len(todo))
        report.seconds = time.monotonic() - started
        self.catalog.record_run(report.to_dict())
        return report

    def _one(self, path: Path, known: dict[str, dict[str, Any]], report: IngestReport) -> FileResult:
        source = str(path.resolve())
        try:
            size_mb = path.stat().st_size / 1e6
            if size_mb > self.settings.max_file_mb:
                return FileResult(
                    source,
                    "failed",
                    f"file is {size_mb:.0f} MB, over the {self.settings.max_file_mb} MB "
                    "limit (UPR_MAX_FILE_MB); split it or raise the limit",
                )
            content_hash = file_hash(path)
            old = known.get(source)
            doc_id = self._doc_id(source, content_hash)
            if old and old["doc_id"] == doc_id:
                return FileResult(source, "unchanged")
            doc = load_file(path)
            chunks = chunk_document(doc, self.splitter)
            kind, records = records_for(doc, chunks, doc_id)
            rows, nodes = self._prepare(doc, doc_id, chunks, report)
            self._write(doc_id, source, doc, rows, nodes, old, (kind, records))
        except AssistantError as exc:
            return FileResult(source, "failed", str(exc))
        except (OSError, ValueError, RuntimeError, UnicodeError, MemoryError) as exc:
            log.exception("ingest of %s failed", path)
            return FileResult(source, "failed", f"{type(exc).__name__}: {exc}")
        return FileResult(
            source, "indexed", chunks_added=len(rows), chunks_removed=old["n_chunks"] if old else 0,
            records=len(records),
        )

    def _doc_id(self, source: str, content_hash: str) -> str:
        return hashlib.sha256(f"{source}\0{content_hash}\0{self.pipeline_key}".encode()).hexdigest()[:20]

    def _prepare(
        self, doc: LoadedDocument, doc_id: str, chunks: list[Chunk], report: IngestReport
    ) -> tuple[list[ChunkRow], list[TextNode]]:
        base = chunk_base_metadata(doc.metadata)
        title = str(doc.metadata.get("title") or Path(doc.path).name)
        texts = [document_text(c.text, title) for c in chunks]
        missing = getattr(self.embedder, "count_missing", lambda t: len(t))(texts)
        vectors = self.embedder.embed_documents(texts)
        report.embedded += missing
        rows, nodes = [], []
        for chunk, vector in zip(chunks, vectors):
            cid = f"{doc_id}:{chunk.seq}"
            meta = {**base, **chunk.metadata, "seq": chunk.seq, "doc_id": doc_id}
            keywords = " ".join(keyword_tokens(f"{title}\n{chunk.text}"))
            rows.append(ChunkRow(cid, doc_id, chunk.seq, chunk.text, meta, keywords))
            node = TextNode(id_=cid, text=chunk.text, metadata=meta, embedding=vector)
            node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=doc_id)
            nodes.append(node)
        return rows, nodes

    def _write(
        self,
        doc_id: str,
        source: str,
        doc: LoadedDocument,
        rows: list[ChunkRow],
        nodes: list[TextNode],
        old: dict[str, Any] | None,
        records: tuple[str, list[Recommendation]],
    ) -> None:
        old_id = old["doc_id"] if old else None
        self.catalog.begin_pending(doc_id, source, old_id)
        self.vectors.add(nodes)
        if old_id:
            self.vectors.delete_document(old_id)
        record = {
            "doc_id": doc_id,
            "source": source,
            "file_name": Path(source).name,
            "content_hash": doc.content_hash,
            "metadata": {**doc.metadata, "pipeline": self.pipeline_key},
        }
        with self.catalog.transaction() as conn:
            self.catalog.put_document(conn, record, rows, old_id)
            if records[1]:
                self.records.put(conn, doc_id, records[1], records[0])
            self.catalog.clear_pending(conn, doc_id)
            self.catalog.set_state(conn, VERSION_KEY, uuid.uuid4().hex)

    def _prune(self, known: dict[str, dict[str, Any]]) -> list[FileResult]:
        results = []
        for source, info in known.items():
            if Path(source).exists():
                continue
            self._delete(info["doc_id"], source)
            results.append(FileResult(source, "removed", "file is gone", chunks_removed=info["n_chunks"]))
        return results

    def remove(self, source: str) -> FileResult:
        """Remove one indexed document (by its path or file name)."""
        for path, info in self.catalog.documents().items():
            if source in (path, info["file_name"]):
                self._delete(info["doc_id"], path)
                return FileResult(path, "removed", chunks_removed=info["n_chunks"])
        return FileResult(source, "failed", "no indexed document has that path or file name")

    def _delete(self, doc_id: str, source: str) -> None:
        """Remove a document from every store; journaled, so a kill half-way is finished by ``recover``."""
        self.catalog.begin_pending(doc_id, source, None)
        self.vectors.delete_document(doc_id)
        with self.catalog.transaction() as conn:
            self.catalog.delete_document(conn, doc_id)
            self.catalog.clear_pending(conn, doc_id)
            self.catalog.set_state(conn, VERSION_KEY, uuid.uuid4().hex)

    def recover(self) -> int:
        """Roll back document versions a killed run left half-written; returns how many."""
        pending = self.catalog.pending()
        for doc_id, _source, old_id in pending:
            for stale in {doc_id, old_id} - {None}:
                self.vectors.delete_document(stale)  # type: ignore[arg-type]
            with self.catalog.transaction() as conn:
                for stale in {doc_id, old_id} - {None}:
                    self.catalog.delete_document(conn, stale)  # type: ignore[arg-type]
                self.catalog.clear_pending(conn, doc_id)
                self.catalog.set_state(conn, VERSION_KEY, uuid.uuid4().hex)
        return len(pending)


def chunk_base_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    """Document metadata as stored on each chunk, plus the derived filter keys."""
    base = {k: v for k, v in meta.items() if v is not None and k != "pipeline"}
    if base.get("country"):
        base["country_key"] = name_key(str(base["country"]))
    date = base.get("date")
    if isinstance(date, str) and date[:4].isdigit():
        try:
            base["date_num"] = date_number(date)
            base["year"] = int(date[:4])
        except AssistantError:
            pass
    return base
