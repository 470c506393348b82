"""Vietnamese–English UPR terms, so that a question in one language can be matched to
sources in the other ("third cycle" = "chu kỳ III", "chấp thuận" = "accepted")."""

from __future__ import annotations

from index.tokenize import fold

# (Vietnamese, English); either side may carry alternatives separated by " / ".
TERMS: tuple[tuple[str, str], ...] = (
    ("chu kỳ I", "first cycle / cycle I"),
    ("chu kỳ II", "second cycle / cycle II"),
    ("chu kỳ III", "third cycle / cycle III"),
    ("chu kỳ IV", "fourth cycle / cycle IV"),
    ("khuyến nghị", "recommendation"),
    ("chấp thuận / ủng hộ", "accepted / supported / enjoy the support"),
    ("ghi nhận", "noted / did not enjoy the support"),
    ("quốc gia khuyến nghị", "recommending State"),
    ("quốc gia được rà soát", "State under review"),
    ("án tử hình", "death penalty / capital punishment"),
    ("tra tấn / Công ước chống tra tấn", "torture / Convention against Torture / CAT"),
    ("phê chuẩn / gia nhập", "ratify / accede"),
    ("báo cáo quốc gia", "national report"),
    ("Hội đồng Nhân quyền", "Human Rights Council"),
    ("Nhóm làm việc", "Working Group"),
    ("đối thoại tương tác / phiên đối thoại", "interactive dialogue"),
    ("trưởng đoàn", "head of delegation / led the delegation"),
    ("mua bán người / buôn bán người", "trafficking in persons / human trafficking"),
    ("quyền trẻ em", "rights of the child"),
    ("bình đẳng giới", "gender equality"),
    ("tự do ngôn luận / tự do báo chí", "freedom of expression / freedom of the press"),
    ("tự do tôn giáo / tín ngưỡng", "freedom of religion / belief"),
    ("dân tộc thiểu số", "ethnic minorities"),
    ("người khuyết tật", "persons with disabilities"),
    ("cơ quan nhân quyền quốc gia", "national human rights institution"),
)


def _variants(side: str) -> list[str]:
    return [fold(v.strip()) for v in side.split(" / ") if v.strip()]


def _mentions(text: str, variant: str) -> bool:
    # Word-boundary containment on folded text ("chu ky ii" must not match "chu ky iii").
    return f" {variant} " in f" {text} " or f" {variant}s " in f" {text} "


def terms_in(question: str) -> list[tuple[str, str]]:
    """Glossary pairs one of whose sides the question mentions."""
    folded = " ".join("".join(ch if ch.isalnum() else " " for ch in fold(question)).split())
    return [(vi, en) for vi, en in TERMS if any(_mentions(folded, v) for v in _variants(vi) + _variants(en))]


def expand(question: str) -> str:
    """The question plus both languages' forms of the UPR terms it uses, for matching
    sentences of sources written in the other language."""
    extra = [v.strip() for vi, en in terms_in(question) for side in (vi, en) for v in side.split(" / ")]
    return " ".join([question, *extra])
