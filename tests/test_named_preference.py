"""A question naming a State, a UPR cycle or a year prefers the documents ABOUT it.

Unit tests of the metadata preference applied after fusion (no model needed); the
end-to-end effect over the real reports is in tests/test_e2e_real.py.
"""

from __future__ import annotations

from llama_index.core.schema import NodeWithScore, TextNode

from assistant.named import Named, document_years
from assistant.retrieval import PREFERENCE_STEP, prefer_named

REPORT_2009 = {"country": "Viet Nam", "cycle": 1, "session": 5, "date": "2009-10-05", "year": 2009, "language": "en"}
REPORT_2014 = {"country": "Viet Nam", "cycle": 2, "session": 18, "date": "2014-04-02", "year": 2014, "language": "en"}
CAMBODIA = {"country": "Cambodia", "cycle": 1, "session": 6, "date": "2010-01-04", "year": 2010, "language": "en"}
NEWS_CYCLE_4 = {"cycle": 4, "date": None, "language": "vi"}
PLAN = {"cycle": None, "date": None, "language": "vi"}


def _node(cid: str, score: float, meta: dict[str, object], text: str = "text") -> NodeWithScore:
    return NodeWithScore(node=TextNode(id_=cid, text=text, metadata=meta), score=score)


def _prefer(question: str, nodes: list[NodeWithScore]) -> list[NodeWithScore]:
    return prefer_named(Named.of(question), nodes)


def _ids(nodes: list[NodeWithScore]) -> list[str]:
    return [n.node.node_id for n in nodes]


def test_named_reads_states_cycles_and_years_in_both_languages() -> None:
    vi = Named.of("Ai là trưởng đoàn Việt Nam tại phiên rà soát UPR chu kỳ II vào tháng 2/2014?")
    assert vi == Named(frozenset({"Viet Nam"}), frozenset({2}), frozenset({2014}))
    en = Named.of("What did Cambodia's 1993 Constitution say, according to its second UPR review?")
    assert en.states == frozenset({"Cambodia"}) and en.cycles == {2} and en.years == {1993}
    assert Named.of("Hiến pháp năm nào của Campuchia đã bãi bỏ án tử hình?").states == {"Cambodia"}
    assert Named.of("What is the UPR?") == Named(frozenset(), frozenset(), frozenset())


def test_document_years_take_the_date_and_the_session_year() -> None:
    assert document_years(REPORT_2014) == {2014}
    assert document_years({"date": "2013-12-11", "year": 2013, "session": 17}) == {2013}
    assert document_years({"date": "2010-01-04", "year": 2010, "session": 6}) == {2009, 2010}  # reviewed Dec 2009
    assert document_years({"session": 5}) == {2009}
    assert document_years(PLAN) == set()
    assert document_years({"session": "18", "date": "n.d."}) == {2014}


def test_metadata_that_is_not_a_number_counts_as_silent() -> None:
    assert Named.of("chu kỳ II").verdicts({"cycle": "III"}, "text") == (None, None)
    assert Named.of("chu kỳ II").verdicts({"cycle": "2"}, "text") == (None, True)


def test_the_report_of_the_named_cycle_overtakes_a_near_tie() -> None:
    nodes = [_node("a", 1 / 60, REPORT_2009), _node("b", 1 / 61, REPORT_2014)]
    ranked = _prefer("Who headed Viet Nam's delegation in the second UPR cycle?", nodes)
    assert _ids(ranked) == ["b", "a"]
    assert ranked[1].score == 1 / 60 - PREFERENCE_STEP


def test_a_year_matches_the_report_of_that_year() -> None:
    nodes = [_node("a", 1 / 60, REPORT_2014), _node("b", 1 / 61, REPORT_2009)]
    assert _ids(_prefer("Phái đoàn Việt Nam năm 2009 gồm bao nhiêu thành viên?", nodes)) == ["b", "a"]


def test_the_preference_does_not_override_strong_evidence() -> None:
    nodes = [_node("a", 1 / 60, REPORT_2009), _node("b", 1 / 80, REPORT_2014)]
    assert _ids(_prefer("Who headed Viet Nam's delegation in the second UPR cycle?", nodes)) == ["a", "b"]


def test_a_passage_that_speaks_of_the_named_cycle_keeps_its_place() -> None:
    """A news item filed under cycle IV that reports cycle III's results is not pushed back."""
    about_iii = _node("news", 1 / 60, NEWS_CYCLE_4, "Trong chu kỳ III, Việt Nam chấp thuận 241 khuyến nghị.")
    other_news = _node("other", 1 / 61, NEWS_CYCLE_4, "Chuẩn bị báo cáo quốc gia chu kỳ IV.")
    report = _node("r", 1 / 62, {**NEWS_CYCLE_4, "cycle": 3})
    ranked = _prefer("What acceptance rate did Viet Nam reach in UPR cycle III?", [about_iii, other_news, report])
    assert _ids(ranked) == ["news", "r", "other"]


def test_documents_silent_on_a_criterion_keep_their_place() -> None:
    nodes = [_node("plan", 1 / 60, PLAN), _node("a", 1 / 61, REPORT_2009), _node("b", 1 / 62, REPORT_2014)]
    ranked = _prefer("Who headed Viet Nam's delegation in the second UPR cycle?", nodes)
    assert _ids(ranked) == ["plan", "b", "a"]
    assert ranked[0].score == 1 / 60


def test_nothing_moves_when_no_candidate_matches() -> None:
    nodes = [_node("a", 1 / 60, REPORT_2009), _node("b", 1 / 61, CAMBODIA)]
    assert _prefer("What did Belize say in its fourth UPR cycle?", nodes) == nodes
    assert _prefer("What is the UPR?", nodes) == nodes


def test_a_state_in_vietnamese_finds_the_report_about_it() -> None:
    nodes = [_node("vn", 1 / 60, REPORT_2009), _node("kh", 1 / 61, CAMBODIA)]
    assert _ids(_prefer("Hiến pháp năm nào của Campuchia đã bãi bỏ án tử hình?", nodes)) == ["kh", "vn"]


def test_vietnamese_news_is_about_viet_nam_unless_it_names_the_state_asked_about() -> None:
    """Vietnamese news carries no State metadata: it counts as about Viet Nam, so a Vietnamese
    question about Malaysia no longer finds Vietnamese news about Viet Nam first."""
    news = _node("news", 1 / 60, NEWS_CYCLE_4, "Việt Nam chấp thuận 241 khuyến nghị.")
    news_on_malaysia = _node("news-my", 1 / 61, NEWS_CYCLE_4, "Ma-lai-xi-a đã trình bày báo cáo quốc gia.")
    report = _node("my", 1 / 62, {"country": "Malaysia", "cycle": 1, "session": 4, "language": "en"})
    ranked = _prefer("Ai là trưởng đoàn Ma-lai-xi-a tại phiên rà soát UPR?", [news, news_on_malaysia, report])
    assert _ids(ranked) == ["news-my", "my", "news"]
    assert _ids(_prefer("Việt Nam và Ma-lai-xi-a đã hợp tác thế nào?", [news, report])) == ["news", "my"]
    english_plan = _node("plan", 1 / 60, {"language": "en"}, "A national plan.")
    assert _ids(_prefer("What did Malaysia say?", [english_plan, report])) == ["plan", "my"]


def test_implementing_a_cycles_recommendations_also_matches_later_cycles() -> None:
    """The next cycle's report tells how the previous cycle's recommendations were carried out."""
    nodes = [
        _node("cambodia", 1 / 60, CAMBODIA),
        _node("2014", 1 / 61, REPORT_2014),
        _node("2009", 1 / 62, REPORT_2009),
    ]
    asked = "What progress did Viet Nam report on implementing the recommendations of its first review?"
    assert Named.of(asked).later_cycles_too
    assert _ids(_prefer(asked, nodes)) == ["2014", "2009", "cambodia"]
    plain = "Who headed Viet Nam's delegation at its first review?"
    assert _ids(_prefer(plain, nodes)) == ["2009", "cambodia", "2014"]
