"""The one answering path: standalone question → retrieve → numbered sources → backend
(llama-index's ``CitationQueryEngine`` for the LLM backends, see ``prompting.py``) → ``[n]``
markers validated against their passages → answer, or an evidence-based refusal."""

from __future__ import annotations

import copy
import dataclasses
import time
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from llama_index.core.llms import ChatMessage

from assistant.citations import validate
from assistant.config import QueryOptions, Settings
from assistant.diacritics import restore_diacritics
from assistant.evidence import Evidence
from assistant.extractive import extractive_answer
from assistant.followup import standalone_question
from assistant.llm import get_llm, guarded_stream
from assistant.prompting import citation_engine, messages, stream_answer
from assistant.refusal import (
    NOT_FOUND,
    RETRY_DENSE_MIN,
    model_refused,
    refusal_text,
    retrieval_supports,
    unsupported_numbers,
)
from assistant.sources import Source, evidence_passages, make_sources
from assistant.types import Answer, Passage
from ingest.metadata import detect_language

HOLD_BACK = len(NOT_FOUND) + 2
# Said before sentences quoted from the sources when the model's own answer was refused.
QUOTED = {
    "vi": "Mô hình không đưa ra được câu trả lời có căn cứ; trích nguyên văn từ tài liệu:",
    "en": "The model gave no answer the sources support; quoted from the documents:",
}  # do not stream what may turn out to be the refusal token

Retrieve = Callable[[str, QueryOptions], tuple[list[Passage], Any]]


def prompt_tokens(llm: Any, chat: list[ChatMessage]) -> float:
    """Context size in model tokens (local model), else an estimate of 4 characters a token."""
    text = "".join(m.content or "" for m in chat)
    model = getattr(llm, "_model", None)
    if model is not None and hasattr(model, "tokenize"):
        return float(len(model.tokenize(text.encode("utf-8"), add_bos=False)))
    return round(len(text) / 4)


class Answerer:
    """Runs the answering path for one settings object; backends are chosen per request."""

    def __init__(self, settings: Settings, retrieve: Retrieve) -> None:
        self.settings = settings
        self.retrieve = retrieve

    def stream(self, question: str, options: QueryOptions, history: list[tuple[str, str]]) -> Iterator[str | Answer]:
        """Text deltas while the backend writes, then the final validated ``Answer``."""
        timings: dict[str, float] = {}
        t0 = time.monotonic()
        question = unicodedata.normalize("NFC", question.strip())
        backend = options.backend or self.settings.backend
        standalone = standalone_question(question, history)
        language = detect_language(question)
        # Evidence selection reads more passages than the answer lists as its closest sources.
        wanted = max(options.top_k or self.settings.top_k, self.settings.evidence_k)
        passages, trace = self.retrieve(standalone, dataclasses.replace(options, top_k=wanted))
        timings["retrieval_s"] = round(time.monotonic() - t0, 3)
        base = Answer(
            question=question,
            answer="",
            refused=True,
            passages=passages,
            timings=timings,
            backend=backend,
            standalone_question=standalone,
        )
        base.evidence = {
            "dense_top": round(trace.dense_top, 4),
            "keyword_coverage": round(trace.keyword_coverage, 4),
            "keyword_weight": round(trace.keyword_weight, 4),
        }
        ok, why = retrieval_supports(standalone, passages, trace)
        if not ok:
            yield self._refuse(base, language, f"retrieval: {why}")
            return
        if not evidence_passages(passages):
            yield self._refuse(base, language, "every passage found speaks to the assistant (planted text)")
            return
        if backend == "extractive":
            sources = make_sources(standalone, passages, len(passages))
            base.context = [s.window for s in sources]
            timings["generation_s"] = 0.0
            text = extractive_answer(standalone, sources)
            yield self._finish(base, text, sources, language, standalone, quoted=True)[0]
            return
        cfg = self.settings
        sources = make_sources(standalone, passages, cfg.llm_sources, cfg.llm_window_chars, cfg.llm_budget_chars)
        base.context = [s.window for s in sources]
        # The model reads "chấp thuận" where the user typed "chap thuan" (the passages spell it).
        asked = restore_diacritics(standalone, [p.text for p in passages]) if language == "vi" else standalone
        raw = yield from self._generate(backend, asked, sources, language, timings)
        first, rejected = self._finish(copy.deepcopy(base), raw, sources, language, standalone)
        if not first.refused:
            yield first
            return
        quoted = self._quoted(copy.deepcopy(base), standalone, passages, language, first.notes)
        kept = [s for s in sources if s.n not in rejected]
        if quoted is not None or not (rejected and kept and trace.dense_top >= RETRY_DENSE_MIN):
            yield quoted or first
            return
        # The model leaned on a source that does not say what it claimed: ask once more
        # without it, rather than refuse a question the other sources may answer.
        sources = [Source(i + 1, s.passage, s.window) for i, s in enumerate(kept)]
        base.notes.append(f"retried without source(s) {sorted(rejected)}: {'; '.join(first.notes)}")
        raw = yield from self._generate(backend, asked, sources, language, timings)
        yield self._finish(base, raw, sources, language, standalone)[0]

    def _quoted(
        self, base: Answer, question: str, passages: list[Passage], language: str, why: list[str]
    ) -> Answer | None:
        """When the model gives no answer its sources support, the sentences of the passages that
        answer the question on their own (``Evidence.answers``), quoted and cited, and said to be
        quotes; None when no sentence does (then the refusal stands)."""
        sources = make_sources(question, passages, len(passages))
        text = extractive_answer(question, sources, strict=True)
        if not text:
            return None
        answer, _ = self._finish(base, text, sources, language, question, quoted=True)
        if answer.refused:
            return None
        answer.answer = f"{QUOTED[language]}\n{answer.answer}"
        answer.quoted = True
        answer.notes[:0] = [*why, "quoted: the model's answer was refused; these are the sources' own sentences"]
        return answer

    def _generate(
        self, backend: str, question: str, sources: list[Source], language: str, timings: dict[str, float]
    ) -> Iterator[str]:
        llm = get_llm(backend, self.settings)
        timings["prompt_tokens"] = prompt_tokens(llm, messages(question, sources, language))
        engine = citation_engine(llm, sources, self.settings.llm_context)
        t0 = time.monotonic()
        text, sent, pieces = "", 0, 0
        for delta in guarded_stream(lambda: stream_answer(engine, question, sources, language), backend):
            if "first_token_s" not in timings:
                timings["first_token_s"] = round(time.monotonic() - t0, 3)
            text += delta
            pieces += 1
            if len(text) > HOLD_BACK and not text.lstrip().startswith(NOT_FOUND[:4]):
                yield text[sent:]
                sent = len(text)
        timings["generation_s"] = round(time.monotonic() - t0, 3)
        timings["answer_chars"] = len(text)
        timings["output_tokens"] = pieces  # streamed pieces: one token each for llama.cpp and most servers
        return text

    def _finish(
        self, base: Answer, raw: str, sources: list[Source], language: str, question: str, quoted: bool = False
    ) -> tuple[Answer, set[int]]:
        """The validated answer, or a refusal; and the sources cited for what they do not say."""
        asked = Evidence(question, [s.passage for s in sources])
        # Refusal phrases are the model's; in quoted sentences they are document text.
        no_answer = (not raw.strip()) if quoted else model_refused(raw)
        if no_answer:
            return self._refuse(base, language, "the model found no answer in the sources"), set()
        extra = unsupported_numbers(raw, question, [s.passage for s in sources])
        if extra:
            why = f"answer numbers not in the sources: {', '.join(sorted(extra))}"
            return self._refuse(base, language, why), set()
        text, citations, notes, rejected = validate(raw, sources, question)
        if not citations:
            why = "no sentence of the answer is supported by a cited source"
            return self._refuse(base, language, why, notes), rejected
        if not quoted and not any(asked.gives_what_is_asked(c.quote) for c in citations):
            why = "no cited sentence gives what the question asks for (a figure, a date, a person, a State)"
            return self._refuse(base, language, why, notes), rejected
        base.answer, base.refused, base.citations = text, False, citations
        base.notes.extend(notes)
        return base, rejected

    def _refuse(self, base: Answer, language: str, why: str, notes: list[str] | None = None) -> Answer:
        base.answer = refusal_text(language, base.passages)
        base.refused = True
        base.notes.append(f"refused: {why}")
        base.notes.extend(notes or [])
        return base
