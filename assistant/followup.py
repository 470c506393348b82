"""Rewrite a follow-up question ("Còn chu kỳ IV thì sao?") into a standalone one.

Rules, not an LLM call: they are instant, deterministic and testable. When the follow-up
names a cycle, year, session or symbol, that value replaces its counterpart in the previous
question; otherwise a short follow-up is joined to the previous question.
"""

from __future__ import annotations

import re

from index.tokenize import fold

_SLOTS = [
    re.compile(r"\b(?:chu ky|cycle|vong)\s+(?:[ivx]+|\d)\b", re.I),
    re.compile(r"\b(?:phien|session|khoa)\s+(?:hop\s+)?(?:thu\s+)?\d+\b", re.I),
    re.compile(r"\b(?:19|20)\d{2}\b"),
    re.compile(r"\bA/HRC/\d+/\d+\b", re.I),
]
_FOLLOW_CUES = re.compile(
    r"^(?:con|the con|vay|va|nhung|what about|and|how about|then|also)\b|\b(?:thi sao|the nao|do|nay|it|they|that)\??$",
    re.I,
)


def is_follow_up(question: str) -> bool:
    """Short questions that lean on the previous turn."""
    folded = fold(question).strip()
    return bool(_FOLLOW_CUES.search(folded)) or len(folded.split()) <= 4


def standalone_question(question: str, history: list[tuple[str, str]]) -> str:
    """``question`` itself, or rewritten against the last user question in ``history``."""
    if not history or not is_follow_up(question):
        return question
    previous = history[-1][0]
    rewritten = previous
    replaced = False
    for slot in _SLOTS:
        new = slot.search(fold(question))
        old = slot.search(fold(previous))
        if new and old:
            start, end = old.span()  # folding keeps the length of Vietnamese text, so spans map back
            rewritten = rewritten[:start] + _original(question, new.span()) + rewritten[end:]
            replaced = True
    return rewritten if replaced else f"{previous} {question}"


def _original(text: str, span: tuple[int, int]) -> str:
    return text[span[0] : span[1]]
