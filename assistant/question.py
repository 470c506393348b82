"""What a question asks, read by rules: the kind of answer it wants (a figure, a date, a person,
States, a list) and its content terms, each with its equivalents (the glossary's translations, a
State's names in both languages), so that a sentence in either language can be matched to it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.glossary import TERMS
from assistant.named import Named
from assistant.text import CYCLE_ORDINALS, STOP, cycles_in, numbers
from index.states import find_states, mentions_state, spellings
from index.tokenize import WORD, fold, stem, stems

MAX_PHRASE = 6  # longest glossary or State phrase matched, in words
# Words by which a question refers to the document a passage is from: "at its 2014 review",
# "according to the UPR report", "theo báo cáo UPR năm 2014".
_DOCUMENT = frozenset(
    tuple(stems(w)) for w in ("review", "reviews", "report", "reports", "UPR", "báo cáo", "rà soát", "phiên rà soát")
)

_WANTS = (
    ("number", re.compile(
        r"\b(?:bao nhieu|how (?:many|much|old|large)|what (?:share|percentage|proportion|number|rate|per ?cent|age)"
        r"|what (?:\w+ )?figures?|the number of|ty le|ty trong|so luong|bao lau|muc nao|quy mo|so hieu)\b")),
    ("date", re.compile(
        r"\b(?:when|what date|(?:which|what) (?:year|date|month|day)|since when|khi nao|ngay nao|nam nao"
        r"|thang nao|bao gio|thoi diem nao|luc nao|thoi gian nao)\b")),
    ("person", re.compile(r"\b(?:who|whom|ai|nguoi nao|truong doan)\b")),
    ("states", re.compile(
        r"\b(?:which|what) (?:states|countries|country|state|delegations)\b"
        r"|\b(?:nuoc nao|quoc gia nao|nhung nuoc|cac nuoc|troika)\b")),
    ("list", re.compile(
        r"\b(?:which|what) (?:\w+ )?\w+s (?:did|do|does|were|are|has|have|had)\b|\bwhat (?:are|were) the\b"
        r"|\b(?:nhung|cac) (?:\w+ ){0,3}nao\b|\bgom nhung\b|\bnhung gi\b")),
)  # fmt: skip
_DATE = re.compile(
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|thang (?:\d{1,2}|gieng|chap))\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"
)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_MONTH = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
_DAY_MONTH = re.compile(
    rf"\b\d{{1,2}}\s+{_MONTH}\b|\b{_MONTH}\s+\d{{1,2}}\b|\b\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?\b"
    r"|\bngay\s+\d{1,2}\b|\bthang\s+\d{1,2}\b"
)
_TITLE = re.compile(
    r"\b(?:h\.?\s?e|mr|mrs|ms|dr|minister|ambassador|president|secretary|director|chairman|chairperson"
    r"|commissioner|chief|officer|attorney|representative|governor|head|deputy|coordinator|rapporteur"
    r"|envoy|spokes(?:person|man|woman)"
    r"|bo truong|thu truong|dai su|trung tuong|thieu tuong|dai tuong|thuong tuong|tong thu ky|truong doan"
    r"|chu tich|cuc truong|vu truong|giam doc|thu tuong|ong|dong chi|dieu phoi vien|dai dien|dac phai vien"
    r"|bao cao vien dac biet|nguoi phat ngon)\b"
)
# Words that frame a question rather than say what it is about (folded): comparing ("change
# between both", "so sánh … thay đổi giữa hai"), the kind of answer ("the number", "which State",
# "năm 2009"). A sentence that answers need not repeat them.
FRAME = frozenset(
    "change changed changes between both compare compared comparison differ difference number state states "
    "country countries year years so sanh thay doi giua hai ca nuoc quoc gia nam".split()
)
_PARA_NUMBER = re.compile(r"^\s*\(?\d{1,3}(?:\.\d{1,3})*[.)]?\s+")


def answer_kinds(question: str) -> tuple[str, ...]:
    """What the question asks for: any of "number", "date", "person", "states", "list"; none
    when it asks for anything ("What did Viet Nam say about …")."""
    folded = " ".join(re.sub(r"[^\w/]+", " ", fold(question)).split())
    kinds = tuple(kind for kind, pattern in _WANTS if pattern.search(folded))
    return tuple(k for k in kinds if k != "list") if "states" in kinds else kinds  # States are the list


def holds_kind(kind: str, sentence: str, asked: Named, question_numbers: frozenset[str]) -> float:
    """How well ``sentence`` holds the kind of answer asked for, 0..1 (a sentence naming
    three States holds a troika better than one naming one)."""
    folded = fold(sentence)
    if kind == "number":  # a count or a figure: not a paragraph number, a date or a year
        plain = _YEAR.sub(" ", _DAY_MONTH.sub(" ", _PARA_NUMBER.sub("", folded)))
        return 1.0 if numbers(plain) - question_numbers else 0.0
    if kind == "date":
        return 1.0 if _DATE.search(folded) or set(_YEAR.findall(sentence)) - question_numbers else 0.0
    if kind == "person":
        return 1.0 if _TITLE.search(folded) else 0.0
    if kind == "states":
        return min(3, len({name for name, _ in find_states(sentence)} - asked.states)) / 3
    if kind == "list":  # an enumeration: "including: (a) …; (b) …", "gồm: A, B, C"
        return 1.0 if ":" in sentence or sentence.count(";") >= 2 or sentence.count(",") >= 3 else 0.0
    return 0.0


@dataclass(frozen=True)
class Term:
    """One term of the question with its equivalents (stemmed word sequences, both languages);
    a State the question names matches any of its spellings."""

    forms: frozenset[tuple[str, ...]]
    state: str = ""
    bilingual: bool = True  # can match text in either language (a glossary term, a State, a name, a figure)
    year: int | None = None  # a year the question names ("2014")
    cycle: int | None = None  # a UPR cycle ("chu kỳ II", "second cycle")

    @property
    def anchor(self) -> bool:
        """A State, year or cycle, or a word for the document itself ("its 2014 review", "theo báo
        cáo UPR"): what a passage's document stands for without saying it."""
        return bool(self.state) or self.year is not None or self.cycle is not None or bool(self.forms & _DOCUMENT)

    def found_in(self, grams: frozenset[tuple[str, ...]], sentence: str) -> bool:
        return bool(self.forms & grams) or bool(self.state and mentions_state(sentence, self.state))


@lru_cache(maxsize=1)
def _glossary_forms() -> list[frozenset[tuple[str, ...]]]:
    """Each glossary pair as the stemmed forms of all its variants, in both languages."""
    out = []
    for vi, en in TERMS:
        variants = [v.strip() for side in (vi, en) for v in side.split(" / ") if v.strip()]
        out.append(frozenset(tuple(stems(v)) for v in variants if stems(v)))
    return out


def _find(words: list[str], form: tuple[str, ...], taken: list[bool]) -> int:
    n = len(form)
    for i in range(len(words) - n + 1):
        if tuple(words[i : i + n]) == form and not any(taken[i : i + n]):
            return i
    return -1


def question_terms(question: str, named: Named) -> list[Term]:
    """The question's content terms: the States it names and its glossary phrases (each with
    all its spellings and translations; longest phrase first), then each remaining content
    word. A word is part of one term only."""
    raw = WORD.findall(question)
    words = [stem(fold(w)) for w in raw]
    taken = [False] * len(words)
    phrases = [(frozenset(tuple(stems(s)) for s in spellings(state)), state) for state in sorted(named.states)]
    phrases += [(forms, "") for forms in _glossary_forms()]
    by_length = sorted(((f, forms, state) for forms, state in phrases for f in forms if f), key=lambda t: -len(t[0]))
    terms: dict[frozenset[tuple[str, ...]], Term] = {}
    for form, forms, state in by_length:
        at = _find(words, form, taken)
        if at >= 0 and forms not in terms:
            taken[at : at + len(form)] = [True] * len(form)
            cycles = set().union(*(cycles_in(" ".join(f)) for f in forms))
            terms[forms] = Term(forms, state, cycle=next(iter(cycles)) if len(cycles) == 1 else None)
    for forms, state in phrases:  # a named State spelled in a way the words missed ("Viet Nam's")
        if state and forms not in terms:
            terms[forms] = Term(forms, state)
    for i, (word, original) in enumerate(zip(words, raw, strict=True)):
        plain = fold(original)
        if not taken[i] and plain not in STOP and plain not in FRAME and (len(plain) > 1 or plain.isdigit()):
            year = int(plain) if _YEAR.fullmatch(plain) else None
            # "the first and the second UPR cycle": the ordinals name the cycles compared
            cycle = CYCLE_ORDINALS.get(plain) if CYCLE_ORDINALS.get(plain) in named.cycles else None
            # a word with Vietnamese diacritics only matches Vietnamese text, unless it is a name
            # ("Phạm Bình Minh" is "Pham Binh Minh" in an English report)
            bilingual = plain == original.lower() or (i > 0 and original[:1].isupper())
            term = Term(frozenset({(word,)}), bilingual=bilingual, year=year, cycle=cycle)
            terms.setdefault(frozenset({(word,)}), term)
    return list(terms.values())


def grams(sentence: str) -> frozenset[tuple[str, ...]]:
    words = stems(sentence)
    return frozenset(tuple(words[i : i + n]) for n in range(1, MAX_PHRASE + 1) for i in range(len(words) - n + 1))


def kind_word(kinds: tuple[str, ...], word: str) -> bool:
    """A word that is (part of) the kind of answer asked for: a figure, a title, a State."""
    plain = word.strip(".,;:()")
    return any(
        (kind in ("number", "date") and bool(numbers(plain)))
        or (kind == "person" and bool(_TITLE.fullmatch(fold(plain))))
        or (kind == "states" and bool(plain[:1].isupper() and find_states(plain)))
        for kind in kinds
    )


def bilingual_overlap(claim: str, text: str) -> float:
    """Share of a claim's terms that can be read in either language (glossary terms, States,
    names and figures) found in ``text``: how far an answer in Vietnamese is supported by an
    English passage, or the other way round. 0 when the claim has no such term."""
    terms = [t for t in question_terms(claim, Named.of(claim)) if t.bilingual or t.state]
    found = grams(text)
    return sum(1 for t in terms if t.found_in(found, text)) / len(terms) if terms else 0.0
