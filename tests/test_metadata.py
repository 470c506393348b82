"""Metadata inference (UN reports, Vietnamese news, CSV), language detection and sidecars."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from assistant.errors import IngestError
from ingest.loaders import Section, load_file
from ingest.metadata import DOC_TYPES, detect_language, fold_diacritics, infer_metadata, read_sidecar
from ingest.pdf_text import clean_pdf_pages
from tests.conftest import SAMPLE, UN_REPORTS

UN_KEYS = ("symbol", "country", "session", "cycle", "date", "doc_type", "language")


def _first_pages(path: Path, n: int = 3) -> list[Section]:
    """The first pages of a real report, tidied as the loader does (metadata needs no more)."""
    pages = [page.extract_text(extraction_mode="layout") for page in PdfReader(path).pages[:n]]
    return [Section(text, page=i) for i, text in enumerate(clean_pdf_pages(pages), start=1) if text]


def test_detect_language() -> None:
    assert detect_language("Việt Nam chấp thuận bao nhiêu khuyến nghị?") == "vi"
    assert detect_language("viet nam chap thuan bao nhieu khuyen nghi") == "vi"
    assert detect_language("cac khuyen nghi ve quyen tre em trong chu ky III") == "vi"
    assert detect_language("How many recommendations did Viet Nam accept in the second cycle?") == "en"
    assert detect_language("Which recommendations on the death penalty did Viet Nam note?") == "en"
    assert detect_language("") == "en"
    assert detect_language("Đà Nẵng") == "vi"


def test_fold_diacritics() -> None:
    assert fold_diacritics("Chấp thuận Đà Nẵng") == "Chap thuan Da Nang"
    assert fold_diacritics("quyền con người, đường Ưu tiên") == "quyen con nguoi, duong Uu tien"
    assert fold_diacritics("Côte d’Ivoire") == "Cote d’Ivoire"


def test_vietnam_2014_report() -> None:
    meta = infer_metadata(SAMPLE / "vietnam2014.pdf", _first_pages(SAMPLE / "vietnam2014.pdf"))
    assert tuple(meta[k] for k in UN_KEYS) == ("A/HRC/26/6", "Viet Nam", 18, 2, "2014-04-02", "wg_report", "en")
    assert meta["title"] == "Report of the Working Group on the Universal Periodic Review: Viet Nam (A/HRC/26/6)"
    assert meta["file_name"] == "vietnam2014.pdf"


def test_vietnam_2009_report() -> None:
    meta = infer_metadata(SAMPLE / "vietnam2009.pdf", _first_pages(SAMPLE / "vietnam2009.pdf"))
    # The cover is dated 5 October 2009: the report was reissued ("A/HRC/12/11*") for technical reasons.
    assert tuple(meta[k] for k in UN_KEYS) == ("A/HRC/12/11", "Viet Nam", 5, 1, "2009-10-05", "wg_report", "en")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("afghanistan2009.pdf", ("A/HRC/12/9", "Afghanistan", 5, 1, "2009-07-20")),  # month in capitals
        (
            "Macedonia2014.pdf",
            ("A/HRC/26/10", "The former Yugoslav Republic of Macedonia", 18, 2, "2014-03-26"),
        ),
        ("bolivia2014.pdf", ("A/HRC/28/7", "Plurinational State of Bolivia", 20, 2, "2014-12-17")),
        ("peru2008.pdf", ("A/HRC/8/37", "Peru", 2, 1, "2008-05-28")),  # cover lacks the usual heading
    ],
)
def test_other_countries_reports(name: str, expected: tuple[object, ...]) -> None:
    meta = infer_metadata(UN_REPORTS / name, _first_pages(UN_REPORTS / name))
    assert tuple(meta[k] for k in UN_KEYS[:5]) == expected
    assert meta["doc_type"] == "wg_report"


@pytest.mark.parametrize(
    ("seed", "doc_type", "cycle", "date"),
    [
        ("000_437c9dafada3569e.txt", "news", 3, None),
        ("001_7e60ff65336edcc0.txt", "news", 4, None),  # 'Ngày 27/4' has no year
        ("002_7ce1fd81c91580d3.txt", "news", 2, None),  # 'lần thứ hai' = second cycle
        ("003_df2d12fb823006fb.txt", "plan", None, None),  # the full date is at the end, not the top
        ("004_723d0a309469e636.txt", "news", 4, "2024-10-03"),
    ],
)
def test_news_seed_metadata(seed: str, doc_type: str, cycle: int | None, date: str | None) -> None:
    doc = load_file(SAMPLE / seed)
    meta = doc.metadata
    assert (meta["doc_type"], meta["cycle"], meta["date"], meta["language"]) == (doc_type, cycle, date, "vi")
    assert meta["title"] == doc.sections[0].text.split("\n")[0]
    assert meta["symbol"] is None and meta["session"] is None and meta["country"] is None


def test_values_are_flat_and_types_known() -> None:
    meta = load_file(SAMPLE / "001_7e60ff65336edcc0.txt").metadata
    keys = "file_name source title date language doc_type cycle session symbol country".split()
    assert list(meta) == keys
    assert all(v is None or isinstance(v, (str, int, float)) for v in meta.values())
    assert meta["doc_type"] in DOC_TYPES


def test_text_documents(tmp_path: Path) -> None:
    def infer(name: str, text: str, hints: dict[str, str | int | float | None] | None = None) -> dict:
        return infer_metadata(tmp_path / name, [Section(text)], hints)

    news = infer("a.txt", "Việt Nam chấp thuận khuyến nghị\nHà Nội, ngày 7 tháng 4 năm 2023 - Bộ Ngoại giao cho biết")
    assert (news["date"], news["doc_type"]) == ("2023-04-07", "news")
    assert infer("b.txt", "Quyết định phê duyệt kế hoạch\nNội dung quyết định.")["doc_type"] == "decision"
    assert infer("c.txt", "Báo cáo quốc gia UPR chu kỳ IV\nNội dung báo cáo.")["doc_type"] == "national_report"
    tie = infer("d.txt", "Hội thảo về UPR\nUPR chu kỳ III và chu kỳ IV đều quan trọng, chu kỳ III, chu kỳ IV.")
    assert tie["cycle"] is None
    english = infer("e.md", "Notes on the review\n\nThe review took place on 5 February 2014 in Geneva.")
    assert (english["language"], english["doc_type"], english["date"]) == ("en", "other", "2014-02-05")
    hinted = infer("f.html", "Tiêu đề\nNội dung bài báo về quyền con người.", {"title": "Tiêu đề thật", "date": None})
    assert hinted["title"] == "Tiêu đề thật" and hinted["doc_type"] == "news"


def test_national_report_and_decision(tmp_path: Path) -> None:
    national = (
        "United Nations A/HRC/WG.6/32/VNM/1\n\nGeneral Assembly Distr.: General\n\n5 November 2018\n\n"
        "Human Rights Council Working Group on the Universal Periodic Review Thirty-second session\n\n"
        "National report submitted in accordance with paragraph 5 of the annex to Human Rights Council "
        "resolution 16/21\n\nViet Nam"
    )
    meta = infer_metadata(tmp_path / "vn-national.pdf", [Section(national, page=1)])
    assert (meta["doc_type"], meta["symbol"], meta["date"], meta["cycle"]) == (
        "national_report",
        "A/HRC/WG.6/32/VNM/1",
        "2018-11-05",
        3,
    )
    decision = "Decision 12/105\n\nOutcome of the universal periodic review: Viet Nam\n\nThe Human Rights Council ..."
    meta = infer_metadata(tmp_path / "decision.pdf", [Section(decision, page=1)])
    assert meta["doc_type"] == "decision" and meta["title"] == "Decision 12/105"


def test_csv_metadata() -> None:
    meta = infer_metadata(Path("/data/1-5.csv"), [Section("Recommendation to Afghanistan from Austria: ...")])
    assert (meta["doc_type"], meta["language"], meta["title"]) == (
        "recommendations",
        "en",
        "UPR Info recommendations (1-5)",
    )


@pytest.mark.parametrize("sidecar_name", ["report.pdf.meta.json", "report.meta.json"])
def test_read_sidecar_names_and_coercion(tmp_path: Path, sidecar_name: str) -> None:
    (tmp_path / sidecar_name).write_text(
        json.dumps(
            {
                "session": "18",
                "cycle": 2.0,
                "date": 2014,
                "language": "EN",
                "doc_type": "wg_report",
                "country": "Viet Nam",
                "symbol": "A/HRC/26/6",
                "title": "Báo cáo",
                "source": "/elsewhere",
                "unknown": 1,
            }
        ),
        encoding="utf-8",
    )
    assert read_sidecar(tmp_path / "report.pdf") == {
        "session": 18,
        "cycle": 2,
        "date": "2014",
        "language": "en",
        "doc_type": "wg_report",
        "country": "Viet Nam",
        "symbol": "A/HRC/26/6",
        "title": "Báo cáo",
    }


def test_read_sidecar_rejects_bad_values(tmp_path: Path) -> None:
    bad = {"session": "eighteen", "cycle": 7, "doc_type": "blog", "date": "May 2014", "title": ["x"], "country": True}
    (tmp_path / "x.txt.meta.json").write_text(json.dumps(bad), encoding="utf-8")
    assert read_sidecar(tmp_path / "x.txt") == {}
    assert read_sidecar(tmp_path / "no-sidecar.txt") == {}


def test_read_sidecar_invalid_json(tmp_path: Path) -> None:
    (tmp_path / "x.txt.meta.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IngestError, match=r"sidecar x.txt.meta.json is not valid JSON: "):
        read_sidecar(tmp_path / "x.txt")
    (tmp_path / "y.txt.meta.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(IngestError, match="is not valid JSON"):
        read_sidecar(tmp_path / "y.txt")
