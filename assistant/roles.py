"""Who recommends and who is reviewed: the role each State a question names plays.

"What did Viet Nam recommend to Brunei Darussalam?" is about Brunei's review, and the
sentences that answer it name Viet Nam as the recommending State. Rules on the words around
each State name decide; a State no cue decides stays undecided.
"""

from __future__ import annotations

import re

from index.states import _fold, find_states, spellings

# Verb cues after a State that make it the recommending State ("Germany recommended", "Đức đã khuyến nghị").
_FROM_AFTER = re.compile(r"^(?:da |have |has |had )?(?:recommend|made|make|khuyen nghi|kien nghi|de nghi|de xuat)")
_FROM_BEFORE = re.compile(r"(?:from|by|tu|cua)$")
# "the review of X", "X's second review", "phiên rà soát của X": X is the State under review.
_REVIEW_BEFORE = re.compile(r"(?:reviews? of|ra soat(?: upr)?(?: cua| doi voi)?|kiem diem(?: cua)?)$")
_REVIEW_AFTER = re.compile(r"^s (?:\w+ ){0,2}(?:review|upr|report|national report|presentation)")
_SUR_BEFORE = re.compile(r"(?:to|for|of|cho|doi voi|voi|toi)$")
_SUR_AFTER = re.compile(
    r"^(?:da |has |have |did )?(?:receive|accept|support|note|reject|nhan|chap thuan|ung ho|ghi nhan|bac bo)"
)
_RECOMMENDING = re.compile(r"\b(?:recommend\w*|khuyen nghi|kien nghi|de nghi|de xuat)\b")
SUR, FROM, UNDECIDED = "sur", "from", ""


def speaks_of_recommending(text: str) -> bool:
    """Whether the text says that someone recommends ("recommended", "khuyến nghị", "đề nghị")."""
    return bool(_RECOMMENDING.search(_fold(text)))


def mention_roles(question: str) -> list[tuple[str, int, str]]:
    """Every mention of a State in the question, in order: (UN short name, word position, role),
    the role ``SUR`` (under review), ``FROM`` (recommending) or ``UNDECIDED``."""
    text = _fold(question)
    words = text.split()
    found = []
    for name, _ in find_states(question):
        for key in spellings(name):
            key_words = key.split()
            n = len(key_words)
            for pos in range(len(words) - n + 1):
                if words[pos : pos + n] == key_words:
                    before = " ".join(words[max(0, pos - 3) : pos])
                    found.append((name, pos, _role(before, " ".join(words[pos + n : pos + n + 4]))))
    return sorted(set(found), key=lambda t: t[1])


def reviewed_and_recommending(question: str) -> tuple[frozenset[str], frozenset[str]]:
    """(the States the question is about, the States it names only as recommending ones). A
    question that does not speak of recommending ("Hiến pháp của Campuchia …") is about all."""
    if not speaks_of_recommending(question):
        return frozenset(name for name, _ in find_states(question)), frozenset()
    roles: dict[str, set[str]] = {}
    for name, _, role in mention_roles(question):
        roles.setdefault(name, set()).add(role)
    recommending = frozenset(name for name, rs in roles.items() if rs == {FROM})
    return frozenset(roles) - recommending, recommending


def _role(before: str, after: str) -> str:
    if _FROM_AFTER.match(after):
        return FROM
    if _SUR_AFTER.match(after) or _REVIEW_AFTER.match(after) or _REVIEW_BEFORE.search(before):
        return SUR
    if _FROM_BEFORE.search(before):
        return FROM
    if _SUR_BEFORE.search(before):
        return SUR
    return UNDECIDED
