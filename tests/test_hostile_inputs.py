"""Hostile inputs in one ingest batch through the facade (GitHub issue 9).

Every file below is made by code in a temp folder, next to a few good files, and the whole
folder is ingested once. Per file: either it is indexed with the right text, or it is reported
failed with a specific one-line reason. Nothing may be written outside the data dir, no file
may stall the batch, and the index must answer a search afterwards.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import random
import re
import time
import tracemalloc
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, StreamObject

from assistant.config import QueryOptions, Settings
from assistant.service import Assistant
from ingest.report import FileResult, IngestReport
from tests.conftest import SAMPLE, SEED_241, UPR_INFO, FakeEmbedder

FIXTURES = Path(__file__).parent / "fixtures"
VN2014 = SAMPLE / "vietnam2014.pdf"
VI = "Việt Nam chấp thuận 241 khuyến nghị trên tổng số 291 khuyến nghị đến từ 122 nước."
VI2 = "Hội đồng Nhân quyền Liên hợp quốc đánh giá Việt Nam trong chu kỳ III của cơ chế UPR."
FR = "Le Groupe de travail a adopté le présent rapport sur la Côte d'Ivoire et ses recommandations."
PDF_TEXT = "held its eighteenth session"  # on page 3 of vietnam2014.pdf
MAX_SECONDS_PER_FILE = 20.0  # before the fixes a 55 KB PDF took 200 s; good files take about 1 s


def _english(marker: str) -> str:
    return (
        f"Note {marker}: the Working Group on the Universal Periodic Review examined the national report "
        "of Viet Nam and the State accepted most recommendations made during the interactive dialogue.\n\n"
        "The delegation described the measures taken on the rights of women, children and ethnic minorities."
    )


# --- file makers ---------------------------------------------------------------------------
Maker = Callable[[Path, Path], object]  # (file to write, folder outside the input folder)


def data(content: bytes | str) -> Maker:
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return lambda path, _outside: path.write_bytes(raw)


def english(marker: str) -> Maker:
    return data(_english(marker))


def _pdf(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@lru_cache(maxsize=1)
def small_pdf() -> bytes:
    """Pages 3-4 of the 2014 Viet Nam report: real UN text, quick to read."""
    writer = PdfWriter()
    reader = PdfReader(VN2014)
    for number in (2, 3):
        writer.add_page(reader.pages[number])
    return _pdf(writer)


def _stream(content: bytes) -> StreamObject:
    stream = StreamObject()
    stream.set_data(zlib.compress(content))
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    return stream


def pdf_with_pages(pages: int, content: bytes) -> bytes:
    """Blank pages that all draw the same (compressed) content stream."""
    writer = PdfWriter()
    shared = writer._add_object(_stream(content))
    for _ in range(pages):
        writer.add_blank_page(612, 792)[NameObject("/Contents")] = shared
    return _pdf(writer)


def image_only_pdf() -> bytes:
    """A 'scanned' page: one grey image and no text layer."""
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    image = StreamObject()
    image.set_data(bytes(range(64)))
    for key, value in {"/Type": "/XObject", "/Subtype": "/Image", "/ColorSpace": "/DeviceGray"}.items():
        image[NameObject(key)] = NameObject(value)
    for key, number in {"/Width": 8, "/Height": 8, "/BitsPerComponent": 8}.items():
        image[NameObject(key)] = NumberObject(number)
    xobjects = DictionaryObject({NameObject("/Im1"): writer._add_object(image)})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): xobjects})
    page[NameObject("/Contents")] = writer._add_object(_stream(b"q 500 0 0 700 50 50 cm /Im1 Do Q"))
    return _pdf(writer)


def cyclic_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_page(PdfReader(VN2014).pages[2])
    pages = cast(DictionaryObject, writer._root_object["/Pages"])
    cast(ArrayObject, pages["/Kids"]).append(pages.indirect_reference)
    pages[NameObject("/Count")] = NumberObject(2)
    return _pdf(writer)


def encrypted_pdf(user_password: str) -> bytes:
    writer = PdfWriter()
    writer.add_page(PdfReader(VN2014).pages[2])
    writer.encrypt(user_password=user_password, owner_password="owner")
    return _pdf(writer)


def cp1258(text: str) -> bytes:
    """Encode like a Windows Vietnamese keyboard: base letters precomposed, tone marks combining."""
    tones = set("\u0300\u0301\u0303\u0309\u0323")
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        tone = "".join(m for m in parts[1:] if m in tones)
        base = unicodedata.normalize("NFC", "".join(m for m in parts if m not in tones))
        out.append(base + tone)
    return "".join(out).encode("cp1258")


def html_page(body: str, head: str = "<title>UPR news</title>") -> Maker:
    return data(f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>")


SCRIPTS = (
    "<style>.STYLEMARK{color:red}</style><script>var SCRIPTMARK = 1;</script>"
    '<script type="application/ld+json">{"JSONLDMARK": 1}</script><noscript>NOSCRIPTMARK</noscript>'
    "<template>TEMPLATEMARK</template><SCRIPT>document.write('UPPERSCRIPTMARK')</SCRIPT>"
)
SCRIPT_MARKS = ("STYLEMARK", "SCRIPTMARK", "JSONLDMARK", "NOSCRIPTMARK", "TEMPLATEMARK", "ONCLICKMARK")


def _article(marker: str) -> str:
    paragraphs = _english(marker).split("\n\n")
    return (
        f"<article><h1>Viet Nam and the UPR {marker}</h1>"
        + "".join(f'<p onclick="ONCLICKMARK()">{p}</p>{SCRIPTS}' for p in paragraphs)
        + "</article>"
    )


def nested(depth: int, inner: str) -> str:
    return "<div>" * depth + inner + "</div>" * depth


def csv_text(header: str, *rows: str, encoding: str = "utf-8") -> Maker:
    return data("".join(f"{line}\n" for line in (header, *rows)).encode(encoding))


@lru_cache(maxsize=1)
def upr_info_sample() -> bytes:
    with (UPR_INFO / "1-5.csv").open(encoding="utf-8-sig", newline="") as src:
        rows = [row for _, row in zip(range(13), csv.reader(src))]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def zip_bytes(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def with_sidecar(sidecar: bytes | str | Callable[[Path, Path], None], marker: str) -> Maker:
    """A good text file with a '<file>.meta.json' sidecar (bytes, text, or made by a function)."""

    def make(path: Path, outside: Path) -> None:
        path.write_text(_english(marker), encoding="utf-8")
        target = path.with_name(path.name + ".meta.json")
        if callable(sidecar):
            sidecar(target, outside)
        else:
            target.write_bytes(sidecar.encode("utf-8") if isinstance(sidecar, str) else sidecar)

    return make


def symlink_to(target: Callable[[Path, Path], Path]) -> Maker:
    return lambda path, outside: path.symlink_to(target(path, outside))


def outside_file(path: Path, outside: Path) -> Path:
    secret = outside / "outside-note.txt"
    secret.write_text(_english("outsidemarker"), encoding="utf-8")
    return secret


def big_text(path: Path, _outside: Path) -> None:
    line = (VI + " " + FR + "\n").encode("utf-8")
    with path.open("wb") as out:
        for _ in range(50 * 2**20 // (len(line) * 1000) + 1):
            out.write(line * 1000)


def loop_links(path: Path, _outside: Path) -> None:
    path.symlink_to("loop-b.txt")
    path.with_name("loop-b.txt").symlink_to(path.name)


def dir_loop_sidecar(target: Path, _outside: Path) -> None:
    target.symlink_to(target.name)  # points at itself


# --- the cases -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One input file and what ingesting it must give."""

    name: str
    make: Maker
    reason: str = ""  # regex the failure reason must match; empty: the file must be indexed
    has: tuple[str, ...] = ()  # text the indexed chunks must contain
    lacks: tuple[str, ...] = ()  # text no chunk of the document may contain
    meta: dict[str, Any] = field(default_factory=dict)  # metadata the document must have
    source: Callable[[Path, Path], Path] | None = None  # the path it is indexed under, if not its own

    @property
    def indexed(self) -> bool:
        return not self.reason


BINARY = random.Random(9).randbytes(4096)
HEADER = "To,From,Text,Response,Session"
NOT_TEXT = r"looks like binary data, not text"

CASES: dict[str, Case] = {
    # good files
    "good_seed_txt": Case(SEED_241, data((SAMPLE / SEED_241).read_bytes()), has=("241",)),
    "good_pdf": Case("good-report.pdf", lambda p, o: p.write_bytes(small_pdf()), has=(PDF_TEXT,)),
    "good_csv": Case("upr-info.csv", lambda p, o: p.write_bytes(upr_info_sample()), has=("Recommendation to",)),
    "good_html": Case("news.html", data((FIXTURES / "vn_news_page.html").read_bytes()), has=("UPR",)),
    "good_md": Case("note.md", english("goodmdmarker"), has=("goodmdmarker",)),
    # PDFs
    "pdf_zero_bytes": Case("zero.pdf", data(b""), r"zero\.pdf: empty file"),
    "pdf_truncated": Case(
        "truncated.pdf",
        lambda p, o: p.write_bytes(small_pdf()[: len(small_pdf()) // 2]),
        r"truncated\.pdf: PDF is corrupt or truncated",
    ),
    "pdf_garbage_after_header": Case(
        "garbage.pdf", data(b"%PDF-1.7\n" + BINARY * 4), r"garbage\.pdf: PDF is corrupt or truncated"
    ),
    "pdf_not_a_pdf": Case("text.pdf", data(_english("x")), r"no PDF header \(is it really a PDF\?\)"),
    "pdf_password": Case(
        "locked.pdf", lambda p, o: p.write_bytes(encrypted_pdf("secret")), r"locked\.pdf: PDF is password-protected"
    ),
    "pdf_empty_password": Case("restricted.pdf", lambda p, o: p.write_bytes(encrypted_pdf("")), has=(PDF_TEXT,)),
    "pdf_zero_pages": Case("no-pages.pdf", lambda p, o: p.write_bytes(_pdf(PdfWriter())), r"PDF has no pages"),
    "pdf_blank_page": Case(
        "blank.pdf",
        lambda p, o: p.write_bytes(pdf_with_pages(1, b"")),
        r"blank\.pdf: PDF has no extractable text \(scanned image\?\)",
    ),
    "pdf_image_only": Case(
        "scan.pdf",
        lambda p, o: p.write_bytes(image_only_pdf()),
        r"scan\.pdf: PDF has no extractable text \(scanned image\?\)",
    ),
    "pdf_cyclic_page_tree": Case(
        "cyclic.pdf", lambda p, o: p.write_bytes(cyclic_pdf()), r"cyclic\.pdf: PDF is corrupt or truncated: .*cyclic"
    ),
    "pdf_content_bomb": Case(
        "bomb.pdf",
        lambda p, o: p.write_bytes(pdf_with_pages(1, b"BT /F1 12 Tf (rights) Tj ET\n" * 600_000)),
        r"bomb\.pdf: PDF pages are too complex to read \(page 1: over 2 MB",
    ),
    "pdf_shared_stream_bomb": Case(
        "amplified.pdf",
        lambda p, o: p.write_bytes(pdf_with_pages(40, b"BT (x) Tj ET\n" * 100_000)),
        r"amplified\.pdf: PDF holds over 20 MB of page content",
    ),
    "pdf_trailing_garbage": Case("trailing.pdf", lambda p, o: p.write_bytes(small_pdf() + BINARY * 4), has=(PDF_TEXT,)),
    "pdf_page_count_lies": Case(
        "count.pdf", lambda p, o: p.write_bytes(small_pdf().replace(b"/Count 2", b"/Count 9999")), has=(PDF_TEXT,)
    ),
    # text files: empty, binary, encodings, size
    "txt_zero_bytes": Case("zero.txt", data(b""), r"zero\.txt: empty file"),
    "md_whitespace_only": Case("blank.md", data(" \n\t\r\n  \n"), r"blank\.md: empty file"),
    "txt_bom_only": Case("bom.txt", data(codecs.BOM_UTF8 + b"\n"), r"bom\.txt: empty file"),
    "txt_nuls_only": Case("nul.txt", data(b"\x00" * 1000), r"nul\.txt: empty file"),
    "html_zero_bytes": Case("zero.html", data(b""), r"zero\.html: empty file"),
    "csv_zero_bytes": Case("zero.csv", data(b""), r"zero\.csv: empty file"),
    "txt_random_bytes": Case("random.txt", data(BINARY), rf"random\.txt {NOT_TEXT}"),
    "txt_png": Case("photo.txt", data(b"\x89PNG\r\n\x1a\n" + BINARY), rf"{NOT_TEXT} \(it seems to be a PNG image\)"),
    "txt_pdf": Case("report.txt", lambda p, o: p.write_bytes(small_pdf()), rf"{NOT_TEXT} \(it seems to be a PDF\)"),
    "md_elf": Case("tool.md", data(b"\x7fELF\x02\x01\x01" + BINARY), rf"{NOT_TEXT} \(it seems to be an executable\)"),
    "txt_zip": Case("archive.txt", data(zip_bytes({"a.txt": "x" * 100})), rf"{NOT_TEXT} \(it seems to be a ZIP"),
    "html_gzip": Case("page.html", data(b"\x1f\x8b\x08\x00" + BINARY), rf"{NOT_TEXT} \(it seems to be a gzip"),
    "csv_binary": Case("table.csv", data(BINARY), rf"table\.csv {NOT_TEXT}"),
    "txt_control_chars": Case("controls.txt", data(bytes(range(1, 9)) * 500), NOT_TEXT),
    "txt_utf16_bom": Case("utf16.txt", data(f"{VI}\n{VI2}".encode("utf-16")), has=(VI, VI2)),
    "txt_utf16be_no_bom": Case("utf16be.txt", data(f"{VI}\n{VI2}".encode("utf-16-be")), has=(VI, VI2)),
    "txt_utf32": Case("utf32.txt", data(f"{VI}\n{VI2}".encode("utf-32")), has=(VI, VI2)),
    "txt_cp1258": Case("cp1258.txt", data(cp1258(f"{VI}\n{VI2}")), has=(VI, VI2)),
    "txt_mixed_utf8_cp1258": Case("mixed-vi.txt", data(f"{VI}\n".encode() + cp1258(VI2)), has=(VI, VI2)),
    "txt_mixed_utf8_cp1252": Case("mixed-fr.txt", data(f"{VI}\n".encode() + FR.encode("cp1252")), has=(VI, FR)),
    "txt_stray_nuls": Case(
        "nuls.txt",
        data(_english("nulmarker").replace("Group", "Gr\x00oup")),
        has=("nulmarker", "Working Group"),
        lacks=("\x00",),
    ),
    "txt_one_long_line": Case(
        "long-line.txt", data(" ".join([_english("x").replace("\n", " ")] * 300) + " endmarker"), has=("endmarker",)
    ),
    "txt_invisible_and_bidi": Case(
        "bidi.txt",
        data("\u202e\u200b" + _english("bidimarker") + "\u2066\u2069"),
        has=("bidimarker",),
        lacks=("\u200b",),
    ),
    "txt_50_mb": Case("huge.txt", big_text, r"file is 5\d MB, over the 25 MB limit \(UPR_MAX_FILE_MB\)"),
    # HTML
    "html_nested_5000_divs": Case(
        "nested.html", html_page(nested(5000, f"<p>{_english('deepmarker')}</p>")), has=("deepmarker",)
    ),
    "html_nested_unclosed_head": Case(
        "open-head.html",
        data("<html><head><title>Open head</title><body>" + nested(5000, f"<p>{_english('openheadmarker')}</p>")),
        has=("openheadmarker",),
    ),
    "html_scripts": Case(
        "scripts.html",
        html_page(_article("scriptpagemarker"), head=f"<title>S</title>{SCRIPTS}"),
        has=("scriptpagemarker",),
        lacks=SCRIPT_MARKS,
    ),
    "html_scripts_deep": Case(
        "scripts-deep.html",
        html_page(nested(3000, _article("deepscriptmarker")), SCRIPTS),
        has=("deepscriptmarker",),
        lacks=SCRIPT_MARKS,
    ),
    "html_only_scripts": Case("only-scripts.html", html_page(SCRIPTS), r"only-scripts\.html: no text found"),
    "html_entity_expansion": Case(
        "laughs.html",
        data(
            '<?xml version="1.0"?><!DOCTYPE html [<!ENTITY a "lollollollollollollollol">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
            f"<html><body><p>{_english('laughmarker')} &c;</p></body></html>"
        ),
        has=("laughmarker",),
        lacks=("lollollollollollollollollol",),
    ),
    "html_unclosed_comment": Case(
        "comment.html",
        html_page(f"<p>{_english('commentmarker')}</p><!-- COMMENTMARK"),
        has=("commentmarker",),
        lacks=("COMMENTMARK",),
    ),
    "html_cp1252": Case(
        "legacy.html",
        data(f"<html><body><p>{FR}</p><p>{_english('x')}</p></body></html>".encode("cp1252", "replace")),
        has=(FR,),
    ),
    # file names
    "name_dash_rf": Case("-rf.txt", english("dashrfmarker"), has=("dashrfmarker",)),
    "name_dash_help": Case("--help.txt", english("dashhelpmarker"), has=("dashhelpmarker",)),
    "name_spaces": Case("report with  spaces .txt", english("spacesmarker"), has=("spacesmarker",)),
    "name_vietnamese": Case(
        "Báo cáo nhân quyền.txt",
        english("vinamemarker"),
        has=("vinamemarker",),
        meta={"file_name": "Báo cáo nhân quyền.txt"},
    ),
    "name_nfd": Case(unicodedata.normalize("NFD", "Tiếng Việt.md"), english("nfdmarker"), has=("nfdmarker",)),
    "name_shell": Case("$(touch pwned);`id`|x&.txt", english("shellmarker"), has=("shellmarker",)),
    "name_newline": Case("new\nline.txt", english("newlinemarker"), has=("newlinemarker",)),
    "name_quotes": Case('it\'s "quoted".txt', english("quotemarker"), has=("quotemarker",)),
    "name_long": Case("n" * 250 + ".txt", english("longnamemarker"), has=("longnamemarker",)),
    "name_upper_suffix": Case("SHOUT.TXT", english("shoutmarker"), has=("shoutmarker",)),
    # symbolic links
    "link_outside_folder": Case(
        "link-out.txt",
        symlink_to(outside_file),
        has=("outsidemarker",),
        source=lambda p, o: o / "outside-note.txt",
        meta={"file_name": "link-out.txt"},
    ),
    "link_loop": Case(
        "loop-a.txt",
        loop_links,
        r"(?i)symbolic link|symlink|link loop",
    ),
    "link_dangling": Case("dangling.pdf", symlink_to(lambda p, o: o / "gone.pdf"), r"(?i)symbolic link|symlink|broken"),
    # metadata sidecars
    "sidecar_wrong_types": Case(
        "typed.txt",
        with_sidecar(
            json.dumps(
                {
                    "cycle": "three",
                    "session": [18],
                    "title": {"x": 1},
                    "date": "2024-13-45",
                    "language": 5,
                    "doc_type": "evil",
                    "country": True,
                    "symbol": "A/HRC/26/6",
                }
            ),
            "typedmarker",
        ),
        has=("typedmarker",),
        meta={"symbol": "A/HRC/26/6", "doc_type": "other", "country": None, "date": None},
    ),
    "sidecar_path_tricks": Case(
        "tricks.txt",
        with_sidecar(json.dumps({"source": "/etc/passwd", "file_name": "../../passwd", "doc_id": "x"}), "trickmarker"),
        has=("trickmarker",),
        meta={"file_name": "tricks.txt"},
    ),
    "sidecar_not_object": Case("listed.txt", with_sidecar("[1, 2]", "x"), r"sidecar listed\.txt\.meta\.json .*object"),
    "sidecar_invalid_json": Case(
        "broken.txt", with_sidecar("{'title': nope", "x"), r"sidecar broken\.txt\.meta\.json is not valid JSON"
    ),
    "sidecar_deep_nesting": Case(
        "deep.txt", with_sidecar("[" * 20_000 + "]" * 20_000, "x"), r"sidecar deep\.txt\.meta\.json is not valid JSON"
    ),
    "sidecar_utf16": Case(
        "utf16side.txt",
        with_sidecar(json.dumps({"title": "Báo cáo UPR"}).encode("utf-16"), "u16m"),
        has=("u16m",),
        meta={"title": "Báo cáo UPR"},
    ),
    "sidecar_huge": Case(
        "bigside.txt",
        with_sidecar(json.dumps({"title": "x" * 200_000}), "x"),
        r"sidecar bigside\.txt\.meta\.json is .* MiB; a metadata sidecar is a small JSON object",
    ),
    "sidecar_long_title": Case(
        "longtitle.txt",
        with_sidecar(json.dumps({"title": "T" * 5000}), "ltmarker"),
        has=("ltmarker",),
        meta={"title": _english("ltmarker").split("\n")[0][:200]},
    ),
    "sidecar_control_chars": Case(
        "ctl.txt",
        with_sidecar(json.dumps({"title": "Line one\nline\x00two\t"}), "ctlm"),
        has=("ctlm",),
        meta={"title": "Line one line two"},
    ),
    "sidecar_is_folder": Case(
        "folderside.txt", with_sidecar(lambda t, o: t.mkdir(), "foldermarker"), has=("foldermarker",)
    ),
    "sidecar_link_loop": Case(
        "loopside.txt", with_sidecar(dir_loop_sidecar, "loopsidemarker"), has=("loopsidemarker",)
    ),
    # CSV
    "csv_missing_columns": Case(
        "columns.csv",
        csv_text("To,Response", "Viet Nam,Accepted"),
        r"columns\.csv: CSV is missing required column\(s\) From, Text",
    ),
    "csv_ragged_rows": Case(
        "ragged.csv",
        csv_text(
            HEADER,
            "Viet Nam,France",
            "Viet Nam,Chile,Abolish the death penalty raggedmarker,Noted,18,extra,cells",
            ",,",
        ),
        has=("raggedmarker",),
    ),
    "csv_header_only": Case("header.csv", csv_text(HEADER), r"header\.csv: CSV has a header but no row"),
    "csv_header_only_bom": Case(
        "bom-header.csv", csv_text(HEADER, encoding="utf-8-sig"), r"bom-header\.csv: CSV has a header but no row"
    ),
    "csv_unclosed_quote": Case(
        "quote.csv",
        csv_text(HEADER, 'Viet Nam,France,"Ratify CAT', "Viet Nam,Chile,Abolish"),
        r"quote\.csv: CSV is malformed at line \d+: .*never closed",
    ),
    "csv_huge_field": Case(
        "field.csv",
        csv_text(HEADER, "Viet Nam,France," + "x" * 200_000),
        r"field\.csv: CSV is malformed at line 2: field larger than field limit",
    ),
    "csv_semicolons": Case(
        "semicolons.csv", csv_text("To;From;Text", "Viet Nam;France;Ratify CAT semimarker"), has=("semimarker",)
    ),
    "csv_utf16_tabs": Case(
        "excel.csv",
        csv_text("To\tFrom\tText", "Viet Nam\tChile\tRatify CAT tabmarker", encoding="utf-16"),
        has=("tabmarker",),
    ),
    "csv_blank_lines_first": Case(
        "blank-first.csv", data("\n \n" + HEADER + "\nViet Nam,France,Ratify blankmarker\n"), has=("blankmarker",)
    ),
    "csv_only_blank_lines": Case("blank-only.csv", data("\n,,\n ,\n"), r"blank-only\.csv: empty file"),
    # Word
    "docx_zero_bytes": Case("zero.docx", data(b""), r"zero\.docx: empty file"),
    "docx_not_zip": Case("text.docx", english("x"), r"text\.docx: could not read the DOCX file \(BadZipFile"),
    "docx_zip_without_document": Case(
        "other.docx", data(zip_bytes({"readme.txt": "hello"})), r"other\.docx: could not read the DOCX file"
    ),
}
XFAIL: dict[str, str] = {}


# --- one batch for the whole module ---------------------------------------------------------


@dataclass
class Batch:
    root: Path
    inputs: Path
    outside: Path
    assistant: Assistant
    report: IngestReport
    before: dict[str, tuple[Any, ...]]
    after: dict[str, tuple[Any, ...]]
    seconds: dict[str, float]  # per file name, from the progress callback


def snapshot(root: Path, skip: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry under root (links not followed), with size, mtime and content hash."""
    out: dict[str, tuple[Any, ...]] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if Path(folder, d) != skip]
        for name in dirs + files:
            path = Path(folder, name)
            st = path.lstat()
            if path.is_symlink():
                out[str(path)] = ("link", os.readlink(path))
            elif path.is_file():
                digest = hashlib.sha256(path.read_bytes()).hexdigest() if st.st_size < 2**20 else ""
                out[str(path)] = ("file", st.st_size, st.st_mtime_ns, digest)
            else:
                out[str(path)] = ("dir", st.st_mtime_ns)
    return out


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    root = tmp_path_factory.mktemp("hostile")
    inputs, outside, data_dir = root / "inputs", root / "outside", root / "data"
    inputs.mkdir()
    outside.mkdir()
    for case in CASES.values():
        case.make(inputs / case.name, outside)
    (inputs / "up").symlink_to("..")  # a folder loop: the walk must not follow it
    before = snapshot(root, data_dir)
    assistant = Assistant(Settings.from_env(data_dir=data_dir), embedder=FakeEmbedder())
    starts: list[tuple[str, float]] = []
    report = assistant.ingest([inputs], progress=lambda name, done, total: starts.append((name, time.monotonic())))
    seconds = {name: end - start for (name, start), (_, end) in zip(starts, starts[1:])}
    after = snapshot(root, data_dir)
    (inputs / CASES["txt_50_mb"].name).unlink()  # pytest keeps old temp dirs: do not keep 50 MB in each
    return Batch(root, inputs, outside, assistant, report, before, after, seconds)


def result_for(batch: Batch, case: Case) -> FileResult | None:
    path = batch.inputs / case.name
    keys = {str(path)}
    try:
        keys.add(str(path.resolve()))
    except RuntimeError:  # a symlink loop has no resolved path
        pass
    if case.source:
        keys.add(str(case.source(path, batch.outside)))
    found = [r for r in batch.report.results if r.path in keys]
    assert len(found) <= 1, found
    return found[0] if found else None


def chunks_of(assistant: Assistant, source: str) -> tuple[dict[str, Any], list[str]]:
    info = assistant.catalog.documents()[source]
    return info, [row.text for row in assistant.catalog.iter_chunks() if row.doc_id == info["doc_id"]]


def _param(key: str) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=XFAIL[key])] if key in XFAIL else []
    return pytest.param(key, id=key, marks=marks)


@pytest.mark.parametrize("key", [_param(k) for k in CASES])
def test_each_file_is_indexed_or_fails_with_a_clear_reason(batch: Batch, key: str) -> None:
    case = CASES[key]
    result = result_for(batch, case)
    assert result is not None, f"{case.name!r} is missing from the ingest report"
    if not case.indexed:
        assert result.status == "failed", result
        reason = result.reason
        assert reason and "\n" not in reason and "Traceback" not in reason and len(reason) < 400, reason
        assert re.search(case.reason, reason), reason
        return
    assert result.status == "indexed" and result.chunks_added > 0, result
    info, texts = chunks_of(batch.assistant, result.path)
    assert info["n_chunks"] == len(texts) == result.chunks_added
    joined = "\n".join(texts)
    for needle in case.has:
        assert needle in joined, (needle, joined[:500])
    for needle in case.lacks:
        assert needle not in joined, needle
    for key_, value in {"file_name": Path(result.path).name, "source": result.path, **case.meta}.items():
        assert info["metadata"].get(key_) == value, (key_, info["metadata"])


def test_batch_covers_every_file_once(batch: Batch) -> None:
    paths = [r.path for r in batch.report.results]
    assert len(paths) == len(set(paths))
    expected = {r.path for key, case in CASES.items() if key not in XFAIL and (r := result_for(batch, case))}
    expected.add(str(batch.inputs / "loop-b.txt"))  # the other link of the loop is reported too
    assert set(paths) == expected, set(paths) ^ expected
    [partner] = [r for r in batch.report.results if r.path.endswith("loop-b.txt")]
    assert partner.status == "failed" and "loop" in partner.reason
    assert sum(not key.startswith("good_") for key in CASES) >= 40
    assert not batch.report.interrupted


def test_no_file_stalls_the_batch(batch: Batch) -> None:
    slow = {name: round(s, 1) for name, s in batch.seconds.items() if s > MAX_SECONDS_PER_FILE}
    assert not slow, slow


def test_nothing_is_written_outside_the_data_dir(batch: Batch) -> None:
    changed = {k for k in batch.before.keys() | batch.after.keys() if batch.before.get(k) != batch.after.get(k)}
    assert not changed, sorted(changed)
    assert not any(Path(p).name == "pwned" for p in batch.after)


def test_index_is_consistent_and_answers_afterwards(batch: Batch) -> None:
    assistant = batch.assistant
    status = assistant.status()
    assert status["consistency"]["ok"], status["consistency"]["problems"]
    assert status["documents"] == len(batch.report.by_status("indexed"))
    hits = assistant.search("Việt Nam chấp thuận bao nhiêu khuyến nghị UPR chu kỳ III?", QueryOptions(mode="keyword"))
    assert hits and any("241" in p.text for p in hits[:3]), [p.text[:80] for p in hits]
    hits = assistant.search("held its eighteenth session Working Group", QueryOptions(mode="hybrid"))
    assert any(PDF_TEXT in p.text for p in hits), [p.text[:80] for p in hits]
    for marker in ("dashhelpmarker", "outsidemarker", "deepscriptmarker", "semimarker"):
        hits = assistant.search(marker, QueryOptions(mode="keyword", top_k=1))
        assert hits and marker in hits[0].text, marker


def test_a_50_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    big_text(inputs / "huge.txt", tmp_path)
    assistant = Assistant(Settings.from_env(data_dir=tmp_path / "data"), embedder=FakeEmbedder())
    assistant.ingest([tmp_path / "empty-folder-does-not-exist"])  # opens every store before measuring
    tracemalloc.start()
    try:
        report = assistant.ingest([inputs])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    (inputs / "huge.txt").unlink()
    [result] = report.results
    assert result.status == "failed" and "over the 25 MB limit" in result.reason
    assert peak < 5 * 2**20, f"ingest allocated {peak / 2**20:.0f} MiB for a file it refuses"


def test_a_file_name_that_is_not_utf8_is_reported_not_fatal(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / SEED_241).write_bytes((SAMPLE / SEED_241).read_bytes())
    (inputs / os.fsdecode(b"b\xe1o c\xe1o.txt")).write_text(_english("latin1name"), encoding="utf-8")
    assistant = Assistant(Settings.from_env(data_dir=tmp_path / "data"), embedder=FakeEmbedder())
    report = assistant.ingest([inputs])
    assert [Path(r.path).name for r in report.by_status("indexed")] == [SEED_241]
    [failed] = report.by_status("failed")
    assert "name" in failed.reason and "UnicodeEncodeError" not in failed.reason
