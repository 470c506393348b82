"""Refusals decided by evidence, not by the model's mood.

Before generation: did retrieval find anything close enough (dense similarity or keyword
coverage), and does some passage contain the question's anchors (years, numbers, UN
symbols)? After generation: did the model say it cannot answer, and are the answer's
numbers all in the cited passages?
"""

from __future__ import annotations

import re

from assistant.retrieval import RetrievalTrace
from assistant.text import contains_folded, numbers
from assistant.types import Passage

# Off-topic questions only: on the shipped eval set every answerable question's best dense
# match is ≥ 0.57, but so is every (deliberately near-miss) unanswerable one's, so retrieval
# scores cannot tell those apart; that is the model's NOT_FOUND and the grounding check's job.
# Off-topic questions ("capital of Australia?") score ≈0.45 on the sample corpus.
DENSE_MIN = 0.5
# A second generation without the sources the model misused is only tried when retrieval
# matched strongly; otherwise the model tends to paraphrase whatever source is left.
RETRY_DENSE_MIN = 0.55
KEYWORD_MIN = 0.5
NOT_FOUND = "NOT_FOUND"
_MODEL_REFUSALS = (
    NOT_FOUND.lower(),
    "không chứa thông tin",
    "không có thông tin",
    "không đề cập",
    "do not contain",
    "does not contain",
    "don't contain",
    "not mentioned",
    "no information",
    "không nêu",
)
_ANCHOR = re.compile(r"\bA/HRC/\d+/\d+\b|\b(?:19|20)\d{2}\b", re.I)

MESSAGES = {
    "vi": "Các tài liệu hiện có không chứa thông tin để trả lời câu hỏi này.",
    "en": "The documents do not contain information that answers this question.",
}
CLOSEST = {"vi": "Nguồn gần nhất", "en": "Closest sources"}


def retrieval_supports(question: str, passages: list[Passage], trace: RetrievalTrace) -> tuple[bool, str]:
    """(ok, why not) from the retrieval evidence alone."""
    if not passages:
        return False, "no passage matched"
    if trace.dense_top < DENSE_MIN and trace.keyword_coverage < KEYWORD_MIN:
        return False, f"weak match (dense {trace.dense_top:.2f}, keyword coverage {trace.keyword_coverage:.2f})"
    # Metadata counts as evidence: "the 2014 review" is anchored by the report's date.
    joined = "\n".join(
        " ".join([p.text, *(str(p.metadata.get(k, "")) for k in ("title", "symbol", "date"))]) for p in passages
    )
    missing = [a for a in _ANCHOR.findall(question) if not contains_folded(joined, a)]
    if missing:
        return False, f"no passage mentions {', '.join(missing)}"
    return True, ""


def model_refused(text: str) -> bool:
    low = text.strip().lower()
    return not low or any(cue in low[:200] for cue in _MODEL_REFUSALS)


LIST_ITEM = re.compile(r"(?m)^[ \t]*(?:[-*•][ \t]*)?\d{1,2}[.)][ \t]+")


def unsupported_numbers(answer: str, question: str, passages: list[Passage]) -> set[str]:
    """Numbers in the answer that neither the passages nor the question contain."""
    from assistant.citations import MARKER, source_text
    from assistant.sources import Source

    said = numbers(LIST_ITEM.sub("", MARKER.sub("", answer)))  # "1. …", "2) …" number the answer's own list
    known = numbers(question).union(*(numbers(source_text(Source(0, p, ""))) for p in passages))
    return said - known


def refusal_text(language: str, passages: list[Passage]) -> str:
    """The refusal in the question's language, with the closest sources listed."""
    lines = [MESSAGES.get(language, MESSAGES["en"])]
    if passages:
        lines.append(f"{CLOSEST.get(language, CLOSEST['en'])}:")
        lines += [f"- {p.title}" + (f" (p. {p.page})" if p.page else "") for p in passages[:3]]
    return "\n".join(lines)
