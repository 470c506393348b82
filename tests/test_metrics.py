"""Each eval metric on hand-made cases, including the cases where it must fail."""

from __future__ import annotations

import copy
import math

import pytest

from evals.dataset import EvalItem
from evals.metrics import (
    aggregate,
    citation_precision,
    compare,
    context_recall,
    evidence_recall,
    false_refusal,
    has_valid_citation,
    hit_at_k,
    must_contain_recall,
    ndcg_at_k,
    reciprocal_rank,
    refusal_correct,
    score_item,
    summarize,
)

NEWS = "000_437c9dafada3569e.txt"
REPORT = "vietnam2014.pdf"


def make_item(**changes) -> EvalItem:
    fields = {
        "id": "num-x",
        "question": "Việt Nam chấp thuận bao nhiêu khuyến nghị UPR chu kỳ III?",
        "language": "vi",
        "answer": "241 trên 291 khuyến nghị.",
        "must_contain": ["241", "291"],
        "source_ids": [NEWS, REPORT],
        "type": "numeric",
        "evidence": ["Việt Nam chấp thuận 241 khuyến nghị trên tổng số 291 khuyến nghị"],
    }
    return EvalItem(**(fields | changes))


ANSWERABLE = make_item()
UNANSWERABLE = make_item(
    id="unans-x", type="unanswerable", must_contain=[], source_ids=[], evidence=[]
)


# --------------------------------------------------------------------- retrieval
def test_retrieval_single_relevant_doc_with_repeats():
    retrieved = ["a.txt", "a.txt", "b.pdf", "c.pdf", "a.txt"]
    assert hit_at_k(retrieved, {"c.pdf"}, 1) == 0.0
    assert hit_at_k(retrieved, {"c.pdf"}, 3) == 1.0  # a, b, c after de-duplication
    assert reciprocal_rank(retrieved, {"c.pdf"}) == pytest.approx(1 / 3)
    assert ndcg_at_k(retrieved, {"c.pdf"}) == pytest.approx(0.5)  # 1/log2(4)


def test_ndcg_two_relevant_docs_by_hand():
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at_k(["b", "a", "d"], {"b", "d"}) == pytest.approx(1.5 / ideal)
    # A document repeated in many chunks is counted once.
    assert ndcg_at_k(["b", "b", "b"], {"b", "d"}) == pytest.approx(1 / ideal)
    assert ndcg_at_k(["b", "d"], {"b", "d"}) == pytest.approx(1.0)


def test_retrieval_miss_scores_zero():
    retrieved = ["x.txt"] * 12 + ["b.pdf"]
    assert hit_at_k(retrieved, {"b.pdf"}, 1) == 0.0
    assert hit_at_k(["x.txt", "y.txt"], {"b.pdf"}, 5) == 0.0
    assert reciprocal_rank([], {"b.pdf"}) == 0.0
    assert ndcg_at_k(["x", "y"], {"b.pdf"}) == 0.0
    assert ndcg_at_k(["x", "y"], set()) == 0.0


def test_paths_are_compared_by_file_name():
    assert reciprocal_rank(["data/sample/vietnam2014.pdf"], {REPORT}) == 1.0


# ----------------------------------------------------------------------- answers
def test_must_contain_recall_right_and_wrong_numbers():
    assert (
        must_contain_recall("Việt Nam chấp thuận 241 trên 291 khuyến nghị", ["241", "291"]) == 1.0
    )
    assert must_contain_recall("viet nam chap thuan 241 khuyen nghi", ["241"]) == 1.0
    assert must_contain_recall("chấp thuận 240 trên 291 khuyến nghị", ["241", "291"]) == 0.5
    assert must_contain_recall("chấp thuận 2410 khuyến nghị", ["241"]) == 0.0
    assert must_contain_recall("Tôi không tìm thấy thông tin.", ["241", "291"]) == 0.0


def test_refusals():
    assert refusal_correct(UNANSWERABLE, refused=True) is True
    assert refusal_correct(UNANSWERABLE, refused=False) is False
    assert refusal_correct(ANSWERABLE, refused=True) is None
    assert false_refusal(ANSWERABLE, refused=True) is True
    assert false_refusal(ANSWERABLE, refused=False) is False
    assert false_refusal(UNANSWERABLE, refused=True) is None


# --------------------------------------------------------------------- citations
GOOD = {"source": f"data/sample/{NEWS}", "quote": "Việt Nam chấp thuận 241 khuyến nghị"}
WRONG_FILE = {"source": "001_7e60ff65336edcc0.txt", "quote": "chấp thuận 241 khuyến nghị"}
NO_FACT = {"source": REPORT, "text": "The delegation of Viet Nam was headed by Ha Kim Ngoc."}


def test_citation_precision_and_validity():
    assert citation_precision([GOOD], ANSWERABLE) == 1.0
    assert citation_precision([GOOD, WRONG_FILE, NO_FACT], ANSWERABLE) == pytest.approx(1 / 3)
    assert citation_precision([WRONG_FILE, NO_FACT], ANSWERABLE) == 0.0
    assert citation_precision([], ANSWERABLE) is None
    assert has_valid_citation([WRONG_FILE, GOOD], ANSWERABLE) is True
    assert has_valid_citation([WRONG_FILE, NO_FACT], ANSWERABLE) is False
    assert has_valid_citation([], ANSWERABLE) is False


def test_citation_without_key_facts_checks_the_file_only():
    item = make_item(must_contain=[])
    assert citation_precision([NO_FACT, WRONG_FILE], item) == 0.5
    assert citation_precision([GOOD], UNANSWERABLE) == 0.0


# ------------------------------------------------------------ records, aggregate
def make_records():
    other = make_item(id="fact-x", type="factoid", language="en", source_ids=[REPORT])
    unans_en = make_item(
        id="unans-y",
        type="unanswerable",
        language="en",
        must_contain=[],
        source_ids=[],
        evidence=[],
    )
    return [
        score_item(ANSWERABLE, [NEWS, "x.txt"], "Chấp thuận 241 trên 291.", False, [GOOD], 1.0),
        score_item(other, ["x.txt", "y.txt"], "Tôi không tìm thấy thông tin.", True, [], 3.0),
        score_item(UNANSWERABLE, ["x.txt"], "Không có thông tin.", True, [], 2.0),
        score_item(unans_en, ["x.txt"], "It was 300.", False, [WRONG_FILE], 10.0),
    ]


def test_score_item_verdicts():
    right, refused, unans_ok, unans_bad = make_records()
    assert right.verdicts["hit@1"] == 1.0 and right.verdicts["must_contain_recall"] == 1.0
    assert right.verdicts["has_valid_citation"] is True
    assert refused.verdicts["false_refusal"] is True and refused.verdicts["rr"] == 0.0
    assert refused.verdicts["citation_precision"] is None
    assert unans_ok.verdicts == {"refusal_correct": True}
    assert unans_bad.verdicts == {"refusal_correct": False}
    assert right.relevant_files == [NEWS, REPORT] and right.answerable


def test_aggregate_numbers_by_hand():
    result = aggregate(make_records())
    assert set(result) == {
        "n", "n_answerable", "n_unanswerable", "hit@1", "hit@3", "hit@5", "mrr", "ndcg@10", "must_contain_recall",
        "refusal_accuracy", "false_refusal_rate", "citation_precision", "cited_share",
        "evidence_recall@5", "context_recall", "latency_p50_s", "latency_p95_s",
    }  # fmt: skip
    assert (result["n"], result["n_answerable"], result["n_unanswerable"]) == (4, 2, 2)
    assert result["hit@1"] == 0.5 and result["mrr"] == 0.5
    assert result["ndcg@10"] == pytest.approx((1 / (1 + 1 / math.log2(3))) / 2)
    assert result["must_contain_recall"] == 0.5
    assert result["refusal_accuracy"] == 0.5
    assert result["false_refusal_rate"] == 0.5
    assert result["citation_precision"] == 1.0  # only the answer that cites counts
    assert result["cited_share"] == 0.5
    assert result["latency_p50_s"] == pytest.approx(2.5)
    assert result["latency_p95_s"] == pytest.approx(8.95)


def test_evidence_recall_is_passage_level():
    evidence = ["Viet Nam accepted 96 recommendations.", "The review was held on 5 February 2014."]
    # PDF extraction splits words differently from ingest: matched without whitespace, folded
    assert evidence_recall(evidence, ["... Viet Nam acc epted 96\nrecommendations. Other text."]) == 0.5
    passages = ["viet nam accepted 96 recommendations.", "THE REVIEW was held on 5 February 2014."]
    assert evidence_recall(evidence, passages) == 1.0
    assert evidence_recall(evidence, ["Viet Nam accepted 97 recommendations."]) == 0.0
    assert evidence_recall([], ["anything"]) is None


def test_context_recall_counts_key_facts_shown_to_the_backend():
    assert context_recall(["241", "291"], ["chấp thuận 241 khuyến nghị", "trên tổng số 291"]) == 1.0
    assert context_recall(["241", "291"], ["chấp thuận 2410 khuyến nghị"]) == 0.0
    assert context_recall([], ["x"]) is None
    record = score_item(ANSWERABLE, [NEWS], "241 và 291.", False, [GOOD], 1.0, passages=["x"], context=["241"])
    assert record.verdicts["context_recall"] == 0.5 and record.verdicts["evidence_recall@5"] == 0.0
    assert score_item(ANSWERABLE, [NEWS], "241.", False, [GOOD], 1.0).verdicts["context_recall"] is None


def test_aggregate_marks_inapplicable_metrics_none():
    only_unanswerable = aggregate(make_records()[2:])
    assert only_unanswerable["hit@1"] is None and only_unanswerable["cited_share"] is None
    assert only_unanswerable["refusal_accuracy"] == 0.5
    assert aggregate(make_records()[:2])["refusal_accuracy"] is None
    assert aggregate([])["latency_p50_s"] is None


def test_summarize_scopes():
    summary = summarize(make_records())
    assert set(summary["by_type"]) == {"numeric", "factoid", "unanswerable"}
    assert set(summary["by_language"]) == {"vi", "en"}
    assert summary["by_language"]["vi"]["refusal_accuracy"] == 1.0
    assert summary["by_language"]["en"]["refusal_accuracy"] == 0.0


# ----------------------------------------------------------------------- compare
def test_compare_flags_drops_not_noise():
    baseline = summarize(make_records())
    for scope in (baseline["overall"], *baseline["by_type"].values(), *baseline["by_language"].values()):
        scope.update(n=200, n_answerable=100, n_unanswerable=100)  # large: the plain tolerance applies
    assert compare(baseline, baseline) == []

    tiny = copy.deepcopy(baseline)
    tiny["overall"]["hit@1"] -= 0.01
    tiny["overall"]["latency_p50_s"] = 3.0  # +20 %: within tolerance
    assert compare(tiny, baseline) == []

    worse = copy.deepcopy(baseline)
    worse["overall"]["hit@1"] -= 0.1
    worse["by_type"]["numeric"]["must_contain_recall"] = 0.5
    worse["overall"]["false_refusal_rate"] += 0.05
    worse["overall"]["latency_p95_s"] += 10.0
    found = {(r.metric, r.scope) for r in compare(worse, baseline)}
    assert found == {
        ("hit@1", "overall"),
        ("must_contain_recall", "type:numeric"),
        ("false_refusal_rate", "overall"),
        ("latency_p95_s", "overall"),
    }
    drop = next(r for r in compare(worse, baseline) if r.metric == "hit@1")
    assert (drop.before, drop.after) == (0.5, pytest.approx(0.4))


def test_compare_tolerates_one_question_in_a_small_scope_but_not_two():
    base = {"overall": {"n": 10, "hit@5": 0.9}}
    assert compare({"overall": {"n": 10, "hit@5": 0.8}}, base) == []
    assert compare({"overall": {"n": 10, "hit@5": 0.7}}, base)[0].metric == "hit@5"


def test_compare_measures_one_question_against_the_items_a_metric_is_over():
    # refusal accuracy is over the 25 unanswerable items of 168: one flip is 0.04, not 1/168
    base = {"overall": {"n": 168, "n_answerable": 143, "n_unanswerable": 25, "refusal_accuracy": 0.16}}
    one = {"overall": {**base["overall"], "refusal_accuracy": 0.12}}
    two = {"overall": {**base["overall"], "refusal_accuracy": 0.08}}
    assert compare(one, base) == []
    assert [r.metric for r in compare(two, base)] == ["refusal_accuracy"]
    # the answer-side metrics are over the 143 answerable ones: one flip is under the tolerance
    answers = {"overall": {**base["overall"], "must_contain_recall": 0.60}}
    assert compare({"overall": {**answers["overall"], "must_contain_recall": 0.59}}, answers) == []
    assert compare({"overall": {**answers["overall"], "must_contain_recall": 0.57}}, answers)
    # over one item, one question is everything: a drop from 1.0 to 0.0 still counts
    single = {"overall": {"n": 2, "n_answerable": 1, "n_unanswerable": 1, "refusal_accuracy": 1.0}}
    assert compare({"overall": {**single["overall"], "refusal_accuracy": 0.0}}, single)


def test_compare_latency_needs_both_relative_and_absolute_rise():
    base = {"overall": {"latency_p50_s": 0.2}}
    assert compare({"overall": {"latency_p50_s": 0.9}}, base) == []  # +350 % but < 1 s
    assert compare({"overall": {"latency_p50_s": 1.3}}, base)[0].metric == "latency_p50_s"


def test_compare_ignores_missing_metrics():
    assert compare({"overall": {"hit@1": None}}, {"overall": {"hit@1": 0.9}}) == []
