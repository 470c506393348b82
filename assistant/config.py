"""One typed settings object, read in one place.

Every field has a documented default and can be overridden by an environment variable
named ``UPR_<FIELD>`` (e.g. ``UPR_DATA_DIR``) or by a CLI flag. Per-request overrides
(top-k, filters, backend) live in :class:`QueryOptions`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_type_hints

Backend = Literal["local", "openai", "extractive"]
BACKENDS: tuple[str, ...] = ("local", "openai", "extractive")
# How the embedding model runs: "torch" (sentence-transformers), "onnx" (ONNX Runtime, same
# vectors) or "onnx-int8" (ONNX Runtime with int8 weights). See ingest/embed_onnx.py.
EMBED_BACKENDS: tuple[str, ...] = ("torch", "onnx", "onnx-int8")
EMBED_DTYPES: tuple[str, ...] = ("float32", "bfloat16", "auto")


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


def default_data_dir() -> Path:
    """Where the index lives unless told otherwise."""
    return _xdg("XDG_DATA_HOME", ".local/share") / "upr-assistant"


def default_models_dir() -> Path:
    """Models are large and shared by every checkout, so they live in the user cache."""
    return _xdg("XDG_CACHE_HOME", ".cache") / "upr-assistant" / "models"


@dataclass(frozen=True)
class Settings:
    """All configuration of the assistant. See README "Configuration" for each field."""

    data_dir: Path = field(default_factory=default_data_dir)
    models_dir: Path = field(default_factory=default_models_dir)
    # Chroma: embedded store in data_dir unless a server URL is given.
    collection: str = "upr"
    chroma_url: str = ""
    # Chunking, in tokens of the embedding model's own tokenizer.
    chunk_size: int = 400
    chunk_overlap: int = 60
    # Embedding (sentence-transformers directory name under models_dir).
    embed_model: str = "embeddinggemma-300m"
    embed_batch_size: int = 4
    # float32: the same vector for a text in any batch (across CPUs up to rounding). bfloat16 (or "auto": bf16
    # where the CPU has native bf16, AVX512-BF16/AMX) is ≈2.4× faster on an AMX Xeon (6.4 vs 2.6
    # passages/s) but a text's vector then depends on its batch (cosine 0.9993), enough to swap
    # near-tied passages; on an AVX2-only CPU bf16 is ≈7× slower than fp32.
    embed_dtype: str = "float32"
    embed_threads: int = 2
    # One of EMBED_BACKENDS; the ONNX ones are exported from the installed weights on first use.
    # "onnx-int8": ≈1.4× torch fp32 on an idle 2-core AVX2 CPU, cosine ≈0.99; opt-in for now.
    embed_backend: str = "torch"
    # Files larger than this are reported and skipped (embedding runs at ≈2–3 passages/s).
    max_file_mb: int = 25
    # Retrieval.
    top_k: int = 5
    candidate_k: int = 40
    # Answering.
    backend: str = "local"
    llm_model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    llm_context: int = 4096
    llm_threads: int = 2
    llm_max_tokens: int = 384
    # What the model reads: up to llm_sources sentence windows (each ≤ llm_window_chars) chosen from
    # the evidence_k best passages, llm_budget_chars in all. 1,000 characters are ≈ 590 prompt
    # tokens: more answers than 2 × 260, ≈ 4 s more first token (BENCHMARKS.md, issue 16).
    evidence_k: int = 8
    llm_sources: int = 4
    llm_window_chars: int = 400
    llm_budget_chars: int = 1000
    llm_temperature: float = 0.0  # greedy: the same question gets the same answer (and tests and evals repeat)
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_model: str = "local-model"
    openai_api_key: str = field(default="", repr=False)
    llm_timeout_s: float = 120.0
    # Web UI.
    host: str = "127.0.0.1"
    port: int = 7860
    auth_file: str = ""
    max_upload_mb: int = 50
    concurrency: int = 1  # answers generated at once (the local model runs one at a time anyway)
    queue_size: int = 256  # requests waiting beyond this are told the queue is full

    def __post_init__(self) -> None:
        from assistant.errors import ConfigError

        if self.embed_backend not in EMBED_BACKENDS:
            raise ConfigError(f"UPR_EMBED_BACKEND={self.embed_backend!r}: use one of {', '.join(EMBED_BACKENDS)}")
        if self.embed_dtype not in EMBED_DTYPES:
            raise ConfigError(f"UPR_EMBED_DTYPE={self.embed_dtype!r}: use one of {', '.join(EMBED_DTYPES)}")

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def embed_model_dir(self) -> Path:
        return self.models_dir / self.embed_model

    @property
    def embed_identity(self) -> str:
        """Model, and backend or dtype, that produce the vectors; torch fp32 keeps the bare model name."""
        from ingest.embed import vector_tag  # lazy: ingest imports this module

        tag = vector_tag(self.embed_backend, self.embed_dtype)
        return f"{self.embed_model}@{tag}" if tag else self.embed_model

    @property
    def llm_model_path(self) -> Path:
        return self.models_dir / self.llm_model

    @property
    def embed_cache_path(self) -> Path:
        """Embedding cache, keyed by backend, dtype and text hash, shared across data dirs."""
        return self.models_dir.parent / "embed-cache" / f"{self.embed_model}.sqlite"

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed; ``None`` values are ignored."""
        clean = {k: v for k, v in changes.items() if v is not None}
        for key in ("data_dir", "models_dir"):
            if key in clean:
                clean[key] = Path(clean[key]).expanduser()
        return dataclasses.replace(self, **clean)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``UPR_*`` environment variables, then explicit overrides."""
        env = os.environ if environ is None else environ
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"UPR_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _cast(f.name, raw, hints[f.name])
        return cls().replace(**values).replace(**overrides)


def _cast(name: str, raw: str, kind: Any) -> Any:
    from assistant.errors import ConfigError

    try:
        if kind is Path:
            return Path(raw).expanduser()
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        return raw
    except ValueError as exc:
        raise ConfigError(f"UPR_{name.upper()}={raw!r} is not a valid {kind.__name__}") from exc


@dataclass(frozen=True)
class QueryOptions:
    """Per-request overrides: how many passages, which filters, which backend."""

    top_k: int | None = None
    filters: dict[str, str] = field(default_factory=dict)
    backend: str | None = None
    mode: Literal["hybrid", "dense", "keyword"] = "hybrid"
