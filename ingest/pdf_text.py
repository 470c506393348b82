"""Read the text of each PDF page with pypdf and tidy it: drop running headers and footers,
re-join words hyphenated at line ends and join wrapped lines into paragraphs.

Numbered paragraphs ("1.", "143.12.") and list items ("(a)") always start a new paragraph,
so citations like "para. 143.12" stay findable.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from dataclasses import dataclass

from pypdf import PageObject, PdfReader, apply_configuration
from pypdf.errors import DependencyError, LimitReachedError

from assistant.errors import IngestError

log = logging.getLogger(__name__)
# Text extraction runs at about 5 s per MB of drawing instructions, so a small crafted file
# (a compressed stream repeated on every page) could keep ingest busy for hours. The largest
# page of the 300 UN reports in the corpus holds 0.1 MB, the largest report 0.94 MB.
_MAX_PAGE_CONTENT = 2_000_000  # bytes; a page with more is skipped
_MAX_PDF_CONTENT = 20_000_000  # bytes for the whole file; more and the file is refused
_MAX_STREAM_TOKENS = 500_000  # pypdf's parsing budget per stream (default 2 million)
_ZONE = 3  # lines at the top and bottom of a page where running headers/footers live
_MIN_REPEAT_SHARE = 0.3  # a zone line repeated on this share of pages is page furniture
_MIN_REPEAT_PAGES = 3
_MAX_FURNITURE_CHARS = 80  # headers and footers are short; a long line is body text
_WRAP_SHARE = 0.75  # a line this close to the full text width was wrapped, not ended
_PAGE_FURNITURE_RE = re.compile(
    r"^(?:(?:page|p\.)\s*)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$|^-\s*\d{1,4}\s*-$"  # page numbers
    r"|^\*\d{5,}\*$"  # UN barcode text, e.g. *1412910*
    r"|^GE\.\s?\d{2}-\d{4,6}\b",  # UN job number, e.g. GE.14-12910 (E)
    re.IGNORECASE,
)
_ITEM_START_RE = re.compile(
    r"^(?:\d{1,3}\.(?:\d{1,3}\.?)?\s+\S"  # 1. / 143.12 / 143.12.
    r"|\((?:[a-z]{1,2}|[ivxl]{1,5}|\d{1,2})\)\s"  # (a) (iv) (3)
    r"|[IVXL]{1,5}\.\s+[A-Z]"  # II. Summary
    r"|[A-H]\.\s+[A-Z]"  # B. Interactive dialogue
    r"|[•●▪◦·\-–—*]\s)"  # bullets and footnote marks
)
_DOT_LEADER_RE = re.compile(r"(?:\s?\.){4,}")
_PRIVATE_USE_RE = re.compile(r"[\ue000-\uf8ff]")  # symbol-font bullets come out as private-use chars
_HYPHEN_END_RE = re.compile(r"([^\W\d_]+)[-\u00ad]$")
_WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_LONG_WORD_RE = re.compile(r"[^\W\d_]{18,}")  # words glued together by a bad text extraction


def read_pdf_pages(data: bytes, name: str) -> list[str]:
    """Tidied text of every page (an empty string for a page without text).

    Raises IngestError for corrupt, truncated, password-protected, empty, image-only or
    maliciously complex PDFs.
    """
    if b"%PDF" not in data[:1024]:
        raise IngestError(f"{name}: PDF is corrupt or truncated: no PDF header (is it really a PDF?)")
    try:
        with apply_configuration(stream_parsing_work_maximum_count=_MAX_STREAM_TOKENS):
            reader = PdfReader(io.BytesIO(data), strict=False)
            _unlock(reader, name)
            raw, skipped = _pages_text(reader, name)
    except IngestError:
        raise
    except LimitReachedError as exc:
        raise IngestError(f"{name}: PDF is too complex to read safely ({exc}); is it malformed?") from exc
    except Exception as exc:  # pypdf raises many exception types for damaged files
        raise IngestError(f"{name}: PDF is corrupt or truncated: {type(exc).__name__}: {exc}") from exc
    if not raw:
        raise IngestError(f"{name}: PDF has no pages")
    if b"%%EOF" not in data[-2048:] and not all(t.strip() for t in raw):
        raise IngestError(f"{name}: PDF is corrupt or truncated: the end of the file is missing")
    if not any(t.strip() for t in raw) and skipped:
        pages = ", ".join(map(str, skipped[:5])) + (" ..." if len(skipped) > 5 else "")
        raise IngestError(
            f"{name}: PDF pages are too complex to read (page {pages}: over "
            f"{_MAX_PAGE_CONTENT // 10**6} MB of drawing instructions each); is it malformed?"
        )
    if not any(t.strip() for t in raw):
        raise IngestError(f"{name}: PDF has no extractable text (scanned image?); OCR it first")
    return clean_pdf_pages(raw)


def _pages_text(reader: PdfReader, name: str) -> tuple[list[str], list[int]]:
    """Raw text of each page, and the numbers of the pages skipped as too large to read."""
    sizes: list[int] = []  # measured before any extraction: decompressing is fast, extracting is not
    for number, page in enumerate(reader.pages, start=1):
        contents = page.get_contents()
        sizes.append(len(contents.get_data()) if contents is not None else 0)
        if sum(sizes) > _MAX_PDF_CONTENT:
            raise IngestError(
                f"{name}: PDF holds over {_MAX_PDF_CONTENT // 10**6} MB of page content (reached at page "
                f"{number}), more than this reader accepts; split it"
            )
    texts: list[str] = []
    skipped: list[int] = []
    for number, (page, size) in enumerate(zip(reader.pages, sizes), start=1):
        if size > _MAX_PAGE_CONTENT:
            log.warning("%s: page %d skipped: %d bytes of drawing instructions", name, number, size)
            skipped.append(number)
        texts.append("" if size > _MAX_PAGE_CONTENT else _page_text(page))
    return texts, skipped


def _unlock(reader: PdfReader, name: str) -> None:
    """Open PDFs encrypted with an empty user password; refuse password-protected ones."""
    if not reader.is_encrypted:
        return
    try:
        opened = bool(reader.decrypt(""))
    except DependencyError as exc:
        raise IngestError(f"{name}: PDF is AES-encrypted; install the 'cryptography' package to read it") from exc
    except Exception:  # unsupported encryption algorithms raise various errors
        opened = False
    if not opened:
        raise IngestError(f"{name}: PDF is password-protected; remove the password and add it again")


def _page_text(page: PageObject) -> str:
    """Layout-mode text (keeps words whole), or plain mode where layout glues words together."""
    try:
        layout = page.extract_text(extraction_mode="layout") or ""
    except LimitReachedError:
        raise  # plain mode would spend the same work again
    except Exception:  # layout mode fails on some fonts; plain mode still works
        return page.extract_text() or ""
    glued = len(_LONG_WORD_RE.findall(layout))
    if glued:
        plain = page.extract_text() or ""
        if len(_LONG_WORD_RE.findall(plain)) < glued:
            return plain
    return layout


def clean_pdf_pages(pages: list[str]) -> list[str]:
    """Return each page's text as paragraphs separated by blank lines (empty string if none)."""
    page_lines = [_lines(text) for text in pages]
    repeated = _running_lines(page_lines)
    widths = sorted(len(line) for lines in page_lines for line in lines)
    width = widths[int(len(widths) * 0.9)] if widths else 80
    vocab = _Vocabulary.of(page_lines)
    out = []
    for number, lines in enumerate(page_lines):
        lines = _drop_furniture(lines, repeated if number > 0 else frozenset())
        out.append("\n\n".join(_paragraphs(lines, width, vocab)))
    return out


@dataclass(frozen=True)
class _Vocabulary:
    """The document's own words, to tell split words from compounds at line-end hyphens."""

    words: frozenset[str]
    compounds: frozenset[str]

    @classmethod
    def of(cls, page_lines: list[list[str]]) -> _Vocabulary:
        """Collect the words and hyphenated compounds of all pages."""
        tokens = {t.casefold() for lines in page_lines for line in lines for t in _WORD_RE.findall(line)}
        return cls(frozenset(t for t in tokens if "-" not in t), frozenset(t for t in tokens if "-" in t))

    def keep_hyphen(self, head: str, tail: str) -> bool:
        """True for a compound ('awareness-raising'), False for a split word ('recom-mendations')."""
        if tail[:1].isupper() or f"{head}-{tail}".casefold() in self.compounds:
            return True
        # UN reports hyphenate compounds, not words, at line ends (about 18:1 in the corpus),
        # so only drop the hyphen when the document spells the joined word elsewhere.
        return (head + tail).casefold() not in self.words


def _lines(text: str) -> list[str]:
    """Non-empty lines with single spaces and dot leaders shortened."""
    lines = []
    for line in text.replace("\r", "\n").split("\n"):
        line = _PRIVATE_USE_RE.sub("•", _DOT_LEADER_RE.sub(" …", line))
        line = re.sub(r"\s+", " ", line).strip()
        if line:
            lines.append(line)
    return lines


def _key(line: str) -> str:
    """A line with its numbers blanked, so 'A/HRC/26/6 3' and 'A/HRC/26/6 4' compare equal."""
    return re.sub(r"\d+", "#", line.casefold())


def _zone(lines: list[str]) -> list[str]:
    return lines[:_ZONE] + lines[max(_ZONE, len(lines) - _ZONE) :]


def _running_lines(page_lines: list[list[str]]) -> frozenset[str]:
    """Keys of header/footer lines that recur on many pages (the first page is a cover)."""
    body = page_lines[1:]
    counts: Counter[str] = Counter()
    for lines in body:
        counts.update({_key(line) for line in _zone(lines)})
    needed = max(_MIN_REPEAT_PAGES, _MIN_REPEAT_SHARE * len(body))
    return frozenset(key for key, n in counts.items() if n >= needed)


def _drop_furniture(lines: list[str], repeated: frozenset[str]) -> list[str]:
    """Remove page numbers, job numbers and repeated headers from the top and bottom zones."""
    top, bottom = _ZONE, len(lines) - _ZONE
    kept = []
    for i, line in enumerate(lines):
        in_zone = i < top or i >= bottom
        short = len(line) <= _MAX_FURNITURE_CHARS
        if in_zone and short and (_PAGE_FURNITURE_RE.match(line) or _key(line) in repeated):
            continue
        kept.append(line)
    return kept


def _paragraphs(lines: list[str], width: int, vocab: _Vocabulary) -> list[str]:
    """Join wrapped lines into paragraphs, mending words split at line-end hyphens."""
    paragraphs: list[str] = []
    text, last = "", ""
    for line in lines:
        if text and _continues(last, line, width):
            text = _join(text, line, vocab)
        else:
            if text:
                paragraphs.append(text)
            text = line
        last = line
    if text:
        paragraphs.append(text)
    return paragraphs


def _continues(previous: str, line: str, width: int) -> bool:
    """Whether ``line`` continues the paragraph whose last physical line is ``previous``."""
    if _ITEM_START_RE.match(line):
        return False
    if line[:1].islower() or (_HYPHEN_END_RE.search(previous) and line[:1].isalpha()):
        return True
    return len(previous) >= _WRAP_SHARE * width


def _join(text: str, line: str, vocab: _Vocabulary) -> str:
    """Append a wrapped line; a line-end hyphen is kept for compounds and dropped for split words."""
    match = _HYPHEN_END_RE.search(text)
    tail = _WORD_RE.match(line)
    if match and tail:
        soft = text.endswith("\u00ad")
        keep = not soft and vocab.keep_hyphen(match.group(1), tail.group(0).split("-")[0])
        return text[: match.end(1)] + ("-" if keep else "") + line
    return f"{text} {line}"
