"""Small text helpers shared by answering, citation checks and refusals."""

from __future__ import annotations

import re

from index.tokenize import WORD, fold, fold_passage

# A sentence ends at . ! or ? (a footnote mark "*" may follow) before a capital or a digit, or at a line break.
_SENT_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?]\*)|(?<=[.!?]\*\*))\s+(?=[\"“(]?[A-ZÀ-ỸĐ0-9])|\n+")
# "ILO Convention (No. 138)", "H.E. Mr. Pham Binh Minh", "H.E. Rastam Mohd. Isa": a period that ends an
# abbreviation (of a title or a name) ends no sentence.
_ABBREVIATION_END = re.compile(
    r"(?:^|[\s(])(?:No|Nos|Mr|Mrs|Ms|Mme|Dr|Prof|Amb|Hon|Gen|Sen|Rev|Jr|Sr|Mohd|Muhd|Art|para|paras|St|vs"
    r"|H\.E|e\.g|i\.e)\.$"
)
_FRAGMENT = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3})*\.?|[IVX]+\.|[A-Z]\.|\(?[a-z]\))$")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
STOP = frozenset(
    # English and Vietnamese function words, folded: they carry no evidence of support.
    "a an and are as at be by for from has have in is it its of on or that the this to was were which with what "
    "who whom how many much did does do when where why not no yes "
    "va cua cac la duoc co trong cho voi nhung nay da se ve tai tu den mot nhu theo khi thi ma bao nhieu gi nao "
    "the nao ai o khong con hay nhieu de ra vao len cung rat".split()
)


def split_sentences(text: str) -> list[str]:
    """Sentences (or list items / lines) of a passage; paragraph numbers ("141.", "II.")
    stay with the sentence they number."""
    out: list[str] = []
    carry = ""
    for piece in _SENT_END.split(text):
        piece = piece.strip() if piece else ""
        if not piece:
            continue
        if _FRAGMENT.match(piece) or _ABBREVIATION_END.search(piece):
            carry = f"{carry} {piece}".strip()
            continue
        out.append(f"{carry} {piece}".strip())
        carry = ""
    if carry:
        out.append(carry)
    return out


def content_terms(text: str) -> set[str]:
    """Folded content words (no function words): what overlap is measured on."""
    return {w for w in (fold(m) for m in WORD.findall(text)) if w not in STOP and (len(w) > 1 or w.isdigit())}


def bigrams(text: str) -> set[str]:
    words = [fold(m) for m in WORD.findall(text)]
    return {f"{a} {b}" for a, b in zip(words, words[1:])}


def overlap(question: str, sentence: str) -> float:
    """Share of the question's content words (and bigrams, counted double) in ``sentence``."""
    q_terms, q_bi = content_terms(question), bigrams(question)
    if not q_terms:
        return 0.0
    s_terms, s_bi = content_terms(sentence), bigrams(sentence)
    hit = len(q_terms & s_terms) + 2 * len(q_bi & s_bi)
    return hit / (len(q_terms) + 2 * max(1, len(q_bi)))


def numbers(text: str) -> set[str]:
    """Numbers as written, normalised so ``84,7`` == ``84.7`` and ``1,000`` == ``1000``."""
    out = set()
    for raw in _NUMBER.findall(text):
        value = raw.replace(",", ".")
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", value):  # thousands separators
            value = value.replace(".", "")
        out.add(value)
    return out


def contains_folded(haystack: str, needle: str) -> bool:
    """Case- and diacritic-insensitive containment."""
    return " ".join(fold(needle).split()) in " ".join(fold(haystack).split())


# Ordinals that name a UPR cycle, folded: "third cycle", "chu kỳ III", "lần thứ hai".
CYCLE_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "i": 1, "ii": 2, "iii": 3, "iv": 4,
             "1": 1, "2": 2, "3": 3, "4": 4, "dau tien": 1, "thu nhat": 1, "thu hai": 2, "thu ba": 3, "thu tu": 4}
_ORD = "|".join(sorted(CYCLE_ORDINALS, key=len, reverse=True))
_CYCLE_PATTERNS = (
    re.compile(rf"\bchu ky (?:upr )?({_ORD})\b"),
    re.compile(rf"\bcycle ({_ORD})\b"),
    re.compile(rf"\b({_ORD})(?: \(\d{{4}}\))? (?:upr )?(?:cycle|review|upr)\b"),
    re.compile(rf"\b(?:lan|vong) ({_ORD})\b"),
    # the first of two named together: "first and second cycle", "chu kỳ I và II", "lần thứ nhất và thứ hai"
    re.compile(rf"\b({_ORD})(?: \(\d{{4}}\))? (?:and|or|va|hoac)(?: in)?(?: the)?(?: lan| vong)? (?:{_ORD})"
               rf"(?: \(\d{{4}}\))? (?:upr )?(?:cycles?|reviews?|upr)\b"),
    re.compile(rf"\b(?:chu ky|lan|vong) (?:upr )?(?:{_ORD}) (?:va|hoac) (?:chu ky |lan |vong )?({_ORD})\b"),
)


def cycles_in(text: str) -> set[int]:
    """UPR cycles a text speaks of, in either language ("third cycle", "chu kỳ III")."""
    folded = " ".join(fold_passage(text).split())
    return {CYCLE_ORDINALS[m.group(1)] for pattern in _CYCLE_PATTERNS for m in pattern.finditer(folded)}
