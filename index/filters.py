"""Metadata filters shared by every retrieval path (dense, keyword, records).

Users write ``key=value`` (``--filter type=wg_report --filter cycle=2 --filter from=2014``);
the same parsed filter becomes a llama-index ``MetadataFilters`` for Chroma and a Python
predicate for the keyword index, so both paths always agree.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from llama_index.core.vector_stores.types import FilterCondition, FilterOperator, MetadataFilter, MetadataFilters

from assistant.errors import AssistantError

# user key -> (metadata field, operator, kind)
FILTER_KEYS: dict[str, tuple[str, str, str]] = {
    "type": ("doc_type", "==", "str"),
    "doc_type": ("doc_type", "==", "str"),
    "language": ("language", "==", "str"),
    "lang": ("language", "==", "str"),
    "cycle": ("cycle", "==", "int"),
    "session": ("session", "==", "int"),
    "country": ("country_key", "==", "key"),
    "source": ("file_name", "==", "str"),
    "symbol": ("symbol", "==", "str"),
    "from": ("date_num", ">=", "date"),
    "date_from": ("date_num", ">=", "date"),
    "to": ("date_num", "<=", "date"),
    "date_to": ("date_num", "<=", "date"),
}


class FilterError(AssistantError):
    """A filter the user wrote cannot be understood."""


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: str | int


def date_number(value: str, end: bool = False) -> int:
    """'2014', '2014-06' or '2014-06-20' -> 20140620-style int (range ends fill to the end)."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", value.strip())
    if not m:
        raise FilterError(f"date {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(m[1]), m[2], m[3]
    mm = int(month) if month else (12 if end else 1)
    dd = int(day) if day else (31 if end else 1)
    return year * 10000 + mm * 100 + dd


def name_key(name: str) -> str:
    """A country name as a filter key: 'Viet Nam', 'viet nam', 'VietNam' all give 'vietnam'."""
    folded = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in folded if ch.isalnum()).lower()


def parse_filters(items: dict[str, str] | list[str] | None) -> list[Condition]:
    """Parse ``key=value`` strings (or a dict) into conditions; unknown keys are an error."""
    if not items:
        return []
    pairs = items.items() if isinstance(items, dict) else [_split(i) for i in items]
    out = []
    for key, raw in pairs:
        spec = FILTER_KEYS.get(key.strip().lower())
        if spec is None:
            raise FilterError(f"unknown filter {key!r}; use one of: {', '.join(sorted(FILTER_KEYS))}")
        field, op, kind = spec
        value: str | int = raw.strip()
        if kind == "int":
            if not str(value).isdigit():
                raise FilterError(f"filter {key} needs a number, got {raw!r}")
            value = int(value)
        elif kind == "date":
            value = date_number(str(value), end=(op == "<="))
        elif kind == "key":
            value = name_key(str(value))
        elif field in ("doc_type", "language"):
            value = str(value).lower()
        out.append(Condition(field, op, value))
    return out


def _split(item: str) -> tuple[str, str]:
    if "=" not in item:
        raise FilterError(f"filter {item!r} must look like key=value (e.g. type=wg_report)")
    key, value = item.split("=", 1)
    return key, value


def to_metadata_filters(conditions: list[Condition]) -> MetadataFilters | None:
    """The llama-index form, for Chroma."""
    if not conditions:
        return None
    ops = {"==": FilterOperator.EQ, ">=": FilterOperator.GTE, "<=": FilterOperator.LTE}
    return MetadataFilters(
        filters=[MetadataFilter(key=c.field, value=c.value, operator=ops[c.op]) for c in conditions],
        condition=FilterCondition.AND,
    )


def matches(metadata: dict[str, Any], conditions: list[Condition]) -> bool:
    """The same filter as a Python predicate, for the keyword index and records."""
    for c in conditions:
        have = metadata.get(c.field)
        if have is None:
            return False
        if c.op == "==" and have != c.value:
            return False
        if c.op == ">=" and not (isinstance(have, (int, float)) and have >= c.value):  # type: ignore[operator]
            return False
        if c.op == "<=" and not (isinstance(have, (int, float)) and have <= c.value):  # type: ignore[operator]
            return False
    return True
