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
import difflib
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, TextIO

from index.filters import name_key

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
RESPONSES = ("supported", "noted", "pending")
_FUZZY_MIN_CHARS = 6  # shorter names are too close to each other ('Niger', 'Nigeria') to guess
_FUZZY_CUTOFF = 0.85
_FUZZY_CUTOFF_LONG = 0.8  # for keys of 20+ letters: 'Bolivia (Plurinational Republic of)'

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
"""
_COLUMNS = (
    "doc_id kind source report_symbol para_id row page text full_text recommending_states response "
    "response_text state_under_review session cycle action issues"
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


class RecordStore:
    """Recommendation records of many documents in one SQLite file, replaced per document."""

    def __init__(self, path: Path | str) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(str(path), timeout=60, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    def replace_document(self, doc_id: str, records: Iterable[RecordLike], kind: str = "") -> int:
        """Store a document's records in place of what it had before; return how many were stored.

        ``kind`` is 'wg_report' or 'upr_info'; by default it is 'upr_info' for records with a CSV row.
        """
        try:
            self._delete(doc_id)
            n = 0
            for seq, record in enumerate(records):
                self._insert(doc_id, seq, record, kind or ("upr_info" if record.row is not None else "wg_report"))
                n += 1
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise
        return n

    def delete_document(self, doc_id: str) -> None:
        """Forget a document's records."""
        try:
            self._delete(doc_id)
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise

    def doc_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT DISTINCT doc_id FROM records")}

    def _delete(self, doc_id: str) -> None:
        ids = "SELECT id FROM records WHERE doc_id = ?"
        self.db.execute(f"DELETE FROM records_fts WHERE rowid IN ({ids})", (doc_id,))
        self.db.execute(f"DELETE FROM record_states WHERE record_id IN ({ids})", (doc_id,))
        self.db.execute("DELETE FROM records WHERE doc_id = ?", (doc_id,))

    def _insert(self, doc_id: str, seq: int, r: RecordLike, kind: str) -> None:
        if r.response not in RESPONSES:
            raise ValueError(f"response must be one of {RESPONSES}, got {r.response!r}")
        states = list(dict.fromkeys(r.recommending_states))
        sur_key = state_key(r.state_under_review) if r.state_under_review else None
        cur = self.db.execute(
            "INSERT INTO records (doc_id, seq, kind, source, report_symbol, para_id, row, page, text, full_text,"
            " recommending_states, response, response_text, state_under_review, sur_key, session, cycle,"
            " action, issues) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (doc_id, seq, kind, r.source, r.report_symbol, r.para_id, r.row, r.page, r.text, r.full_text,
             "; ".join(states), r.response, r.response_text, r.state_under_review, sur_key, r.session, r.cycle,
             r.action, r.issues),
        )  # fmt: skip
        record_id = cur.lastrowid
        self.db.executemany(
            "INSERT INTO record_states (record_id, state, state_key) VALUES (?,?,?)",
            [(record_id, s, state_key(s)) for s in states],
        )
        self.db.execute("INSERT INTO records_fts (rowid, text) VALUES (?, ?)", (record_id, _fold_d(r.text)))

    def query(
        self,
        sur: str | None = None,
        from_state: str | None = None,
        response: str | None = None,
        cycle: int | None = None,
        session: int | None = None,
        text: str | None = None,
        kind: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Records that pass every given filter, in document order, each with a ready ``citation``.

        ``text``: every word must occur in the recommendation (case and accents ignored).
        """
        where, params = _where(sur, from_state, response, cycle, session, text, kind)
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

    def count(
        self,
        sur: str | None = None,
        from_state: str | None = None,
        response: str | None = None,
        cycle: int | None = None,
        session: int | None = None,
        text: str | None = None,
        kind: str | None = None,
    ) -> int:
        """How many records pass the filters (same filters as ``query``; see the module doc on sources)."""
        where, params = _where(sur, from_state, response, cycle, session, text, kind)
        return int(self.db.execute(f"SELECT COUNT(*) FROM records r{where}", params).fetchone()[0])


def _where(
    sur: str | None,
    from_state: str | None,
    response: str | None,
    cycle: int | None,
    session: int | None,
    text: str | None,
    kind: str | None,
) -> tuple[str, list[Any]]:
    """SQL WHERE clause and its parameters for the query filters."""
    clauses: list[str] = []
    params: list[Any] = []
    if sur:
        clauses.append("r.sur_key = ?")
        params.append(state_key(sur))
    if from_state:
        clauses.append("r.id IN (SELECT record_id FROM record_states WHERE state_key = ?)")
        params.append(state_key(from_state))
    if response:
        if response.lower() not in RESPONSES:
            raise ValueError(f"response must be one of {', '.join(RESPONSES)}, got {response!r}")
        clauses.append("r.response = ?")
        params.append(response.lower())
    for column, value in (("cycle", cycle), ("session", session), ("kind", kind)):
        if value is not None:
            clauses.append(f"r.{column} = ?")
            params.append(value)
    words = _words(text or "")
    if words:
        clauses.append("r.id IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?)")
        params.append(" AND ".join(f'"{w}"' for w in words))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _words(text: str) -> list[str]:
    """The words of a text filter, as the FTS tokenizer sees them (quotes cannot break the query)."""
    return re.findall(r"\w+", _fold_d(unicodedata.normalize("NFKC", text)))


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
