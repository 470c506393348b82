"""Citation validation, refusal evidence and the extractive backend, on hand-made passages."""

from __future__ import annotations

from assistant.citations import validate
from assistant.extractive import extractive_answer
from assistant.prompting import user_prompt
from assistant.refusal import model_refused, retrieval_supports, unsupported_numbers
from assistant.retrieval import RetrievalTrace
from assistant.sources import Source, locator, make_sources
from assistant.types import Passage

P1 = Passage(
    "d1:0",
    "Đối với UPR chu kỳ III, Việt Nam chấp thuận 241 khuyến nghị trên tổng số 291 khuyến nghị. "
    "Hội thảo diễn ra tại Hà Nội.",
    0.9,
    {"file_name": "a.txt", "title": "Tin A"},
)
P2 = Passage(
    "d2:3",
    "143.12. Ratify CAT (Gabon, Mali, Slovakia);",
    0.8,
    {"file_name": "vietnam2014.pdf", "title": "Report", "symbol": "A/HRC/26/6", "para_first": "143.12", "page": 21},
)


def _sources() -> list[Source]:
    return make_sources("Việt Nam chấp thuận bao nhiêu khuyến nghị?", [P1, P2], 5)


def test_valid_marker_is_kept_with_quote() -> None:
    text, cites, notes, _ = validate("Việt Nam chấp thuận 241 khuyến nghị [1].", _sources())
    assert "[1]" in text and not notes
    assert cites[0].source == "a.txt" and "241" in cites[0].quote


def test_out_of_range_marker_is_removed_and_noted() -> None:
    text, cites, notes, _ = validate("Việt Nam chấp thuận 241 khuyến nghị [7].", _sources())
    assert "[7]" not in text and not cites and "no source 7" in notes[0]


def test_marker_pointing_to_a_passage_without_the_claim_is_removed() -> None:
    text, cites, notes, _ = validate("Việt Nam chấp thuận 241 khuyến nghị [2].", _sources())
    assert "[2]" not in text and not cites and "does not contain" in notes[0]


def test_wrong_number_is_not_supported() -> None:
    _, cites, notes, _ = validate("Việt Nam chấp thuận 240 khuyến nghị [1].", _sources())
    assert not cites and notes


def test_locator_uses_symbol_paragraph_and_page() -> None:
    assert locator(P2) == "A/HRC/26/6, para. 143.12 (p. 21)"


def test_locator_names_the_paragraphs_the_window_shows_not_the_chunks_first() -> None:
    text = (
        "79. Brazil welcomed the plan.\nIt urged review of the death penalty.\n"
        "80. Brunei Darussalam welcomed progress in social welfare.\n81. Chile noted the report."
    )
    report = Passage("d3:1", text, 0.8, {"symbol": "A/HRC/26/6", "para_first": "79", "page": 9})
    assert locator(report, "Brunei Darussalam welcomed progress in social welfare.") == "A/HRC/26/6, para. 80 (p. 9)"
    assert (
        locator(
            report, "It urged review of the death penalty. 80. Brunei Darussalam welcomed progress in social welfare."
        )
        == "A/HRC/26/6, paras. 79–80 (p. 9)"
    )
    assert (
        locator(report, "80. Brunei Darussalam welcomed progress in social welfare. 81. Chile noted the report.")
        == "A/HRC/26/6, paras. 80–81 (p. 9)"
    )
    assert locator(report, "a sentence the passage does not have") == "A/HRC/26/6, para. 79 (p. 9)"


def test_a_window_already_shown_is_not_a_second_source() -> None:
    overlap = Passage("d1:1", P1.text.split(". ")[0] + ".", 0.85, {"file_name": "a.txt", "title": "Tin A"})
    sources = make_sources("Việt Nam chấp thuận bao nhiêu khuyến nghị?", [P1, overlap, P2], 5)
    assert [s.passage.chunk_id for s in sources] == ["d1:0", "d2:3"]
    assert [s.n for s in sources] == [1, 2]


def test_refusal_evidence() -> None:
    weak = RetrievalTrace(dense_top=0.2, keyword_coverage=0.1)
    strong = RetrievalTrace(dense_top=0.7, keyword_coverage=0.8)
    assert not retrieval_supports("q", [P1], weak)[0]
    assert not retrieval_supports("q", [], strong)[0]
    assert retrieval_supports("chu kỳ III", [P1], strong)[0]
    ok, why = retrieval_supports("Việt Nam chấp thuận bao nhiêu khuyến nghị năm 2019?", [P1], strong)
    assert not ok and "2019" in why


def test_model_refusal_and_unsupported_numbers() -> None:
    assert model_refused("NOT_FOUND") and model_refused("") and not model_refused("Việt Nam chấp thuận 241 [1].")
    assert unsupported_numbers("Việt Nam chấp thuận 250 khuyến nghị [1].", "bao nhiêu?", [P1]) == {"250"}
    assert unsupported_numbers("Việt Nam chấp thuận 241 khuyến nghị [1].", "bao nhiêu?", [P1]) == set()


def test_extractive_picks_the_supporting_sentence_and_cites_it() -> None:
    answer = extractive_answer("Việt Nam chấp thuận bao nhiêu khuyến nghị UPR chu kỳ III?", _sources())
    assert answer.startswith("Đối với UPR chu kỳ III") and "[1]" in answer
    text, cites, _, _ = validate(answer, _sources())
    assert cites and cites[0].n == 1


def test_claim_about_another_cycle_is_not_supported() -> None:
    cycle1 = Passage(
        "d3:0",
        "In its first UPR in May 2009, Viet Nam received 123 recommendations, 96 of which were accepted.",
        0.7,
        {"file_name": "vietnam2014.pdf", "title": "Report", "cycle": 2},
    )
    sources = make_sources("How many recommendations in the third cycle?", [P1, cycle1], 5)
    _, cites, _, rejected = validate("Viet Nam accepted 96 recommendations in the third cycle [2].", sources)
    assert not cites and rejected == {2}
    _, cites, _, _ = validate("Viet Nam accepted 241 recommendations in the third cycle [1].", sources)
    assert [c.n for c in cites] == [1]


def test_a_number_stated_for_one_cycle_is_not_support_for_another() -> None:
    news = Passage(
        "d4:0",
        "Trong chu kỳ III, Việt Nam đã nhận được 291 khuyến nghị từ 122 nước và đã chấp thuận 241 "
        "khuyến nghị trong số đó. Chu kỳ IV của UPR đã chính thức bắt đầu kể từ cuối năm 2022.",
        0.8,
        {"file_name": "news.txt", "title": "Tin"},
    )
    sources = make_sources("Việt Nam chấp thuận bao nhiêu khuyến nghị tại UPR chu kỳ IV?", [news], 1)
    _, cites, _, rejected = validate("Việt Nam chấp thuận 241 khuyến nghị tại UPR chu kỳ IV [1].", sources)
    assert not cites and rejected == {1}
    _, cites, _, _ = validate("Việt Nam chấp thuận 241 khuyến nghị tại UPR chu kỳ III [1].", sources)
    assert [c.n for c in cites] == [1]
    _, cites, _, _ = validate("Chu kỳ IV bắt đầu từ cuối năm 2022 [1].", sources)
    assert [c.n for c in cites] == [1]


def test_a_state_the_cited_passage_does_not_name_is_not_supported() -> None:
    rec = Passage(
        "r1:0",
        "Recommendation to Viet Nam from Sweden (session 18, response: Noted): Declare a moratorium on "
        "the capital punishment.",
        0.8,
        {"file_name": "recs.csv", "title": "UPR Info recommendations", "language": "en"},
    )
    belize = Passage(
        "b1:0",
        "During the interactive dialogue, 50 delegations made statements on Belize.",
        0.7,
        {"file_name": "belize.pdf", "title": "Report: Belize", "country": "Belize", "language": "en"},
    )
    news = Passage(
        "n1:0",
        "Thụy Điển khuyến nghị tuyên bố tạm ngừng áp dụng án tử hình.",
        0.6,
        {"file_name": "news.txt", "title": "Tin", "language": "vi"},
    )
    sources = [Source(n, p, p.text) for n, p in enumerate([rec, belize, news], 1)]
    _, cites, _, rejected = validate("Norway recommended a moratorium on the capital punishment [1].", sources)
    assert not cites and rejected == {1}
    _, cites, _, _ = validate("Sweden recommended a moratorium on the capital punishment [1].", sources)
    assert [c.n for c in cites] == [1]
    # the same State in Vietnamese; and Viet Nam, implicit in a Vietnamese page, need not be named
    _, cites, _, _ = validate("Thụy Điển khuyến nghị Việt Nam tạm ngừng áp dụng án tử hình [3].", sources)
    assert [c.n for c in cites] == [3]
    # a report on Belize does not support a figure about Viet Nam
    _, cites, _, rejected = validate("50 delegations made statements on Viet Nam [2].", sources)
    assert not cites and rejected == {2}


def test_states_may_come_from_any_source_the_sentence_cites() -> None:
    def rec(state: str) -> Passage:
        text = f"Recommendation to Viet Nam from {state} (session 18): Revise Decree 72 on the Internet."
        return Passage(f"{state}:0", text, 0.8, {"file_name": "recs.csv", "title": "Recs", "language": "en"})

    sources = make_sources("Who asked Viet Nam to revise Decree 72?", [rec("Ireland"), rec("Finland")], 2)
    _, cites, _, _ = validate("Ireland and Finland asked Viet Nam to revise Decree 72 on the Internet [1][2].", sources)
    assert [c.n for c in cites] == [1, 2]
    _, cites, _, rejected = validate("Norway and Finland asked Viet Nam to revise Decree 72 [1][2].", sources)
    assert not cites and rejected == {1, 2}


def test_prompt_names_each_document_once_and_each_symbol_once() -> None:
    report = {
        "file_name": "vietnam2014.pdf",
        "title": "Report of the Working Group: Viet Nam (A/HRC/26/6)",
        "symbol": "A/HRC/26/6",
        "doc_id": "d2",
        "page": 21,
    }
    first = Passage("d2:3", "143.12. Ratify CAT (Gabon, Mali, Slovakia);", 0.8, {**report, "para_first": "143.12"})
    second = Passage("d2:4", "143.13. Abolish the death penalty (France);", 0.7, {**report, "para_first": "143.13"})
    sources = make_sources("ratify CAT", [first, second], 5)
    prompt = user_prompt("Which States asked Viet Nam to ratify CAT?", sources, "en")
    assert "Source 1:\n<source>\nReport of the Working Group: Viet Nam (A/HRC/26/6)\n143.12. Ratify CAT" in prompt
    assert "Source 2:\n<source>\nsame document as Source 1\n143.13. Abolish" in prompt
    assert prompt.count("Report of the Working Group") == 1 and prompt.count("A/HRC/26/6") == 1


def test_a_sentence_copied_from_a_source_without_a_marker_is_cited_to_it() -> None:
    sources = _sources()
    text, citations, notes, _ = validate(
        "Việt Nam chấp thuận 241 khuyến nghị trên tổng số 291 khuyến nghị.", sources, "chấp thuận bao nhiêu?"
    )
    assert text.endswith("[1]") and [c.n for c in citations] == [1]
    assert any("added" in n for n in notes)
    # the source goes on after a comma where the answer ends its sentence
    sources = [
        Source(
            1,
            Passage(
                "d9:0",
                "Việt Nam chấp thuận 241 khuyến nghị từ 122 nước (hơn 83%), trong đó 27 ...",
                0.9,
                {"title": "Tin"},
            ),
            "",
        )
    ]
    text, citations, _, _ = validate("Việt Nam chấp thuận 241 khuyến nghị từ 122 nước (hơn 83%).", sources, "?")
    assert [c.n for c in citations] == [1], text


def test_an_uncited_sentence_a_source_does_not_hold_word_for_word_stays_uncited() -> None:
    text, citations, _, _ = validate("Việt Nam chấp thuận 250 khuyến nghị của 291.", _sources(), "chấp thuận?")
    assert citations == [] and "[" not in text
    paraphrase = "Việt Nam đã đồng ý với 241 trong 291 khuyến nghị."
    assert validate(paraphrase, _sources(), "chấp thuận?")[1] == []


def test_the_answers_own_list_numbering_is_not_a_figure_to_check() -> None:
    listing = "Các khuyến nghị gồm:\n1. Phê chuẩn CAT [2].\n2) Chấp thuận 241 khuyến nghị [1].\n- 3. Bình đẳng giới."
    assert unsupported_numbers(listing, "khuyến nghị nào?", [P1, P2]) == set()
    assert unsupported_numbers("1. Việt Nam chấp thuận 250 khuyến nghị [1].", "?", [P1]) == {"250"}


def test_markers_written_after_the_period_and_with_commas_belong_to_the_sentence() -> None:
    sources = [Source(1, P1, P1.text), Source(2, P2, P2.text)]
    text, cites, _, _ = validate("Việt Nam chấp thuận 241 khuyến nghị. [1], [2]", sources)
    assert text == "Việt Nam chấp thuận 241 khuyến nghị [1]." and [c.n for c in cites] == [1]


def test_a_figure_stated_for_another_cycle_does_not_answer_the_questions_cycle() -> None:
    news = Passage("n:0", "Trong chu kỳ III, Việt Nam đã nhận được 291 khuyến nghị và chấp thuận 241.", 0.9,
                   {"file_name": "n.txt", "title": "Tin", "language": "vi", "cycle": 4})  # fmt: skip
    sources = [Source(1, news, news.text)]
    claim = "Việt Nam đã chấp thuận 241 khuyến nghị [1]."
    assert validate(claim, sources, "Việt Nam chấp thuận bao nhiêu khuyến nghị ở chu kỳ IV?")[1] == []
    assert [c.n for c in validate(claim, sources, "Việt Nam chấp thuận bao nhiêu khuyến nghị ở chu kỳ III?")[1]] == [1]


def _report(cid: str, text: str, year: int) -> Passage:
    meta = {"file_name": f"vn{year}.pdf", "title": "Report", "language": "en", "country": "Viet Nam", "year": year}
    return Passage(cid, text, 0.8, meta)


def test_a_comparison_sentence_takes_each_figure_from_the_source_that_states_it() -> None:
    sources = [
        Source(1, p := _report("a:0", "During the interactive dialogue, statements were made by 60 delegations.", 2009),
               p.text),
        Source(2, q := _report("b:0", "During the interactive dialogue, 106 delegations made statements.", 2014),
               q.text),
    ]  # fmt: skip
    claim = "The number of delegations that made statements rose from 60 [1] to 106 [2]."
    assert [c.n for c in validate(claim, sources)[1]] == [1, 2]
    # a figure no cited source states is still unsupported
    assert validate("Statements were made by 60 and 107 delegations [1][2].", sources)[1] == []


def test_a_vietnamese_claim_is_supported_by_an_english_passage_through_the_words_that_translate() -> None:
    report = _report("c:0", "The delegation of Viet Nam was headed by Ha Kim Ngoc, Deputy Minister.", 2014)
    sources = [Source(1, report, report.text)]
    text, cites, _, _ = validate("Trưởng đoàn Việt Nam là Thứ trưởng Ha Kim Ngoc [1].", sources, "Ai là trưởng đoàn?")
    assert [c.n for c in cites] == [1] and "Ha Kim Ngoc" in text
    _, cites, notes, _ = validate("Trưởng đoàn Việt Nam là ông Phạm Bình Minh [1].", sources, "Ai là trưởng đoàn?")
    assert cites == [] and any(n.startswith("dropped:") for n in notes)


def test_an_uncited_sentence_holding_a_sources_words_and_figures_is_cited_to_it() -> None:
    listing = Passage("d:0", "Các khuyến nghị tập trung vào 7 nhóm vấn đề, gồm: thành lập Cơ quan nhân quyền quốc gia "
                      "(5 khuyến nghị); phòng chống mua bán người (9 khuyến nghị).", 0.9,
                      {"file_name": "n.txt", "title": "Tin", "language": "vi"})  # fmt: skip
    answer = "Các khuyến nghị tập trung vào: thành lập Cơ quan nhân quyền quốc gia (5 khuyến nghị); mua bán người (9)."
    text, cites, notes, _ = validate(answer, [Source(1, listing, listing.text)], "tập trung vào những nhóm nào?")
    assert [c.n for c in cites] == [1] and text.endswith("[1]") and any("added" in n for n in notes)


def test_a_passage_about_another_review_does_not_support_the_answer() -> None:
    """The 2010 report names Cambodia's delegation head; it does not answer for the 2014 review."""
    first = Passage(
        "k1:2",
        "The delegation of Cambodia was headed by H.E. Mr. Om Yentieng, Senior Minister.",
        0.8,
        {"file_name": "cambodia2010.pdf", "title": "Report: Cambodia", "country": "Cambodia", "language": "en",
         "date": "2010-01-04", "year": 2010, "cycle": 1, "session": 6},
    )
    myanmar = Passage(
        "m1:2",
        "The delegation of Myanmar was headed by H.E. Mr. U Tun Shin, Attorney General.",
        0.8,
        {"file_name": "myanmar2011.pdf", "title": "Report: Myanmar", "country": "Myanmar", "language": "en",
         "date": "2011-03-24", "year": 2011, "cycle": 1, "session": 10},
    )
    sources = [Source(n, p, p.text) for n, p in enumerate([first, myanmar], 1)]
    claim = "Cambodia's delegation was headed by H.E. Mr. Om Yentieng [1]."
    text, cites, notes, rejected = validate(claim, sources, "Who headed Cambodia's delegation at its 2014 review?")
    assert not cites and rejected == {1} and "another UPR cycle or year" in " ".join(notes)
    assert [c.n for c in validate(claim, sources, "Who headed Cambodia's delegation in 2010?")[1]] == [1]
    assert [c.n for c in validate(claim, sources, "Who headed Cambodia's delegation?")[1]] == [1]
    # a report on Myanmar does not say who headed Cambodia's delegation, whatever it says
    asked = "Who headed Cambodia's delegation?"
    _, cites, notes, _ = validate("It was headed by H.E. Mr. U Tun Shin [2].", sources, asked)
    assert not cites and "another State under review" in " ".join(notes)
    # a passage of another year that speaks of the asked year itself may answer
    later = Passage("k2:0", "In 2014 the delegation was headed by H.E. Mr. Om Yentieng.", 0.8, first.metadata)
    cites = validate(claim, [Source(1, later, later.text)], "Who headed Cambodia's delegation at its 2014 review?")[1]
    assert [c.n for c in cites] == [1]


def test_the_quote_is_the_sentence_that_says_the_claim_not_one_with_the_asked_year() -> None:
    text = ("The Working Group held its fourth session from 2 to 13 February 2009. The delegation of Malaysia "
            "was headed by H.E. Rastam Mohd. Isa, Secretary-General, Ministry of Foreign Affairs.")  # fmt: skip
    meta = {"file_name": "malaysia2009.pdf", "title": "Report: Malaysia", "country": "Malaysia", "language": "en",
            "year": 2009, "cycle": 1}  # fmt: skip
    report = Passage("m9:0", text, 0.8, meta)
    claim = "Trưởng đoàn Ma-lai-xi-a năm 2009 là H.E. Rastam Mohd. Isa, Secretary-General [1]."
    _, [cite], _, _ = validate(claim, [Source(1, report, text)], "Ai là trưởng đoàn Ma-lai-xi-a năm 2009?")
    assert cite.quote.startswith("The delegation of Malaysia was headed by H.E. Rastam Mohd. Isa")
    # the model's list of its sources after the answer is no claim: dropped, never shown
    answer = f"{claim} Source 1 [2] Source 2\n[1] Nguồn 1"
    shown, cites, notes, _ = validate(answer, [Source(1, report, text), Source(2, report, text)], "Ai?")
    assert shown == claim and [c.n for c in cites] == [1] and "a list of sources" in " ".join(notes)
    # a marker the model repeats is shown once
    assert validate("Rastam Mohd. Isa, Secretary-General [1] [1].", [Source(1, report, text)], "Ai?")[0] == (
        "Rastam Mohd. Isa, Secretary-General [1]."
    )
    # ... but a bare figure is an answer
    assert validate("2 [1].", [Source(1, report, text)], "How many?")[0] == "2 [1]."
    # a figure the question did not give still points at its sentence
    _, [cite], _, _ = validate("The session ended on 13 February 2009 [1].", [Source(1, report, text)], "When?")
    assert cite.quote.startswith("The Working Group held")


def test_a_recommendation_is_credited_only_to_the_state_that_made_it() -> None:
    listing = Passage(
        "b1:40",
        "94.1. Consider abolishing the death penalty (Italy); 94.2. Continue efforts to promote the rights of "
        "persons with disabilities (Viet Nam); 94.3. Ratify the Convention against Torture (France);",
        0.8,
        {"file_name": "brunei2014.pdf", "title": "Report: Brunei Darussalam", "country": "Brunei Darussalam",
         "language": "en", "year": 2014, "cycle": 2},
    )
    sources = [Source(1, listing, listing.text)]
    asked = "What did Viet Nam recommend to Brunei on the death penalty?"
    text, cites, _, rejected = validate("Viet Nam recommended that Brunei consider abolishing the death penalty [1].",
                                        sources, asked)
    assert not cites and rejected == {1}
    # a bare recommendation answering a one-part question is the recommending State's too
    assert validate("Consider abolishing the death penalty [1].", sources, asked)[1] == []
    vi = "Việt Nam khuyến nghị gì cho Bru-nây về án tử hình?"
    assert validate("Việt Nam khuyến nghị Bru-nây xem xét bãi bỏ án tử hình [1].", sources, vi)[1] == []
    # what Viet Nam did recommend is credited to it; Italy's recommendation to Italy
    mine = "Viet Nam recommended that Brunei continue efforts to promote the rights of persons with disabilities [1]."
    assert [c.n for c in validate(mine, sources, "What did Viet Nam recommend to Brunei?")[1]] == [1]
    italy = "Italy recommended that Brunei consider abolishing the death penalty [1]."
    assert [c.n for c in validate(italy, sources, "What did Italy recommend to Brunei?")[1]] == [1]
    # the other part of a two-part question is no recommendation, and needs no recommending State
    workers = Passage("b1:3", "In 2008, there were approximately 87,000 foreign workers in Brunei Darussalam.",
                      0.8, listing.metadata)
    two_part = "How many foreign workers did Brunei have in 2008, and what did Viet Nam recommend to it?"
    claim = "In 2008, Brunei had about 87,000 foreign workers [1]."
    assert [c.n for c in validate(claim, [Source(1, workers, workers.text)], two_part)[1]] == [1]


def test_a_delegation_speaks_until_another_state_is_named() -> None:
    from assistant.citations import spoken_by

    text = ("Viet Nam commended Brunei Darussalam for its poverty reduction. It recommended that Brunei "
            "Darussalam ratify the Convention on the Rights of Persons with Disabilities. Italy welcomed the "
            "moratorium. It recommended the abolition of the death penalty.")
    spoken = spoken_by(text, frozenset({"Viet Nam"}), {"Brunei Darussalam"})
    assert spoken == ["Viet Nam commended Brunei Darussalam for its poverty reduction.",
                      "It recommended that Brunei Darussalam ratify the Convention on the Rights of Persons "
                      "with Disabilities."]


def test_the_refusal_token_after_an_answer_is_never_shown() -> None:
    text, cites, notes, _ = validate("Việt Nam chấp thuận 241 khuyến nghị [1]. NOT_FOUND", _sources())
    assert text == "Việt Nam chấp thuận 241 khuyến nghị [1]." and [c.n for c in cites] == [1]
    assert any("refusal token" in n for n in notes)
