"""The Chroma vector store: embedded ``PersistentClient`` in the data dir, or a Chroma server.

Access goes through llama-index's ``ChromaVectorStore``; the raw collection is used only for
what that class does not offer (listing ids, deleting by document, counting).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores.types import MetadataFilters, VectorStoreQuery
from llama_index.vector_stores.chroma import ChromaVectorStore

import index  # noqa: F401  (telemetry off before chromadb starts)
from assistant.errors import IndexStoreError


def connect(chroma_dir: Path, chroma_url: str = "") -> Any:
    """A Chroma client: HTTP when ``chroma_url`` is set, else embedded in ``chroma_dir``."""
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if chroma_url:
        url = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
        try:
            client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1", port=url.port or 8000, ssl=url.scheme == "https", settings=settings
            )
            client.heartbeat()
        except Exception as exc:
            raise IndexStoreError(f"cannot reach the Chroma server at {chroma_url}: {exc}") from exc
        return client
    chroma_dir.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(chroma_dir), settings=settings)
    except Exception as exc:
        raise IndexStoreError(f"cannot open the Chroma store in {chroma_dir}: {exc}") from exc


HNSW = {"hnsw:space": "cosine", "hnsw:search_ef": 128, "hnsw:construction_ef": 200}


class VectorIndex:
    """One Chroma collection of chunks, keyed by chunk id, with cosine distance."""

    def __init__(self, client: Any, collection: str) -> None:
        # Chroma's default search breadth (ef 10) is approximate enough that two builds of the
        # same documents can rank differently; a wider search keeps results reproducible.
        self.collection = client.get_or_create_collection(collection, metadata=HNSW)
        self.store = ChromaVectorStore(chroma_collection=self.collection)

    def add(self, nodes: list[TextNode]) -> None:
        """Upsert nodes that already carry their embedding (ids are deterministic)."""
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
        self.collection.delete(where={"doc_id": doc_id})

    def delete_ids(self, ids: list[str]) -> None:
        for start in range(0, len(ids), 1000):
            self.collection.delete(ids=ids[start : start + 1000])

    def ids(self) -> set[str]:
        """All chunk ids (for the consistency check with the catalog)."""
        out: set[str] = set()
        total, offset = self.count(), 0
        while offset < total:
            out.update(self.collection.get(include=[], limit=5000, offset=offset)["ids"])
            offset += 5000
        return out

    def count(self) -> int:
        return int(self.collection.count())

    def query(self, embedding: list[float], top_k: int, filters: MetadataFilters | None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first."""
        if self.count() == 0:
            return []
        result = self.store.query(VectorStoreQuery(query_embedding=embedding, similarity_top_k=top_k, filters=filters))
        return list(zip(result.ids or [], result.similarities or []))


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
