"""Answering backends behind llama-index's LLM interface: local llama.cpp or an
OpenAI-compatible server. (The ``extractive`` backend needs no LLM: see ``extractive.py``.)"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from llama_index.core.llms import LLM, ChatMessage

from assistant.config import Settings
from assistant.errors import BackendError, ConfigError
from assistant.models import require

log = logging.getLogger(__name__)
_LOCAL: dict[str, Any] = {}
# One local model per process and one generation at a time: two threads of llama.cpp on
# two cores already saturate the machine, and the model's state is not thread-safe.
LOCAL_LOCK = threading.Lock()


def chatml(messages: Sequence[ChatMessage]) -> str:
    """Qwen2.5's ChatML prompt format; the fixed system prompt comes first so llama.cpp
    reuses its KV cache from one question to the next."""
    parts = [f"<|im_start|>{m.role.value}\n{m.content}<|im_end|>\n" for m in messages]
    return "".join(parts) + "<|im_start|>assistant\n"


def local_llm(settings: Settings) -> LLM:
    """The default local model (GGUF through llama-cpp-python), loaded once per process."""
    path = str(require(settings.llm_model_path, "local language model"))
    with LOCAL_LOCK:
        if path not in _LOCAL:
            from llama_index.llms.llama_cpp import LlamaCPP

            _LOCAL[path] = LlamaCPP(
                model_path=path,
                temperature=settings.llm_temperature,
                max_new_tokens=settings.llm_max_tokens,
                context_window=settings.llm_context,
                model_kwargs={"n_threads": settings.llm_threads, "n_batch": 256},
                generate_kwargs={"stop": ["<|im_end|>", "<|endoftext|>"], "repeat_penalty": 1.05},
                messages_to_prompt=chatml,
                completion_to_prompt=lambda c: chatml([ChatMessage(role="user", content=c)]),
                verbose=False,
            )
    return _LOCAL[path]


def openai_llm(settings: Settings) -> LLM:
    """Any OpenAI-compatible server: Ollama, vLLM, llama.cpp server, hosted APIs."""
    if not settings.openai_base_url:
        raise ConfigError("set UPR_OPENAI_BASE_URL (e.g. http://127.0.0.1:11434/v1) to use the openai backend")
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(
        model=settings.openai_model,
        api_base=settings.openai_base_url,
        api_key=settings.openai_api_key or "not-needed",
        is_chat_model=True,
        context_window=settings.llm_context,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout_s,
        max_retries=1,
    )


def get_llm(backend: str, settings: Settings) -> LLM:
    if backend == "local":
        return local_llm(settings)
    if backend == "openai":
        return openai_llm(settings)
    raise ConfigError(f"unknown backend {backend!r}: use local, openai or extractive")


def guarded_stream(deltas: Callable[[], Iterator[str]], backend: str) -> Iterator[str]:
    """The text deltas ``deltas()`` yields while the model writes, one local generation at a
    time; failures become a ``BackendError`` that says what to check."""
    lock = LOCAL_LOCK if backend == "local" else _NullLock()
    try:
        with lock:
            for delta in deltas():
                if delta:
                    yield delta
    except BackendError:
        raise
    except Exception as exc:  # the server/model can fail in many ways; the user needs one message
        hint = "is the server running at UPR_OPENAI_BASE_URL?" if backend == "openai" else "see the log"
        # Never echo request details: they may carry the API key.
        raise BackendError(f"the {backend} backend failed ({type(exc).__name__}); {hint}") from exc


class _NullLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
