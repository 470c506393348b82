"""Keyword tokens for BM25 that work for Vietnamese with or without diacritics, and English.

Each text gives: folded syllables/words (diacritics removed, ``đ``→``d``; English words
stemmed), folded syllable bigrams (so ``chap thuan`` typed without diacritics matches the
document's ``chấp thuận`` as the token ``chap_thuan``), and pyvi's multi-syllable words of
three or more syllables (two-syllable words are already the bigrams).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

WORD = re.compile(r"\w+", re.UNICODE)
# Bigrams never cross punctuation: they stand for words and phrases, not accidents of layout.
PHRASE_BREAK = re.compile(r"[^\w\s]+|\n+", re.UNICODE)
_EN_STOP = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the this to was were which with".split()
)


def fold(text: str) -> str:
    """Lower-case, strip diacritics (Vietnamese ``đ`` included)."""
    text = text.lower().replace("đ", "d")
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


@lru_cache(maxsize=2048)
def fold_passage(text: str) -> str:
    """``fold`` of a passage, cached: at each question, retrieval reads the candidates' text for
    the cycles and the States it speaks of (``assistant.text.cycles_in``, ``index.states``)."""
    return fold(text)


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    try:
        import Stemmer  # PyStemmer, installed with bm25s

        return Stemmer.Stemmer("english")
    except ImportError:  # pragma: no cover - PyStemmer ships with the pinned stack
        return None


def stem(word: str) -> str:
    """An English word's stem ("delegations" -> "deleg"); other words as they are."""
    stemmer = _stemmer()
    return stemmer.stemWord(word) if stemmer and word.isascii() and word.isalpha() and len(word) > 3 else word


def stems(text: str) -> list[str]:
    """The words of ``text`` in order, folded, English ones stemmed ("delegations" -> "deleg"):
    what sentence matching compares, so a phrase still matches in another inflection."""
    return [stem(fold(w)) for w in WORD.findall(unicodedata.normalize("NFC", text))]


def keyword_tokens(text: str, segment_words: bool = True) -> list[str]:
    """Tokens of ``text`` for the keyword index (documents and queries alike)."""
    text = unicodedata.normalize("NFC", text)
    tokens: list[str] = []
    for segment in PHRASE_BREAK.split(text):
        words = [fold(w) for w in WORD.findall(segment)]
        tokens.extend(stem(w) for w in words if w not in _EN_STOP)
        tokens.extend(f"{a}_{b}" for a, b in zip(words, words[1:]))
    if segment_words:
        tokens.extend(_long_words(text))
    return tokens


def _long_words(text: str) -> list[str]:
    """pyvi's words of three or more syllables, folded (e.g. ``co_quan_nhan_quyen``)."""
    if not re.search(r"[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", text.lower()):
        return []
    from pyvi import ViTokenizer

    segmented = ViTokenizer.tokenize(text)
    return [fold(w) for w in segmented.split() if w.count("_") >= 2]
