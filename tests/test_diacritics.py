"""A Vietnamese question typed without diacritics reaches the model spelled as its passages
spell it; the user's question, retrieval and the checks keep what was typed."""

from __future__ import annotations

import pytest

import assistant.answering as answering
from assistant.answering import Answerer
from assistant.config import QueryOptions, Settings
from assistant.diacritics import restore_diacritics
from assistant.retrieval import RetrievalTrace
from assistant.types import Answer
from tests.conftest import SAMPLE, SEED_241
from tests.test_citation_engine import NEWS, REPORT, Scripted

SEED_TEXT = (SAMPLE / SEED_241).read_text(encoding="utf-8")


def test_phrases_take_the_spelling_of_a_real_news_page() -> None:
    restored = restore_diacritics("viet nam chap thuan bao nhieu khuyen nghi upr chu ky iii", [SEED_TEXT])
    assert restored.startswith("việt nam chấp thuận bao")
    assert "khuyến nghị upr chu kỳ iii" in restored


def test_case_spacing_and_punctuation_are_kept() -> None:
    text = "Việt Nam chấp thuận 241 khuyến nghị. Bộ Công an chủ trì thực hiện."
    assert restore_diacritics("Viet Nam  CHAP THUAN, bo cong an chu tri?", [text]) == (
        "Việt Nam  CHẤP THUẬN, bộ công an chủ trì?"
    )


def test_what_the_passages_do_not_settle_stays_as_typed() -> None:
    # a single syllable is ambiguous (nhiều / nhiêu), so is a phrase spelled two ways
    texts = ["Có nhiều khuyến nghị.", "Bộ chủ trì.", "Ông chu tri tại đây."]
    assert restore_diacritics("bao nhieu", texts) == "bao nhieu"
    assert restore_diacritics("ai chu tri", texts) == "ai chu tri"
    # words split by punctuation in the question are not one phrase
    assert restore_diacritics("khuyen, nghi", ["các khuyến nghị"]) == "khuyen, nghi"


def test_a_question_with_any_diacritics_is_left_alone() -> None:
    assert restore_diacritics("Việt Nam chap thuan", [SEED_TEXT]) == "Việt Nam chap thuan"


def _ask(monkeypatch: pytest.MonkeyPatch, question: str, reply: str) -> tuple[Answer, str]:
    llm = Scripted(reply=reply, sent=[])
    monkeypatch.setattr(answering, "get_llm", lambda backend, settings: llm)
    trace = RetrievalTrace(dense_top=0.8, keyword_coverage=1.0, keyword_weight=0.5)
    answerer = Answerer(Settings(), lambda q, options: ([NEWS, REPORT], trace))
    *_, answer = answerer.stream(question, QueryOptions(backend="local"), [])
    assert isinstance(answer, Answer)
    return answer, llm.sent[0]


def test_the_model_reads_the_restored_question_the_user_keeps_theirs(monkeypatch: pytest.MonkeyPatch) -> None:
    typed = "viet nam chap thuan bao nhieu khuyen nghi upr chu ky iii"
    answer, prompt = _ask(monkeypatch, typed, "Việt Nam chấp thuận 241 khuyến nghị trên tổng số 291 khuyến nghị [1].")
    assert "Question: việt nam chấp thuận bao nhieu khuyến nghị upr chu kỳ iii\nTrả lời bằng tiếng Việt." in prompt
    assert answer.question == typed and answer.standalone_question == typed
    assert not answer.refused and answer.citations[0].source == "a.txt"


def test_an_english_question_is_sent_as_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    typed = "How many recommendations did Viet Nam accept in cycle III?"
    _, prompt = _ask(monkeypatch, typed, "241 [1].")
    assert f"Question: {typed}\nAnswer in English." in prompt
