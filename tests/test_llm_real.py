"""Answers from real language models over the sample corpus: the local GGUF model in-process,
and the same model behind a real OpenAI-compatible server (llama-cpp-python's own)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from assistant.config import QueryOptions
from assistant.service import Assistant
from ingest.metadata import detect_language
from tests.conftest import SEED_241

pytestmark = pytest.mark.slow
Q_VI = "Việt Nam chấp thuận bao nhiêu khuyến nghị UPR chu kỳ III?"
Q_EN = "How many UPR recommendations did Viet Nam accept in the third cycle?"


def _check_241(answer, language: str) -> None:  # type: ignore[no-untyped-def]
    assert not answer.refused, answer.notes
    assert "241" in answer.answer
    assert any(c.source == SEED_241 and "241" in c.quote for c in answer.citations)
    assert detect_language(answer.answer) == language, answer.answer


def test_local_model_answers_in_vietnamese_with_citation(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask(Q_VI, QueryOptions(backend="local"))
    _check_241(answer, "vi")
    assert answer.timings["first_token_s"] > 0


def test_local_model_answers_english_question_in_english(sample_assistant: Assistant) -> None:
    _check_241(sample_assistant.ask(Q_EN, QueryOptions(backend="local")), "en")


@pytest.mark.parametrize("question", ["Thủ đô của nước Úc là thành phố nào?", "What was Brazil's GDP growth in 2020?"])
def test_local_model_refuses_off_corpus_questions(sample_assistant: Assistant, question: str) -> None:
    answer = sample_assistant.ask(question, QueryOptions(backend="local"))
    assert answer.refused, answer.answer
    assert not answer.citations


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def openai_server(sample_assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server with the same GGUF, on loopback."""
    port = _free_port()
    model = str(sample_assistant.settings.llm_model_path)
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        model,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_threads",
        "2",
        "--n_ctx",
        "4096",
        "--model_alias",
        "qwen-local",
    ]
    log = tmp_path_factory.mktemp("server") / "server.log"
    # The server logs a lot while loading: to a file, so a full pipe can never stall it.
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ})
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {log.read_text(errors='replace')[-2000:]}")
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_openai_backend_gets_a_cited_answer(sample_assistant: Assistant, openai_server: str) -> None:
    settings = sample_assistant.settings.replace(
        openai_base_url=openai_server, openai_model="qwen-local", openai_api_key="sk-test-secret"
    )
    assistant = Assistant(settings)
    answer = assistant.ask(Q_VI, QueryOptions(backend="openai"))
    _check_241(answer, "vi")
    assert "sk-test-secret" not in repr(answer.to_dict())
