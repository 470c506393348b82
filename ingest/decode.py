"""Turn the raw bytes of a text file into clean NFC Unicode text.

Handles UTF-8 (with or without BOM), UTF-16/32 (BOM or NUL-interleaved), the legacy
Vietnamese Windows code page cp1258, files pasted together from UTF-8 and legacy lines and,
as a last resort, charset-normalizer's guess.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from charset_normalizer import from_bytes

from assistant.errors import IngestError

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Magic numbers of common binary formats, so the error can say what the file really is.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF"),
    (b"PK\x03\x04", "a ZIP/Office file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "an executable"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office file"),
)

# Control characters other than tab and newline; C1 controls too (they only appear as mojibake).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\ufffe]")
_TEXT_CONTROL_BYTES = frozenset(b"\t\n\r\f\x1b")
# Legacy code pages worth guessing, most likely first (Western before Central European ...).
_COMMON_CODEPAGES = (
    "cp1252",
    "latin_1",
    "iso8859_15",
    "cp1250",
    "iso8859_2",
    "cp1251",
    "koi8_r",
    "cp1253",
    "cp1254",
    "cp1257",
    "mac_roman",
    "gb18030",
    "big5",
    "shift_jis",
    "euc_jp",
    "euc_kr",
)
_CP1258_TONE_BYTES = frozenset(b"\xcc\xd2\xde\xec\xf2")  # combining grave, hook, tilde, acute, dot
# Marks that only Vietnamese uses among Latin-script languages (after NFD).
_VI_MARKS = frozenset("\u0309\u0323\u031b\u0306")
_MAX_CONTROL_RATIO = 0.05
_MAX_NUL_RATIO = 0.01  # a stray NUL is tolerated (and removed); many mean a binary file
_MAX_REPLACEMENT_RATIO = 0.02


def decode_bytes(data: bytes, name: str = "") -> str:
    """Decode a text file's bytes to NFC text with ``\\n`` newlines and no control characters.

    Raises IngestError when the bytes are empty, binary, or cannot be decoded as text.
    """
    label = name or "file"
    if not data.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        raise IngestError(f"{label}: empty file")
    text = _decode(data, label)
    text = _tidy(text)
    if not text.strip():
        raise IngestError(f"{label}: empty file")
    if text.count("\ufffd") > _MAX_REPLACEMENT_RATIO * len(text):
        raise IngestError(f"{label}: could not decode the text (unknown encoding); save it as UTF-8")
    return text


def _decode(data: bytes, label: str) -> str:
    """Pick an encoding and decode; raise IngestError for binary or undecodable data."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data[len(bom) :], encoding, label)
    utf16 = _nul_interleaved_encoding(data)
    if utf16:
        return _strict(data, utf16, label)
    _reject_binary(data, label)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    mixed = _mixed_utf8(data)
    if mixed is not None:
        return mixed
    legacy = _try_cp1258(data)
    if legacy is not None:
        return legacy
    guess = _best_guess(data)
    if guess is None:
        raise IngestError(f"{label}: could not detect the text encoding; save it as UTF-8")
    return guess


def _mixed_utf8(data: bytes) -> str | None:
    """Decode text pasted together from UTF-8 and a legacy code page, each line in its own encoding.

    Decoding the whole file as cp1258 would turn its UTF-8 lines into mojibake. Only used when
    some lines are non-ASCII UTF-8 (otherwise the file is simply legacy); the other lines are
    decoded together, so their code page is judged on all of them.
    """
    lines = data.split(b"\n")
    decoded: list[str | None] = []
    has_utf8 = False  # a line that is UTF-8 and not plain ASCII
    for line in lines:
        try:
            decoded.append(line.decode("utf-8"))
            has_utf8 = has_utf8 or not line.isascii()
        except UnicodeDecodeError:
            decoded.append(None)
    legacy_at = [i for i, text in enumerate(decoded) if text is None]
    if not has_utf8 or not legacy_at:
        return None
    blob = b"\n".join(lines[i] for i in legacy_at)
    legacy = _try_cp1258(blob) or _best_guess(blob)
    parts = legacy.split("\n") if legacy is not None else []
    if len(parts) != len(legacy_at):
        return None
    for i, part in zip(legacy_at, parts):
        decoded[i] = part
    return "\n".join(text or "" for text in decoded)


def _best_guess(data: bytes) -> str | None:
    """charset-normalizer's guess among common code pages, breaking ties towards Western ones.

    Short Latin texts fit many code pages equally well; charset-normalizer then picks an
    arbitrary one (cp775, cp1006 ...), so candidates are limited and ties go to cp1252.
    """
    results = list(from_bytes(data, cp_isolation=list(_COMMON_CODEPAGES))) or list(from_bytes(data))
    if not results:
        return None
    top = min(results, key=lambda r: (r.chaos, -r.coherence))
    tied = [r for r in results if r.chaos <= top.chaos + 0.01 and r.coherence >= top.coherence - 0.001]
    rank = {name: i for i, name in enumerate(_COMMON_CODEPAGES)}
    return str(min(tied, key=lambda r: rank.get(r.encoding, len(rank))))


def _strict(data: bytes, encoding: str, label: str) -> str:
    """Decode with a known encoding, turning failures into IngestError."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise IngestError(f"{label}: text is not valid {encoding} ({exc.reason})") from exc


def _nul_interleaved_encoding(data: bytes) -> str | None:
    """Return 'utf-16-le'/'utf-16-be' when NULs sit on alternate bytes like BOM-less UTF-16."""
    sample = data[:8192]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nuls, odd_nuls = even.count(0) / len(even), odd.count(0) / max(len(odd), 1)
    if odd_nuls >= 0.3 and even_nuls <= 0.05:
        candidate = "utf-16-le"
    elif even_nuls >= 0.3 and odd_nuls <= 0.05:
        candidate = "utf-16-be"
    else:
        return None
    try:
        text = data[: len(data) - len(data) % 2].decode(candidate)
    except UnicodeDecodeError:
        return None
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    return candidate if printable >= 0.95 * max(len(text), 1) else None


def _reject_binary(data: bytes, label: str) -> None:
    """Raise IngestError when the bytes look like a binary file rather than text."""
    sample = data[:65536]
    kind = next((what for magic, what in _MAGIC if sample.startswith(magic)), "")
    controls = sum(1 for b in sample if 0 < b < 0x20 and b not in _TEXT_CONTROL_BYTES)
    nuls = sample.count(0)
    if kind or nuls > _MAX_NUL_RATIO * len(sample) or controls > _MAX_CONTROL_RATIO * len(sample):
        detail = f" (it seems to be {kind})" if kind else ""
        raise IngestError(f"{label} looks like binary data, not text{detail}")


def _try_cp1258(data: bytes) -> str | None:
    """Decode as Vietnamese cp1258 when its combining tone-mark bytes make that plausible."""
    if not any(b in _CP1258_TONE_BYTES for b in data):
        return None
    try:
        text = unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        return None
    letters = [ch for ch in text if ch.isalpha()]
    vi = sum(1 for ch in letters if is_vietnamese_letter(ch))
    stray = sum(1 for ch in text if unicodedata.combining(ch))  # marks that found no base letter
    if vi >= 3 and vi >= 0.03 * len(letters) and stray <= 0.01 * max(len(letters), 1):
        return text
    return None


def is_vietnamese_letter(ch: str) -> bool:
    """True for đ and letters with marks only Vietnamese uses (hook, dot below, horn, breve, stacked)."""
    marks = unicodedata.normalize("NFD", ch)[1:]
    return ch in "đĐ" or bool(_VI_MARKS & set(marks)) or len(marks) >= 2


def _tidy(text: str) -> str:
    """NFC-normalise, unify newlines and strip control characters."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    return _CONTROL_RE.sub("", text)
