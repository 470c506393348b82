"""The embedding model (EmbeddingGemma through sentence-transformers) with a text-hash cache.

``Settings.embed_backend`` picks how it runs: torch (sentence-transformers) or ONNX Runtime,
fp32 or int8 (``ingest/embed_onnx.py``); the cache keeps each backend's vectors apart.

Wrapped as a llama-index ``BaseEmbedding`` so the retrievers and evaluators of llama-index
can use it directly; documents get EmbeddingGemma's document prompt with their real title
("title: … | text: …"), queries the model's own query prompt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

import index  # noqa: F401  (sets the offline flags before transformers is imported)
from assistant.config import EMBED_BACKENDS, EMBED_DTYPES, Settings
from assistant.errors import ConfigError, ModelNotInstalledError
from index.embed_cache import EmbeddingCache, text_key

log = logging.getLogger(__name__)

_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()


@lru_cache(maxsize=1)  # read once: "auto" is resolved for every cache key (``vector_tag``)
def cpu_has_native_bf16() -> bool:
    """True when the CPU computes bf16 natively; otherwise bf16 is emulated and slow."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def dtype_name(name: str) -> str:
    """The dtype the torch backend runs in for the setting ``name`` ("auto" resolved here)."""
    if name == "auto":
        return "bfloat16" if cpu_has_native_bf16() else "float32"
    if name not in EMBED_DTYPES:
        raise ConfigError(f"UPR_EMBED_DTYPE={name!r}: use one of {', '.join(EMBED_DTYPES)}")
    return name


def resolve_dtype(name: str) -> Any:
    import torch

    return getattr(torch, dtype_name(name))


def vector_tag(backend: str, dtype: str) -> str:
    """What, besides the model, decides the vectors: "" for torch fp32, else the dtype or backend.

    It namespaces the embed cache and names the index's embedding, so vectors made in bf16 or by
    ONNX are never served for, or mixed with, torch fp32 ones. ONNX ignores the dtype setting.
    """
    if backend != "torch":
        return backend
    name = dtype_name(dtype)
    return "" if name == "float32" else name


def load_sentence_transformer(model_dir: Path, threads: int = 2, dtype: str = Settings.embed_dtype) -> Any:
    """Load (once per process) the sentence-transformers model from a local directory."""
    key = f"{model_dir}|{dtype}"
    with _LOCK:
        if key not in _MODELS:
            _require_model(model_dir)
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(threads)
            # bf16 matches fp32 (cosine ≈ 1.0); it is faster only where the CPU has bf16 units.
            _MODELS[key] = SentenceTransformer(
                str(model_dir), device="cpu", local_files_only=True, model_kwargs={"dtype": resolve_dtype(dtype)}
            )
    return _MODELS[key]


def load_encoder(model_dir: Path, threads: int = 2, dtype: str = Settings.embed_dtype, backend: str = "torch") -> Any:
    """The model that embeds for ``backend``: sentence-transformers, or ONNX Runtime (built once)."""
    if resolve_backend(backend) == "torch":
        return load_sentence_transformer(model_dir, threads, dtype)
    key = f"{model_dir}|{backend}"
    with _LOCK:
        if key not in _MODELS:
            _require_model(model_dir)
            from ingest.embed_onnx import OnnxEncoder, build_onnx_model

            _MODELS[key] = OnnxEncoder(model_dir, build_onnx_model(model_dir, backend, threads), threads)
    return _MODELS[key]


def resolve_backend(name: str | None) -> str:
    """A valid embedding backend; ``None`` means the configured one (UPR_EMBED_BACKEND)."""
    if name is None:
        return Settings.from_env().embed_backend
    if name not in EMBED_BACKENDS:
        raise ConfigError(f"UPR_EMBED_BACKEND={name!r}: use one of {', '.join(EMBED_BACKENDS)}")
    return name


def _require_model(model_dir: Path) -> None:
    if not (model_dir / "modules.json").exists():
        raise ModelNotInstalledError(
            f"embedding model not found at {model_dir}: run `upr models install` (or set UPR_MODELS_DIR)"
        )


def document_text(text: str, title: str | None) -> str:
    """The exact string embedded for a passage (EmbeddingGemma's document prompt)."""
    return f"title: {title.strip() if title else 'none'} | text: {text}"


class CachedSTEmbedding(BaseEmbedding):
    """Sentence-transformers embedding with a persistent cache of document vectors.

    ``backend`` picks how the model runs (see ``Settings.embed_backend``); ``None`` takes the
    configured one. Cached vectors are keyed by backend and dtype (``vector_tag``), so switching
    never serves another backend's or precision's vectors.
    """

    model_dir: str
    threads: int = 2
    dtype: str = Settings.embed_dtype
    backend: str = "torch"
    _cache: EmbeddingCache | None = PrivateAttr(default=None)
    _progress: Callable[[int], None] | None = PrivateAttr(default=None)

    def __init__(
        self,
        model_dir: Path,
        cache_path: Path | None,
        batch_size: int = 4,
        threads: int = 2,
        dtype: str = Settings.embed_dtype,
        backend: str | None = None,
    ) -> None:
        super().__init__(
            model_name=model_dir.name,
            model_dir=str(model_dir),
            embed_batch_size=batch_size,
            threads=threads,
            dtype=dtype,
            backend=resolve_backend(backend),
        )
        self._cache = EmbeddingCache(cache_path) if cache_path else None

    @classmethod
    def from_settings(cls, settings: Settings, cache: bool = True) -> CachedSTEmbedding:
        """The embedder that ``settings`` describe (model, cache, batch, threads, dtype, backend)."""
        s = settings
        cache_path = s.embed_cache_path if cache else None
        return cls(s.embed_model_dir, cache_path, s.embed_batch_size, s.embed_threads, s.embed_dtype, s.embed_backend)

    @classmethod
    def class_name(cls) -> str:
        return "CachedSTEmbedding"

    @property
    def model(self) -> Any:
        return load_encoder(Path(self.model_dir), self.threads, self.dtype, self.backend)

    def set_progress(self, callback: Callable[[int], None] | None) -> None:
        """Called with the number of passages just embedded (not the cached ones)."""
        self._progress = callback

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for already-prompted document texts, embedding only cache misses."""
        keys = [self._key(t) for t in texts]
        found = self._cache.get_many(keys) if self._cache is not None else {}
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in found}.items(), key=lambda kv: len(kv[1]))
        step = max(1, self.embed_batch_size) * 4  # commit to the cache often: a crash loses little
        for start in range(0, len(missing), step):
            batch = missing[start : start + step]
            vectors = self.model.encode(
                [t for _, t in batch],
                batch_size=self.embed_batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
            )
            new = {k: v.astype("float32").tolist() for (k, _), v in zip(batch, vectors)}
            found.update(new)
            if self._cache is not None:
                self._cache.put_many(new)
            if self._progress:
                self._progress(len(batch))
        return [found[k] for k in keys]

    def count_missing(self, texts: Sequence[str]) -> int:
        """How many of ``texts`` would need the model (for progress bars)."""
        keys = {self._key(t) for t in texts}
        return len(keys) - (len(self._cache.get_many(keys)) if self._cache is not None else 0)

    def _key(self, text: str) -> str:
        return text_key(text, vector_tag(self.backend, self.dtype))

    def _get_query_embedding(self, query: str) -> list[float]:
        vector = self.model.encode_query(query, normalize_embeddings=True, convert_to_numpy=True)
        return vector.astype("float32").tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed_documents([document_text(text, None)])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents([document_text(t, None) for t in texts])
