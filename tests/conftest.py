"""Shared fixtures: every test gets its own data dir; real corpora are found by path."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.service import Assistant

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
# The project's shared real data sits beside the repository; UPR_SHARED_DIR points elsewhere.
SHARED = Path(os.environ.get("UPR_SHARED_DIR") or REPO.parent / "shared")
UN_REPORTS = SHARED / "corpus" / "un-wg-reports"
UPR_INFO = SHARED / "corpus" / "upr-info"
SEED_241 = "000_437c9dafada3569e.txt"


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test touches a real index: UPR_DATA_DIR points into the test's temp dir."""
    data = tmp_path / "upr-data"
    monkeypatch.setenv("UPR_DATA_DIR", str(data))
    return data


@pytest.fixture(scope="session")
def sample_assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """The bundled sample corpus indexed once with the real embedding model (read-only use)."""
    assistant = Assistant(Settings.from_env(data_dir=tmp_path_factory.mktemp("sample") / "data"))
    report = assistant.ingest([SAMPLE])
    assert len(report.by_status("indexed")) == 7, report.summary_lines()
    yield assistant


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(data_dir=tmp_path / "upr-data")


class FakeEmbedder:
    """Deterministic bag-of-words vectors: fast, offline, enough to test plumbing."""

    dim = 64

    def __init__(self) -> None:
        self.calls = 0

    def _vec(self, text: str) -> list[float]:
        v = [0.0] * self.dim
        for word in text.lower().split():
            v[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norm = sum(x * x for x in v) ** 0.5 or 1.0
        return [x / norm for x in v]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += len(texts)
        return [self._vec(t) for t in texts]

    def get_query_embedding(self, text: str) -> list[float]:
        return self._vec(text)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()
