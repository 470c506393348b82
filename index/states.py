"""State names: the UN short names, their other spellings (English and Vietnamese), and
finding the States a question mentions."""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import lru_cache

from index.filters import name_key
from index.tokenize import fold, fold_passage

# UN short names of the member and observer States, as recommendations name them.
UN_STATES: tuple[str, ...] = tuple(
    s.strip()
    for s in """Afghanistan|Albania|Algeria|Andorra|Angola|Antigua and Barbuda|Argentina|Armenia|Australia|
    Austria|Azerbaijan|Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|Benin|Bhutan|
    Bolivia (Plurinational State of)|Bosnia and Herzegovina|Botswana|Brazil|Brunei Darussalam|Bulgaria|
    Burkina Faso|Burundi|Cabo Verde|Cambodia|Cameroon|Canada|Central African Republic|Chad|Chile|China|
    Colombia|Comoros|Congo|Costa Rica|Côte d'Ivoire|Croatia|Cuba|Cyprus|Czech Republic|
    Democratic People's Republic of Korea|Democratic Republic of the Congo|Denmark|Djibouti|Dominica|
    Dominican Republic|Ecuador|Egypt|El Salvador|Equatorial Guinea|Eritrea|Estonia|Eswatini|Ethiopia|Fiji|
    Finland|France|Gabon|Gambia|Georgia|Germany|Ghana|Greece|Grenada|Guatemala|Guinea|Guinea-Bissau|Guyana|
    Haiti|Holy See|Honduras|Hungary|Iceland|India|Indonesia|Iran (Islamic Republic of)|Iraq|Ireland|Israel|
    Italy|Jamaica|Japan|Jordan|Kazakhstan|Kenya|Kiribati|Kuwait|Kyrgyzstan|Lao People's Democratic Republic|
    Latvia|Lebanon|Lesotho|Liberia|Libya|Liechtenstein|Lithuania|Luxembourg|Madagascar|Malawi|Malaysia|
    Maldives|Mali|Malta|Marshall Islands|Mauritania|Mauritius|Mexico|Micronesia (Federated States of)|
    Monaco|Mongolia|Montenegro|Morocco|Mozambique|Myanmar|Namibia|Nauru|Nepal|Netherlands|New Zealand|
    Nicaragua|Niger|Nigeria|North Macedonia|Norway|Oman|Pakistan|Palau|Panama|Papua New Guinea|Paraguay|
    Peru|Philippines|Poland|Portugal|Qatar|Republic of Korea|Republic of Moldova|Romania|Russian Federation|
    Rwanda|Saint Kitts and Nevis|Saint Lucia|Saint Vincent and the Grenadines|Samoa|San Marino|
    Sao Tome and Principe|Saudi Arabia|Senegal|Serbia|Seychelles|Sierra Leone|Singapore|Slovakia|Slovenia|
    Solomon Islands|Somalia|South Africa|South Sudan|Spain|Sri Lanka|State of Palestine|Sudan|Suriname|
    Sweden|Switzerland|Syrian Arab Republic|Tajikistan|Thailand|Timor-Leste|Togo|Tonga|Trinidad and Tobago|
    Tunisia|Turkey|Turkmenistan|Tuvalu|Uganda|Ukraine|United Arab Emirates|
    United Kingdom of Great Britain and Northern Ireland|United Republic of Tanzania|United States of America|
    Uruguay|Uzbekistan|Vanuatu|Venezuela (Bolivarian Republic of)|Viet Nam|Yemen|Zambia|Zimbabwe""".split("|")
)
# Other spellings -> UN short name: older UN names, inverted forms, UPR Info and common usage.
_ALIASES: dict[str, str] = {
    "Bolivia": "Bolivia (Plurinational State of)",
    "Plurinational State of Bolivia": "Bolivia (Plurinational State of)",
    "Brunei": "Brunei Darussalam",
    "Cape Verde": "Cabo Verde",
    "Republic of Congo": "Congo",
    "Republic of the Congo": "Congo",
    "Ivory Coast": "Côte d'Ivoire",
    "Czechia": "Czech Republic",
    "DPR Korea": "Democratic People's Republic of Korea",
    "DPRK": "Democratic People's Republic of Korea",
    "North Korea": "Democratic People's Republic of Korea",
    "Democratic Republic of Congo": "Democratic Republic of the Congo",
    "DR Congo": "Democratic Republic of the Congo",
    "DRC": "Democratic Republic of the Congo",
    "Swaziland": "Eswatini",
    "Guinea Bissau": "Guinea-Bissau",
    "Iran": "Iran (Islamic Republic of)",
    "Islamic Republic of Iran": "Iran (Islamic Republic of)",
    "Kyrgyz Republic": "Kyrgyzstan",
    "Laos": "Lao People's Democratic Republic",
    "Lao PDR": "Lao People's Democratic Republic",
    "Libyan Arab Jamahiriya": "Libya",
    "Micronesia": "Micronesia (Federated States of)",
    "Federated States of Micronesia": "Micronesia (Federated States of)",
    "Republic of the Marshall Islands": "Marshall Islands",
    "Macedonia": "North Macedonia",
    "Macedonia FYR": "North Macedonia",
    "Former Yugoslav Republic of Macedonia": "North Macedonia",
    "FYR Macedonia": "North Macedonia",
    "Korea (Republic of)": "Republic of Korea",
    "South Korea": "Republic of Korea",
    "Moldova": "Republic of Moldova",
    "Russia": "Russian Federation",
    "Palestine": "State of Palestine",
    "Syria": "Syrian Arab Republic",
    "East Timor": "Timor-Leste",
    "Timor Leste": "Timor-Leste",
    "Türkiye": "Turkey",
    "Tanzania": "United Republic of Tanzania",
    "United Kingdom": "United Kingdom of Great Britain and Northern Ireland",
    "UK": "United Kingdom of Great Britain and Northern Ireland",
    "Great Britain": "United Kingdom of Great Britain and Northern Ireland",
    "United States": "United States of America",
    "USA": "United States of America",
    "US": "United States of America",
    "Venezuela": "Venezuela (Bolivarian Republic of)",
    "Bolivarian Republic of Venezuela": "Venezuela (Bolivarian Republic of)",
    "Vietnam": "Viet Nam",
    "Socialist Republic of Viet Nam": "Viet Nam",
}
_CANONICAL: dict[str, str] = {name_key(s): s for s in UN_STATES} | {name_key(a): s for a, s in _ALIASES.items()}

_FUZZY_MIN_CHARS = 6  # shorter names are too close to each other ('Niger', 'Nigeria') to guess
_FUZZY_CUTOFF = 0.85
_FUZZY_CUTOFF_LONG = 0.8  # for keys of 20+ letters: 'Bolivia (Plurinational Republic of)'


def canonical_state(name: str, fuzzy: bool = False) -> str | None:
    """The UN short name of a State in any common spelling, or None if it is not a known State.

    ``fuzzy`` also accepts near misses of longer names ('Lichtenstein', 'United States of Americas').
    """
    key = _spelling_key(name)
    found = _CANONICAL.get(key)
    if found or not fuzzy or len(key) < _FUZZY_MIN_CHARS:
        return found
    cutoff = _FUZZY_CUTOFF_LONG if len(key) >= 20 else _FUZZY_CUTOFF
    close = difflib.get_close_matches(key, _CANONICAL, n=1, cutoff=cutoff)
    return _CANONICAL[close[0]] if close else None


def state_key(name: str) -> str:
    """Matching key of a State name: equal for all spellings of one State ('USA', 'United States')."""
    key = _spelling_key(name)
    canonical = _CANONICAL.get(key)
    return name_key(canonical) if canonical else key


def _spelling_key(name: str) -> str:
    name = re.sub(r"\s*\(including [^)]*\)", "", name.strip())  # "China (including Hong Kong, China and ...)"
    name = re.sub(r"\s*&\s*", " and ", name)
    name = re.sub(r"^(?:the\s+)", "", name, flags=re.I)
    name = re.sub(r"^St\.?\s+", "Saint ", name)
    return name_key(name)


# The State a Vietnamese page is about when it names none: the Vietnamese news and plans this
# project reads are about Viet Nam (used by retrieval's State preference and the citation check).
VIET_NAM = "Viet Nam"

# Vietnamese names of States (as Vietnamese news and staff write them) -> UN short name.
VI_NAMES: dict[str, str] = {
    "Việt Nam": "Viet Nam", "Đức": "Germany", "Pháp": "France", "Mỹ": "United States of America",
    "Hoa Kỳ": "United States of America", "Anh": "United Kingdom of Great Britain and Northern Ireland",
    "Vương quốc Anh": "United Kingdom of Great Britain and Northern Ireland", "Nhật Bản": "Japan",
    "Trung Quốc": "China", "Nga": "Russian Federation", "Liên bang Nga": "Russian Federation", "Úc": "Australia",
    "Ô-xtrây-li-a": "Australia", "Ca-na-đa": "Canada", "Thụy Điển": "Sweden", "Na Uy": "Norway",
    "Thụy Sĩ": "Switzerland", "Hà Lan": "Netherlands", "Bỉ": "Belgium", "Ý": "Italy", "I-ta-li-a": "Italy",
    "Tây Ban Nha": "Spain", "Bồ Đào Nha": "Portugal", "Ấn Độ": "India", "Hàn Quốc": "Republic of Korea",
    "Triều Tiên": "Democratic People's Republic of Korea", "Lào": "Lao People's Democratic Republic",
    "Campuchia": "Cambodia", "Cam-pu-chia": "Cambodia", "Thái Lan": "Thailand", "Xin-ga-po": "Singapore",
    "Ma-lai-xi-a": "Malaysia", "In-đô-nê-xi-a": "Indonesia", "Phi-líp-pin": "Philippines", "Mi-an-ma": "Myanmar",
    "Bru-nây": "Brunei Darussalam", "Đông Ti-mo": "Timor-Leste", "Áo": "Austria", "Đan Mạch": "Denmark",
    "Phần Lan": "Finland", "Ba Lan": "Poland", "Séc": "Czech Republic", "Cộng hòa Séc": "Czech Republic",
    "Hung-ga-ri": "Hungary", "Hy Lạp": "Greece", "Ai-len": "Ireland", "Ai Len": "Ireland", "Niu Di-lân": "New Zealand",
    "Mê-hi-cô": "Mexico", "Ác-hen-ti-na": "Argentina", "Bra-xin": "Brazil", "Chi-lê": "Chile", "Cu Ba": "Cuba",
    "Ai Cập": "Egypt", "I-ran": "Iran (Islamic Republic of)", "I-rắc": "Iraq", "Thổ Nhĩ Kỳ": "Turkey",
    "Ả Rập Xê-út": "Saudi Arabia", "Nam Phi": "South Africa", "Ni-giê-ri-a": "Nigeria", "Xlô-va-ki-a": "Slovakia",
    "U-crai-na": "Ukraine", "Bê-la-rút": "Belarus", "Ca-dắc-xtan": "Kazakhstan", "Pa-ki-xtan": "Pakistan",
    "Băng-la-đét": "Bangladesh", "Xri Lan-ca": "Sri Lanka", "Nê-pan": "Nepal", "Mông Cổ": "Mongolia",
    "Vê-nê-xu-ê-la": "Venezuela (Bolivarian Republic of)", "Bê-li-xê": "Belize", "Áp-ga-ni-xtan": "Afghanistan",
    "Bu-run-đi": "Burundi", "Ru-ma-ni": "Romania", "Bun-ga-ri": "Bulgaria", "Xéc-bi-a": "Serbia",
    "Lít-va": "Lithuania", "Lát-vi-a": "Latvia", "E-xtô-ni-a": "Estonia", "Lúc-xăm-bua": "Luxembourg",
    "Ai-xơ-len": "Iceland", "An-giê-ri": "Algeria", "Ma-rốc": "Morocco", "Xu-đăng": "Sudan",
}  # fmt: skip


# Vietnamese State names that are also parts of common words: not a State when next to these.
_NOT_BEFORE = {"phap": {"bien", "tu", "hien", "phuong", "hop", "thu", "van", "giai", "cong", "thi", "lap"},
               "duc": {"dao", "cong", "nhan", "am", "thuc", "giao"}, "y": {"dong", "chu", "luu", "thoa", "nhat", "y"},
               "anh": {"tieng", "hinh", "phan", "nguoi"}, "my": {"tham", "hoa"}}  # fmt: skip
_NOT_AFTER = {"phap": {"luat", "ly", "quy", "che", "dien", "y", "nhan", "dinh", "lenh"}, "duc": {"tin", "tinh", "hanh"},
              "lao": {"dong"}, "y": {"kien", "nghia", "thuc", "chi", "te", "tuong", "dinh", "muon"},
              "anh": {"huong", "sang", "em", "chi"}, "my": {"thuat", "pham", "man"}}  # fmt: skip
_CUES_BEFORE = {"nuoc", "doan", "phai"}
_CUES_AFTER = ("khuyen nghi", "da khuyen nghi", "de nghi", "kien nghi")


def _fold(text: str, keep_marks: bool = False) -> str:
    """Lower case, words only; diacritics removed unless ``keep_marks`` (then NFC)."""
    return _words(unicodedata.normalize("NFC", text).lower() if keep_marks else fold(text))


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


_PATTERNS: dict[str, list[tuple[str, str]]] = {}


def _patterns(kind: str) -> list[tuple[str, str]]:
    if kind not in _PATTERNS:
        names: dict[str, str] = {}
        if kind == "en":
            for name in UN_STATES:
                names[_fold(name)] = name
            for alias, name in _ALIASES.items():
                if len(alias) > 3 or alias.isupper():
                    names.setdefault(_fold(alias), name)
            names.pop("us", None)  # a pronoun once lower-cased
        else:
            for vi, name in VI_NAMES.items():
                names.setdefault(_fold(vi, keep_marks=kind == "vi"), name)
        _PATTERNS[kind] = sorted(names.items(), key=lambda kv: -len(kv[0]))
    return _PATTERNS[kind]


def _is_vi_state(words: list[str], i: int, n: int, key: str, marked: bool) -> bool:
    """Whether the Vietnamese name ``key`` at words[i:i+n] names a State in its context."""
    plain = _fold(key)
    before = _fold(words[i - 1]) if i > 0 else ""
    after = _fold(words[i + n]) if i + n < len(words) else ""
    if before in _NOT_BEFORE.get(plain, ()) or after in _NOT_AFTER.get(plain, ()):
        return False
    if marked or len(plain) > 3:
        return True
    rest = " ".join(_fold(w) for w in words[i + n : i + n + 3])
    return before in _CUES_BEFORE or rest.startswith(_CUES_AFTER)


def mentions_state(text: str, name: str) -> bool:
    """Whether ``text`` contains a spelling (English or Vietnamese, diacritics folded) of the
    State ``name``. Cheaper than ``find_states`` and more permissive: a short Vietnamese name
    inside a longer word counts ('Anh' in 'tiếng Anh'), so use it to include, not to exclude."""
    padded = f" {_words(fold_passage(text))} "  # _fold(text), the folding cached per passage
    return any(f" {key} " in padded for key in spellings(canonical_state(name) or name))


@lru_cache(maxsize=512)
def spellings(name: str) -> tuple[str, ...]:
    """The folded spellings of a State (UN short name), English and Vietnamese: 'bru nay', 'brunei'."""
    return tuple(key for kind in ("en", "vi-plain") for key, known in _patterns(kind) if known == name)


def without_states(text: str, keep_marks: bool = True) -> str:
    """The text's words, lower case (diacritics kept unless ``keep_marks`` is False), without
    the State names it mentions, every mention ("Cambodia … Cambodia's"): what a claim or a
    question says once who it is about is set aside."""
    words = _fold(text).split()
    shown = _fold(text, keep_marks=True).split() if keep_marks else words
    if len(shown) != len(words):  # folding changed a word boundary: give the folded words
        shown = words
    names = {key for name, _ in find_states(text) for key in spellings(name)}
    keep = [True] * len(words)
    for pos in range(len(words)):
        for n in range(min(8, len(words) - pos), 0, -1):
            if " ".join(words[pos : pos + n]) in names:
                keep[pos : pos + n] = [False] * n
                break
    return " ".join(w for w, k in zip(shown, keep, strict=True) if k)


def find_states(text: str) -> list[tuple[str, int]]:
    """States named in a free text (English or Vietnamese, with or without diacritics), as
    (UN short name, word position), in order of mention; longest names win ('Democratic
    Republic of the Congo' is not also 'Congo'). Short Vietnamese names typed without
    diacritics ('Anh', 'Ao') count only next to a cue ('nuoc Anh', 'Anh khuyen nghi')."""
    marked = _fold(text) != _fold(text, keep_marks=True).replace("đ", "d")
    found: list[tuple[str, int]] = []
    for kind in ("en", "vi" if marked else "vi-plain"):
        words = _fold(text, keep_marks=kind == "vi").split()
        taken = [False] * len(words)
        for key, name in _patterns(kind):
            key_words = key.split()
            n = len(key_words)
            for i in range(len(words) - n + 1):
                if words[i : i + n] != key_words or any(taken[i : i + n]):
                    continue
                if kind != "en" and not _is_vi_state(words, i, n, key, marked):
                    continue
                taken[i : i + n] = [True] * n
                found.append((name, i))
    seen: dict[str, int] = {}
    for name, pos in sorted(found, key=lambda t: t[1]):
        seen.setdefault(name, pos)
    return sorted(seen.items(), key=lambda t: t[1])
