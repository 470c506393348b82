"""Numbered sources: the passages an answer may cite, cut to the sentences that matter.

Small context keeps the local model fast (it reads ≈70 tokens/s on 2 cores): each source
is a window of a few sentences around the passage's best match for the question, not the
whole chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.glossary import expand
from assistant.text import numbers, overlap, split_sentences
from assistant.types import Passage
from assistant.untrusted import speaks_to_assistant


@dataclass
class Source:
    """Passage ``n`` (1-based) and the window of it the model is shown."""

    n: int
    passage: Passage
    window: str

    @property
    def locator(self) -> str:
        return locator(self.passage)


def locator(p: Passage) -> str:
    """Where in the document: 'A/HRC/26/6, para. 143.12 (p. 21)', 'UPR Info, session 18', 'p. 3'."""
    m = p.metadata
    page = f"p. {p.page}" if p.page else ""
    if m.get("record_session") or m.get("record_sur"):
        return f"UPR Info, {m.get('record_sur', '')} session {m.get('record_session', '?')}, row {m.get('row', '?')}"
    if m.get("symbol"):
        para = f", para. {m['para_first']}" if m.get("para_first") else ""
        return f"{m['symbol']}{para}" + (f" ({page})" if page else "")
    parts = [str(m["date"])] if m.get("date") else []
    return ", ".join(parts + ([page] if page else []))


def best_window(question: str, text: str, max_chars: int = 600) -> str:
    """The sentences around the passage's best match for the question (≤ ``max_chars``)."""
    sentences = split_sentences(text)
    if not sentences:
        return text[:max_chars]
    wants_number = any(w in question.lower() for w in ("bao nhiêu", "bao nhieu", "how many", "how much", "số"))
    scores = [overlap(question, s) + (0.15 if wants_number and numbers(s) else 0.0) for s in sentences]
    best = max(range(len(sentences)), key=lambda i: scores[i])
    lo, hi = best, best + 1
    while True:  # grow the window around the best sentence while it fits
        grown = False
        for cand in (hi, lo - 1):
            if 0 <= cand < len(sentences) and len(" ".join(sentences[min(lo, cand) : max(hi, cand + 1)])) <= max_chars:
                lo, hi = min(lo, cand), max(hi, cand + 1)
                grown = True
        if not grown:
            break
    return " ".join(sentences[lo:hi])[: max_chars + 200]


def make_sources(question: str, passages: list[Passage], limit: int, max_chars: int = 600) -> list[Source]:
    """The first ``limit`` passages as numbered sources, each cut to its best window.

    A passage with a sentence that speaks to the assistant is planted text, not evidence: it
    is never a source (the next passage takes its place), so it is neither shown nor quoted.
    """
    matcher = expand(question)  # UPR terms in both languages: windows of other-language sources
    trusted = [p for p in passages if not any(speaks_to_assistant(s) for s in split_sentences(p.text))]
    return [Source(i + 1, p, best_window(matcher, p.text, max_chars)) for i, p in enumerate(trusted[:limit])]
