"""End to end with the real embedding model over the bundled sample corpus (seeds + 2 PDFs).

These are the paths users depend on, so they run in CI too (marked slow). The embedding
cache makes re-runs fast; the first run embeds ≈110 chunks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import QueryOptions, Settings
from assistant.retrieval import typed_without_diacritics
from assistant.service import Assistant
from ingest.chunking import page_at
from tests.conftest import SAMPLE, SEED_241, SHARED

pytestmark = pytest.mark.slow
Q_VI = "Việt Nam chấp thuận bao nhiêu khuyến nghị UPR chu kỳ III?"
Q_NO_DIACRITICS = "viet nam chap thuan bao nhieu khuyen nghi upr chu ky III"
Q_EN = "How many recommendations did Viet Nam accept in the third UPR cycle?"


@pytest.fixture
def data_dir(sample_assistant: Assistant) -> Path:
    return sample_assistant.settings.data_dir


def test_seed_junk_is_gone_and_article_sentences_stay(sample_assistant: Assistant) -> None:
    chunks = [r for r in sample_assistant.catalog.iter_chunks() if r.metadata["file_name"] == SEED_241]
    text = "\n".join(c.text for c in chunks)
    assert "Đối với UPR chu kỳ III, Việt Nam chấp thuận 241 khuyến nghị trên tổng số 291 khuyến nghị" in text
    assert "Cơ chế UPR là một trong những cơ chế quan trọng nhất" in text
    # Image markdown, photo captions and the related-videos list at the end of the page.
    for junk in ("![", "(Ảnh: Nguyễn Linh)", "[Video] Bản hòa ca tình hữu nghị", "Samaritan’s Purse"):
        assert junk not in text


def test_pdf_chunks_keep_page_numbers(sample_assistant: Assistant) -> None:
    rows = [r for r in sample_assistant.catalog.iter_chunks() if r.metadata["file_name"] == "vietnam2014.pdf"]
    meeting = next(r for r in rows if "16th meeting on 5 February 2014" in r.text)
    assert page_at(meeting.metadata, meeting.text.index("16th meeting on 5 February 2014")) == 3
    rec = next(r for r in rows if "143.1." in r.text)
    assert rec.metadata["page"] <= 14 <= rec.metadata["page_end"]
    assert all(r.metadata["symbol"] == "A/HRC/26/6" and r.metadata["cycle"] == 2 for r in rows)


def _files(passages: list) -> list[str]:  # type: ignore[type-arg]
    return [p.file_name for p in passages]


def test_vietnamese_question_finds_the_passage(sample_assistant: Assistant) -> None:
    passages = sample_assistant.search(Q_VI)
    assert passages[0].file_name == SEED_241 and "241" in passages[0].text


def test_question_without_diacritics_finds_the_same_passage(sample_assistant: Assistant) -> None:
    with_marks = sample_assistant.search(Q_VI)[0].chunk_id
    assert sample_assistant.search(Q_NO_DIACRITICS)[0].chunk_id == with_marks
    assert sample_assistant.search(Q_NO_DIACRITICS, QueryOptions(mode="keyword"))[0].chunk_id == with_marks


def test_question_without_diacritics_leans_on_the_keyword_ranking(sample_assistant: Assistant) -> None:
    assert typed_without_diacritics(Q_NO_DIACRITICS, "vi")
    assert not typed_without_diacritics(Q_VI, "vi") and not typed_without_diacritics(Q_EN, "en")
    _, marked = sample_assistant.retrieve_with_trace(Q_VI, QueryOptions())
    _, plain = sample_assistant.retrieve_with_trace(Q_NO_DIACRITICS, QueryOptions())
    assert marked.keyword_weight <= 1.0  # never more than the dense ranking's weight ...
    assert plain.keyword_weight > 1.0  # ... except when the dense model reads unmarked Vietnamese


def test_cross_lingual_question_finds_the_vietnamese_passage(sample_assistant: Assistant) -> None:
    top = sample_assistant.search(Q_EN, QueryOptions(top_k=3))
    assert SEED_241 in _files(top)
    assert any("241" in p.text for p in top)


def test_question_naming_a_cycle_prefers_that_cycles_report(sample_assistant: Assistant) -> None:
    """Both Viet Nam reports say who headed the delegation; the dense model ranks the 2009 one
    first for a question about the second review, the metadata preference the 2014 one."""
    question = "Who headed Viet Nam's delegation at its second UPR review?"

    def first_report(mode: str) -> str:
        return next(f for f in _files(sample_assistant.search(question, QueryOptions(mode=mode))) if f.endswith(".pdf"))

    assert first_report("dense") == "vietnam2009.pdf"
    assert first_report("hybrid") == "vietnam2014.pdf"


@pytest.fixture(scope="module")
def with_malaysia(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """The sample corpus (Vietnamese news about Viet Nam) plus Malaysia's two UN reports."""
    assistant = Assistant(Settings.from_env(data_dir=tmp_path_factory.mktemp("malaysia") / "data"))
    reports = [SHARED / "corpus" / "un-wg-reports" / f"malaysia{year}.pdf" for year in (2009, 2013)]
    assert len(assistant.ingest([SAMPLE, *reports]).by_status("indexed")) == 9
    return assistant


def test_vietnamese_question_about_another_state_finds_its_english_report(with_malaysia: Assistant) -> None:
    """The dense model ranks Vietnamese news first for a Vietnamese question, whatever it asks;
    the passages ABOUT Malaysia are English, so the keyword ranking (which can only match the
    Vietnamese news) must not count, and the report of the named cycle leads."""
    question = "Ai là trưởng đoàn Ma-lai-xi-a tại phiên rà soát UPR chu kỳ I?"
    passages, trace = with_malaysia.retrieve_with_trace(question, QueryOptions())
    assert trace.keyword_weight == 0.0
    assert passages[0].file_name == "malaysia2009.pdf"
    second = with_malaysia.search(question.replace("chu kỳ I?", "chu kỳ II?"))
    assert second[0].file_name == "malaysia2013.pdf"


def test_filters_exclude_what_they_should(sample_assistant: Assistant) -> None:
    reports = sample_assistant.search(Q_VI, QueryOptions(filters={"type": "wg_report"}))
    assert reports and all(p.metadata["doc_type"] == "wg_report" for p in reports)
    vi = sample_assistant.search(Q_EN, QueryOptions(filters={"language": "vi"}, mode="keyword"))
    assert all(p.metadata["language"] == "vi" for p in vi)
    cycle1 = sample_assistant.search("recommendations", QueryOptions(filters={"cycle": "1", "country": "viet nam"}))
    assert cycle1 and {p.file_name for p in cycle1} == {"vietnam2009.pdf"}
    late = sample_assistant.search(Q_VI, QueryOptions(filters={"from": "2014-03"}))
    assert "vietnam2009.pdf" not in _files(late)


def test_extractive_answer_cites_the_241_passage(sample_assistant: Assistant) -> None:
    answer = sample_assistant.ask(Q_VI, QueryOptions(backend="extractive"))
    assert not answer.refused and "241" in answer.answer
    assert any(c.source == SEED_241 and "241" in c.quote for c in answer.citations)


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_cli_status_search_and_ask_json(sample_assistant: Assistant, data_dir: Path) -> None:
    status = json.loads(_cli(data_dir, "status", "--json").stdout)
    assert status["documents"] == 7 and status["chunks"] > 50 and status["consistency"]["ok"]
    hits = json.loads(_cli(data_dir, "search", Q_VI, "-k", "2", "--json").stdout)
    assert len(hits) == 2 and {"chunk_id", "score", "metadata"} <= set(hits[0])
    answer = json.loads(_cli(data_dir, "ask", Q_VI, "--backend", "extractive", "--json").stdout)
    assert {"answer", "refused", "citations", "timings"} <= set(answer)
    assert {"n", "source", "title", "page", "quote"} <= set(answer["citations"][0])


def test_cli_reports_bad_input_without_traceback(data_dir: Path, tmp_path: Path) -> None:
    result = _cli(data_dir, "search", Q_VI, "--filter", "colour=red")
    assert result.returncode == 1 and "unknown filter" in result.stderr and "Traceback" not in result.stderr
