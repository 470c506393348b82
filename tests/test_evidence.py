"""Evidence selection on hand-made passages: which sentences the model is shown, and which one
may stand as a quoted answer on its own."""

from __future__ import annotations

from assistant.evidence import Evidence
from assistant.extractive import extractive_answer
from assistant.glossary import glossary_for
from assistant.named import Named
from assistant.question import answer_kinds, holds_kind, question_terms
from assistant.roles import reviewed_and_recommending
from assistant.sources import make_sources
from assistant.types import Passage

REPORT_2009 = {"file_name": "vn2009.pdf", "title": "Report: Viet Nam", "language": "en", "doc_type": "wg_report",
               "country": "Viet Nam", "year": 2009, "cycle": 1, "doc_id": "r09"}  # fmt: skip
REPORT_2014 = {**REPORT_2009, "file_name": "vn2014.pdf", "year": 2014, "cycle": 2, "doc_id": "r14"}
NEWS = {"file_name": "news.txt", "title": "Hội nghị tập huấn", "language": "vi", "doc_id": "n1", "year": 2024}


def _p(cid: str, text: str, meta: dict[str, object]) -> Passage:
    return Passage(cid, text, 0.5, dict(meta))


def test_answer_kinds_in_both_languages() -> None:
    assert answer_kinds("How many delegations took the floor?") == ("number",)
    assert answer_kinds("Việt Nam chấp thuận bao nhiêu khuyến nghị?") == ("number",)
    assert answer_kinds("When was Myanmar's review held and who led its delegation?") == ("date", "person")
    assert answer_kinds("ai chu tri hoi nghi") == ("person",)
    # a person is known by a title, in either language
    asked = Named(frozenset(), frozenset(), frozenset())
    for said in ("Điều phối viên thường trú Liên hợp quốc Pauline Tamesis đánh giá cao cam kết của Việt Nam.",
                 "The UN Resident Coordinator, Pauline Tamesis, welcomed the report.",
                 "Trưởng đoàn Việt Nam phát biểu tại phiên họp.",
                 "The Special Rapporteur visited in 2014."):  # fmt: skip
        assert holds_kind("person", said, asked, frozenset()) == 1.0, said
    assert holds_kind("person", "Hội thảo diễn ra tại Hà Nội ngày 27/4.", asked, frozenset()) == 0.0
    assert answer_kinds("Which States formed the troika?") == ("states",)
    assert answer_kinds("What safeguards did Malaysia say the Act contains?") == ("list",)
    assert answer_kinds("Những đại biểu nào đến dự hội nghị?") == ("list",)
    assert answer_kinds("What did Viet Nam say about Decree 72?") == ()


def test_question_terms_keep_phrases_translations_and_states_together() -> None:
    named = Named.of("Phái đoàn Bru-nây gồm bao nhiêu thành viên?")
    terms = question_terms("Phái đoàn Bru-nây gồm bao nhiêu thành viên?", named)
    forms = [t.forms for t in terms]
    assert any(("deleg",) in f and ("phai", "doan") in f for f in forms)  # glossary: phái đoàn = delegation
    assert any(("member",) in f for f in forms)  # thành viên = members
    assert [t.state for t in terms if t.state] == ["Brunei Darussalam"]
    gom = next(t for t in terms if t.forms == frozenset({("gom",)}))
    assert not gom.bilingual  # "gồm" with its diacritics cannot match an English report


def test_the_sentence_after_the_one_that_restates_the_question_is_shown() -> None:
    text = (
        "Ngày 03/10/2024, Ban Chỉ đạo Nhân quyền Chính phủ tổ chức Hội nghị tập huấn nhân quyền toàn quốc "
        "đợt 2 năm 2024 tại thành phố Quy Nhơn, tỉnh Bình Định, với sự tham gia của các bộ, ngành trung ương. "
        "Trung tướng Lê Quốc Hùng, Thứ trưởng Bộ Công an, chủ trì Hội nghị. "
        "Hội nghị đã nghe các báo cáo chuyên đề về công tác nhân quyền."
    )
    question = "Ai chủ trì Hội nghị tập huấn nhân quyền toàn quốc đợt 2 năm 2024?"
    [source] = make_sources(question, [_p("n1:0", text, NEWS)], 1, 260)
    assert "Lê Quốc Hùng" in source.window
    assert "báo cáo chuyên đề" not in source.window  # an irrelevant neighbour is not shown


def test_a_comparison_gets_a_window_from_each_compared_item_first() -> None:
    question = "How many delegations spoke at Viet Nam's 2009 and 2014 reviews?"
    passages = [
        _p("r14:0", "The review of Viet Nam was held on 5 February 2014. It thanked all delegations.", REPORT_2014),
        _p("r14:1", "During the interactive dialogue, 106 delegations made statements.", REPORT_2014),
        _p("r09:3", "During the interactive dialogue, statements were made by 60 delegations.", REPORT_2009),
    ]
    sources = make_sources(question, passages, 2, 300)
    assert sorted(s.passage.chunk_id for s in sources) == ["r09:3", "r14:1"]
    answer = extractive_answer(question, make_sources(question, passages, 3), strict=True)
    assert "60 delegations" in answer and "106 delegations" in answer


def test_each_compared_item_is_answered_by_its_own_sentence_whatever_the_phrasing() -> None:
    """The years of a comparison name its items: the 2014 sentence need not say 2009. Words that
    frame the question ("change between", "the number of") are not what a sentence must say."""
    passages = [
        _p("r14:1", "During the interactive dialogue, 106 delegations made statements.", REPORT_2014),
        _p("r09:3", "During the interactive dialogue, statements were made by 60 delegations.", REPORT_2009),
    ]
    for question in (
        "How many delegations made statements at Viet Nam's first (2009) and second (2014) reviews?",
        "How did the number of delegations that made statements change between Viet Nam's 2009 and 2014 reviews?",
    ):
        answer = extractive_answer(question, make_sources(question, passages, 2), strict=True)
        assert "60 delegations" in answer and "106 delegations" in answer, question


def test_windows_share_one_budget() -> None:
    question = "What did Viet Nam say about the death penalty?"
    texts = [f"Viet Nam said the death penalty applied to {n} crimes in {y}." for n, y in ((22, 2014), (29, 2009))]
    texts += ["Viet Nam said a moratorium on the death penalty was not being considered at present."]
    passages = [_p(f"d{i}:0", t, {**REPORT_2014, "doc_id": f"d{i}"}) for i, t in enumerate(texts)]
    tight = make_sources(question, passages, 4, 400, budget=150)
    assert sum(len(s.window) for s in tight) <= 150 and len(tight) == 2
    assert len(make_sources(question, passages, 4, 400, budget=1000)) == 3


def test_a_long_sentence_is_cut_around_its_answer() -> None:
    filler = ", ".join(f"the Ministry of Agency {i}" for i in range(40))
    text = f"The delegation comprised representatives of {filler}, and was headed by Ha Kim Ngoc, Deputy Minister."
    [source] = make_sources("Who headed the delegation?", [_p("r14:5", text, REPORT_2014)], 1, 200)
    assert "headed by Ha Kim Ngoc" in source.window and len(source.window) <= 320


def test_a_sentence_stands_as_the_answer_only_when_it_answers() -> None:
    passages = [
        _p("c:0", "Recommendation to Viet Nam from Sweden (session 18): Declare a moratorium on the death penalty.",
           {"file_name": "recs.csv", "language": "en", "record_sur": "Viet Nam", "doc_id": "c"}),
        _p("r14:2", "The delegation said the death penalty applied to 22 crimes.", REPORT_2014),
    ]  # fmt: skip
    ev = Evidence("What did Norway recommend on the death penalty?", passages)
    assert not any(ev.answers(c) for c in ev.candidates)  # Sweden's recommendation is not Norway's
    ev = Evidence("What did Sweden recommend to Viet Nam on the death penalty?", passages)
    assert [c.passage for c in ev.candidates if ev.answers(c)] == [0]
    # a "how many" question is answered only by a sentence with a figure
    ev = Evidence("How many crimes is the death penalty applied to in Viet Nam?", passages)
    assert [c.text for c in ev.candidates if ev.answers(c)] == [passages[1].text]
    # a sentence from a report about another cycle does not answer
    ev = Evidence("How many crimes carried the death penalty at Viet Nam's first review?", passages)
    assert not any(ev.answers(c) for c in ev.candidates if c.passage == 1)


def test_roles_tell_the_reviewed_state_from_the_recommending_one() -> None:
    assert reviewed_and_recommending("What did Viet Nam recommend to Brunei Darussalam in 2014?") == (
        frozenset({"Brunei Darussalam"}),
        frozenset({"Viet Nam"}),
    )
    assert reviewed_and_recommending("Việt Nam khuyến nghị gì cho Bru-nây?")[0] == {"Brunei Darussalam"}
    # both roles in two clauses: both are reviewed
    both = "What did Malaysia recommend to Viet Nam, and what did Viet Nam recommend to Malaysia at its review?"
    assert reviewed_and_recommending(both) == (frozenset({"Malaysia", "Viet Nam"}), frozenset())
    # no recommending: every State named is what the question is about
    assert reviewed_and_recommending("Hiến pháp năm nào của Campuchia bãi bỏ án tử hình?")[0] == {"Cambodia"}


def test_the_prompt_glossary_names_only_the_spellings_used() -> None:
    pairs = glossary_for("Ai là trưởng đoàn Việt Nam?", ["The delegation of Viet Nam was headed by Ha Kim Ngoc."])
    assert ("trưởng đoàn", "headed") in pairs
    assert glossary_for("Ai là trưởng đoàn?", ["Nothing relevant here."]) == []
