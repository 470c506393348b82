"""The Chroma vector store: embedded ``PersistentClient`` in the data dir, or a Chroma server.

Access goes through llama-index's ``ChromaVectorStore``; the raw collection is used only for
what that class does not offer (listing ids, deleting by document, counting).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import httpx
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import InvalidArgumentError
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores.types import VectorStoreQuery
from llama_index.vector_stores.chroma import ChromaVectorStore

import index  # noqa: F401  (telemetry off before chromadb starts)
from assistant.errors import ConfigError, IndexStoreError
from index.filters import Condition, to_metadata_filters


def connect(chroma_dir: Path, chroma_url: str = "") -> Any:
    """A Chroma client: HTTP when ``chroma_url`` is set, else embedded in ``chroma_dir``."""
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if chroma_url:
        url = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
        ssl = url.scheme == "https"
        host, port = url.hostname or "127.0.0.1", url.port or (443 if ssl else 8000)
        _check_reachable(chroma_url, f"{url.scheme}://{host}:{port}")
        try:
            client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=settings)
            client.heartbeat()
        except Exception as exc:
            raise IndexStoreError(f"cannot use the Chroma server at {chroma_url}: {_one_line(exc)}") from exc
        return client
    chroma_dir.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(chroma_dir), settings=settings)
    except Exception as exc:
        raise IndexStoreError(f"cannot open the Chroma store in {chroma_dir}: {exc}") from exc


def _check_reachable(chroma_url: str, base: str) -> None:
    """Fail fast and in one line: chromadb's own HTTP client waits forever on a silent host."""
    try:
        response = httpx.get(f"{base}/api/v2/heartbeat", timeout=CONNECT_TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise IndexStoreError(
            f"cannot reach the Chroma server at {chroma_url} ({_one_line(exc) or type(exc).__name__}); "
            "start it (`chroma run --path DIR --port PORT`) or fix --chroma-url / UPR_CHROMA_URL"
        ) from exc
    if response.status_code != 200:
        raise IndexStoreError(
            f"{chroma_url} answered HTTP {response.status_code} to a Chroma heartbeat: is it a Chroma (1.x) server?"
        )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


CONNECT_TIMEOUT_S = 10.0
OWNER_KEY = "upr:catalog"  # collection metadata: the instance id of the catalog it belongs to
HNSW = {"hnsw:space": "cosine", "hnsw:search_ef": 128, "hnsw:construction_ef": 200}
# Chroma's HNSW answer is approximate and, below its sync threshold (1,000 items), the graph is
# rebuilt in every process (chroma-core/chroma#2675, #3638): over the 622-chunk eval index the
# same query vector got a different 38th-40th neighbour from one run to the next, so a
# borderline passage was among the hybrid candidates or not. A small collection is therefore
# searched whole (asking for every item makes the search exhaustive, and costs little there);
# a large one is asked for twice the candidates, and the best ``top_k`` kept.
EXACT_MAX = 2000
OVERFETCH = 2


class VectorIndex:
    """One Chroma collection of chunks, keyed by chunk id, with cosine distance.

    A collection belongs to one catalog (``owner``, the catalog's instance id): several data
    dirs may share a Chroma server, but each needs its own collection, since the catalog
    decides what a collection must hold and deletes by document from it.
    """

    def __init__(self, client: Any, collection: str, owner: str | None = None) -> None:
        # Chroma's default search breadth (ef 10) is approximate enough that two builds of the
        # same documents can rank differently; a wider search keeps results reproducible.
        metadata = {**HNSW, OWNER_KEY: owner} if owner else HNSW
        with _store_errors():
            try:
                self.collection = client.get_or_create_collection(collection, metadata=metadata)
            except InvalidArgumentError as exc:
                raise ConfigError(f"collection name {collection!r} (UPR_COLLECTION): {_one_line(exc)}") from exc
            if owner:
                _claim(self.collection, owner)
        self.client = client
        self.remote = bool(client.get_settings().chroma_server_host)
        self.store = ChromaVectorStore(chroma_collection=self.collection)

    def add(self, nodes: list[TextNode]) -> None:
        """Upsert nodes that already carry their embedding (ids are deterministic)."""
        with _store_errors():
            for start in range(0, len(nodes), 1000):
                batch = nodes[start : start + 1000]
                self.collection.upsert(
                    ids=[n.node_id for n in batch],
                    embeddings=[n.get_embedding() for n in batch],
                    documents=[n.get_content() for n in batch],
                    metadatas=[_flat(n.metadata, n.ref_doc_id) for n in batch],
                )

    def delete_document(self, doc_id: str) -> None:
        """Remove every chunk of one document version."""
        with _store_errors():
            self.collection.delete(where={"doc_id": doc_id})

    def delete_ids(self, ids: list[str]) -> None:
        with _store_errors():
            for start in range(0, len(ids), 1000):
                self.collection.delete(ids=ids[start : start + 1000])

    def ids(self) -> set[str]:
        """All chunk ids (for the consistency check with the catalog)."""
        out: set[str] = set()
        with _store_errors():
            total, offset = self.count(), 0
            while offset < total:
                out.update(self.collection.get(include=[], limit=5000, offset=offset)["ids"])
                offset += 5000
        return out

    def count(self) -> int:
        with _store_errors():
            return int(self.collection.count())

    def query(
        self,
        embedding: list[float],
        top_k: int,
        conditions: Sequence[Condition] = (),
        allowed: Callable[[], list[str]] | None = None,
    ) -> list[tuple[str, float]]:
        """(chunk id, similarity) best first, among the chunks that meet ``conditions``.

        ``allowed`` lists the ids that meet them (the keyword index's filter columns answer
        in milliseconds): an embedded store then searches among those ids, because Chroma's
        own filter lists every matching id from its metadata tables first (0.2 s at 100k
        chunks, 3 s at 1M for a filter a fifth of the collection meets). A Chroma server gets
        the filter itself: the id list would travel with every request."""
        count = self.count()
        if count == 0:
            return []
        if conditions and (allowed is None or self.remote):  # Chroma's own metadata filter
            with _store_errors():
                result = self.store.query(
                    VectorStoreQuery(
                        query_embedding=embedding,
                        similarity_top_k=top_k * OVERFETCH,
                        filters=to_metadata_filters(list(conditions)),
                    )
                )
            return list(zip(result.ids or [], result.similarities or []))[:top_k]
        ids = allowed() if conditions and allowed is not None else None
        if ids is not None and not ids:
            return []
        wanted = count if count <= EXACT_MAX else top_k * OVERFETCH
        with _store_errors():
            got = self.collection.query(
                query_embeddings=[embedding],
                n_results=min(wanted, len(ids)) if ids is not None else wanted,
                ids=ids,
                include=["distances"],
            )
        # the similarity llama-index's ChromaVectorStore reports (exp(-distance)), as above
        return [(cid, math.exp(-d)) for cid, d in zip(got["ids"][0], got["distances"][0])][:top_k]

    def drop(self) -> None:
        """Delete the whole collection (a throw-away index on a shared server)."""
        with _store_errors():
            self.client.delete_collection(self.collection.name)


def _claim(collection: Any, owner: str) -> None:
    """Mark an unowned collection as ``owner``'s; refuse one that another catalog owns."""
    metadata = dict(collection.metadata or {})
    current = metadata.get(OWNER_KEY)
    if current == owner:
        return
    if current:
        raise IndexStoreError(
            f"the Chroma collection {collection.name!r} belongs to another data dir (catalog {current}); "
            "give this data dir its own collection (UPR_COLLECTION=NAME) or use the data dir that built it"
        )
    # Chroma refuses hnsw:* keys in modify() even unchanged; they live on in the collection's
    # configuration, so only the plain keys are written back.
    plain = {k: v for k, v in metadata.items() if not k.startswith("hnsw:")}
    collection.modify(metadata={**plain, OWNER_KEY: owner})


@contextmanager
def _store_errors() -> Iterator[None]:
    """A Chroma server that stops answering is an expected failure, not a traceback."""
    try:
        yield
    except httpx.TransportError as exc:
        raise IndexStoreError(f"the Chroma server stopped answering ({_one_line(exc) or type(exc).__name__})") from exc


def _flat(metadata: dict[str, Any], doc_id: str | None) -> dict[str, str | int | float | bool]:
    """Chroma accepts only flat scalars; ``None`` is dropped, lists are joined."""
    flat: dict[str, str | int | float | bool] = {}
    for key, value in metadata.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple, set)):
            value = "; ".join(map(str, value))
        flat[key] = value if isinstance(value, (str, int, float, bool)) else str(value)
    if doc_id:
        flat["doc_id"] = doc_id
    return flat
