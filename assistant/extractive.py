"""The ``extractive`` backend: no LLM, the sentences of the sources that best answer the
question (``assistant.evidence``), each cited. Instant. The same choice, held to a stricter
test, is what an LLM answer falls back to when the model gives no answer its sources support."""

from __future__ import annotations

from assistant.evidence import Candidate, Evidence
from assistant.sources import Source

MIN_SCORE = 0.12


def extractive_answer(question: str, sources: list[Source], max_sentences: int = 2, strict: bool = False) -> str:
    """Sentences from the sources that best match the question, each followed by ``[n]``: the best
    of each compared item first ("in 2009 … in 2014"). ``strict``: only sentences that answer it
    (``Evidence.answers``), and nothing when none does."""
    evidence = Evidence(question, [s.passage for s in sources])
    ranked = [c for c in evidence.ranked() if not strict or evidence.answers(c)]
    chosen: list[Candidate] = []
    for item in evidence.named.compared():
        found = next((c for c in ranked if c not in chosen and evidence.is_about(item, c.passage)), None)
        if found is not None:
            chosen.append(found)
    limit = max(max_sentences, len(chosen))
    for c in ranked:
        if len(chosen) >= limit or (c.score < MIN_SCORE and chosen):
            break
        if all(c.text != d.text for d in chosen):
            chosen.append(c)
    return " ".join(f"{c.text.rstrip()} [{sources[c.passage].n}]" for c in chosen)
