"""Numbered sources: the passages an answer may cite, cut to the sentences that matter.

Small context keeps the local model fast (it reads a prompt at 30–60 tokens/s on 2 cores): each source
is a window of the sentences that answer the question (``assistant.evidence``), not the whole
chunk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from assistant.evidence import Evidence
from assistant.text import split_sentences
from assistant.types import Passage
from assistant.untrusted import speaks_to_assistant
from ingest.chunking import PARA_ID

MIN_WINDOW_CHARS = 80  # a budget with less left than this shows no further source


@dataclass
class Source:
    """Passage ``n`` (1-based) and the window of it the model is shown."""

    n: int
    passage: Passage
    window: str

    @cached_property
    def locator(self) -> str:  # read by the prompt heading and every citation of the source
        return locator(self.passage, self.window)


def locator(p: Passage, window: str = "") -> str:
    """Where in the document: 'A/HRC/26/6, para. 143.12 (p. 21)', 'UPR Info, session 18', 'p. 3'.

    With a ``window`` (the part of the passage shown and quoted), the paragraphs are those the
    window spans, not the chunk's first: a chunk of a UN report holds several paragraphs."""
    m = p.metadata
    page = f"p. {p.page}" if p.page else ""
    if m.get("record_session") or m.get("record_sur"):
        return f"UPR Info, {m.get('record_sur', '')} session {m.get('record_session', '?')}, row {m.get('row', '?')}"
    if m.get("symbol"):
        paras = window_paragraphs(p.text, window) if window else []
        paras = paras or ([str(m["para_first"])] if m.get("para_first") else [])
        para = f", para. {paras[0]}" if len(paras) == 1 else f", paras. {paras[0]}–{paras[-1]}" if paras else ""
        return f"{m['symbol']}{para}" + (f" ({page})" if page else "")
    parts = [str(m["date"])] if m.get("date") else []
    return ", ".join(parts + ([page] if page else []))


def window_paragraphs(text: str, window: str) -> list[str]:
    """Numbers of the numbered paragraphs ('93', '143.12') that ``window``, a run of ``text``'s
    sentences, spans: the one it starts in (when the text says) and those starting inside it."""
    words = window.split()
    if not words:
        return []
    start = re.search(r"\s+".join(map(re.escape, words[:8])), text)
    end = re.search(r"\s+".join(map(re.escape, words[-8:])), text)
    if not start or not end:
        return []
    marks = [(m.start(1), m.group(1).rstrip(".")) for m in PARA_ID.finditer(text)]
    before = [num for pos, num in marks if pos <= start.start()]
    inside = [num for pos, num in marks if start.start() < pos < end.end()]
    return list(dict.fromkeys(before[-1:] + inside))


def evidence_passages(passages: list[Passage]) -> list[Passage]:
    """The passages that may be sources: not those with a sentence that speaks to the assistant."""
    return [p for p in passages if not any(speaks_to_assistant(s) for s in split_sentences(p.text))]


def make_sources(
    question: str, passages: list[Passage], limit: int, max_chars: int = 600, budget: int | None = None
) -> list[Source]:
    """Up to ``limit`` numbered sources, each a window (≤ ``max_chars``) of the sentences that best
    answer the question (``assistant.evidence``), the best of each item a comparison names first;
    with a ``budget``, the windows together hold at most that many characters: a one-sentence
    answer leaves room for more sources, a list for a longer window.

    A passage with a sentence that speaks to the assistant is planted text, not evidence: it
    is never a source (the next passage takes its place), so it is neither shown nor quoted.
    Nor is a passage whose window repeats one already shown (chunks overlap).
    """
    usable = evidence_passages(passages)
    if not usable or limit < 1:
        return []
    evidence = Evidence(question, usable)
    left = budget if budget is not None else limit * max_chars * 2
    sources: list[Source] = []
    for i in evidence.order():
        if len(sources) == limit or left < MIN_WINDOW_CHARS:
            break
        window = evidence.window(i, min(max_chars, left))
        if any(_same_text(window, s.window) for s in sources):
            continue  # overlapping chunks of one document: the same sentences, shown once
        sources.append(Source(len(sources) + 1, usable[i], window))
        left -= len(window)
    return sources


def _same_text(window: str, shown: str) -> bool:
    a, b = " ".join(window.split()), " ".join(shown.split())
    return a in b or b in a
