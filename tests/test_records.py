"""RecordStore: filters, State aliases, replace/delete per document, citations, CSV export, and
counts that equal what the csv module counts straight from the UPR Info exports."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from index.records import RecordStore, citation, to_csv
from index.states import canonical_state, state_key
from ingest.loaders import load_file
from ingest.recommendations import Recommendation, csv_records
from tests.conftest import UPR_INFO

CSV_FILES = ("1-5.csv", "17-20.csv")  # Viet Nam's reviews: sessions 5 and 18


def _rec(
    para_id: str, text: str, states: list[str], response: str = "supported", sur: str = "Viet Nam"
) -> Recommendation:
    """A report record as ``parse_wg_report`` makes them (A/HRC/26/6, page 21)."""
    return Recommendation("A/HRC/26/6", para_id, text, states, response, "", 21, sur, 18, 2, source="vietnam2014.pdf")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    s = RecordStore(tmp_path / "records.sqlite")
    s.replace_document(
        "vn2014",
        [
            _rec("143.12", "Ratify CAT/Accede to CAT", ["Gabon", "Mali", "Slovakia", "Togo"], "pending"),
            _rec("143.91", "Reduce the number of crimes punishable by death", ["United Kingdom"], "noted"),
            _rec("143.187", "Ensure socioeconomic rights", ["Iran (Islamic Republic of)"]),
            _rec("143.200", "Protect the Đà Nẵng wetlands and Côte d’Ivoire's migrants", ["United States"]),
        ],
    )
    yield s
    s.close()


def test_state_aliases() -> None:
    for a, b in [
        ("Viet Nam", "Vietnam"),
        ("VIET NAM", "viet nam"),
        ("United States", "United States of America"),
        ("USA", "United States of America"),
        ("United Kingdom", "UK"),
        ("Russia", "Russian Federation"),
        ("Iran", "Iran (Islamic Republic of)"),
        ("Islamic Republic of Iran", "Iran"),
        ("Korea (Republic of)", "Republic of Korea"),
        ("Bosnia & Herzegovina", "Bosnia and Herzegovina"),
        ("St Kitts & Nevis", "Saint Kitts and Nevis"),
        ("the Netherlands", "Netherlands"),
        ("Cote d'Ivoire", "Côte d’Ivoire"),
    ]:
        assert state_key(a) == state_key(b), (a, b)
    assert state_key("Niger") != state_key("Nigeria")
    assert canonical_state("Lichtenstein") is None
    assert canonical_state("Lichtenstein", fuzzy=True) == "Liechtenstein"
    assert canonical_state("Convention against Torture", fuzzy=True) is None


def test_filters_and_aliases(store: RecordStore) -> None:
    assert store.count() == 4
    assert store.count(sur="Vietnam") == store.count(sur="VIET NAM") == 4
    assert store.count(sur="Viet Nam", response="noted") == 1
    assert [r["para_id"] for r in store.query(from_state="Togo")] == ["143.12"]
    assert [r["para_id"] for r in store.query(from_state="UK")] == ["143.91"]
    assert [r["para_id"] for r in store.query(from_state="Iran")] == ["143.187"]
    assert [r["para_id"] for r in store.query(from_state="United States of America")] == ["143.200"]
    assert store.count(cycle=2, session=18) == 4
    assert store.count(session=5) == 0
    with pytest.raises(ValueError, match="response must be one of"):
        store.count(response="accepted")


def test_text_filter_is_word_and_accent_insensitive(store: RecordStore) -> None:
    assert store.count(text="CAT") == 1  # a word, not a substring of 'education' or 'Accede'
    assert store.count(text="crimes DEATH") == 1  # every word, any order and case
    assert store.count(text="death penalty") == 0
    assert store.count(text="da nang cote") == 1
    assert store.count(text='"wetlands') == 1  # quotes cannot break the query


def test_query_rows_cite_their_source(store: RecordStore) -> None:
    row = store.query(from_state="Gabon")[0]
    assert row["recommending_states"] == ["Gabon", "Mali", "Slovakia", "Togo"]
    assert (row["doc_id"], row["source"], row["kind"], row["page"]) == ("vn2014", "vietnam2014.pdf", "wg_report", 21)
    assert row["citation"] == "A/HRC/26/6, para. 143.12 (p. 21)"
    assert len(store.query(limit=2)) == 2


def test_replace_and_delete_document(store: RecordStore) -> None:
    store.replace_document("other", [_rec("90.1", "Ratify CAT", ["Norway"], sur="Bhutan")])
    assert store.count(text="CAT") == 2
    store.replace_document("vn2014", [_rec("143.1", "Ratify CAT", ["Norway"])])  # re-ingested: old records go
    assert store.count(sur="Viet Nam") == 1
    assert store.count(from_state="Togo") == 0
    store.delete_document("vn2014")
    assert store.doc_ids() == {"other"}
    assert store.count(text="CAT") == 1
    assert store.db.execute("SELECT COUNT(*) FROM record_states").fetchone()[0] == 1


def test_to_csv(store: RecordStore) -> None:
    buffer = io.StringIO()
    to_csv(store.query(from_state="Gabon"), buffer)
    (row,) = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert row["citation"] == "A/HRC/26/6, para. 143.12 (p. 21)"
    assert row["recommending_states"] == "Gabon; Mali; Slovakia; Togo"
    assert row["response"] == "pending"


def test_citation_of_a_csv_row() -> None:
    assert citation({"kind": "upr_info", "source": "17-20.csv", "row": 523}) == "UPR Info 17-20.csv, row 523"


# --- counts on the real UPR Info exports, against the csv module -------------------------------


@pytest.fixture(scope="module")
def upr_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordStore]:
    s = RecordStore(tmp_path_factory.mktemp("records") / "records.sqlite")
    for name in CSV_FILES:
        s.replace_document(name, csv_records(load_file(UPR_INFO / name)))
    yield s
    s.close()


@pytest.fixture(scope="module")
def upr_rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for name in CSV_FILES:
        with (UPR_INFO / name).open(encoding="utf-8", newline="") as f:
            rows.extend(r for r in csv.DictReader(f) if r["Text"].strip())
    return rows


def _words(text: str) -> set[str]:
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return set(re.findall(r"\w+", folded.casefold()))


_RESPONSE = {"Accepted": "supported", "Noted": "noted"}
_CASES: list[tuple[dict[str, object], Callable[[dict[str, str]], bool]]] = [
    ({"sur": "Viet Nam"}, lambda r: r["To"] == "Viet Nam"),
    ({"sur": "Vietnam", "session": 18}, lambda r: r["To"] == "Viet Nam" and r["Session"] == "18"),
    ({"sur": "Viet Nam", "response": "noted"}, lambda r: r["To"] == "Viet Nam" and r["Response"] == "Noted"),
    ({"response": "supported"}, lambda r: r["Response"] == "Accepted"),
    ({"session": 18}, lambda r: r["Session"] == "18"),
    ({"cycle": 1}, lambda r: int(r["Session"]) <= 12),
    ({"from_state": "Norway"}, lambda r: r["From"] == "Norway"),
    ({"from_state": "USA"}, lambda r: r["From"] == "United States"),
    ({"sur": "Viet Nam", "from_state": "Norway"}, lambda r: r["To"] == "Viet Nam" and r["From"] == "Norway"),
    ({"text": "death penalty"}, lambda r: {"death", "penalty"} <= _words(r["Text"])),
    (
        {"sur": "Viet Nam", "text": "Death Penalty", "response": "noted"},
        lambda r: r["To"] == "Viet Nam" and r["Response"] == "Noted" and {"death", "penalty"} <= _words(r["Text"]),
    ),
]


@pytest.mark.parametrize(("filters", "keep"), _CASES, ids=[str(f) for f, _ in _CASES])
def test_counts_equal_the_csv_rows(
    upr_store: RecordStore,
    upr_rows: list[dict[str, str]],
    filters: dict[str, object],
    keep: Callable[[dict[str, str]], bool],
) -> None:
    """One UPR Info row is one record, so a joint recommendation counts once per State."""
    expected = sum(1 for r in upr_rows if keep(r))
    assert expected > 0
    assert upr_store.count(**filters) == expected  # type: ignore[arg-type]
    assert len(upr_store.query(**filters)) == expected  # type: ignore[arg-type]


def test_every_csv_row_is_a_record(upr_store: RecordStore, upr_rows: list[dict[str, str]]) -> None:
    assert upr_store.count() == len(upr_rows)
    assert {r["Response"] for r in upr_rows} <= set(_RESPONSE)
    row = upr_store.query(sur="Viet Nam", session=18, from_state="Norway", limit=1)[0]
    assert row["citation"].startswith("UPR Info 17-20.csv, row ")
