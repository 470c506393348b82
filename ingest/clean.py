"""Strip web-site junk (menus, photo captions, share bars, related-news lists, footers)
from text scraped off Vietnamese news pages, keeping every article sentence.

The rules are generic to Vietnamese news layouts (VnExpress, Nhân Dân, Báo Chính phủ,
Thế giới & Việt Nam, Công an nhân dân ...), not keyed to one site's strings.
"""

from __future__ import annotations

import re
import unicodedata

# Headings that open a list of other articles; what follows them is not the article.
_BLOCK_MARKERS = frozenset(
    "tin bài liên quan|tin liên quan|bài liên quan|bài viết liên quan|các tin bài khác|"
    "các tin khác|tin khác|các bài khác|bài viết khác|tin cùng chuyên mục|cùng chuyên mục|"
    "tin cùng chủ đề|cùng chủ đề|đọc nhiều|đọc nhiều nhất|bài đọc nhiều|tin đọc nhiều|xem nhiều|"
    "tin xem nhiều|xem thêm|đọc thêm|tin mới|tin mới nhất|mới nhất|tin mới cập nhật|"
    "tin tức mới cập nhật|nổi bật|tin nổi bật|tiêu điểm|tin tiêu điểm|tin nóng|"
    "có thể bạn quan tâm|bạn có thể quan tâm|có thể bạn muốn xem|video nổi bật|multimedia|"
    "cùng tác giả|ý kiến bạn đọc|related news|related articles|read more|most read".split("|")
)
_MARKER_RE = re.compile(
    r"^(?:các )?(?:tin|bài)(?: bài| viết| tức)? (?:liên quan|khác|đọc nhiều|xem nhiều|mới|nổi bật)"
    r"(?: (?:nhất|trong (?:ngày|tuần|tháng)|cập nhật))?$"
)
# Buttons and labels of share bars and page chrome; a line made only of these is junk.
_UI_TOKENS = tuple(
    "chia sẻ bài viết|chia sẻ|share|facebook|zalo|twitter|linkedin|messenger|telegram|pinterest|"
    "email|e-mail|in bài viết|in bài|bản in|gửi bình luận|bình luận|lưu bài viết|lưu bài|like|"
    "thích|tweet|copy link|sao chép liên kết|sao chép link|google news|theo dõi|cỡ chữ|"
    "nghe bài viết|đọc bài viết|quay lại|về đầu trang|lên đầu trang|trở về|tải về|đăng nhập|"
    "đăng ký|tìm kiếm|nguồn|menu|đóng|gửi|lưu|in|a-|a+|x|youtube|tiktok|rss".split("|")
)
_UI_SHORT = tuple(t for t in _UI_TOKENS if len(t) <= 3)
_UI_LONG = tuple(t for t in _UI_TOKENS if len(t) > 3)
_IMAGE_MD_RE = re.compile(r"!\[(?:[^\[\]]|\[[^\]]*\])*\](?:\([^)\s]*\))?")
_LINK_MD_RE = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])+)\]\((?:https?://|/)[^)\s]*\)")
_CREDIT_RE = re.compile(
    r"(?:[(\[]\s*(?:ảnh|nguồn ảnh|ảnh minh họa|ảnh minh hoạ|ảnh tư liệu|photo|đồ họa|đồ hoạ)"
    r"\s*(?:[:：][^()\[\]]{0,80})?[)\]]|(?:^|[.\s])(?:ảnh|nguồn ảnh|photo)\s*[:：][^.:;]{1,60})"
    r"[\s.|]*$",
    re.IGNORECASE,
)
_MEDIA_TAG_RE = re.compile(
    r"^\[(?:video|clip|infographics?|ảnh|photo|podcast|e-?magazine|longform|trực tiếp|live)\]",
    re.IGNORECASE,
)
_BREADCRUMB_RE = re.compile(r"^(?:trang chủ|trang nhất|home\s*[>»›/|])", re.IGNORECASE)
_TAG_LINE_RE = re.compile(r"^(?:tags?|từ khóa|từ khoá|keywords?|chủ đề)\s*[:：]|^(?:#\w+\s*)+$", re.IGNORECASE)
_FOOTER_RE = re.compile(
    r"©|\(c\)\s*\d{4}|copyright|all rights reserved|bản quyền (?:thuộc|©)|giấy phép (?:số|hoạt động|xuất bản)"
    r"|cơ quan chủ quản|chịu trách nhiệm (?:xuất bản|nội dung)|tổng biên tập\s*[:：]|ghi rõ nguồn"
    r"|liên hệ quảng cáo|^(?:địa chỉ|điện thoại|hotline|đường dây nóng|fax|e-?mail|website|tòa soạn"
    r"|toà soạn|trụ sở|đt|tel)\s*[:：]",
    re.IGNORECASE,
)
_FOLLOW_RE = re.compile(r"^theo dõi .{1,60} trên (?:google news|facebook|zalo|youtube|tiktok)\W*$", re.I)
_SENTENCE_END_RE = re.compile(r"(?:[.!?…:;)\"”»]|\./\.)\s*$")
_SPACE_RE = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE_RE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_MAX_CAPTION_CHARS = 300
_MAX_CHROME_CHARS = 200
_MAX_RESUME_HEADLINES = 5


def normalize_whitespace(text: str) -> str:
    """NFC-normalise, turn exotic spaces into plain ones and keep at most one blank line in a row."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE_RE.sub("", text)
    lines = [_SPACE_RE.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def clean_scraped_text(text: str) -> str:
    """Return the article text of a scraped news page, one paragraph per block."""
    lines = [_strip_markup(line) for line in normalize_whitespace(text).split("\n")]
    lines = [line for line in lines if line]
    lines = _drop_related_blocks(lines)
    lines = _drop_footer(lines)
    lines = [line for line in lines if not _is_junk_line(line)]
    return "\n\n".join(_drop_repeats(lines))


def looks_scraped(text: str) -> bool:
    """Guess whether a plain-text file was scraped from a web page (and so needs cleaning)."""
    lines = [_strip_markup(line) for line in normalize_whitespace(text).split("\n")]
    raw_lines = [line for line in text.split("\n") if line.strip()]
    if any(_IMAGE_MD_RE.search(line) for line in raw_lines):
        return True
    lines = [line for line in lines if line]
    if any(_is_marker(line) or _is_junk_line(line) for line in lines):
        return True
    weak = 0
    weak += any(_is_separator(line) for line in lines)
    weak += any(a.casefold() == b.casefold() for a, b in zip(lines, lines[1:], strict=False))
    weak += bool(lines) and not _is_paragraph(lines[0]) and sum(map(_is_paragraph, lines)) >= 2
    return weak >= 2


def _strip_markup(line: str) -> str:
    """Remove markdown images and unwrap markdown links."""
    line = _IMAGE_MD_RE.sub("", line)
    line = _LINK_MD_RE.sub(r"\1", line)
    return line.strip()


def _key(line: str) -> str:
    """Comparison key: case-folded, single-spaced, without trailing punctuation or pipes."""
    return re.sub(r"\s+", " ", line.casefold()).strip(" .:|-–—")


def _is_marker(line: str) -> bool:
    """True for a heading that opens a related/most-read/latest-news list."""
    key = _key(line)
    return len(key) <= 40 and (key in _BLOCK_MARKERS or bool(_MARKER_RE.match(key)))


def _is_paragraph(line: str) -> bool:
    """True for a line that reads like article prose rather than a headline or a label."""
    return len(line) >= 200 or (len(line) >= 80 and bool(_SENTENCE_END_RE.search(line)))


def _drop_related_blocks(lines: list[str]) -> list[str]:
    """Cut lists of other articles that start at a marker heading.

    A marker in the page head, or one followed by a few headlines and then prose again,
    only loses its own block; otherwise everything from the marker on is page furniture.
    """
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not _is_marker(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        end = _block_end(lines, i + 1)
        seen_prose = any(_is_paragraph(line) for line in out)
        if end is None and seen_prose:
            break
        i = end if end is not None else _next_paragraph(lines, i + 1)
    return out


def _block_end(lines: list[str], start: int) -> int | None:
    """Index where prose resumes after a short headline list, or None if it does not."""
    j = start
    while j < len(lines) and not _is_paragraph(lines[j]) and not _is_marker(lines[j]):
        j += 1
    headlines = j - start
    following = lines[j : j + 2]
    if headlines <= _MAX_RESUME_HEADLINES and len(following) == 2 and all(map(_is_paragraph, following)):
        return j
    return None


def _next_paragraph(lines: list[str], start: int) -> int:
    """Index of the first prose line at or after start (len(lines) if none)."""
    return next((j for j in range(start, len(lines)) if _is_paragraph(lines[j])), len(lines))


def _drop_footer(lines: list[str]) -> list[str]:
    """Cut a site footer: a footer line in the last part of the page with no prose after it."""
    for i in range(len(lines) // 2, len(lines)):
        if _is_footer(lines[i]) and not any(_is_paragraph(line) for line in lines[i + 1 :]):
            return lines[:i]
    return lines


def _is_footer(line: str) -> bool:
    return len(line) <= _MAX_CHROME_CHARS and bool(_FOOTER_RE.search(line))


def _is_separator(line: str) -> bool:
    return not any(ch.isalnum() for ch in line)


def _is_ui_line(line: str) -> bool:
    """True for a line made only of share/print/comment buttons and similar chrome labels."""
    if len(line) > 80 or not any(ch.isalpha() for ch in line):
        return False
    rest = line.casefold()
    for token in _UI_LONG:
        rest = rest.replace(token, " ")
    for token in _UI_SHORT:
        rest = re.sub(rf"(?<!\w){re.escape(token)}(?!\w)", " ", rest)
    return not any(ch.isalpha() for ch in rest)


def _is_nav_line(line: str) -> bool:
    """True for breadcrumbs and menus: 'Trang chủ...', 'Thời sự > Chính trị', 'A | B | C'."""
    if len(line) > _MAX_CHROME_CHARS:
        return False
    if _BREADCRUMB_RE.match(line):
        return True
    if _SENTENCE_END_RE.search(line):
        return False
    for sep, minimum in ((r"\s[>»›]\s", 2), (r"\s[|•·]\s", 3)):
        parts = re.split(sep, line)
        if len(parts) >= minimum and all(len(part) <= 40 for part in parts):
            return True
    return False


def _is_caption(line: str) -> bool:
    """True for photo captions: a photo credit at the end, or a one-cell table row ('text |')."""
    if len(line) > _MAX_CAPTION_CHARS:
        return False
    one_cell = line.endswith("|") and line.count("|") == 1
    return one_cell or bool(_CREDIT_RE.search(line))


def _is_junk_line(line: str) -> bool:
    """True for any single line of page chrome."""
    return (
        _is_separator(line)
        or _is_ui_line(line)
        or _is_nav_line(line)
        or _is_caption(line)
        or bool(_MEDIA_TAG_RE.match(line))
        or bool(_TAG_LINE_RE.match(line))
        or _is_footer(line)
        or _key(line).startswith("xem thêm:")
        or bool(_FOLLOW_RE.match(line))
    )


def _drop_repeats(lines: list[str]) -> list[str]:
    """Drop image alt/caption pairs and lines repeating earlier text; the title stays first."""
    paired = {i for i in range(1, len(lines) - 1) if len(lines[i]) <= 160 and _key(lines[i]) == _key(lines[i + 1])}
    paired |= {i + 1 for i in paired}
    kept: list[str] = []
    keys: list[str] = []
    for i, line in enumerate(lines):
        key = _key(line)
        if i in paired or key in keys or (len(key) >= 40 and any(key in k for k in keys)):
            continue
        kept.append(line)
        keys.append(key)
    return kept
