"""The UPR eval set: schema, loading, text matching and an independent corpus checker.

The checker extracts document text itself (pypdf, plain UTF-8, the CSV ``Text`` column)
instead of calling the project's ingest code, so a bug in ingest cannot hide a bad label.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

LANGUAGES = frozenset({"vi", "en"})
TYPES = frozenset(
    {
        "factoid",
        "numeric",
        "list",
        "cross_lingual",
        "multi_doc",
        "no_diacritics",
        "unanswerable",
    }
)
CORPUS_SUFFIXES = frozenset({".pdf", ".txt", ".csv"})

_STR_FIELDS = ("id", "question", "language", "answer", "type")
_LIST_FIELDS = ("must_contain", "source_ids", "evidence")
FIELDS = frozenset(_STR_FIELDS + _LIST_FIELDS)

# Typographic punctuation that models and scrapers use interchangeably with ASCII.
_PUNCT_FOLD = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)
_WS = re.compile(r"\s+")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
# "13 per cent" = "13 percent" = "13 phần trăm" = "13%" (after diacritics are folded)
_PER_CENT = re.compile(r"(?<=\d)\s*(?:per ?cent|phan tram)\b|(?<=\d)\s+%")


@dataclass
class EvalItem:
    """One question with its gold answer, key facts, sources and supporting sentences."""

    id: str
    question: str
    language: str
    answer: str
    must_contain: list[str]
    source_ids: list[str]
    type: str
    evidence: list[str]

    @property
    def answerable(self) -> bool:
        """False for questions the corpus deliberately cannot answer."""
        return self.type != "unanswerable"


def _item_from_dict(data: object) -> EvalItem:
    """Validate one decoded JSON object and build an item; raise on any defect."""
    if not isinstance(data, dict):
        raise TypeError("line is not a JSON object")
    keys = set(data)
    if keys != FIELDS:
        missing, extra = sorted(FIELDS - keys), sorted(keys - FIELDS)
        raise ValueError(f"wrong fields (missing {missing}, unexpected {extra})")
    for name in _STR_FIELDS:
        if not isinstance(data[name], str) or not data[name].strip():
            raise ValueError(f"field {name!r} must be a non-empty string")
    for name in _LIST_FIELDS:
        value = data[name]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValueError(f"field {name!r} must be a list of non-empty strings")
    if data["language"] not in LANGUAGES:
        raise ValueError(f"language {data['language']!r} not in {sorted(LANGUAGES)}")
    if data["type"] not in TYPES:
        raise ValueError(f"type {data['type']!r} not in {sorted(TYPES)}")
    return EvalItem(**data)


def load_eval_set(path: Path | str) -> list[EvalItem]:
    """Read a JSONL eval set, one item per non-blank line; errors name the line number."""
    items: list[EvalItem] = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                items.append(_item_from_dict(json.loads(line)))
            except (ValueError, TypeError) as exc:  # JSONDecodeError is a ValueError
                raise ValueError(f"{path}:{number}: {exc}") from exc
    return items


def collapse_whitespace(text: str) -> str:
    """Turn every whitespace run (newlines included) into one space and strip the ends."""
    return _WS.sub(" ", text).strip()


def normalize_for_match(text: str) -> str:
    """Fold text for lenient fact matching.

    NFC, lower case, Vietnamese diacritics removed (đ→d), typographic quotes and dashes
    made ASCII, a comma between digits read as a decimal point ("84,7" → "84.7"), "per cent"
    and "phần trăm" after a figure written "%", and whitespace collapsed.
    """
    text = unicodedata.normalize("NFC", text).lower().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    text = unicodedata.normalize("NFC", text).translate(_PUNCT_FOLD)
    text = _DECIMAL_COMMA.sub(".", text)
    text = _PER_CENT.sub("%", text)
    return collapse_whitespace(text)


def text_contains(haystack: str, needle: str) -> bool:
    """Whether ``needle`` occurs in ``haystack`` after normalize_for_match.

    A needle that starts or ends with a digit must not sit inside a longer number, so
    "241" matches "241 khuyến nghị" but not "2410" or "1,241".
    """
    hay, pin = normalize_for_match(haystack), normalize_for_match(needle)
    if not pin:
        return False
    prefix = r"(?<!\d)(?<!\d\.)" if pin[0].isdigit() else ""
    suffix = r"(?!\d)(?!\.\d)" if pin[-1].isdigit() else ""
    return re.search(prefix + re.escape(pin) + suffix, hay) is not None


def list_corpus_files(*folders: Path | str) -> list[Path]:
    """The PDF, TXT and CSV files directly inside the given folders, sorted by name."""
    files = [
        path
        for folder in folders
        for path in Path(folder).iterdir()
        if path.is_file() and path.suffix.lower() in CORPUS_SUFFIXES
    ]
    return sorted(files, key=lambda p: p.name)


def _extract_one(path: Path) -> str:
    """Raw text of one corpus file, read the simplest way its format allows."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from pypdf import PdfReader  # imported here: only the PDF path needs it

        return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    if suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            return "\n".join(row["Text"] for row in csv.DictReader(handle))
    return path.read_text(encoding="utf-8")


def extract_corpus_texts(paths: list[Path]) -> dict[str, str]:
    """Map each file's base name to its raw text, without any project ingest code."""
    return {path.name: _extract_one(path) for path in paths}


def _check_item(item: EvalItem, corpus: dict[str, str]) -> list[str]:
    """Problems of a single item against the whitespace-collapsed corpus texts."""
    problems: list[str] = []
    if not item.answerable:
        if item.source_ids or item.must_contain or item.evidence:
            problems.append(f"{item.id}: unanswerable item has sources, facts or evidence")
        return problems
    if not item.source_ids or not item.evidence or not item.must_contain:
        problems.append(f"{item.id}: answerable item needs sources, evidence and must_contain")
    if item.type == "multi_doc" and len(set(item.source_ids)) < 2:
        problems.append(f"{item.id}: multi_doc item needs at least two sources")
    known = [s for s in item.source_ids if s in corpus]
    problems += [f"{item.id}: unknown source id {s!r}" for s in item.source_ids if s not in corpus]
    supported: set[str] = set()
    for sentence in item.evidence:
        hits = [s for s in known if collapse_whitespace(sentence) in corpus[s]]
        supported.update(hits)
        if not hits:
            problems.append(f"{item.id}: evidence not found in its sources: {sentence[:80]!r}")
    problems += [
        f"{item.id}: no evidence comes from source {s!r}" for s in known if s not in supported
    ]
    problems += [
        f"{item.id}: must_contain {fact!r} not in any evidence"
        for fact in item.must_contain
        if not any(text_contains(sentence, fact) for sentence in item.evidence)
    ]
    return problems


def check_eval_set(items: list[EvalItem], corpus_texts: dict[str, str]) -> list[str]:
    """All label problems of an eval set against the corpus; an empty list means clean."""
    corpus = {name: collapse_whitespace(text) for name, text in corpus_texts.items()}
    counts = Counter(item.id for item in items)
    problems = [f"{item_id}: duplicated id" for item_id, n in counts.items() if n > 1]
    for item in items:
        problems += _check_item(item, corpus)
    return problems
