"""The shipped eval set is well-formed and every label is backed by the real corpus."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from evals.dataset import (
    TYPES,
    check_eval_set,
    extract_corpus_texts,
    list_corpus_files,
    load_eval_set,
    normalize_for_match,
    text_contains,
)

ROOT = Path(__file__).resolve().parents[1]
EVAL_SET = ROOT / "evals" / "datasets" / "upr_eval.jsonl"
CORPUS_DIRS = (ROOT / "data" / "sample", ROOT / "evals" / "corpus")


@pytest.fixture(scope="module")
def items():
    return load_eval_set(EVAL_SET)


@pytest.fixture(scope="module")
def corpus_texts():
    return extract_corpus_texts(list_corpus_files(*CORPUS_DIRS))


def test_checker_finds_no_problems(items, corpus_texts):
    assert check_eval_set(items, corpus_texts) == []


def test_corpus_has_the_sixteen_documents(corpus_texts):
    # 5 news pages + 2 Viet Nam reports in data/sample; 8 reports + 1 CSV in evals/corpus.
    assert len(corpus_texts) == 16
    assert {"vietnam2009.pdf", "vietnam2014.pdf", "upr-info-sample.csv"} <= set(corpus_texts)
    assert {
        "bruneidarussalam2010.pdf",
        "malaysia2009.pdf",
        "malaysia2013.pdf",
        "myanmar2011.pdf",
    } <= set(corpus_texts)


def test_set_size_types_and_languages(items):
    types = Counter(item.type for item in items)
    languages = Counter(item.language for item in items)
    assert len(items) >= 160
    assert types["unanswerable"] >= 22
    assert types["multi_doc"] >= 27
    assert types["cross_lingual"] >= 23
    assert set(types) == TYPES and min(types.values()) >= 16
    assert set(languages) == {"vi", "en"}
    assert languages["vi"] / len(items) >= 0.45


def test_every_document_is_used_three_times(items, corpus_texts):
    uses = Counter(source for item in items for source in set(item.source_ids))
    assert {name: uses[name] for name in corpus_texts if uses[name] < 3} == {}


def test_no_diacritics_questions_have_none(items):
    for item in items:
        if item.type == "no_diacritics":
            assert item.question == normalize_for_match(item.question), item.id


def test_checker_reports_each_kind_of_problem(items, corpus_texts):
    base = next(i for i in items if i.id == "fact-01")
    broken = [
        base,
        base,  # duplicated id
        type(base)(**{**vars(base), "id": "x1", "evidence": ["Not a sentence of the report."]}),
        type(base)(**{**vars(base), "id": "x2", "must_contain": ["Ha Kim Ngoc"]}),
        type(base)(**{**vars(base), "id": "x3", "source_ids": ["missing.pdf"]}),
        type(base)(**{**vars(base), "id": "x4", "type": "unanswerable"}),
    ]
    problems = "\n".join(check_eval_set(broken, corpus_texts))
    assert "fact-01: duplicated id" in problems
    assert "x1: evidence not found" in problems
    assert "x2: must_contain 'Ha Kim Ngoc' not in any evidence" in problems
    assert "x3: unknown source id 'missing.pdf'" in problems
    assert "x4: unanswerable item has sources" in problems


def test_loader_names_the_bad_line(tmp_path):
    good = EVAL_SET.read_text(encoding="utf-8").splitlines()[0]
    bad = json.loads(good) | {"language": "fr"}
    path = tmp_path / "set.jsonl"
    path.write_text(good + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r":2: language 'fr'"):
        load_eval_set(path)
    path.write_text(json.dumps({"id": "a"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r":1: wrong fields"):
        load_eval_set(path)


@pytest.mark.parametrize(
    ("haystack", "needle", "expected"),
    [
        ("Việt Nam chấp thuận 241 khuyến nghị", "241", True),
        ("viet nam chap thuan 241 khuyen nghi", "chấp thuận", True),
        ("tỷ lệ 84,7%", "84.7", True),
        ("13% of the budget", "13 per cent", True),
        ("chiếm 13 phần trăm", "13 per cent", True),
        ("13 percent", "13%", True),
        ("23% of the budget", "13 per cent", False),
        ("Đà Nẵng", "da nang", True),
        ("Viet Nam’s report", "Viet Nam's", True),
        ("chấp thuận 240 khuyến nghị", "241", False),
        ("2410 khuyến nghị", "241", False),
        ("1,241 khuyến nghị", "241", False),
        ("anything", "", False),
    ],
)
def test_text_contains(haystack, needle, expected):
    assert text_contains(haystack, needle) is expected
