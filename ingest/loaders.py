"""Read one input file (.txt, .md, .html, .pdf, .docx, UPR Info .csv) into text sections
with metadata. Every failure becomes an IngestError that says what is wrong with the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from assistant.errors import IngestError
from ingest.clean import clean_scraped_text, looks_scraped, normalize_whitespace
from ingest.decode import decode_bytes
from ingest.metadata import cycle_from_session, infer_metadata, read_sidecar
from ingest.pdf_text import read_pdf_pages

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".csv"})
MAX_FILE_BYTES = 200 * 1024 * 1024

MetaDict = dict[str, str | int | float | None]
_REQUIRED_COLUMNS = ("To", "From", "Text")
_OPTIONAL_COLUMNS = ("Response", "Action", "Issue", "Session")
_DELIMITERS = (",", ";", "\t")
# Elements whose content a browser never shows as text (trafilatura keeps <template>'s);
# an unclosed one runs to the end of the page, as it does in a browser.
_HIDDEN_RE = re.compile(r"<(script|style|noscript|template)\b[^<>]{0,2000}>.*?(?:</\1\s*>|\Z)", re.I | re.S)


@dataclass
class Section:
    """A piece of a document's text: a PDF page, a CSV row, or the whole text."""

    text: str
    page: int | None = None  # 1-based PDF page number, None otherwise
    extra: dict[str, str | int | float] = field(default_factory=dict)  # per-section metadata (CSV row fields)


@dataclass
class LoadedDocument:
    """A file's text sections with flat metadata and the hash of its raw bytes."""

    path: Path
    sections: list[Section]
    metadata: MetaDict
    content_hash: str  # sha256 hex of the raw file bytes


Loader = Callable[[Path, bytes], tuple[list[Section], MetaDict]]


def load_file(path: Path) -> LoadedDocument:
    """Load a supported file; raise IngestError with a human reason when that is not possible."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise IngestError(f"{path.name}: unsupported file type '{suffix or '(none)'}'; supported: {supported}")
    data = _read_bytes(path)
    try:
        sections, hints = _LOADERS[suffix](path, data)
    except (IngestError, MemoryError):
        raise
    except Exception as exc:  # parsers raise anything; the batch needs one typed error
        kind = suffix[1:].upper()
        raise IngestError(f"{path.name}: could not read the {kind} file ({type(exc).__name__}: {exc})") from exc
    sections = [_tidy(s) for s in sections]
    sections = [s for s in sections if s.text]
    if not sections:
        raise IngestError(f"{path.name}: no text found")
    metadata = infer_metadata(path, sections, hints)
    metadata.update(read_sidecar(path))
    return LoadedDocument(path, sections, metadata, hashlib.sha256(data).hexdigest())


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, after checking it exists, is not too large and is not empty."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES // 2**20
            raise IngestError(f"{path.name}: file is {size / 2**20:.0f} MiB, over the {limit} MiB limit; split it")
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path.name}: cannot read the file ({exc.strerror or exc})") from exc
    if not data.strip():
        raise IngestError(f"{path.name}: empty file")
    return data


def _tidy(section: Section) -> Section:
    """NFC text without trailing blanks (sections that are only whitespace become empty)."""
    return Section(unicodedata.normalize("NFC", section.text).strip(), section.page, section.extra)


def _load_text(path: Path, data: bytes) -> tuple[list[Section], MetaDict]:
    """Plain text or Markdown; scraped web pages are cleaned of site junk."""
    text = decode_bytes(data, path.name)
    text = clean_scraped_text(text) if looks_scraped(text) else normalize_whitespace(text)
    return [Section(text)], {}


def _load_html(path: Path, data: bytes) -> tuple[list[Section], MetaDict]:
    """An HTML page: trafilatura finds the article, then the scraped-text cleaner tidies it."""
    import trafilatura  # heavy import, only needed for HTML

    html = _HIDDEN_RE.sub(" ", decode_bytes(data, path.name))
    try:
        doc = trafilatura.bare_extraction(
            html, favor_precision=True, include_tables=True, include_comments=False, with_metadata=True
        )
    except Exception:  # trafilatura chokes on some malformed pages; the tag stripper still works
        doc = None
    text = getattr(doc, "text", None) if doc is not None else None
    title = (getattr(doc, "title", None) if doc is not None else None) or _html_title(html)
    date = getattr(doc, "date", None) if doc is not None else None
    if not text:
        text = _strip_tags(html)
    text = clean_scraped_text(text)
    if not text:  # a page of scripts, or a bare title, is not a document
        return [], {}
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}"
    hints: MetaDict = {"title": title or None, "date": date or None}
    return [Section(text)], hints


class _TextParser(HTMLParser):
    """Collect visible text, skipping scripts, styles and page chrome elements."""

    _SKIP = frozenset("head script style noscript nav header footer aside form template svg".split())
    _BLOCK = frozenset(
        "p div br li ul ol h1 h2 h3 h4 h5 h6 tr td th table section article main figure figcaption blockquote".split()
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # HTML5 lets a page leave <head> (or a stray <nav>) unclosed
            self._skipping = 0
        elif tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _strip_tags(html: str) -> str:
    """Fallback HTML-to-text when trafilatura finds no article."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return normalize_whitespace("".join(parser.parts))


def _html_title(html: str) -> str | None:
    match = re.search(r"<title[^>]*>(.*?)</title>", html, re.I | re.S)
    title = normalize_whitespace(re.sub(r"<[^>]+>", "", match.group(1))) if match else ""
    return title.split(" | ")[0].strip() or None  # drop the site name after a pipe


def _load_pdf(path: Path, data: bytes) -> tuple[list[Section], MetaDict]:
    """A PDF: one section per page with text, page furniture removed, paragraphs re-joined."""
    pages = read_pdf_pages(data, path.name)
    return [Section(text, page=n) for n, text in enumerate(pages, start=1) if text.strip()], {}


def _load_docx(path: Path, data: bytes) -> tuple[list[Section], MetaDict]:
    """A Word document: paragraphs and table rows in reading order."""
    import docx  # imported lazily: only .docx files need python-docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks.extend(_table_rows(item))
        elif item.text.strip():
            blocks.append(item.text.strip())
    title = (document.core_properties.title or "").strip()
    hints: MetaDict = {"title": title} if title and not title.lower().startswith("microsoft") else {}
    return [Section(normalize_whitespace("\n\n".join(blocks)))], hints


def _table_rows(table: object) -> list[str]:
    """Each table row as 'cell | cell', merged cells counted once."""
    rows = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows


def _load_csv(path: Path, data: bytes) -> tuple[list[Section], MetaDict]:
    """A UPR Info recommendations export: one section per recommendation."""
    rows = _csv_rows(decode_bytes(data, path.name), path.name)
    top = next(i for i, row in enumerate(rows) if any(cell.strip() for cell in row))  # blank lines above
    index = {_column_key(name): i for i, name in enumerate(rows[top])}
    missing = [name for name in _REQUIRED_COLUMNS if _column_key(name) not in index]
    if missing:
        found = ", ".join(h.strip() for h in rows[top] if h.strip()) or "none"
        raise IngestError(f"{path.name}: CSV is missing required column(s) {', '.join(missing)} (found: {found})")
    sections = []
    for number, row in enumerate(rows[top + 1 :], start=top + 2):
        record = {name: _cell(row, index.get(_column_key(name))) for name in _REQUIRED_COLUMNS + _OPTIONAL_COLUMNS}
        if record["Text"]:
            sections.append(_recommendation(record, number))
    if not sections:
        raise IngestError(f"{path.name}: CSV has a header but no row with recommendation text (column Text)")
    return sections, _csv_hints(sections)


def _csv_rows(text: str, name: str) -> list[list[str]]:
    """Rows of a CSV, split on the delimiter that makes the header name the required columns.

    Spreadsheets save CSV with ';' in many locales and "Unicode text" with tabs. Strict
    parsing: an unclosed quote would otherwise swallow every row after it without a word.
    """
    first = next((line for line in text.split("\n") if line.strip()), "")
    delimiter = next((d for d in _DELIMITERS if _has_required(first.split(d))), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        hint = " (a quoted field is never closed)" if "end of data" in str(exc) else ""
        raise IngestError(f"{name}: CSV is malformed at line {reader.line_num}: {exc}{hint}") from exc
    if not any(cell.strip() for row in rows for cell in row):
        raise IngestError(f"{name}: empty file")
    return rows


def _has_required(header: list[str]) -> bool:
    keys = {_column_key(h) for h in header}
    return all(_column_key(name) in keys for name in _REQUIRED_COLUMNS)


def _column_key(name: str) -> str:
    """Header comparison key: case, spaces, BOM and punctuation ignored ('To-Rgrp' != 'To')."""
    return re.sub(r"[\s_\-\ufeff]+", "", name).casefold()


def _cell(row: list[str], i: int | None) -> str:
    return " ".join(row[i].split()) if i is not None and i < len(row) else ""


def _recommendation(record: dict[str, str], row_number: int) -> Section:
    """Section for one CSV row; ``row`` is the spreadsheet row number (the header is row 1)."""
    session = record["Session"]
    state, source, response = record["To"], record["From"], record["Response"]
    parts = (f"session {session}" if session else "", f"response: {response}" if response else "")
    details = ", ".join(p for p in parts if p)
    if response.casefold() == "voluntary pledge":
        lead = f"Voluntary pledge by {state}" + (f" (session {session})" if session else "")
    else:
        lead = f"Recommendation to {state} from {source}" + (f" ({details})" if details else "")
    extra: dict[str, str | int | float] = {
        "record_sur": state,
        "record_from": source,
        "record_response": response,
        "record_action": record["Action"],
        "record_issues": record["Issue"],
        "record_session": int(session) if session.isdigit() else session,
        "row": row_number,
    }
    return Section(f"{lead}: {record['Text']}", extra=extra)


def _csv_hints(sections: list[Section]) -> MetaDict:
    """Country, session and cycle when every row shares them."""
    states = {s.extra["record_sur"] for s in sections}
    sessions = {s.extra["record_session"] for s in sections}
    hints: MetaDict = {"country": states.pop() if len(states) == 1 else None}
    numeric = [s for s in sessions if isinstance(s, int)]
    if len(numeric) == len(sessions) and numeric:
        cycles = {cycle_from_session(s) for s in numeric}
        hints["cycle"] = cycles.pop() if len(cycles) == 1 else None
        hints["session"] = numeric[0] if len(numeric) == 1 else None
    return hints


_LOADERS: dict[str, Loader] = {
    ".txt": _load_text,
    ".md": _load_text,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
    ".csv": _load_csv,
}
