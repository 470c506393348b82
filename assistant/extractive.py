"""The ``extractive`` backend: no LLM, the best supporting sentences, each cited. Instant."""

from __future__ import annotations

from assistant.glossary import expand
from assistant.sources import Source
from assistant.text import numbers, overlap, split_sentences

MIN_SCORE = 0.12


def extractive_answer(question: str, sources: list[Source], max_sentences: int = 2) -> str:
    """Sentences from the sources that best match the question, each followed by ``[n]``."""
    wants_number = any(w in question.lower() for w in ("bao nhiêu", "bao nhieu", "how many", "how much"))
    question = expand(question)  # match sentences written in the other language too
    scored = []
    for source in sources:
        rank_bonus = 0.1 / source.n
        for sentence in split_sentences(source.passage.text):
            if len(sentence) < 25:
                continue
            score = overlap(question, sentence) + rank_bonus + (0.15 if wants_number and numbers(sentence) else 0.0)
            scored.append((score, source.n, sentence))
    scored.sort(key=lambda t: t[0], reverse=True)
    chosen: list[tuple[int, str]] = []
    for score, n, sentence in scored:
        if score < MIN_SCORE and chosen:
            break
        if sentence not in (s for _, s in chosen):
            chosen.append((n, sentence))
        if len(chosen) >= max_sentences:
            break
    return " ".join(f"{sentence.rstrip()} [{n}]" for n, sentence in chosen)
