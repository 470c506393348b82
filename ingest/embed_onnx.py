"""EmbeddingGemma on ONNX Runtime: exported once from the installed weights, optionally int8.

On a CPU without bf16 units torch's fp32 path is what makes ingest slow. ONNX Runtime runs the
same graph with the same vectors ("onnx": about torch's speed on an idle CPU, but it slows down
far less when other processes compete for the cores), or with int8 weights ("onnx-int8":
≈1.3–1.45× torch on an idle 2-core AVX2 CPU, cosine ≈0.99 to fp32). Measured side by side by
``benchmarks/embed_bench.py``.

The model is exported with ``torch.onnx.export`` from the local sentence-transformers directory
(no model hub) into ``<models_dir>/<model>-<backend>/`` and marked built only after its vectors
matched torch's on fixed sentences. Building is idempotent: a finished build is never redone,
an interrupted one leaves only a temporary folder that the next build replaces.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

import index  # noqa: F401  (sets the offline flags before transformers is imported)
from assistant.errors import AssistantError, ModelInstallError, ModelNotInstalledError

log = logging.getLogger(__name__)

ONNX_BACKENDS: tuple[str, ...] = ("onnx", "onnx-int8")
MODEL_FILE = "model.onnx"
MARKER = ".built"
# Bump when the export or quantisation recipe changes: existing builds are then rebuilt.
RECIPE = "1"
# Lowest cosine to torch fp32 on the check sentences for a build to be accepted.
MIN_COSINE = {"onnx": 0.9999, "onnx-int8": 0.98}
# The 24 MLP down-projections take the GELU×up product, whose few huge values ruin per-tensor
# int8 scales: quantising everything gave cosine 0.96 to fp32, keeping these fp32 0.99.
KEEP_FP32_SCOPE = "mlp.down_proj"
_CHECK_TEXTS = (
    "title: none | text: Việt Nam đã chấp nhận 182 khuyến nghị trong chu kỳ UPR thứ hai.",
    "task: search result | query: How many recommendations did Viet Nam accept?",
)


def onnx_model_dir(model_dir: Path, backend: str) -> Path:
    """Where the exported model of ``backend`` lives, beside the sentence-transformers one."""
    return model_dir.parent / f"{model_dir.name}-{backend}"


def _source_id(model_dir: Path) -> str:
    verified = model_dir / ".verified"  # written by `upr models install`: sha256 of the weights
    return verified.read_text().strip() if verified.exists() else str((model_dir / "model.safetensors").stat().st_mtime)


def is_built(model_dir: Path, backend: str) -> bool:
    """True when the ONNX model of ``backend`` was built by this recipe from these weights."""
    marker = onnx_model_dir(model_dir, backend) / MARKER
    try:
        info = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return info.get("recipe") == RECIPE and info.get("source") == _source_id(model_dir)


def build_onnx_model(model_dir: Path, backend: str, threads: int = 2) -> Path:
    """Export (and for "onnx-int8" quantise) the model once; returns its folder."""
    target = onnx_model_dir(model_dir, backend)
    if is_built(model_dir, backend):
        return target
    if not (model_dir / "modules.json").exists():
        raise ModelNotInstalledError(f"embedding model not found at {model_dir}: run `upr models install`")
    with _build_lock(target):
        if not is_built(model_dir, backend):  # another process may have built it while we waited
            _build(model_dir, backend, target, threads)
    return target


@contextmanager
def _build_lock(target: Path) -> Iterator[None]:
    import fcntl

    with (target.parent / f".{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _build(model_dir: Path, backend: str, target: Path, threads: int) -> None:
    log.warning("building the %s embedding model in %s (once; a few minutes on 2 cores)", backend, target)
    started = time.monotonic()
    staging = target.parent / f".{target.name}.staging"  # left by a killed build: start afresh
    shutil.rmtree(staging, ignore_errors=True)
    try:
        cosine = _make(model_dir, backend, staging, threads)
        info = {"recipe": RECIPE, "source": _source_id(model_dir), "backend": backend, "check_cosine": cosine}
        (staging / MARKER).write_text(json.dumps({**info, "versions": _versions()}, indent=1))
        shutil.rmtree(target, ignore_errors=True)  # a build by an older recipe
        os.replace(staging, target)
    except AssistantError:
        raise
    except Exception as exc:  # the exporter and quantiser raise many types; the user needs one message
        raise ModelInstallError(
            f"building the {backend} embedding model failed ({type(exc).__name__}: {exc}); use UPR_EMBED_BACKEND=torch"
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.warning("built %s in %.0f s (check cosine to torch %.4f)", target, time.monotonic() - started, cosine)


def _make(model_dir: Path, backend: str, staging: Path, threads: int) -> float:
    """Export, quantise and check into ``staging``; returns the lowest cosine to torch."""
    reference, exported = _export_fp32(model_dir, staging / "fp32", threads)
    if backend == "onnx-int8":
        quantize_int8(exported, staging / MODEL_FILE)
        shutil.rmtree(staging / "fp32")
    else:
        for path in (staging / "fp32").iterdir():
            os.replace(path, staging / path.name)
        (staging / "fp32").rmdir()
    cosine = _check(model_dir, staging, reference, threads)
    if cosine < MIN_COSINE[backend]:
        raise ModelInstallError(
            f"the {backend} export disagrees with torch (cosine {cosine:.4f} < {MIN_COSINE[backend]}); "
            "use UPR_EMBED_BACKEND=torch"
        )
    return cosine


def _export_fp32(model_dir: Path, out_dir: Path, threads: int) -> tuple[np.ndarray, Path]:
    """Torch vectors of the check texts, and the fp32 ONNX export (graph + external weights)."""
    _require("onnx", "onnxscript")
    import torch
    from sentence_transformers import SentenceTransformer

    class SentenceEmbedding(torch.nn.Module):
        """The whole sentence-transformers stack (Gemma, mean pooling, dense, normalise) as one graph."""

        def __init__(self, st: Any) -> None:
            super().__init__()
            self.st = st

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.st({"input_ids": input_ids, "attention_mask": attention_mask})["sentence_embedding"]

    torch.set_num_threads(threads)
    model = SentenceTransformer(
        str(model_dir),
        device="cpu",
        local_files_only=True,
        model_kwargs={"dtype": torch.float32, "attn_implementation": "sdpa"},
    ).eval()
    reference = model.encode(list(_CHECK_TEXTS), normalize_embeddings=True, convert_to_numpy=True)
    example = model.tokenizer(list(_CHECK_TEXTS), padding=True, return_tensors="pt")
    batch = torch.export.Dim("batch", min=1, max=1024)
    seq = torch.export.Dim("seq", min=2, max=model.max_seq_length)
    out_dir.mkdir(parents=True)
    with torch.no_grad():
        torch.onnx.export(
            SentenceEmbedding(model).eval(),
            (example["input_ids"], example["attention_mask"]),
            str(out_dir / MODEL_FILE),
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
            dynamo=True,
            external_data=True,
            opset_version=18,
        )
    return reference, out_dir / MODEL_FILE


def quantize_int8(src: Path, dest: Path) -> None:
    """Dynamic int8 quantisation of the matrix products and the token embedding table."""
    _require("onnx")
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(src), load_external_data=False).graph
    keep = [node.name for node in graph.node if KEEP_FP32_SCOPE in _scopes(node)]
    if not keep:
        raise ModelInstallError(f"no {KEEP_FP32_SCOPE} found in the exported graph: the export recipe needs updating")
    quantize_dynamic(
        str(src),
        str(dest),
        op_types_to_quantize=["MatMul", "Gemm", "Gather"],
        nodes_to_exclude=keep,
        per_channel=False,  # measured: per-channel weights lowered cosine (0.97 vs 0.99) on AVX2
        weight_type=QuantType.QInt8,
        use_external_data_format=True,
        extra_options={"MatMulConstBOnly": True},
    )
    for path in dest.parent.glob(f"{dest.name}*"):
        path.chmod(0o644)  # the quantiser writes its weights file private; models dirs may be shared


def _scopes(node: Any) -> str:
    """The torch module path the exporter recorded for a node (e.g. '…layers.3.mlp.down_proj')."""
    return next((p.value for p in node.metadata_props if p.key == "pkg.torch.onnx.name_scopes"), "")


def _check(model_dir: Path, folder: Path, reference: np.ndarray, threads: int) -> float:
    vectors = OnnxEncoder(model_dir, folder, threads).encode(list(_CHECK_TEXTS))
    return float((vectors * reference).sum(axis=1).min())


def _require(*modules: str) -> None:
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ModelInstallError(
            f"building the ONNX embedding model needs {', '.join(missing)}: reinstall the project "
            "(`pip install -e .`) or use UPR_EMBED_BACKEND=torch"
        )


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("torch", "transformers", "onnx", "onnxscript", "onnxruntime"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "missing"
    return out


class OnnxEncoder:
    """The part of SentenceTransformer's API that the embedder uses, run by ONNX Runtime."""

    def __init__(self, model_dir: Path, onnx_dir: Path, threads: int = 2) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        st_config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self.max_seq_length = int(st_config.get("max_seq_length", 2048))
        prompts = json.loads((model_dir / "config_sentence_transformers.json").read_text()).get("prompts", {})
        self.query_prompt = str(prompts.get("query", ""))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_dir / MODEL_FILE), options, providers=["CPUExecutionProvider"])

    def encode(
        self, sentences: Sequence[str], batch_size: int = 4, normalize_embeddings: bool = True, **_: Any
    ) -> np.ndarray:
        """Vectors for texts that already carry their prompt, batched longest first like sentence-transformers."""
        order = sorted(range(len(sentences)), key=lambda i: -len(sentences[i]))
        step = max(1, batch_size)
        batches = [self._run([sentences[i] for i in order[s : s + step]]) for s in range(0, len(order), step)]
        if not batches:
            return np.zeros((0, 0), dtype=np.float32)
        out = np.empty_like(stacked := np.concatenate(batches))
        out[order] = stacked
        if normalize_embeddings:
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def encode_query(self, query: str, normalize_embeddings: bool = True, **_: Any) -> np.ndarray:
        """One query vector, with the model's own query prompt."""
        return self.encode([self.query_prompt + query], normalize_embeddings=normalize_embeddings)[0]

    def _run(self, texts: list[str]) -> np.ndarray:
        features = self.tokenizer(
            texts, padding=True, truncation="longest_first", max_length=self.max_seq_length, return_tensors="np"
        )
        feeds = {"input_ids": features["input_ids"].astype(np.int64)}
        feeds["attention_mask"] = features["attention_mask"].astype(np.int64)
        return np.asarray(self.session.run(None, feeds)[0], dtype=np.float32)
