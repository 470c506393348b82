"""The LLM backends answer through llama-index's CitationQueryEngine: what it sends the model,
how its numbered sources line up with ours, and the whole answering path on a scripted model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from llama_index.core.llms import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    CustomLLM,
    LLMMetadata,
)

import assistant.answering as answering
from assistant.answering import Answerer
from assistant.config import QueryOptions, Settings
from assistant.errors import BackendError
from assistant.llm import chatml
from assistant.prompting import SYSTEM_PROMPT, citation_engine, messages, stream_answer
from assistant.retrieval import RetrievalTrace
from assistant.sources import make_sources
from assistant.types import Answer, Passage

NEWS = Passage(
    "d1:0",
    "Đối với UPR chu kỳ III, Việt Nam chấp thuận 241 khuyến nghị trên tổng số 291 khuyến nghị. "
    "Hội thảo diễn ra tại Hà Nội.",
    0.9,
    {"file_name": "a.txt", "title": "Tin A", "language": "vi", "doc_id": "d1"},
)
REPORT = Passage(
    "d2:3",
    "143.12. Ratify CAT (Gabon, Mali, Slovakia);",
    0.8,
    {
        "file_name": "vn2014.pdf",
        "title": "Report (A/HRC/26/6)",
        "symbol": "A/HRC/26/6",
        "para_first": "143.12",
        "page": 21,
        "language": "en",
        "doc_id": "d2",
    },
)
Q = "Việt Nam chấp thuận bao nhiêu khuyến nghị UPR chu kỳ III?"


class Scripted(CustomLLM):
    """Answers with a fixed text, a few characters a delta, and records what it was sent."""

    reply: str = ""
    chat_model: bool = False
    fail: bool = False
    sent: list[Any] = []

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=4096, num_output=256, is_chat_model=self.chat_model)

    def _deltas(self) -> list[str]:
        if self.fail:
            raise ConnectionError("server at http://key-in-url gone")
        return [self.reply[i : i + 5] for i in range(0, len(self.reply), 5)]

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self.sent.append(prompt)
        return CompletionResponse(text=self.reply)

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        self.sent.append(prompt)
        text = ""
        for delta in self._deltas():
            text += delta
            yield CompletionResponse(text=text, delta=delta)

    def stream_chat(self, chat: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        self.sent.append(list(chat))

        def gen() -> ChatResponseGen:
            text = ""
            for delta in self._deltas():
                text += delta
                yield ChatResponse(message=ChatMessage(role="assistant", content=text), delta=delta)

        return gen()


def test_engine_sends_the_local_model_our_chatml_prompt_system_message_first() -> None:
    sources = make_sources(Q, [NEWS, REPORT], 2, 360)
    llm = Scripted(reply="Việt Nam chấp thuận 241 khuyến nghị [1].", messages_to_prompt=chatml, sent=[])
    engine = citation_engine(llm, sources, 4096)
    answer = "".join(stream_answer(engine, Q, sources, "vi"))
    assert answer == llm.reply
    expected = chatml(messages(Q, sources, "vi"))
    assert llm.sent == [expected]
    # the fixed system prompt is the prompt's prefix: llama.cpp keeps its KV cache between questions
    assert expected.startswith(f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\nSource 1:\n")
    assert "Source 2:\n<source>\nReport (A/HRC/26/6)\n143.12. Ratify CAT" in expected
    assert expected.endswith(f"Question: {Q}\nTrả lời bằng tiếng Việt.<|im_end|>\n<|im_start|>assistant\n")


def test_engine_sends_a_chat_server_system_and_user_messages() -> None:
    sources = make_sources(Q, [NEWS], 1, 360)
    llm = Scripted(reply="241 [1].", chat_model=True, sent=[])
    assert "".join(stream_answer(citation_engine(llm, sources, 4096), Q, sources, "vi")) == "241 [1]."
    sent = llm.sent[0]
    assert [m.role.value for m in sent] == ["system", "user"]
    assert [m.content for m in sent] == [m.content for m in messages(Q, sources, "vi")]


def test_a_question_in_the_other_language_gets_the_glossary_before_the_question() -> None:
    sources = make_sources("Which States asked Viet Nam to ratify CAT?", [REPORT], 1, 360)
    user = messages("Việt Nam được khuyến nghị phê chuẩn CAT bởi những nước nào?", sources, "vi")[-1].content
    assert user is not None and user.startswith("Source 1:\n<source>\n")
    tail = user.rsplit("</source>", 1)[1]
    assert "Question: Việt Nam được khuyến nghị" in tail and tail.strip().endswith("Trả lời bằng tiếng Việt.")


def _ask(monkeypatch: pytest.MonkeyPatch, llm: Scripted, passages: list[Passage], backend: str = "local") -> Answer:
    monkeypatch.setattr(answering, "get_llm", lambda backend, settings: llm)
    trace = RetrievalTrace(dense_top=0.8, keyword_coverage=1.0, keyword_weight=0.5)
    answerer = Answerer(Settings(), lambda question, options: (passages, trace))
    *deltas, answer = answerer.stream(Q, QueryOptions(backend=backend), [])
    assert isinstance(answer, Answer) and all(isinstance(d, str) for d in deltas)
    return answer


def test_answer_markers_map_to_the_engines_numbered_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = Scripted(reply="Việt Nam chấp thuận 241 khuyến nghị trên tổng số 291 khuyến nghị [1].", sent=[])
    answer = _ask(monkeypatch, llm, [NEWS, REPORT])
    assert not answer.refused, answer.notes
    assert [(c.n, c.source) for c in answer.citations] == [(1, "a.txt")]
    assert "241" in answer.citations[0].quote
    assert answer.timings["prompt_tokens"] > 50 and answer.timings["first_token_s"] >= 0


def test_a_refused_answer_falls_back_to_the_sentence_that_answers_it(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = Scripted(reply="Việt Nam chấp thuận 241 khuyến nghị [2].", sent=[])
    answer = _ask(monkeypatch, llm, [NEWS, REPORT])
    # [2] (the CAT paragraph) does not say 241: the sentence of source 1 that answers the question
    # is quoted instead, labelled as a quote, and cited to the news page
    assert not answer.refused and answer.quoted and len(llm.sent) == 1
    assert answer.answer.startswith("Mô hình không đưa ra được câu trả lời có căn cứ; trích nguyên văn")
    assert "241 khuyến nghị trên tổng số 291" in answer.answer
    assert [c.source for c in answer.citations] == ["a.txt"] and "241" in answer.citations[0].quote
    assert any("removed: source 2 does not contain" in n for n in answer.notes)


def test_an_unsupported_marker_is_retried_without_it_when_no_sentence_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(answering, "extractive_answer", lambda *args, **kwargs: "")
    llm = Scripted(reply="Việt Nam chấp thuận 241 khuyến nghị [2].", sent=[])
    answer = _ask(monkeypatch, llm, [NEWS, REPORT])
    # no sentence to quote: the engine is asked again with source 1 only, where the same
    # reply's [2] is out of range — refused, never shown as cited.
    assert answer.refused and not answer.quoted and len(llm.sent) == 2
    assert "Source 2:" not in llm.sent[1]
    assert any("retried without source(s) [2]" in n for n in answer.notes)


def test_a_failing_server_is_one_clear_error_without_request_details(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = Scripted(reply="x", fail=True, sent=[])
    with pytest.raises(BackendError) as err:
        _ask(monkeypatch, llm, [NEWS], "openai")
    assert "ConnectionError" in str(err.value) and "key-in-url" not in str(err.value)
