"""Embedding backends: the setting, cache separation, index mismatch, and int8 vs fp32 agreement."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.models import model_status
from assistant.service import Assistant
from assistant.status import embedding_mismatch
from index.embed_cache import text_key
from ingest import embed
from ingest.embed import CachedSTEmbedding
from tests.conftest import SAMPLE, SEED_241, FakeEmbedder


def test_backend_setting_is_validated() -> None:
    assert Settings.from_env({}).embed_backend == "torch"
    assert Settings.from_env({"UPR_EMBED_BACKEND": "onnx-int8"}).embed_backend == "onnx-int8"
    with pytest.raises(ConfigError, match=r"UPR_EMBED_BACKEND='tensorrt'.*torch, onnx, onnx-int8"):
        Settings.from_env({"UPR_EMBED_BACKEND": "tensorrt"})
    with pytest.raises(ConfigError):
        Settings().replace(embed_backend="int8")
    with pytest.raises(ConfigError):
        CachedSTEmbedding(Path("/nowhere"), None, backend="onnx-int4")


def test_identity_names_the_backend_except_for_torch() -> None:
    assert Settings(embed_backend="torch").embed_identity == "embeddinggemma-300m"
    assert Settings(embed_backend="onnx-int8").embed_identity == "embeddinggemma-300m@onnx-int8"


def test_identity_names_a_torch_dtype_other_than_float32(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().embed_dtype == "float32" and Settings().embed_identity == "embeddinggemma-300m"
    assert Settings(embed_dtype="bfloat16").embed_identity == "embeddinggemma-300m@bfloat16"
    assert Settings(embed_backend="onnx", embed_dtype="bfloat16").embed_identity == "embeddinggemma-300m@onnx"
    monkeypatch.setattr(embed, "cpu_has_native_bf16", lambda: True)
    assert Settings(embed_dtype="auto").embed_identity == "embeddinggemma-300m@bfloat16"
    monkeypatch.setattr(embed, "cpu_has_native_bf16", lambda: False)
    assert Settings(embed_dtype="auto").embed_identity == "embeddinggemma-300m"
    with pytest.raises(ConfigError, match=r"UPR_EMBED_DTYPE='fp16'.*float32, bfloat16, auto"):
        Settings.from_env({"UPR_EMBED_DTYPE": "fp16"})


class _ConstantModel:
    """Stands in for a backend's model: every text gets this backend's own vector."""

    def __init__(self, vector: list[float]) -> None:
        self.vector = np.asarray(vector, dtype=np.float32)
        self.texts: list[str] = []

    def encode(self, texts: list[str], **_: Any) -> np.ndarray:
        self.texts += texts
        return np.tile(self.vector, (len(texts), 1))


def test_cache_never_serves_another_backends_vectors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    models = {"torch": _ConstantModel([1.0, 0.0]), "onnx-int8": _ConstantModel([0.0, 1.0])}
    monkeypatch.setattr(embed, "load_encoder", lambda _dir, _threads, _dtype, backend: models[backend])
    cache = tmp_path / "cache.sqlite"  # one file for both: the keys keep them apart
    fp32 = CachedSTEmbedding(tmp_path, cache, backend="torch")
    int8 = CachedSTEmbedding(tmp_path, cache, backend="onnx-int8")

    assert fp32.embed_documents(["a", "b"]) == [[1.0, 0.0], [1.0, 0.0]]
    assert int8.count_missing(["a", "b"]) == 2
    assert int8.embed_documents(["a", "b"]) == [[0.0, 1.0], [0.0, 1.0]]
    assert fp32.embed_documents(["a"]) == [[1.0, 0.0]] and int8.embed_documents(["b"]) == [[0.0, 1.0]]
    assert models["torch"].texts == ["a", "b"] and models["onnx-int8"].texts == ["a", "b"]  # once each
    # Caches filled before backends existed stay valid for torch: its keys did not change.
    assert text_key("a") == hashlib.sha256(b"a").hexdigest() != text_key("a", "onnx-int8")


def test_cache_never_serves_bf16_vectors_for_float32(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # bf16 vectors depend on the batch (cosine ≈ 0.9993 on an AMX CPU): kept apart from fp32 ones.
    models = {"float32": _ConstantModel([1.0, 0.0]), "bfloat16": _ConstantModel([0.0, 1.0])}
    monkeypatch.setattr(embed, "load_encoder", lambda _dir, _threads, dtype, _backend: models[dtype])
    cache = tmp_path / "cache.sqlite"
    fp32 = CachedSTEmbedding(tmp_path, cache, dtype="float32", backend="torch")
    bf16 = CachedSTEmbedding(tmp_path, cache, dtype="bfloat16", backend="torch")

    assert bf16.embed_documents(["a"]) == [[0.0, 1.0]]
    assert fp32.count_missing(["a"]) == 1
    assert fp32.embed_documents(["a"]) == [[1.0, 0.0]] and bf16.embed_documents(["a"]) == [[0.0, 1.0]]
    assert models["float32"].texts == ["a"] and models["bfloat16"].texts == ["a"]
    assert fp32._key("a") == text_key("a")  # fp32 caches from before keep their keys


def test_status_reports_an_index_embedded_by_another_backend(settings: Settings) -> None:
    assistant = Assistant(settings.replace(embed_backend="torch"), embedder=FakeEmbedder())
    assistant.ingest([SAMPLE / SEED_241])
    assert assistant.status()["consistency"]["ok"]
    switched = Assistant(settings.replace(embed_backend="onnx-int8"), embedder=FakeEmbedder())
    status = switched.status()
    assert status["fingerprint"]["embed_backend"] == "onnx-int8"
    assert not status["consistency"]["ok"]
    [problem] = status["consistency"]["problems"]
    assert "1 with embeddinggemma-300m" in problem and "UPR_EMBED_BACKEND=onnx-int8" in problem


class _Catalog:
    def __init__(self, *pipelines: str) -> None:
        self.docs = {f"/d{i}": {"metadata": {"pipeline": p}} for i, p in enumerate(pipelines)}

    def documents(self) -> dict[str, dict[str, Any]]:
        return self.docs


def test_mismatch_reads_the_backend_from_each_documents_pipeline_key() -> None:
    int8 = Settings(embed_backend="onnx-int8")
    catalog = _Catalog("v1|embeddinggemma-300m@onnx-int8|400|60", "v1|embeddinggemma-300m|400|60")
    problem = embedding_mismatch(int8, catalog)  # type: ignore[arg-type]
    assert problem and "1 with embeddinggemma-300m)" in problem
    assert embedding_mismatch(int8, _Catalog("v1|embeddinggemma-300m@onnx-int8|400|60")) is None  # type: ignore[arg-type]
    assert embedding_mismatch(Settings(), _Catalog("v1|embeddinggemma-300m|400|60")) is None  # type: ignore[arg-type]


def test_model_status_lists_the_export_an_onnx_backend_needs(tmp_path: Path) -> None:
    assert len(list(model_status(tmp_path, "torch"))) == 2
    *_, (name, built, path) = model_status(tmp_path, "onnx-int8")
    assert "onnx-int8" in name and not built and path == tmp_path / "embeddinggemma-300m-onnx-int8"


# --- the real model ------------------------------------------------------------------------
PASSAGES = [
    (SAMPLE / SEED_241).read_text(encoding="utf-8")[:1500],
    "The Working Group recommended that Viet Nam ratify the Convention against Torture and "
    "strengthen the independence of the judiciary.",
    "Việt Nam đã chấp nhận 182 khuyến nghị, ghi nhận 45 khuyến nghị trong chu kỳ thứ hai.",
]
# Measured on 60 real chunks (benchmarks/embed_bench.py): passages mean 0.991, min 0.989;
# the eval set's 85 questions mean 0.994, min 0.986. Int8 error grows with length: the
# 1,191-token text below gets 0.980 (the fp32 ONNX export gets 1.0000 on it).
MIN_INT8_COSINE = 0.98
MIN_INT8_COSINE_LONG = 0.97


@pytest.mark.slow
def test_onnx_int8_vectors_agree_with_torch_fp32() -> None:
    settings = Settings.from_env()
    fp32 = embed.load_encoder(settings.embed_model_dir, settings.embed_threads, "float32", "torch")
    int8 = embed.load_encoder(settings.embed_model_dir, settings.embed_threads, "float32", "onnx-int8")
    long = " ".join([PASSAGES[0]] * 3)  # > 512 tokens: past the sliding-attention window
    texts = [embed.document_text(p, "UPR") for p in [*PASSAGES, long]]
    a = fp32.encode(texts, batch_size=4, normalize_embeddings=True)
    b = int8.encode(texts, batch_size=4, normalize_embeddings=True)
    assert len(fp32.tokenizer(texts[-1])["input_ids"]) > 512
    cosines = (a * b).sum(axis=1)
    assert cosines[:-1].min() >= MIN_INT8_COSINE and cosines[-1] >= MIN_INT8_COSINE_LONG
    query = "Việt Nam đã chấp nhận bao nhiêu khuyến nghị?"
    cos = float(fp32.encode_query(query, normalize_embeddings=True) @ int8.encode_query(query))
    assert cos >= MIN_INT8_COSINE
    # Built once: the marker says so and a second call does not rebuild.
    from ingest.embed_onnx import build_onnx_model, is_built, onnx_model_dir

    marker = onnx_model_dir(settings.embed_model_dir, "onnx-int8") / ".built"
    stamp = marker.stat().st_mtime
    assert is_built(settings.embed_model_dir, "onnx-int8")
    build_onnx_model(settings.embed_model_dir, "onnx-int8")
    assert marker.stat().st_mtime == stamp


@pytest.mark.slow
def test_default_settings_embed_a_text_the_same_in_any_batch() -> None:
    # The cache is shared across data dirs and batches, so a passage's vector (and every ranking
    # and eval baseline) must not depend on what it was batched with: bf16 on an AMX CPU fails this.
    settings = Settings.from_env()
    model = embed.load_encoder(settings.embed_model_dir, settings.embed_threads, Settings.embed_dtype, "torch")
    texts = [embed.document_text(p, "UPR") for p in PASSAGES]
    batched = model.encode(texts, batch_size=4, normalize_embeddings=True)
    for text, vector in zip(texts, batched):
        alone = model.encode([text], batch_size=1, normalize_embeddings=True)[0]
        assert float(vector @ alone) >= 0.99999
