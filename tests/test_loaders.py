"""Loading every supported file type, decoding legacy encodings, and failing clearly."""

from __future__ import annotations

import hashlib
import io
import json
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from assistant.errors import IngestError
from ingest import loaders
from ingest.decode import decode_bytes
from ingest.loaders import SUPPORTED_SUFFIXES, LoadedDocument, Section, load_file
from ingest.pdf_text import clean_pdf_pages
from tests.conftest import SAMPLE, UPR_INFO

FIXTURES = Path(__file__).resolve().parent / "fixtures"
VN2014 = SAMPLE / "vietnam2014.pdf"
VN2009 = SAMPLE / "vietnam2009.pdf"
VIETNAMESE = "Việt Nam chấp thuận 241 khuyến nghị trên tổng số 291 khuyến nghị đến từ 122 nước."


@pytest.fixture(scope="module")
def vn2014() -> LoadedDocument:
    return load_file(VN2014)


def _page_of(doc: LoadedDocument, phrase: str) -> list[int | None]:
    return [s.page for s in doc.sections if phrase in s.text]


def _cp1258(text: str) -> bytes:
    """Encode like a Windows Vietnamese keyboard: base letters precomposed, tone marks combining."""
    tones = set("\u0300\u0301\u0303\u0309\u0323")
    clusters: list[list[str]] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and clusters:
            clusters[-1].append(ch)
        else:
            clusters.append([ch])
    parts = []
    for base, *marks in clusters:
        shape = "".join(m for m in marks if m not in tones)  # circumflex, breve, horn: â ă ơ ư ...
        tone = "".join(m for m in marks if m in tones)
        parts.append(unicodedata.normalize("NFC", base + shape) + tone)
    return "".join(parts).encode("cp1258")


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --- decoding -----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_decode_unicode_encodings(encoding: str) -> None:
    text = f"{VIETNAMESE}\nDòng thứ hai về UPR chu kỳ III."
    assert decode_bytes(text.encode(encoding)) == text


def test_decode_cp1258_composes_tone_marks() -> None:
    data = _cp1258(VIETNAMESE + " Đà Nẵng, Hội đồng Nhân quyền.")
    decoded = decode_bytes(data, "legacy.txt")
    assert decoded == VIETNAMESE + " Đà Nẵng, Hội đồng Nhân quyền."
    assert unicodedata.is_normalized("NFC", decoded)


def test_decode_cp1252_falls_back_to_detection() -> None:
    text = "Le Groupe de travail a adopté le présent rapport sur la Côte d'Ivoire. " * 3
    assert decode_bytes(text.encode("cp1252")) == text


def test_decode_normalises_newlines_and_controls() -> None:
    data = ("Dòng một\r\nDòng hai\x07 vẫn là văn bản bình thường với nhiều chữ.\rDòng ba " * 4).encode()
    text = decode_bytes(data)
    assert "\r" not in text and "\x07" not in text
    assert text.startswith("Dòng một\nDòng hai vẫn là")


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, bytes(range(256)) * 8, b"\x00\x01\x02\x03" * 100],
    ids=["png", "bytes", "nuls"],
)
def test_decode_rejects_binary(data: bytes) -> None:
    with pytest.raises(IngestError, match="looks like binary data, not text"):
        decode_bytes(data, "image.txt")


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n", b"\xef\xbb\xbf  \n"])
def test_decode_rejects_empty(data: bytes) -> None:
    with pytest.raises(IngestError, match="empty file"):
        decode_bytes(data)


# --- text files ---------------------------------------------------------------------------


def test_seed_txt_is_cleaned() -> None:
    doc = load_file(SAMPLE / "000_437c9dafada3569e.txt")
    assert len(doc.sections) == 1 and doc.sections[0].page is None
    text = doc.sections[0].text
    sentence = (
        "Đối với UPR chu kỳ III, Việt Nam chấp thuận 241 khuyến nghị trên tổng số 291 khuyến nghị đến từ 122 nước"
    )
    assert sentence in text
    assert "![" not in text and "Tin bài liên quan" not in text and "[Video]" not in text
    assert doc.content_hash == hashlib.sha256((SAMPLE / "000_437c9dafada3569e.txt").read_bytes()).hexdigest()
    assert doc.metadata["file_name"] == "000_437c9dafada3569e.txt"
    assert doc.metadata["source"] == str((SAMPLE / "000_437c9dafada3569e.txt").resolve())


@pytest.mark.parametrize("encoding", ["utf-16", "cp1258"])
def test_legacy_encoded_txt_loads(tmp_path: Path, encoding: str) -> None:
    text = f"Khuyến nghị UPR\n\n{VIETNAMESE}\n"
    data = _cp1258(text) if encoding == "cp1258" else text.encode(encoding)
    doc = load_file(_write(tmp_path, f"note-{encoding}.txt", data))
    assert VIETNAMESE in doc.sections[0].text
    assert doc.metadata["language"] == "vi"


def test_markdown_plain_text_is_kept_verbatim(tmp_path: Path) -> None:
    text = "# UPR notes\n\nThe Working Group adopted the report.\n\n- item one\n- item two\n"
    doc = load_file(_write(tmp_path, "notes.md", text))
    assert doc.sections[0].text == text.strip()


def test_binary_named_txt_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "photo.txt", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 20)
    with pytest.raises(IngestError, match="photo.txt looks like binary data, not text"):
        load_file(path)


@pytest.mark.parametrize("name", ["empty.txt", "empty.pdf", "empty.csv", "empty.docx"])
def test_empty_files_are_rejected(tmp_path: Path, name: str) -> None:
    with pytest.raises(IngestError, match="empty file"):
        load_file(_write(tmp_path, name, b" \n"))


def test_unsupported_and_missing_and_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert SUPPORTED_SUFFIXES == {".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".csv"}
    with pytest.raises(IngestError, match="unsupported file type '.xlsx'"):
        load_file(_write(tmp_path, "table.xlsx", b"data"))
    with pytest.raises(IngestError, match="cannot read the file"):
        load_file(tmp_path / "missing.txt")
    monkeypatch.setattr(loaders, "MAX_FILE_BYTES", 10)
    with pytest.raises(IngestError, match="over the .* limit"):
        load_file(_write(tmp_path, "big.txt", "x" * 100))


def test_text_with_only_junk_has_no_text(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no text found"):
        load_file(_write(tmp_path, "junk.txt", "![](http://a.vn/x.jpg) |\nChia sẻ\nFacebook\n"))


# --- PDF ----------------------------------------------------------------------------------


def test_pdf_pages_are_numbered_from_one(vn2014: LoadedDocument) -> None:
    assert [s.page for s in vn2014.sections] == list(range(1, 30))
    # Pages checked with pypdf directly: the phrase is on exactly that page.
    assert _page_of(vn2014, "held its eighteenth session") == [3]
    assert _page_of(vn2014, "143.12. Ratify CAT (Gabon, Mali, Slovakia)/Accede to CAT (Togo);") == [14]
    assert _page_of(vn2014, "143.14. Quickly ratify and implement CAT (United States of America);") == [15]
    assert _page_of(vn2014, "Mr. Le Hong Quang") == [29]


def test_pdf_running_headers_and_page_numbers_are_removed(vn2014: LoadedDocument) -> None:
    for section in vn2014.sections[1:]:
        paragraphs = section.text.split("\n\n")
        assert "A/HRC/26/6" not in paragraphs
        assert not any(p.strip().isdigit() for p in paragraphs), section.page
    assert "A/HRC/26/6" in vn2014.sections[0].text  # the cover keeps the report's symbol
    assert "GE.14-12910" not in vn2014.sections[0].text


def test_pdf_paragraphs_are_joined_and_numbered_items_kept(vn2014: LoadedDocument) -> None:
    page3 = vn2014.sections[2].text
    assert (
        "1. The Working Group on the Universal Periodic Review, established in accordance with Human Rights "
        "Council resolution 5/1 of 18 June 2007, held its eighteenth session from 27 January to 7 February 2014."
    ) in page3
    page14 = vn2014.sections[13].text.split("\n\n")
    items = [p for p in page14 if p.startswith("143.")]
    assert len(items) == 14  # 143. and 143.1. ... 143.13.
    assert (
        "143.2. In its implementation of Constitution article 69, ensure compliance with its obligations"
        in page14[page14.index(items[2])]
    )
    assert "awareness-raising" in vn2014.sections[8].text  # a real compound split at a line end


def test_pdf_compound_hyphens_kept_and_split_words_mended() -> None:
    page = "The recommendations were many.\nSome recom-\nmendations concern follow-\nup and Vice-\nMinister visits."
    (text,) = clean_pdf_pages([page])
    assert "Some recommendations concern follow-up and Vice-Minister visits." in text


def test_pdf_header_footer_detection_on_synthetic_pages() -> None:
    bodies = ["Ratify CAT.", "Abolish the death penalty.", "Protect journalists.", "Fight trafficking.", "Adopt it."]
    pages = ["United Nations A/HRC/99/1\nCover page"]
    pages += [f"A/HRC/99/1\n{n}\n{n}. {body}\nGE.14-12345 {n}" for n, body in enumerate(bodies, start=2)]
    cleaned = clean_pdf_pages(pages)
    assert "United Nations A/HRC/99/1" in cleaned[0]  # the cover keeps its symbol
    for n, (text, body) in enumerate(zip(cleaned[1:], bodies, strict=True), start=2):
        assert text == f"{n}. {body}"


def test_truncated_pdf_is_reported(tmp_path: Path) -> None:
    data = VN2014.read_bytes()
    path = _write(tmp_path, "cut.pdf", data[: len(data) // 2])
    with pytest.raises(IngestError, match=r"cut.pdf: PDF is corrupt or truncated: "):
        load_file(path)


def test_garbage_named_pdf_is_reported(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="PDF is corrupt or truncated"):
        load_file(_write(tmp_path, "fake.pdf", "Đây không phải là PDF."))


def _pdf_bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_encrypted_pdf_is_reported(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_page(PdfReader(VN2014).pages[2])
    writer.encrypt(user_password="secret", owner_password="owner")
    with pytest.raises(IngestError, match="PDF is password-protected"):
        load_file(_write(tmp_path, "locked.pdf", _pdf_bytes(writer)))


def test_pdf_with_empty_user_password_opens(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_page(PdfReader(VN2014).pages[2])
    writer.encrypt(user_password="", owner_password="owner")
    doc = load_file(_write(tmp_path, "restricted.pdf", _pdf_bytes(writer)))
    assert "held its eighteenth session" in doc.sections[0].text


def test_pdf_without_text_layer_is_reported(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with pytest.raises(IngestError, match=r"PDF has no extractable text \(scanned image\?\); OCR it first"):
        load_file(_write(tmp_path, "scan.pdf", _pdf_bytes(writer)))


def test_pdf_with_zero_pages_is_reported(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="PDF has no pages"):
        load_file(_write(tmp_path, "nothing.pdf", _pdf_bytes(PdfWriter())))


# --- DOCX ---------------------------------------------------------------------------------


def test_docx_paragraphs_and_tables(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Kế hoạch thực hiện khuyến nghị UPR"
    document.add_heading("Kế hoạch thực hiện khuyến nghị UPR", level=1)
    document.add_paragraph(VIETNAMESE)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Khuyến nghị", "Cơ quan chủ trì"
    table.cell(1, 0).text, table.cell(1, 1).text = "Phê chuẩn CAT", "Bộ Công an"
    document.add_paragraph("Đoạn cuối của văn bản.")
    path = tmp_path / "plan.docx"
    document.save(str(path))
    doc = load_file(path)
    (section,) = doc.sections
    assert section.text.split("\n\n") == [
        "Kế hoạch thực hiện khuyến nghị UPR",
        VIETNAMESE,
        "Khuyến nghị | Cơ quan chủ trì",
        "Phê chuẩn CAT | Bộ Công an",
        "Đoạn cuối của văn bản.",
    ]
    assert doc.metadata["title"] == "Kế hoạch thực hiện khuyến nghị UPR"
    assert doc.metadata["doc_type"] == "plan"


def test_corrupt_docx_is_reported(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="broken.docx: could not read the DOCX file"):
        load_file(_write(tmp_path, "broken.docx", b"PK\x03\x04 not really a zip file at all"))


# --- CSV ----------------------------------------------------------------------------------


UPR_CSV = (
    "\ufeff To ,To-Rgrp,TEXT,From,From-Org,Response,Action,Issue, session ,Extra\n"
    'Viet Nam,Asia,Ratify CAT,Norway,,Accepted,4,"Torture,Justice",18,x\n'
    "Viet Nam,Asia,,Sweden,EU,Noted,4,Justice,18,x\n"
    'Viet Nam,Asia,"Continue efforts, in particular on ""poverty"".",Cuba,,Noted,2,Poverty,18,x\n'
    "Viet Nam,Asia,The Government pledges to report regularly.,Viet Nam,,Voluntary Pledge,5,General,18,x\n"
)


def test_upr_info_csv_rows(tmp_path: Path) -> None:
    doc = load_file(_write(tmp_path, "viet-nam.csv", UPR_CSV))
    assert [s.text for s in doc.sections] == [
        "Recommendation to Viet Nam from Norway (session 18, response: Accepted): Ratify CAT",
        "Recommendation to Viet Nam from Cuba (session 18, response: Noted): "
        'Continue efforts, in particular on "poverty".',
        "Voluntary pledge by Viet Nam (session 18): The Government pledges to report regularly.",
    ]
    assert doc.sections[0].extra == {
        "record_sur": "Viet Nam",
        "record_from": "Norway",
        "record_response": "Accepted",
        "record_action": "4",
        "record_issues": "Torture,Justice",
        "record_session": 18,
        "row": 2,
    }
    assert [s.extra["row"] for s in doc.sections] == [2, 4, 5]
    meta = doc.metadata
    assert (meta["doc_type"], meta["language"], meta["country"], meta["session"], meta["cycle"]) == (
        "recommendations",
        "en",
        "Viet Nam",
        18,
        2,
    )


def test_csv_missing_columns_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "other.csv", "To,Recommendation,Session\nViet Nam,Ratify CAT,18\n")
    with pytest.raises(IngestError, match=r"missing required column\(s\) From, Text"):
        load_file(path)


def test_real_upr_info_export() -> None:
    doc = load_file(UPR_INFO / "17-20.csv")
    assert len(doc.sections) > 7000
    expected = (
        "Recommendation to Viet Nam from Nicaragua (session 18, response: Accepted): Continue efforts to ratify "
        "international human rights instruments, to which Viet Nam is not yet a party"
    )
    assert any(s.text == expected for s in doc.sections)
    assert doc.metadata["doc_type"] == "recommendations" and doc.metadata["cycle"] == 2


# --- HTML ---------------------------------------------------------------------------------

ARTICLE = [
    "Ngày 7/5, tại Geneva (Thụy Sĩ), Hội đồng Nhân quyền Liên hợp quốc đã tổ chức Phiên đối thoại",
    "Đoàn Việt Nam do Thứ trưởng Bộ Ngoại giao dẫn đầu đã trình bày những thành tựu nổi bật",
    "Tại phiên đối thoại, 133 quốc gia đã phát biểu",
    "Các quốc gia cũng đưa ra khuyến nghị đối với Việt Nam",
    "Việt Nam sẽ nghiên cứu kỹ lưỡng các khuyến nghị và trả lời chính thức trước Khóa họp thứ 57",
]
PAGE_JUNK = [
    "Trang chủ",
    "Thời sự",
    "Đăng nhập",
    "Chia sẻ",
    "Tin liên quan",
    "Khởi động xây dựng Báo cáo",
    "Giá vàng hôm nay",
    "Đọc nhiều",
    "Bão số 2",
    "Bản quyền",
    "Giấy phép",
    "Hotline",
    "(Ảnh: TTXVN)",
    "Tags",
    "gtag",
]


def test_html_page_keeps_article_and_drops_chrome() -> None:
    doc = load_file(FIXTURES / "vn_news_page.html")
    text = doc.sections[0].text
    assert text.startswith("Việt Nam bảo vệ thành công Báo cáo quốc gia UPR chu kỳ IV\n\n")
    for sentence in ARTICLE:
        assert sentence in text
    for junk in PAGE_JUNK:
        assert junk not in text
    meta = doc.metadata
    assert meta["title"] == "Việt Nam bảo vệ thành công Báo cáo quốc gia UPR chu kỳ IV"
    assert (meta["date"], meta["language"], meta["doc_type"], meta["cycle"]) == ("2024-05-08", "vi", "news", 4)


def test_html_fallback_without_trafilatura_result(monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    monkeypatch.setattr(trafilatura, "bare_extraction", lambda *args, **kwargs: None)
    doc = load_file(FIXTURES / "vn_news_page.html")
    text = doc.sections[0].text
    assert text.startswith("Việt Nam bảo vệ thành công Báo cáo quốc gia UPR chu kỳ IV\n\n")
    for sentence in ARTICLE:
        assert sentence in text
    for junk in PAGE_JUNK:
        assert junk not in text


# --- sidecar and invariants ---------------------------------------------------------------


def test_vietnam_2014_metadata_through_the_loader(vn2014: LoadedDocument) -> None:
    meta = vn2014.metadata
    assert (meta["symbol"], meta["country"], meta["session"], meta["cycle"]) == ("A/HRC/26/6", "Viet Nam", 18, 2)
    assert (meta["doc_type"], meta["date"], meta["file_name"]) == ("wg_report", "2014-04-02", "vietnam2014.pdf")


def test_sidecar_overrides_metadata(tmp_path: Path) -> None:
    path = _write(tmp_path, "tin-upr.txt", (SAMPLE / "004_723d0a309469e636.txt").read_bytes())
    sidecar = {"title": "Tập huấn nhân quyền", "cycle": "3", "country": "Việt Nam", "date": "May", "colour": "red"}
    (tmp_path / "tin-upr.meta.json").write_text(json.dumps(sidecar), encoding="utf-8")
    meta = load_file(path).metadata
    assert meta["title"] == "Tập huấn nhân quyền" and meta["country"] == "Việt Nam" and meta["cycle"] == 3
    assert meta["date"] == "2024-10-03"  # "May" is rejected, the inferred date stays
    assert "colour" not in meta


def test_sections_are_nfc_and_not_blank(vn2014: LoadedDocument) -> None:
    for section in vn2014.sections:
        assert isinstance(section, Section)
        assert section.text.strip() == section.text and section.text
        assert unicodedata.is_normalized("NFC", section.text)
