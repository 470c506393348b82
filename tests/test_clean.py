"""Cleaning scraped Vietnamese news text: the real seeds are the ground truth of site junk."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.clean import clean_scraped_text, looks_scraped, normalize_whitespace

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
SEEDS = sorted(SAMPLE.glob("*.txt"))

# Real article sentences (one or more per seed) that must survive cleaning.
KEPT = {
    "000_437c9dafada3569e.txt": [
        "7 nhóm vấn đề khuyến nghị cho UPR chu kỳ III của Hội đồng Nhân quyền Liên hợp quốc",
        "Đối với UPR chu kỳ III, Việt Nam chấp thuận 241 khuyến nghị trên tổng số 291 khuyến nghị đến từ 122 nước",
        "Ngày 7/4, tại Hà Nội, Cục Đối ngoại (Bộ Công an) tổ chức Hội thảo",
        "Chia sẻ kinh nghiệm về Luật đặc xá và tái hòa nhập cộng đồng của phạm nhân (1 khuyến nghị).",
        "Hiện nay, các bộ, ban, ngành được phân công thực hiện khuyến nghị UPR đang tích cực hoàn thiện Báo cáo",
    ],
    "001_7e60ff65336edcc0.txt": [
        "Ngày 27/4, Bộ Ngoại giao đã chủ trì phối hợp với Chương trình Phát triển Liên hợp quốc (UNDP)",
        "Trong chu kỳ III, Việt Nam đã nhận được 291 khuyến nghị từ 122 nước và đã chấp thuận 241 khuyến nghị",
        "Ba là, đẩy mạnh sự tham gia rộng rãi, xây dựng của các bên liên quan; Bốn là, chú trọng tăng cường",
        "loại trừ bất bình đẳng, phân biệt đối xử và chính trị hóa.",
    ],
    "002_7ce1fd81c91580d3.txt": [
        "Việt Nam đã đệ trình báo cáo về nhân quyền quốc gia lên Ban thư ký Hội đồng Nhân quyền LHQ vào ngày 31",
        "Lý do chính không chấp nhận đề xuất là nó không đáp ứng các điều kiện đặc biệt ở Việt Nam.",
    ],
    "003_df2d12fb823006fb.txt": [
        "Kế hoạch tổng thể về bảo vệ và thúc đẩy quyền con người",
        "Quyết định có hiệu lực thi hành kể từ ngày ký ban hành, 17/6/2025./.",
        "Tòa án nhân dân tối cao và Viện Kiểm sát nhân dân tối cao phối hợp thực hiện các nội dung có liên quan.",
    ],
    "004_723d0a309469e636.txt": [
        "Ngày 03/10/2024, Ban Chỉ đạo Nhân quyền Chính phủ phối hợp với Ban Chỉ đạo về Nhân quyền tỉnh Bình Định",
        "góp phần thiết thực gắn kết chặt chẽ công tác bảo đảm, bảo vệ và đấu tranh về quyền con người",
    ],
}
# Site junk seen in each seed: related/most-read headlines, breadcrumbs, captions, share bars.
DROPPED = {
    "000_437c9dafada3569e.txt": [
        "Tin bài liên quan",
        "Hợp nhất Cà Mau - Bạc Liêu",
        "Đọc nhiều",
        "Bờ cõi biển đảo",
        "[Video]",
        "[Infographic]",
        "Các đại biểu thảo luận tại Hội thảo (Ảnh: Nguyễn Linh)",
    ],
    "001_7e60ff65336edcc0.txt": [
        "Trang chủNews",
        "Toàn cảnh Hội thảo quốc tế",
        "(Ảnh: Anh Sơn)",
        "Cùng chủ đề",
        "Uy lực khủng khiếp của tên lửa đạn đạo Iskander",
        "Bài đọc nhiều",
        "Vẻ tươi xinh của hoa hậu",
    ],
    "002_7ce1fd81c91580d3.txt": ["-----"],
    "003_df2d12fb823006fb.txt": ["Các tin khác", "Mái ấm cho người nghèo", "Nổi bật", "Kỳ họp thứ 9, Quốc hội khóa XV"],
    "004_723d0a309469e636.txt": [
        "Toàn cảnh Hội nghị.",
        "Thứ trưởng Lê Quốc Hùng phát biểu tại Hội nghị.",
        "Chia sẻFacebook",
        "Tin đọc nhiều trong tuần",
        "Công bố 14 luật và 1 pháp lệnh",
        "BỘ VỚI CÔNG DÂN",
    ],
}
# Where each seed's article ends and the page furniture begins.
ARTICLE_END = {
    "000_437c9dafada3569e.txt": "Tin bài liên quan",
    "001_7e60ff65336edcc0.txt": "Nguồn\n",
    "002_7ce1fd81c91580d3.txt": None,
    "003_df2d12fb823006fb.txt": "Các tin khác",
    "004_723d0a309469e636.txt": "Anh Khoa - Nguyễn Anh",
}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def test_all_five_seeds_are_present() -> None:
    assert [p.name for p in SEEDS] == sorted(KEPT)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seed_keeps_article_sentences(seed: Path) -> None:
    cleaned = clean_scraped_text(seed.read_text(encoding="utf-8"))
    for sentence in KEPT[seed.name]:
        assert sentence in cleaned


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seed_loses_no_article_paragraph(seed: Path) -> None:
    """Every prose line before the page furniture survives (captions aside)."""
    raw = seed.read_text(encoding="utf-8")
    end = ARTICLE_END[seed.name]
    article = raw[: raw.index(end)] if end else raw
    cleaned = clean_scraped_text(raw)
    for line in _lines(article):
        if len(line) >= 120 and "(Ảnh:" not in line and not line.endswith("|"):
            assert line in cleaned, line[:80]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seed_junk_is_gone(seed: Path) -> None:
    cleaned = clean_scraped_text(seed.read_text(encoding="utf-8"))
    for junk in DROPPED[seed.name]:
        assert junk not in cleaned
    assert "![" not in cleaned and "](http" not in cleaned
    assert not re.search(r"\|\s*$", cleaned, re.M), "table-caption lines remain"
    assert "(Ảnh:" not in cleaned
    for line in _lines(cleaned):
        assert line.casefold() not in {"chia sẻ", "facebook", "zalo", "in", "bình luận", "nguồn"}


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seed_title_first_and_no_repeats(seed: Path) -> None:
    raw = seed.read_text(encoding="utf-8")
    raw_lines = _lines(raw)
    lines = _lines(clean_scraped_text(raw))
    title = next(line for line in raw_lines if not line.startswith("Trang chủ"))
    assert lines[0] == title
    assert len(lines) == len(set(lines))


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seeds_look_scraped(seed: Path) -> None:
    assert looks_scraped(seed.read_text(encoding="utf-8"))


def test_plain_prose_does_not_look_scraped() -> None:
    english = (
        "The Working Group held its eighteenth session from 27 January to 7 February 2014.\n\n"
        "The review of Viet Nam was held at the 16th meeting on 5 February 2014, and the delegation was large.\n"
    )
    vietnamese = (
        "Việt Nam đã tham gia đầy đủ các chu kỳ rà soát định kỳ phổ quát và nghiêm túc thực hiện các khuyến nghị.\n"
        "Báo cáo quốc gia được xây dựng với sự tham gia rộng rãi của các bộ, ngành và tổ chức xã hội.\n"
    )
    assert not looks_scraped(english)
    assert not looks_scraped(vietnamese)
    assert clean_scraped_text(english).startswith("The Working Group held its eighteenth session")


def test_generic_news_site_patterns() -> None:
    """Rules generalise to other layouts: VnExpress-style credits, breadcrumbs, inline related box, footer."""
    page = "\n".join(
        [
            "Thời sự > Chính trị",
            "Việt Nam trình bày Báo cáo UPR chu kỳ IV tại Geneva",
            "Thứ tư, 8/5/2024, 09:30 (GMT+7)",
            "Chia sẻ  Facebook  Zalo  Twitter",
            "Đoàn Việt Nam đã trình bày báo cáo quốc gia về tình hình thực hiện quyền con người, nhận nhiều ý kiến.",
            "Thứ trưởng phát biểu tại phiên đối thoại. Ảnh: Nhật Bắc",
            "Tin liên quan",
            "Khởi động báo cáo UPR chu kỳ IV",
            "Hội thảo về khuyến nghị UPR",
            "Các quốc gia đánh giá cao nỗ lực của Việt Nam trong giảm nghèo và bảo đảm an sinh xã hội cho người dân.",
            "Việt Nam sẽ trả lời chính thức các khuyến nghị trước Khóa họp thứ 57 của Hội đồng Nhân quyền LHQ.",
            "Tags: UPR, nhân quyền, Geneva",
            "Theo dõi Báo Điện tử trên Google News",
            "Xem thêm: Toàn văn phát biểu của Trưởng đoàn",
            "© 1997-2024. Toàn bộ bản quyền thuộc Báo Điện tử.",
            "Địa chỉ: 12 Phố Ví Dụ, Hà Nội",
            "Hotline: 0123 456 789",
        ]
    )
    cleaned = clean_scraped_text(page)
    lines = _lines(cleaned)
    assert lines[0] == "Việt Nam trình bày Báo cáo UPR chu kỳ IV tại Geneva"
    assert "Thứ tư, 8/5/2024, 09:30 (GMT+7)" in lines  # the dateline is information, not junk
    assert any(line.startswith("Các quốc gia đánh giá cao") for line in lines)  # article resumes after the box
    assert any(line.startswith("Việt Nam sẽ trả lời chính thức") for line in lines)
    for junk in ("Thời sự >", "Facebook", "Ảnh: Nhật Bắc", "Tin liên quan", "Khởi động báo cáo", "Tags:"):
        assert junk not in cleaned
    for junk in ("Google News", "Xem thêm", "bản quyền", "Địa chỉ", "Hotline"):
        assert junk not in cleaned


def test_related_list_without_prose_after_is_cut_to_the_end() -> None:
    body = "Nội dung bài viết rất dài về khuyến nghị UPR và quyền con người tại Việt Nam. " * 2
    page = f"Tiêu đề bài viết\n{body}\n"
    page += "Đọc nhiều\nTin một\nTin hai\nTin ba có một câu tóm tắt dài hơn nhiều so với tiêu đề bình thường của nó.\n"
    cleaned = clean_scraped_text(page)
    assert "Đọc nhiều" not in cleaned and "Tin một" not in cleaned
    assert "Nội dung bài viết" in cleaned


def test_normalize_whitespace() -> None:
    text = "Xin\u00a0chào\u200b  thế   giới \r\n\r\n\r\n\tdòng hai  \n\n\n\n"
    assert normalize_whitespace(text) == "Xin chào thế giới\n\ndòng hai"


def test_normalize_whitespace_composes_nfc() -> None:
    decomposed = "Vie\u0302\u0323t Nam"  # e + circumflex + dot below
    assert normalize_whitespace(decomposed) == "Việt Nam"
