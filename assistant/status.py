"""Index status and fingerprint: what is indexed, with which models and settings, and whether
the catalog, the keyword index and Chroma agree."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from assistant.config import Settings
from assistant.models import model_status
from index.catalog import Catalog
from index.keyword import VERSION_KEY, KeywordIndex
from index.records import RecordStore
from index.vector import VectorIndex


def index_status(settings: Settings, catalog: Catalog, vectors: VectorIndex, keyword: KeywordIndex) -> dict[str, Any]:
    """Counts by type, language and cycle; models; last ingest; consistency of the stores."""
    docs = catalog.documents()
    by: dict[str, Counter[str]] = {"doc_type": Counter(), "language": Counter(), "cycle": Counter()}
    chunks_by: dict[str, Counter[str]] = {"doc_type": Counter(), "language": Counter(), "cycle": Counter()}
    for info in docs.values():
        for key in by:
            value = str(info["metadata"].get(key) or "unknown")
            by[key][value] += 1
            chunks_by[key][value] += info["n_chunks"]
    return {
        "data_dir": str(settings.data_dir),
        "chroma": settings.chroma_url or str(settings.chroma_dir),
        "collection": settings.collection,
        "documents": len(docs),
        "chunks": catalog.count_chunks(),
        "documents_by": {k: dict(v) for k, v in by.items()},
        "chunks_by": {k: dict(v) for k, v in chunks_by.items()},
        "models": [
            {"name": n, "installed": ok, "path": str(p)}
            for n, ok, p in model_status(settings.models_dir, settings.embed_backend)
        ],
        "last_ingest": catalog.last_run_summary(),
        "consistency": consistency(catalog, vectors, keyword, settings),
        "fingerprint": fingerprint(settings, catalog),
    }


def consistency(
    catalog: Catalog, vectors: VectorIndex, keyword: KeywordIndex, settings: Settings | None = None
) -> dict[str, Any]:
    """Chunk ids in the catalog, Chroma and the keyword index must be the same set; with
    ``settings``, every document must have been embedded by the configured model and backend."""
    cat = catalog.chunk_ids()
    vec = vectors.ids()
    kw = set(keyword.ids())
    problems = []
    if vec - cat:
        problems.append(f"{len(vec - cat)} chunks in Chroma are not in the catalog")
    if cat - vec:
        problems.append(f"{len(cat - vec)} catalog chunks are missing from Chroma")
    if kw != cat:
        problems.append("the keyword index differs from the catalog")
    if catalog.pending():
        problems.append(f"{len(catalog.pending())} documents were left half-written by an interrupted ingest")
    if settings is not None and (mismatch := embedding_mismatch(settings, catalog)):
        problems.append(mismatch)
    records = RecordStore(catalog.db)
    if records.doc_ids() - catalog.doc_ids():
        problems.append(f"records of {len(records.doc_ids() - catalog.doc_ids())} unknown documents")
    if records.chunk_ids() - cat:
        problems.append(f"records point to {len(records.chunk_ids() - cat)} missing chunks")
    return {
        "ok": not problems,
        "problems": problems,
        "catalog": len(cat),
        "chroma": len(vec),
        "keyword": len(kw),
        "records": records.total(),
    }


def fingerprint(settings: Settings, catalog: Catalog) -> dict[str, Any]:
    """What makes two runs comparable: documents, chunks, models and settings."""
    doc_ids = sorted(catalog.doc_ids())
    return {
        "documents": len(doc_ids),
        "chunks": catalog.count_chunks(),
        "documents_hash": hashlib.sha256("\n".join(doc_ids).encode()).hexdigest()[:16],
        "chunks_version": catalog.get_state(VERSION_KEY),
        "embed_model": settings.embed_model,
        "embed_backend": settings.embed_backend,
        "llm_model": settings.llm_model,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
    }


def embedded_with(pipeline_key: str | None) -> str | None:
    """The embedding identity in a document's pipeline key ("v1|<model>[@<backend or dtype>]|size|overlap")."""
    parts = (pipeline_key or "").split("|")
    return parts[1] if len(parts) > 1 else None


def embedding_mismatch(settings: Settings, catalog: Catalog) -> str | None:
    """A problem line when documents were embedded by another model, backend or dtype than the
    configured one: their vectors and this run's query vectors are not comparable."""
    used = Counter(embedded_with(info["metadata"].get("pipeline")) for info in catalog.documents().values())
    other = {name: n for name, n in used.items() if name and name != settings.embed_identity}
    if not other:
        return None
    described = ", ".join(f"{n} with {name}" for name, n in sorted(other.items()))
    return (
        f"documents embedded by another model, backend or dtype ({described}) than the configured "
        f"{settings.embed_identity} (UPR_EMBED_BACKEND={settings.embed_backend}, "
        f"UPR_EMBED_DTYPE={settings.embed_dtype}): set it back, "
        "or run `upr ingest` on those folders again to re-embed them"
    )
