"""UPR recommendations as structured records in SQLite, for counting and listing questions
("how many recommendations did Norway make to Viet Nam on the death penalty?").

Two kinds of source feed it, and their counts mean different things:

- a Working Group report gives one record per numbered recommendation (UN practice: one
  numbered item = one recommendation), with every recommending State attached, so
  ``count(sur="Viet Nam", session=18)`` is the number of recommendations the report lists;
- a UPR Info export gives one record per CSV row, and UPR Info repeats a joint recommendation
  once per recommending State, so its counts are (recommendation, State) pairs.

``count(from_state="Norway")`` therefore agrees between the two sources, while unfiltered
counts of a review in both sources do not; the ``kind`` filter keeps them apart.
State names match whatever their spelling ('Viet Nam', 'Vietnam', 'VIET NAM', 'Iran',
'Iran (Islamic Republic of)', 'St Kitts & Nevis'): see ``state_key``.
"""

from __future__ import annotations

import csv
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, TextIO

from index.states import state_key

RESPONSES = ("supported", "noted", "pending")
KINDS = ("wg_report", "upr_info")

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    report_symbol TEXT,
    para_id TEXT,
    row INTEGER,
    page INTEGER,
    text TEXT NOT NULL,
    full_text TEXT NOT NULL,
    recommending_states TEXT NOT NULL,
    response TEXT NOT NULL,
    response_text TEXT NOT NULL,
    state_under_review TEXT,
    sur_key TEXT,
    session INTEGER,
    cycle INTEGER,
    year INTEGER,
    chunk_id TEXT,
    action TEXT NOT NULL DEFAULT '',
    issues TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS records_doc ON records(doc_id);
CREATE INDEX IF NOT EXISTS records_sur ON records(sur_key, session);
CREATE INDEX IF NOT EXISTS records_response ON records(response);
CREATE TABLE IF NOT EXISTS record_states (
    record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    state_key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS record_states_key ON record_states(state_key, record_id);
CREATE INDEX IF NOT EXISTS record_states_record ON record_states(record_id);
CREATE VIRTUAL TABLE IF NOT EXISTS records_fts USING fts5(text, tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER IF NOT EXISTS records_fts_gone AFTER DELETE ON records BEGIN
    DELETE FROM records_fts WHERE rowid = old.id;
END;
"""
# Inside the catalog database, a document's records go with it, in the same transaction.
_CATALOG_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS records_follow_documents AFTER DELETE ON documents BEGIN
    DELETE FROM records WHERE doc_id = old.doc_id;
END;
"""
_COLUMNS = (
    "doc_id kind source report_symbol para_id row page text full_text recommending_states response "
    "response_text state_under_review session cycle year chunk_id action issues"
).split()
_CSV_COLUMNS = ("citation", *_COLUMNS)


class RecordLike(Protocol):
    """What the store needs of a record (``ingest.recommendations.Recommendation`` has it)."""

    report_symbol: str | None
    para_id: str
    text: str
    full_text: str
    recommending_states: list[str]
    response: str
    response_text: str
    page: int | None
    row: int | None
    state_under_review: str | None
    session: int | None
    cycle: int | None
    source: str
    action: str
    issues: str


@dataclass(frozen=True)
class RecordFilter:
    """The filters of ``upr recs``, the Recommendations tab and counting questions."""

    sur: str | None = None
    from_state: str | None = None
    response: str | None = None
    cycle: int | None = None
    session: int | None = None
    year: int | None = None
    text: str | None = None
    kind: str | None = None
    doc_id: str | None = None  # one source document (an answer cites each source's own records)

    def with_(self, **changes: Any) -> RecordFilter:
        return replace(self, **changes)


class RecordStore:
    """Recommendation records of many documents, replaced per document.

    Either a file of its own (``RecordStore(path)``) or tables inside the catalog database
    (``RecordStore(catalog.db)``): then a document's records are written in the catalog's
    transaction and deleted with the document, so they can never drift from the chunks.
    """

    def __init__(self, target: Path | str | sqlite3.Connection) -> None:
        if isinstance(target, sqlite3.Connection):
            self.path: Path | None = None
            self.db = target
            self._owned = False
        else:
            self.path = Path(target)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path), timeout=60, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._owned = True
        self.db.executescript(SCHEMA)
        if self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='documents'").fetchone():
            self.db.executescript(_CATALOG_TRIGGER)
        self.db.commit()

    def close(self) -> None:
        if self._owned:
            self.db.close()

    def replace_document(self, doc_id: str, records: Iterable[RecordLike], kind: str = "") -> int:
        """Store a document's records in place of what it had before; return how many were stored.

        ``kind`` is 'wg_report' or 'upr_info'; by default it is 'upr_info' for records with a CSV row.
        """
        try:
            n = self.put(self.db, doc_id, records, kind)
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise
        return n

    def put(self, conn: sqlite3.Connection, doc_id: str, records: Iterable[RecordLike], kind: str = "") -> int:
        """``replace_document`` inside the caller's transaction (no commit)."""
        conn.execute("DELETE FROM records WHERE doc_id = ?", (doc_id,))
        n = 0
        for seq, record in enumerate(records):
            self._insert(conn, doc_id, seq, record, kind or ("upr_info" if record.row is not None else "wg_report"))
            n += 1
        return n

    def delete_document(self, doc_id: str) -> None:
        """Forget a document's records."""
        try:
            self.db.execute("DELETE FROM records WHERE doc_id = ?", (doc_id,))
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise

    def doc_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT DISTINCT doc_id FROM records")}

    def chunk_ids(self) -> set[str]:
        """Chunks that records point to (each must exist in the catalog)."""
        return {r[0] for r in self.db.execute("SELECT DISTINCT chunk_id FROM records WHERE chunk_id IS NOT NULL")}

    def total(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def _insert(self, conn: sqlite3.Connection, doc_id: str, seq: int, r: RecordLike, kind: str) -> None:
        if r.response not in RESPONSES:
            raise ValueError(f"response must be one of {RESPONSES}, got {r.response!r}")
        states = list(dict.fromkeys(r.recommending_states))
        sur_key = state_key(r.state_under_review) if r.state_under_review else None
        cur = conn.execute(
            "INSERT INTO records (doc_id, seq, kind, source, report_symbol, para_id, row, page, text, full_text,"
            " recommending_states, response, response_text, state_under_review, sur_key, session, cycle, year,"
            " chunk_id, action, issues) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (doc_id, seq, kind, r.source, r.report_symbol, r.para_id, r.row, r.page, r.text, r.full_text,
             "; ".join(states), r.response, r.response_text, r.state_under_review, sur_key, r.session, r.cycle,
             getattr(r, "year", None), getattr(r, "chunk_id", None), r.action, r.issues),
        )  # fmt: skip
        record_id = cur.lastrowid
        conn.executemany(
            "INSERT INTO record_states (record_id, state, state_key) VALUES (?,?,?)",
            [(record_id, s, state_key(s)) for s in states],
        )
        conn.execute("INSERT INTO records_fts (rowid, text) VALUES (?, ?)", (record_id, _fold_d(r.text)))

    def query(self, flt: RecordFilter | None = None, limit: int | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Records that pass every filter, in document order, each with a ready ``citation``.

        Filters come as a ``RecordFilter`` or keywords of it. ``text``: every word must occur in
        the recommendation (case and accents ignored; 'ratif*' matches by prefix).
        """
        where, params = _where(flt or RecordFilter(**filters))
        sql = f"SELECT {', '.join(_COLUMNS)} FROM records r{where} ORDER BY r.doc_id, r.seq"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        rows = []
        for values in self.db.execute(sql, params):
            row = dict(zip(_COLUMNS, values, strict=True))
            row["recommending_states"] = row["recommending_states"].split("; ") if row["recommending_states"] else []
            row["citation"] = citation(row)
            rows.append(row)
        return rows

    def count(self, flt: RecordFilter | None = None, **filters: Any) -> int:
        """How many records pass the filters (see the module doc on what a record is per source)."""
        where, params = _where(flt or RecordFilter(**filters))
        return int(self.db.execute(f"SELECT COUNT(*) FROM records r{where}", params).fetchone()[0])

    def breakdown(self, flt: RecordFilter) -> list[dict[str, Any]]:
        """Per source document: its kind, symbol, State, session, cycle, records by response and
        distinct recommendation texts (UPR Info repeats a joint recommendation once per State)."""
        where, params = _where(flt)
        sql = (
            "SELECT doc_id, kind, source, report_symbol, state_under_review, session, cycle, response,"
            f" COUNT(*), COUNT(DISTINCT lower(text)) FROM records r{where}"
            " GROUP BY doc_id, state_under_review, session, response ORDER BY kind DESC, session, doc_id"
        )
        out: dict[tuple[Any, ...], dict[str, Any]] = {}
        for doc_id, kind, source, symbol, sur, session, cycle, response, n, distinct in self.db.execute(sql, params):
            key = (doc_id, sur, session)
            entry = out.setdefault(key, {"doc_id": doc_id, "kind": kind, "source": source, "report_symbol": symbol,
                                         "state_under_review": sur, "session": session, "cycle": cycle, "total": 0,
                                         "distinct_texts": 0, **dict.fromkeys(RESPONSES, 0)})  # fmt: skip
            entry[response] += n
            entry["total"] += n
            entry["distinct_texts"] += distinct
        return list(out.values())

    def states_ranking(self, flt: RecordFilter) -> list[tuple[str, int]]:
        """Recommending States of the matching records with how many records each, most first."""
        where, params = _where(flt)
        sql = (
            "SELECT s.state, COUNT(DISTINCT r.id) FROM records r JOIN record_states s ON s.record_id = r.id"
            f"{where} GROUP BY s.state_key ORDER BY 2 DESC, 1"
        )
        return [(state, int(n)) for state, n in self.db.execute(sql, params)]


def _where(f: RecordFilter) -> tuple[str, list[Any]]:
    """SQL WHERE clause and its parameters for the query filters."""
    clauses: list[str] = []
    params: list[Any] = []
    if f.sur:
        clauses.append("r.sur_key = ?")
        params.append(state_key(f.sur))
    if f.from_state:
        clauses.append("r.id IN (SELECT record_id FROM record_states WHERE state_key = ?)")
        params.append(state_key(f.from_state))
    if f.response:
        if f.response.lower() not in RESPONSES:
            raise ValueError(f"response must be one of {', '.join(RESPONSES)}, got {f.response!r}")
        clauses.append("r.response = ?")
        params.append(f.response.lower())
    if f.kind and f.kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {f.kind!r}")
    for column, value in (("cycle", f.cycle), ("session", f.session), ("year", f.year), ("kind", f.kind),
                          ("doc_id", f.doc_id)):  # fmt: skip
        if value is not None:
            clauses.append(f"r.{column} = ?")
            params.append(value)
    match = _fts_query(f.text or "")
    if match:
        clauses.append("r.id IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?)")
        params.append(match)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _fts_query(text: str) -> str:
    """FTS5 query of a text filter: every word must occur; 'ratif*' is a prefix; ' | ' separates
    alternatives and ' ; ' themes that must all hold ('death penalt* | capital punish* ; women')."""
    groups = []
    for theme in text.split(";"):
        alternatives = []
        for alt in theme.split("|"):
            words = _words(alt)
            if words:
                alternatives.append(" AND ".join(f'"{w[:-1]}"*' if w.endswith("*") else f'"{w}"' for w in words))
        if alternatives:
            groups.append("(" + " OR ".join(f"({a})" for a in alternatives) + ")")
    return " AND ".join(groups)


def _words(text: str) -> list[str]:
    """The words of a text filter, as the FTS tokenizer sees them (quotes cannot break the query);
    a word ending in '*' is a prefix."""
    return re.findall(r"\w+\*?", _fold_d(unicodedata.normalize("NFKC", text)))


def _fold_d(text: str) -> str:
    """'đ' is a letter of its own, not a 'd' with a mark, so the FTS tokenizer would keep it."""
    return text.replace("đ", "d").replace("Đ", "D")


def citation(row: dict[str, Any]) -> str:
    """'A/HRC/26/6, para. 143.12 (p. 21)' for a report; 'UPR Info 17-20.csv, row 523' for a CSV row."""
    if row.get("kind") == "upr_info" or row.get("row") is not None:
        return f"UPR Info {row['source']}, row {row['row']}"
    where = row.get("report_symbol") or row.get("source") or "report"
    page = f" (p. {row['page']})" if row.get("page") else ""
    return f"{where}, para. {row['para_id']}{page}"


def to_csv(rows: Sequence[dict[str, Any]], stream: TextIO) -> None:
    """Write query rows as CSV (States joined with '; ') for a spreadsheet."""
    writer = csv.DictWriter(stream, fieldnames=list(_CSV_COLUMNS), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        out = dict(row)
        out["recommending_states"] = "; ".join(row.get("recommending_states") or [])
        out.setdefault("citation", citation(row))
        writer.writerow(out)
