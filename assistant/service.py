"""The one facade that the CLI, the Gradio UI and the eval runner all call."""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

from assistant.config import QueryOptions, Settings
from assistant.types import Answer, Passage
from index.catalog import Catalog
from index.filters import parse_filters
from index.keyword import KeywordIndex
from index.records import RecordFilter, RecordStore
from index.vector import VectorIndex, connect
from ingest.report import FileResult, IngestReport

log = logging.getLogger(__name__)


class Assistant:
    """Ingest, search and answer over one data dir. Heavy parts load on first use."""

    def __init__(self, settings: Settings | None = None, embedder: Any = None) -> None:
        self.settings = settings or Settings.from_env()
        self._embedder = embedder
        self._ingest_lock = threading.Lock()

    # --- components (lazy: `upr status` must not load a 1 GB model) ----------------------
    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.settings.data_dir / "catalog.sqlite")

    @cached_property
    def vectors(self) -> VectorIndex:
        client = connect(self.settings.chroma_dir, self.settings.chroma_url)
        return VectorIndex(client, self.settings.collection, owner=self.catalog.instance_id())

    @cached_property
    def keyword(self) -> KeywordIndex:
        return KeywordIndex(self.settings.data_dir / "keyword", self.catalog)

    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            from ingest.embed import CachedSTEmbedding

            self._embedder = CachedSTEmbedding.from_settings(self.settings)
        return self._embedder

    @cached_property
    def search_engine(self) -> Any:
        from assistant.retrieval import HybridSearch
        from assistant.status import embedding_mismatch

        problem = embedding_mismatch(self.settings, self.catalog)
        if problem:  # answers still come, but dense scores mean little: say so once
            log.warning("%s", problem)
        return HybridSearch(
            self.catalog, self.vectors, self.keyword, self.embedder.get_query_embedding, self.settings.candidate_k
        )

    @cached_property
    def answerer(self) -> Any:
        from assistant.answering import Answerer

        return Answerer(self.settings, self.retrieve_with_trace)

    # --- ingest ----------------------------------------------------------------------------
    def ingest(
        self,
        paths: list[Path],
        prune: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
        embed_progress: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Index files and folders incrementally; bad files are reported, never fatal."""
        from ingest.chunking import make_splitter
        from ingest.pipeline import Ingestor

        s = self.settings
        with self._ingest_lock:
            if hasattr(self.embedder, "set_progress"):
                self.embedder.set_progress(embed_progress)
            ingestor = Ingestor(
                s,
                self.catalog,
                self.vectors,
                self.embedder,
                make_splitter(s.chunk_size, s.chunk_overlap, s.embed_model_dir),
            )
            report = ingestor.run([Path(p) for p in paths], prune=prune, progress=progress)
            self.keyword.ensure_current()
        return report

    def remove(self, source: str) -> FileResult:
        """Remove one document from every store."""
        from ingest.pipeline import Ingestor

        with self._ingest_lock:
            result = Ingestor(self.settings, self.catalog, self.vectors, self.embedder, None).remove(source)  # type: ignore[arg-type]
            self.keyword.ensure_current()
        return result

    def is_empty(self) -> bool:
        return self.catalog.count_chunks() == 0

    def status(self) -> dict[str, Any]:
        from assistant.status import index_status

        return index_status(self.settings, self.catalog, self.vectors, self.keyword)

    def fingerprint(self) -> dict[str, Any]:
        from assistant.status import fingerprint

        return fingerprint(self.settings, self.catalog)

    def documents(self) -> list[dict[str, Any]]:
        """One row per indexed document, for the Documents tab and `upr status`."""
        rows = []
        for source, info in sorted(self.catalog.documents().items(), key=lambda kv: kv[1]["file_name"]):
            meta = info["metadata"]
            rows.append(
                {
                    "file_name": info["file_name"],
                    "title": meta.get("title"),
                    "doc_type": meta.get("doc_type"),
                    "date": meta.get("date"),
                    "language": meta.get("language"),
                    "cycle": meta.get("cycle"),
                    "chunks": info["n_chunks"],
                    "source": source,
                }
            )
        return rows

    # --- search and answers --------------------------------------------------------------
    def retrieve_with_trace(self, question: str, options: QueryOptions) -> tuple[list[Passage], Any]:
        """Passages and the retrieval evidence (for refusals)."""
        conditions = parse_filters(options.filters)
        top_k = options.top_k or self.settings.top_k
        nodes, trace = self.search_engine.retrieve(question, top_k, conditions, options.mode)
        passages = [
            Passage(n.node.node_id, n.node.get_content(), float(n.score or 0.0), dict(n.node.metadata)) for n in nodes
        ]
        return passages, trace

    def search(self, question: str, options: QueryOptions | None = None) -> list[Passage]:
        """Ranked passages for a question (what `upr search` prints)."""
        return self.retrieve_with_trace(question, options or QueryOptions())[0]

    def ask(
        self, question: str, options: QueryOptions | None = None, history: list[tuple[str, str]] | None = None
    ) -> Answer:
        """A grounded answer with validated citations, or an evidence-based refusal."""
        answer = None
        for event in self.stream(question, options, history):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    @cached_property
    def records(self) -> RecordStore:
        return RecordStore(self.catalog.db)

    def recs(self, flt: RecordFilter, limit: int | None = None) -> tuple[int, list[dict[str, Any]]]:
        """(how many records match, the first ``limit`` of them): `upr recs` and the Recommendations tab."""
        return self.records.count(flt), self.records.query(flt, limit=limit)

    def _records(
        self, question: str, options: QueryOptions, history: list[tuple[str, str]]
    ) -> tuple[Answer, str] | None:
        """(exact answer, intent) of a counting/listing question about recommendations, if the records have it."""
        if options.filters or options.mode not in (None, "", "hybrid"):
            return None  # an explicit retrieval scope or mode asks for passages, not records
        from assistant.followup import standalone_question
        from assistant.records_answer import answer_from_records
        from assistant.records_route import route
        from ingest.metadata import detect_language

        question = unicodedata.normalize("NFC", question.strip())
        standalone = standalone_question(question, history)
        rq = route(standalone)
        if rq is None:
            return None
        answer = answer_from_records(self.records, self.catalog, rq, question, detect_language(question))
        if answer is None:
            return None
        answer.standalone_question = standalone
        return answer, rq.intent

    def stream(
        self, question: str, options: QueryOptions | None = None, history: list[tuple[str, str]] | None = None
    ) -> Iterator[str | Answer]:
        """Yields answer text pieces as they are generated, then the final ``Answer``."""
        started = time.monotonic()
        options = options or QueryOptions()
        exact = self._records(question, options, history or [])
        if exact is not None and exact[1] != "count":  # a list from the records says it all
            exact[0].timings["total_s"] = round(time.monotonic() - started, 3)
            yield exact[0].answer
            yield exact[0]
            return
        for event in self.answerer.stream(question, options, history or []):
            if isinstance(event, Answer):
                if exact is not None:  # counts: what the documents say, then what the records count
                    from assistant.records_answer import combine

                    event = combine(event, exact[0])
                    yield "\n\n" + exact[0].answer
                event.timings["total_s"] = round(time.monotonic() - started, 3)
            yield event
