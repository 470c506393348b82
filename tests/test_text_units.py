"""Tokenizer, filters, follow-up rewriting: the small pieces retrieval depends on."""

from __future__ import annotations

import pytest

from assistant.followup import standalone_question
from assistant.text import numbers, overlap, split_sentences
from index.filters import FilterError, matches, name_key, parse_filters, to_metadata_filters
from index.tokenize import fold, keyword_tokens


def test_fold_handles_vietnamese_d_and_tones() -> None:
    assert fold("Chấp thuận Đà Nẵng") == "chap thuan da nang"


def test_tokens_match_with_and_without_diacritics() -> None:
    doc = set(keyword_tokens("Việt Nam chấp thuận 241 khuyến nghị"))
    query = set(keyword_tokens("viet nam chap thuan bao nhieu khuyen nghi"))
    assert {"chap_thuan", "khuyen_nghi", "viet_nam"} <= doc & query


def test_english_tokens_are_stemmed_consistently() -> None:
    assert set(keyword_tokens("recommendations received")) & set(keyword_tokens("receive a recommendation"))


def test_bigrams_do_not_cross_punctuation() -> None:
    assert "nam_ha" not in keyword_tokens("Việt Nam. Hà Nội")


def test_filters_parse_and_match() -> None:
    conds = parse_filters(["type=wg_report", "cycle=2", "country=viet nam", "from=2014"])
    meta = {"doc_type": "wg_report", "cycle": 2, "country_key": name_key("Viet Nam"), "date_num": 20140620}
    assert matches(meta, conds)
    assert not matches({**meta, "cycle": 1}, conds)
    assert not matches({**meta, "date_num": 20091231}, conds)
    assert to_metadata_filters(conds) is not None and len(to_metadata_filters(conds).filters) == 4  # type: ignore[union-attr]


@pytest.mark.parametrize("bad", ["nonsense=1", "cycle=two", "from=June", "novalue"])
def test_bad_filters_are_clear_errors(bad: str) -> None:
    with pytest.raises(FilterError):
        parse_filters([bad])


def test_follow_up_replaces_the_cycle() -> None:
    history = [("Việt Nam chấp thuận bao nhiêu khuyến nghị UPR chu kỳ III?", "241 [1]")]
    assert standalone_question("Còn chu kỳ IV thì sao?", history) == (
        "Việt Nam chấp thuận bao nhiêu khuyến nghị UPR chu kỳ IV?"
    )


def test_follow_up_without_slot_is_joined_and_standalone_left_alone() -> None:
    history = [("Who led the delegation of Viet Nam in 2014?", "x")]
    assert standalone_question("And what about Cambodia?", history).startswith("Who led the delegation")
    full = "Việt Nam chấp thuận bao nhiêu khuyến nghị trong chu kỳ thứ hai của UPR năm 2014?"
    assert standalone_question(full, history) == full


def test_numbers_normalise_decimal_comma_and_thousands() -> None:
    assert numbers("84,7% và 1.000 người, 241") == {"84.7", "1000", "241"}


def test_sentences_and_overlap() -> None:
    sents = split_sentences("Việt Nam chấp thuận 241 khuyến nghị. Hội thảo diễn ra tại Hà Nội.")
    assert len(sents) == 2
    # a title's or a name's abbreviation ends no sentence; a full stop before a capital does
    headed = "The delegation of Malaysia was headed by H.E. Rastam Mohd. Isa, Secretary-General. Malaysia presented it."
    assert split_sentences(headed) == [
        "The delegation of Malaysia was headed by H.E. Rastam Mohd. Isa, Secretary-General.",
        "Malaysia presented it.",
    ]
    assert len(split_sentences("It was opened by Prof. Nguyen. The Sr. Adviser spoke. Dr. Ha closed it.")) == 3
    assert overlap("chấp thuận bao nhiêu khuyến nghị", sents[0]) > overlap("chấp thuận bao nhiêu khuyến nghị", sents[1])
