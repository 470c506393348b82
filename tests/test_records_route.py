"""Routing of counting/listing questions to the recommendation records, and the filters read
from English, Vietnamese and diacritic-free questions."""

from __future__ import annotations

import pytest

from assistant.records_route import route
from index.states import find_states

CASES = [
    # question, intent, sur, from, response, cycle, session, year, text
    ("Bao nhiêu khuyến nghị Việt Nam chấp thuận ở chu kỳ II?", "count", "Viet Nam", None, "supported", 2, None, None,
     None),
    ("bao nhieu khuyen nghi viet nam chap thuan o chu ky II", "count", "Viet Nam", None, "supported", 2, None, None,
     None),
    ("Which States recommended ratifying CAT in 2014?", "list_states", None, None, None, None, None, 2014,
     "ratify* cat"),
    ("Đức đã khuyến nghị gì về án tử hình?", "list_recs", None, "Germany", None, None, None, None,
     "death penalt* | capital punish* | death sentence*"),
    ("duc da khuyen nghi gi ve an tu hinh", "list_recs", None, "Germany", None, None, None, None,
     "death penalt* | capital punish* | death sentence*"),
    ("How many recommendations did Norway make to Viet Nam?", "count", "Viet Nam", "Norway", None, None, None, None,
     None),
    ("How many recommendations did Viet Nam receive in session 18?", "count", "Viet Nam", None, None, None, 18, None,
     None),
    ("What recommendations on the death penalty did Viet Nam note in the second cycle?", "list_recs", "Viet Nam",
     None, "noted", 2, None, None, "death* penalt*"),
    ("How many recommendations did Viet Nam accept in its second review?", "count", "Viet Nam", None, "supported", 2,
     None, None, None),
    ("Which countries recommended Belize to ratify the Optional Protocol?", "list_states", "Belize", None, None, None,
     None, None, "ratif* optional* protocol*"),
    ("Những quốc gia nào khuyến nghị Việt Nam về quyền trẻ em?", "list_states", "Viet Nam", None, None, None, None,
     None, "child*"),
    ("Có bao nhiêu khuyến nghị Việt Nam ghi nhận trong chu kỳ thứ hai?", "count", "Viet Nam", None, "noted", 2, None,
     None, None),
]  # fmt: skip


@pytest.mark.parametrize(("question", "intent", "sur", "src", "response", "cycle", "session", "year", "text"), CASES)
def test_counting_and_listing_questions_are_routed_with_their_filters(
    question: str, intent: str, sur: str | None, src: str | None, response: str | None, cycle: int | None,
    session: int | None, year: int | None, text: str | None,
) -> None:  # fmt: skip
    rq = route(question)
    assert rq is not None, question
    f = rq.filter
    got = (rq.intent, f.sur, f.from_state, f.response, f.cycle, f.session, f.year, f.text)
    assert got == (intent, sur, src, response, cycle, session, year, text)


@pytest.mark.parametrize(
    "question",
    [
        "Việt Nam đã đạt được những thành tựu gì trong bảo đảm quyền con người?",  # not about recommendations
        "Ai là trưởng đoàn Việt Nam tại phiên đối thoại UPR chu kỳ III?",
        "What did the delegation say about the press law?",
        "Khuyến nghị là gì?",  # about recommendations, but neither counting nor listing
        "How many recommendations?",  # counting, but of nothing in particular
        # a Vietnamese theme the glossary does not know must not become a wrong (empty) filter
        "Có bao nhiêu khuyến nghị về quyền của người đồng tính cho Việt Nam?",
    ],
)
def test_other_questions_go_to_retrieval(question: str) -> None:
    assert route(question) is None


def test_states_in_vietnamese_and_english_without_false_friends() -> None:
    assert find_states("Pháp và Lào đã khuyến nghị gì cho Việt Nam?") == [
        ("France", 0), ("Lao People's Democratic Republic", 2), ("Viet Nam", 8)]  # fmt: skip
    # 'biện pháp pháp luật' (legal measures), 'lao động' (labour), 'đạo đức' (ethics) are not States
    assert find_states("Việt Nam có biện pháp pháp luật gì về lao động và đạo đức?") == [("Viet Nam", 0)]
    uk = "United Kingdom of Great Britain and Northern Ireland"
    found = find_states("recommendations from the UK and USA to the Democratic Republic of the Congo")
    assert [n for n, _ in found] == [uk, "United States of America", "Democratic Republic of the Congo"]
    # typed without diacritics, a short name needs a cue: 'Anh' is also 'you'/'brother'
    assert find_states("anh co the cho biet khuyen nghi") == []
    assert [n for n, _ in find_states("nuoc Anh khuyen nghi gi")] == [uk]
