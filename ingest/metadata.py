"""Describe a loaded document with flat metadata: title, date, language, type, UPR cycle,
Working Group session, UN symbol and State under review; and read sidecar overrides.
"""

from __future__ import annotations

import json
import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from assistant.errors import IngestError
from ingest.decode import decode_bytes, is_vietnamese_letter

log = logging.getLogger(__name__)

DOC_TYPES = ("news", "wg_report", "decision", "recommendations", "plan", "national_report", "other")
MetaValue = str | int | float | None

_MONTHS = tuple("january february march april may june july august september october november december".split())
_UNITS = {w: n for n, w in enumerate("first second third fourth fifth sixth seventh eighth ninth".split(), 1)}
_TEEN_WORDS = "tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
_TEENS = {w: n for n, w in enumerate(_TEEN_WORDS.split(), 10)}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_TENS_ORD = {"twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
_VI_ORDINAL = {"hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5}
# Frequent Vietnamese syllables that are not English words: spot Vietnamese typed without marks.
_VI_WORDS = frozenset(
    "cua cac nhung duoc khong nguoi nhieu quyen khuyen nghi chap thuan trong voi mot nhu thi "
    "bao cao nao gi sao tai va la nuoc chu ky hoi dong ngoai giao thuc hien quoc gia nhan "
    "nhat chinh phu tich cuc dan toc ve viec nay hay tu cung den theo tren duoi sau truoc "
    "nhom van de tham gia bo cong phap luat tre em phu nu".split()
)
_VI_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|tr|th|kh|ph|gh|gi|qu|[bcdghklmnpqrstvx])?"
    r"(?:uye|uya|ieu|yeu|oai|oay|uoi|uou|uay|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|ua|ue|ui|uo|uy|ye|[aeiouy])"
    r"(?:ng|nh|ch|[cmnpt]|[iouy])?"
)
_MAX_SIDECAR_BYTES = 64 * 1024
_MAX_SIDECAR_TEXT = 300  # characters of one sidecar value (a title, a country)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_META_KEYS = ("file_name", "source", "title", "date", "language", "doc_type", "cycle", "session", "symbol", "country")
_SIDECAR_KEYS = _META_KEYS[2:]
_WG_HEADING_RE = re.compile(
    r"Report\s+of\s+the\s+Working(?:\s+Group)?\s+on\s+the\s+Universal\s+Periodic\s+Review", re.I
)
_NATIONAL_REPORT_RE = re.compile(r"National\s+report\s+submitted\s+in\s+accordance\s+with", re.I)
_SYMBOL_RE = re.compile(r"A/HRC/(?:WG\.6/)?\d+/(?:[A-Z]{3}/)?\d+")
_EN_DATE_RE = re.compile(rf"\b(\d{{1,2}})\s+({'|'.join(_MONTHS)})\s+(\d{{4}})\b", re.I)
_VI_DATE_RES = (
    re.compile(r"\bngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})\b", re.I),
    re.compile(r"(?<![\d/])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b"),
)
_CYCLE_RES = (
    re.compile(r"\bchu\s+k[ỳì]\s+(IV|III|II|I|V|[1-5])\b", re.I),
    re.compile(r"(?:UPR|định kỳ|đánh giá|kiểm điểm|rà soát)[^.\n]{0,30}?(?:lần|vòng) thứ (hai|ba|tư|bốn|năm)\b", re.I),
)
# Document types a (diacritics-folded, lower-case) title announces.
_TITLE_TYPES = (
    (r"^bao cao quoc gia", "national_report"),
    (r"^ke hoach|\b(?:action plan|plan of action)\b", "plan"),
    (r"^quyet dinh", "decision"),
)
_SMALL_WORDS = frozenset({"of", "and", "the", "de", "d'"})
_COUNTRY_ALIASES = {"vietnam": "Viet Nam", "viet nam": "Viet Nam", "socialist republic of viet nam": "Viet Nam"}


class _HasText(Protocol):
    text: str


def fold_diacritics(text: str) -> str:
    """Strip accents: 'Chấp thuận Đà Nẵng' -> 'Chap thuan Da Nang'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    stripped = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def detect_language(text: str) -> str:
    """Return 'vi' for Vietnamese (with or without diacritics), else 'en'."""
    sample = unicodedata.normalize("NFC", text[:20000])
    letters = [ch for ch in sample if ch.isalpha()]
    if not letters:
        return "en"
    marked = sum(1 for ch in letters if is_vietnamese_letter(ch))
    if marked >= 2 and marked >= 0.02 * len(letters):
        return "vi"
    words = re.findall(r"[a-z]+", fold_diacritics(sample).lower())
    hits = sum(1 for word in words if word in _VI_WORDS)
    if hits >= 2 and hits >= 0.4 * len(words):
        return "vi"
    # Vietnamese typed without diacritics: nearly every word (acronyms like UPR, IV aside)
    # is a well-formed Vietnamese syllable; English sentences are not.
    plain = [w.lower() for w in re.findall(r"[A-Za-z]+", fold_diacritics(sample)) if not (w.isupper() and len(w) > 1)]
    shaped = sum(1 for word in plain if _VI_SYLLABLE.fullmatch(word))
    return "vi" if len(plain) >= 3 and shaped >= 0.75 * len(plain) else "en"


def infer_metadata(
    path: Path, sections: Sequence[_HasText], hints: dict[str, MetaValue] | None = None
) -> dict[str, MetaValue]:
    """Infer flat metadata from a file's name and text; loader hints win over inference."""
    texts = [s.text for s in sections]
    head = "\n".join(texts[:3])[:8000]
    first = texts[0] if texts else ""
    language = detect_language("\n".join(texts)[:20000])
    meta: dict[str, MetaValue] = dict.fromkeys(_META_KEYS)
    meta.update(file_name=path.name, source=str(path.resolve()), language=language, doc_type="other")
    if path.suffix.lower() == ".csv":
        meta.update(language="en", doc_type="recommendations", title=f"UPR Info recommendations ({path.stem})")
    elif _NATIONAL_REPORT_RE.search(first[:3000]) or _is_un_report(first, head):
        meta.update(_un_metadata(path, first, head))
    else:
        meta.update(_text_metadata(path, texts, head, language))
    meta.update({k: v for k, v in (hints or {}).items() if v is not None and k in meta})
    return meta


def _is_un_report(first_page: str, head: str) -> bool:
    """A Working Group report (heading, or symbol + UPR on the cover) or an HRC decision."""
    if _WG_HEADING_RE.search(first_page[:3000]) or re.search(r"^\s*Decision\s+\d+/\d+", head[:500], re.M):
        return True
    on_cover = _SYMBOL_RE.search(first_page) and re.search(r"Universal\s+Periodic\s+Review", first_page, re.I)
    return bool(on_cover and re.search(r"Working\s+Group", head))


def _un_metadata(path: Path, first_page: str, head: str) -> dict[str, MetaValue]:
    """Metadata of a UN Working Group report, national report or HRC decision."""
    symbol_match = _SYMBOL_RE.search(first_page)
    symbol = symbol_match.group(0) if symbol_match else None
    date = _english_date(first_page) or _file_year(path)
    meta: dict[str, MetaValue] = {"symbol": symbol, "date": date, "language": "en", "doc_type": "wg_report"}
    decision = re.search(r"^\s*(Decision\s+\d+/\d+.*)$", head[:500], re.M)
    if _NATIONAL_REPORT_RE.search(first_page[:3000]) and not _WG_HEADING_RE.search(first_page):
        meta.update(doc_type="national_report", title="National report for the Universal Periodic Review")
    else:
        meta.update(country=_wg_country(first_page) or _review_country(head), session=_wg_session(head))
        meta["title"] = "Report of the Working Group on the Universal Periodic Review"
        if decision and not _WG_HEADING_RE.search(first_page):
            meta.update(doc_type="decision", title=decision.group(1).strip())
    session = meta.get("session")
    meta["cycle"] = cycle_from_session(session) if isinstance(session, int) else _cycle_from_year(date)
    if meta["doc_type"] != "decision":
        country = meta.get("country")
        meta["title"] = f"{meta['title']}{f': {country}' if country else ''}{f' ({symbol})' if symbol else ''}"
    return meta


def _text_metadata(path: Path, texts: list[str], head: str, language: str) -> dict[str, MetaValue]:
    """Metadata of news pages, plans, national reports and other plain documents."""
    title = next((line.strip() for line in head.split("\n") if line.strip()), path.stem)[:200]
    folded = fold_diacritics(title).lower()
    doc_type = next((kind for pattern, kind in _TITLE_TYPES if re.search(pattern, folded)), None)
    if doc_type is None:
        is_page = language == "vi" and path.suffix.lower() in {".txt", ".md", ".html", ".htm"}
        doc_type = "news" if is_page else "other"
    top = "\n".join([line for line in head.split("\n") if line.strip()][:6])[:600]
    date = _vietnamese_date(top) if language == "vi" else _english_date(top)
    # The headline says what the article is about: its mentions count three times.
    cycle = _dominant_cycle("\n".join([title, title, *texts])) if language == "vi" else None
    return {"title": title, "doc_type": doc_type, "date": date, "cycle": cycle}


def _wg_country(first_page: str) -> str | None:
    """The State named on the line after the report heading."""
    match = _WG_HEADING_RE.search(first_page)
    if not match:
        return None
    for line in first_page[match.end() :].split("\n"):
        line = line.strip(" *\t\u2217")
        if line:
            bad = len(line) > 80 or re.search(r"annex|previously|issued|\d", line, re.I)
            return None if bad else _normalize_country(line)
    return None


def _review_country(head: str) -> str | None:
    """The State named in 'The review of <State> was held ...'."""
    match = re.search(r"The\s+review\s+of\s+(.{2,80}?)\s+was\s+held", head, re.S)
    return _normalize_country(match.group(1)) if match else None


def _normalize_country(raw: str) -> str:
    """Tidy a State name: spacing, footnote marks, ALL CAPS, 'the' and known aliases."""
    name = re.sub(r"\s+", " ", raw).strip(" *\u2217.,;:")
    name = re.sub(r"^the\s+", "", name)
    if name.isupper():
        words = name.lower().split(" ")
        name = " ".join(w if i and w in _SMALL_WORDS else w.capitalize() for i, w in enumerate(words))
    return _COUNTRY_ALIASES.get(name.casefold(), name)


def _wg_session(head: str) -> int | None:
    """Working Group session from '... held its eighteenth session ...'."""
    match = re.search(r"held\s+its\s+((?:[a-z]+[\s-])?[a-z]+|\d+)(?:st|nd|rd|th)?\s+session", head, re.I)
    return _ordinal(match.group(1)) if match else None


def _ordinal(words: str) -> int | None:
    """'fifth' -> 5, 'twenty-sixth' -> 26, '18' -> 18."""
    words = words.lower().strip()
    if words.isdigit():
        return int(words)
    parts = re.split(r"[\s-]+", words)
    if len(parts) == 1:
        return _UNITS.get(parts[0]) or _TEENS.get(parts[0]) or _TENS_ORD.get(parts[0])
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _UNITS:
        return _TENS[parts[0]] + _UNITS[parts[1]]
    return _ordinal(parts[-1])


def cycle_from_session(session: int) -> int:
    """UPR cycle of a Working Group session (12 sessions in cycle 1, 14 in cycles 2 and 3)."""
    return 1 if session <= 12 else 2 if session <= 26 else 3 if session <= 40 else 4


# Year each UPR Working Group session was held (sessions 1-47, 2008-2024).
_SESSION_YEARS = (2008, 2008, 2008, 2009, 2009, 2009, 2010, 2010, 2010, 2011, 2011, 2011, 2012, 2012, 2013, 2013,
                  2013, 2014, 2014, 2014, 2015, 2015, 2015, 2016, 2016, 2016, 2017, 2017, 2018, 2018, 2018, 2019,
                  2019, 2019, 2020, 2020, 2021, 2021, 2021, 2022, 2022, 2023, 2023, 2023, 2024, 2024, 2024)  # fmt: skip


def year_of_session(session: int | None) -> int | None:
    """The year a Working Group session was held (None when unknown)."""
    return _SESSION_YEARS[session - 1] if session and 1 <= session <= len(_SESSION_YEARS) else None


def _cycle_from_year(date: MetaValue) -> int | None:
    """Approximate UPR cycle from a year (cycle 1: 2008-11, 2: 2012-16, 3: 2017-21, 4: 2022-)."""
    if not isinstance(date, str) or not date[:4].isdigit():
        return None
    year = int(date[:4])
    return 1 if year <= 2011 else 2 if year <= 2016 else 3 if year <= 2021 else 4


def _english_date(text: str) -> str | None:
    """First '4 June 2009' style date as ISO."""
    match = _EN_DATE_RE.search(text)
    if not match:
        return None
    return _iso(int(match.group(3)), _MONTHS.index(match.group(2).lower()) + 1, int(match.group(1)))


def _vietnamese_date(text: str) -> str | None:
    """First full Vietnamese date ('ngày 7 tháng 4 năm 2023' or '7/4/2023') as ISO."""
    for pattern in _VI_DATE_RES:
        for match in pattern.finditer(text):
            iso = _iso(int(match.group(3)), int(match.group(2)), int(match.group(1)))
            if iso:
                return iso
    return None


def _iso(year: int, month: int, day: int) -> str | None:
    """ISO date, or None when the parts cannot be a date."""
    if not (1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _file_year(path: Path) -> str | None:
    """A year in the file name ('vietnam2014.pdf' -> '2014')."""
    match = re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)", path.stem)
    return match.group(1) if match else None


def _dominant_cycle(text: str) -> int | None:
    """The UPR cycle a Vietnamese text talks about most ('chu kỳ III'), if one clearly leads."""
    counts: Counter[int] = Counter()
    for match in _CYCLE_RES[0].finditer(text):
        counts[_ROMAN[match.group(1).lower()]] += 1
    for match in _CYCLE_RES[1].finditer(text):
        counts[_VI_ORDINAL[match.group(1).lower()]] += 1
    ranked = counts.most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] < 1.5 * ranked[1][1]):
        return None
    return ranked[0][0] if 1 <= ranked[0][0] <= 4 else None


def read_sidecar(path: Path) -> dict[str, MetaValue]:
    """Overrides from '<file>.meta.json' (or '<stem>.meta.json') beside the file; {} if none."""
    candidates = (path.with_name(path.name + ".meta.json"), path.with_name(path.stem + ".meta.json"))
    sidecar = next((c for c in candidates if _is_file(c)), None)
    if sidecar is None:
        return {}
    data = _sidecar_json(sidecar)
    if not isinstance(data, dict):
        raise IngestError(f"sidecar {sidecar.name} is not valid JSON: expected an object of fields")
    overrides: dict[str, MetaValue] = {}
    for key in _SIDECAR_KEYS:
        if key in data:
            ok, value = _coerce(key, data[key])
            if ok:
                overrides[key] = value
            else:
                log.warning("sidecar %s: ignoring %s=%r (wrong type or value)", sidecar.name, key, data[key])
    return overrides


def _is_file(path: Path) -> bool:
    """Path.is_file, False too when the name is too long to exist (a long file name + '.meta.json')."""
    try:
        return path.is_file()
    except OSError:
        return False


def _sidecar_json(sidecar: Path) -> object:
    """The parsed sidecar (any text encoding); IngestError saying why when it cannot be used."""
    try:
        size = sidecar.stat().st_size
        if size > _MAX_SIDECAR_BYTES:
            raise IngestError(
                f"sidecar {sidecar.name} is {size / 2**20:.1f} MiB; a metadata sidecar is a small JSON "
                f"object (at most {_MAX_SIDECAR_BYTES // 1024} KiB)"
            )
        return json.loads(decode_bytes(sidecar.read_bytes(), f"sidecar {sidecar.name}"))
    except OSError as exc:
        raise IngestError(f"sidecar {sidecar.name} cannot be read ({exc.strerror or exc})") from exc
    except ValueError as exc:  # json.JSONDecodeError
        raise IngestError(f"sidecar {sidecar.name} is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise IngestError(f"sidecar {sidecar.name} is not valid JSON: nested too deeply") from exc


def _coerce(key: str, value: object) -> tuple[bool, MetaValue]:
    """Coerce a sidecar value to the key's type; (False, None) when that is not safe."""
    if value is None:
        return True, None
    if isinstance(value, (bool, list, dict)) or (isinstance(value, float) and not math.isfinite(value)):
        return False, None
    text = " ".join(_CONTROL_RE.sub(" ", str(value)).split())  # one line: titles show in lists
    text = text.lower() if key == "language" else text
    if len(text) > _MAX_SIDECAR_TEXT:
        return False, None
    if key in ("cycle", "session"):
        number = int(float(text)) if re.fullmatch(r"\d+(?:\.0+)?", text) else 0
        return number >= 1 and (key == "session" or number <= 4), number or None
    valid = {
        "doc_type": text in DOC_TYPES,
        "date": _valid_date(text),
        "language": re.fullmatch(r"[a-z]{2,3}", text) is not None,
    }.get(key, bool(text))
    return valid, (text if valid else None)


def _valid_date(text: str) -> bool:
    """'2014', '2014-06' or '2014-06-20' with a real month and day."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text)
    if not match:
        return False
    month, day = int(match.group(2) or 1), int(match.group(3) or 1)
    return _iso(int(match.group(1)), month, day) is not None
