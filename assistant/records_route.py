"""Which questions the recommendation records answer, and with which filters.

Rules, not a model: a question is routed to the records when it asks to count or list
recommendations ("how many", "which States", "bao nhiêu", "quốc gia nào", "khuyến nghị gì")
and everything else it says maps to a record filter: the State under review, the
recommending State, the response, cycle, session, year and a theme. A Vietnamese theme
reaches the English records through the glossary below; a question with words that map to
nothing is left to normal retrieval rather than answered with a wrong filter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.roles import FROM, SUR, mention_roles
from index.records import RecordFilter
from index.states import _fold, without_states
from ingest.metadata import detect_language

# Vietnamese themes (folded) -> English record words; '|' separates alternatives, '*' is a prefix.
THEMES: dict[str, str] = {
    "an tu hinh": "death penalt* | capital punish* | death sentence*",
    "cong uoc chong tra tan": "tortur* | cat",
    "tra tan": "tortur*",
    "phe chuan": "ratif*",
    "gia nhap": "acced* | accession",
    "tre em": "child*",
    "phu nu": "women | woman",
    "binh dang gioi": "gender",
    "bao luc gia dinh": "domestic violence",
    "buon ban nguoi": "traffick*",
    "mua ban nguoi": "traffick*",
    "tu do ngon luan": "expression | opinion",
    "tu do bao chi": "press | journalist* | media",
    "tu do ton giao": "relig* | belief*",
    "tu do tin nguong": "relig* | belief*",
    "ton giao": "relig*",
    "internet": "internet",
    "dan toc thieu so": "minorit* | ethnic*",
    "nguoi khuyet tat": "disabilit*",
    "giao duc": "educat*",
    "y te": "health",
    "suc khoe": "health",
    "ngheo": "povert*",
    "lao dong di cu": "migra*",
    "di cu": "migra*",
    "lao dong": "labour | labor | worker*",
    "bien doi khi hau": "climate",
    "co quan nhan quyen quoc gia": "national institution*",
    "tham nhung": "corrupt*",
    "moi truong": "environment*",
    "nguoi cao tuoi": "older | elderly",
    "xu huong tinh duc": "sexual orientation | lgbt*",
    "giam giu": "detention | detain*",
    "tu phap": "judicia* | justice",
    "nuoc sach": "water",
    "an sinh xa hoi": "social security | social protection",
    "viec lam": "employment",
    "nha bao": "journalist*",
    "nhan quyen hoc": "human rights educat*",
}
_VI_STRUCTURE = set(
    """bao nhieu so luong tong so khuyen nghi kien nghi de xuat quoc gia nuoc cac nhung nao gi ve lien quan den toi
    cho doi voi tu cua da duoc nhan chap thuan ung ho chap nhan ghi nhan bac bo khong chu ky phien khoa nam trong o
    tai va hoac la co bi the thi sao upr ra soat dinh ky pho quat lan thu mot hai ba bon nhat liet ke danh sach hay
    biet toan bo tat ca bao gom dua ra moi vao hoi dong nhan quyen nhom lam viec quyen con nguoi bao cao dieu
    dem chua tra loi xem xet kiem diem dang can dua nhieu it gom i ii iii iv v""".split()
)
_EN_STRUCTURE = set(
    """how many number of count which what who whom list show give all the a an to from by for in on about regarding
    concerning related did do does has have had is are was were be been recommend recommended recommending
    recommendation recommendations make made making receive received receiving state states country countries
    government review reviewed under its their it they that this these those support supported accept accepted
    note noted reject rejected not pending examined examine will cycle session year upr universal periodic
    first second third fourth i ii iii iv and or with at of were there total us me please tell during s its""".split()
)
_COUNT = re.compile(r"\b(?:how many|number of|count)\b|\b(?:bao nhieu|so luong|tong so|may khuyen nghi)\b")
_LIST_STATES = re.compile(
    r"\b(?:which|what) (?:states|countries|state|country)\b|\bwho recommended\b"
    r"|\b(?:quoc gia|nuoc) nao\b|\bai (?:da )?(?:khuyen|kien) nghi\b"
)
_LIST_RECS = re.compile(
    r"\b(?:which|what) recommendations?\b|\blist\b|\bwhat did .+ recommend\b"
    r"|\b(?:khuyen|kien) nghi (?:gi|nao)\b|\bnhung (?:khuyen|kien) nghi\b|\bliet ke\b|\bde xuat gi\b"
)
_ABOUT_RECS = re.compile(r"\brecommend|\b(?:khuyen|kien) nghi\b")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "first": 1, "second": 2,
          "third": 3, "fourth": 4, "nhat": 1, "tu": 4}  # fmt: skip
_CYCLE = re.compile(r"\b(?:cycle|chu ky)\s+(?:thu\s+)?(\d|iv|iii|ii|i|mot|hai|ba|bon|nhat)\b"
                    r"|\b(first|second|third|fourth)\s+(?:cycle|review|upr)\b"
                    r"|\blan (?:ra soat |kiem diem )?thu (nhat|hai|ba|tu)\b")  # fmt: skip
_SESSION = re.compile(
    r"\b(?:session|phien(?: hop)?|khoa)\s+(?:thu\s+)?(\d{1,2})\b|\b(\d{1,2})(?:st|nd|rd|th)\s+session\b"
)
_YEAR = re.compile(r"\b(20[0-4]\d)\b")
_NOTED = re.compile(r"\b(?:noted?|rejected|reject|not (?:support|accept)\w*|did not enjoy"
                    r"|khong (?:chap thuan|ung ho|chap nhan)|ghi nhan|bac bo|tu choi)\b")  # fmt: skip
_SUPPORTED = re.compile(r"\b(?:support\w*|accept\w*|enjoy\w* the support|chap thuan|ung ho|chap nhan)\b")
_PENDING = re.compile(r"\b(?:pending|will be examined|chua tra loi|xem xet)\b")
@dataclass(frozen=True)
class RecordsQuestion:
    """A question the records can answer: what to do and with which filter."""

    intent: str  # "count" | "list_states" | "list_recs"
    filter: RecordFilter
    theme: str = ""  # the theme words as the question put them (for the answer's wording)


def route(question: str) -> RecordsQuestion | None:
    """The records query for a counting or listing question about recommendations, else None."""
    text = _fold(question)
    if not _ABOUT_RECS.search(text):
        return None
    intent = ("count" if _COUNT.search(text) else "list_states" if _LIST_STATES.search(text)
              else "list_recs" if _LIST_RECS.search(text) else "")  # fmt: skip
    if not intent:
        return None
    sur, from_state = _roles(question)
    if sur is None and from_state is None and intent != "list_states" and not _YEAR.search(text):
        return None  # "how many recommendations?" of what? let retrieval find the context
    leftover = without_states(question, keep_marks=False)
    theme, ok = _theme(leftover, question)
    if not ok:
        return None
    flt = RecordFilter(
        sur=sur,
        from_state=from_state,
        response=_response(text),
        cycle=_cycle(text),
        session=_int(_SESSION.search(text)),
        year=_int(_YEAR.search(text)),
        text=theme or None,
    )
    return RecordsQuestion(intent, flt, theme)


def _int(match: re.Match[str] | None) -> int | None:
    if not match:
        return None
    return int(next(g for g in match.groups() if g))


def _cycle(text: str) -> int | None:
    m = _CYCLE.search(text)
    if not m:
        return None
    word = next(g for g in m.groups() if g)
    return int(word) if word.isdigit() else _ROMAN.get(word) or _ROMAN.get(f"thu {word}")


def _response(text: str) -> str | None:
    if _NOTED.search(text):
        return "noted"
    if _PENDING.search(text):
        return "pending"
    if _SUPPORTED.search(text):
        return "supported"
    return None


def _roles(question: str) -> tuple[str | None, str | None]:
    """(State under review, recommending State): the first State each role's cue names (at its
    first mention); undecided States fill the roles left, in order."""
    sur = from_state = None
    undecided = []
    first = {}
    for name, _, role in mention_roles(question):
        first.setdefault(name, role)
    for name, role in first.items():
        if role == FROM:
            from_state = from_state or name
        elif role == SUR:
            sur = sur or name
        else:
            undecided.append(name)
    for name in undecided:
        if sur is None:
            sur = name
        elif from_state is None:
            from_state = name
    return sur, from_state


def _theme(leftover: str, question: str) -> tuple[str, bool]:
    """(record text query, whether every content word was understood).

    Themes are ANDed with ';', alternatives ORed with '|' (see ``index.records``). A Vietnamese
    question's words must all be structure, a known theme or an acronym (CAT, ICCPR); an
    English question's remaining words are its theme.
    """
    text = f" {leftover} "
    queries = []
    for vi, en in sorted(THEMES.items(), key=lambda kv: -len(kv[0])):
        if f" {vi} " in text:
            queries.append(en)
            text = text.replace(f" {vi} ", " ")
    text = _CYCLE.sub(" ", _SESSION.sub(" ", _YEAR.sub(" ", text)))
    acronyms = {w.lower() for w in re.findall(r"\b[A-Z][A-Z0-9]{1,9}\b", question)}
    words = [w for w in text.split() if not w.isdigit() and w not in _EN_STRUCTURE and w not in _VI_STRUCTURE]
    if detect_language(question) == "vi":
        if any(w not in acronyms for w in words):
            return "", False
        queries += words
    elif words:
        queries.append(" ".join(w if w in acronyms else _stem(w) for w in words))
    return " ; ".join(queries), True


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "s", "y"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + "*"
    return word + "*" if len(word) >= 4 else word
