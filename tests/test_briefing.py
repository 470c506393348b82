"""Press-briefing drafts: only cited sentences, a sources list, and a .docx with the same text."""

from __future__ import annotations

from pathlib import Path

from docx import Document

from assistant.briefing import cited_sentences, draft_briefing, to_docx
from assistant.types import Answer, Citation, Passage

QUESTION = "Việt Nam chấp thuận bao nhiêu khuyến nghị UPR chu kỳ III?"


def make_answer(text: str, refused: bool = False) -> Answer:
    passages = [
        Passage("d1:0", "Việt Nam đã chấp thuận 241 khuyến nghị trong chu kỳ III.", 0.9,
                {"file_name": "000_437c9dafada3569e.txt", "title": "Hội thảo UPR chu kỳ III", "date": "2021-04-07",
                 "doc_type": "news"}),
        Passage("d2:3", "The review of Viet Nam was held on 5 February 2014.", 0.8,
                {"file_name": "vietnam2014.pdf", "title": "Report of the Working Group", "date": "2014-04-02",
                 "page": 3}),
    ]
    citations = [
        Citation(1, "d1:0", "000_437c9dafada3569e.txt", "Hội thảo UPR chu kỳ III", None,
                 "Việt Nam đã chấp thuận 241 khuyến nghị trong chu kỳ III.", "2021-04-07"),
        Citation(2, "d2:3", "vietnam2014.pdf", "Report of the Working Group", 3,
                 "The review of Viet Nam was held on 5 February 2014.", "A/HRC/26/6 (p. 3)"),
    ]
    return Answer(QUESTION, text, refused, citations=[] if refused else citations, passages=passages)


def test_sentences_without_a_valid_citation_are_dropped() -> None:
    answer = make_answer("Việt Nam chấp thuận 241 khuyến nghị [1]. Đây là một thành tựu lớn. "
                         "Phiên rà soát diễn ra ngày 5/2/2014 [2][7]. Một ý bịa đặt [9].")
    sentences, used = cited_sentences(answer)
    assert sentences == ["Việt Nam chấp thuận 241 khuyến nghị [1].", "Phiên rà soát diễn ra ngày 5/2/2014 [2]."]
    assert used == [1, 2]


def test_marker_after_the_full_stop_cites_the_sentence_before_it() -> None:
    # The extractive backend writes "sentence. [n]"
    answer = make_answer("Việt Nam đã chấp thuận 241 khuyến nghị. [1] The review was held on 5 February 2014. [2]")
    sentences, _ = cited_sentences(answer)
    assert sentences == ["Việt Nam đã chấp thuận 241 khuyến nghị [1].", "The review was held on 5 February 2014 [2]."]


def test_draft_has_heading_cited_text_and_sources() -> None:
    answer = make_answer("Việt Nam chấp thuận 241 khuyến nghị [1]. Câu không có nguồn.")
    draft = draft_briefing(answer, "vi")
    assert draft.startswith("# Thông tin báo chí")
    assert "Việt Nam chấp thuận 241 khuyến nghị [1]." in draft
    assert "Câu không có nguồn" not in draft
    sources = draft.split("## Nguồn", 1)[1]
    assert "[1] Hội thảo UPR chu kỳ III" in sources and "2021-04-07" in sources
    assert "[2]" not in sources  # only sources the kept sentences cite


def test_english_draft_lists_locator_and_date() -> None:
    draft = draft_briefing(make_answer("The review was held on 5 February 2014 [2]."), "en")
    assert draft.startswith("# Press briefing")
    assert "## Sources" in draft
    assert "[2] Report of the Working Group — A/HRC/26/6 (p. 3) — 2014-04-02" in draft


def test_refusal_gives_no_claims() -> None:
    draft = draft_briefing(make_answer("Các tài liệu hiện có không chứa thông tin.", refused=True), "vi")
    assert "Không có nội dung nào có nguồn trích dẫn hợp lệ" in draft
    assert "## Nguồn" not in draft


def test_docx_export_has_the_draft_text(tmp_path: Path) -> None:
    answer = make_answer("Việt Nam chấp thuận 241 khuyến nghị [1]. The review was held on 5 February 2014 [2].")
    path = to_docx(draft_briefing(answer, "vi"), tmp_path / "exports" / "briefing.docx")
    doc = Document(str(path))
    texts = [p.text for p in doc.paragraphs]
    styles = {p.text: p.style.name if p.style else None for p in doc.paragraphs}
    assert styles["Thông tin báo chí"] == "Heading 1"
    assert styles["Nguồn"] == "Heading 2"
    assert any("Việt Nam chấp thuận 241 khuyến nghị [1]." in t for t in texts)
    assert any(t.startswith("[1] Hội thảo UPR chu kỳ III") for t in texts)
    assert any(t.startswith("[2] Report of the Working Group") for t in texts)
    assert "**" not in "\n".join(texts)
