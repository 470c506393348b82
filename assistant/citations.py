"""Map ``[n]`` markers to sources and keep only those that really support their sentence.

A marker is kept when it is in range and the cited passage contains the sentence's
numbers and enough of its words; otherwise it is removed and the removal is noted, never
shown as if valid. A sentence the model left without a marker is cited only when a source
contains it word for word (the small model often copies a source and forgets the marker).
"""

from __future__ import annotations

import re

from assistant.sources import Source
from assistant.text import contains_folded, cycles_in, numbers, overlap, split_sentences
from assistant.types import Citation
from index.states import VIET_NAM, find_states
from ingest.chunking import page_at

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
MIN_SUPPORT = 0.25


def source_text(source: Source) -> str:
    """The passage with the facts its metadata states (title, date, UN symbol)."""
    meta = source.passage.metadata
    return " ".join([source.passage.text, *(str(meta[k]) for k in ("title", "date", "symbol") if meta.get(k))])


def supports(claim: str, source: Source, question: str = "", co_cited: tuple[Source, ...] = ()) -> bool:
    """Does the cited passage contain the claim's numbers and enough of its words, and speak
    of the same UPR cycle? Numbers the question itself gave (a year) need no support."""
    text = source_text(source)
    claim_numbers = numbers(claim) - numbers(question)
    if claim_numbers - numbers(text):
        return False
    claim_cycles = cycles_in(claim)
    cycle = source.passage.metadata.get("cycle")
    if claim_cycles and not claim_cycles & (cycles_in(text) | ({int(cycle)} if cycle else set())):
        return False
    if claim_cycles and claim_numbers and not _stated_for_cycle(claim_numbers, claim_cycles, source.passage.text):
        return False
    if _other_states(claim, source, co_cited):
        return False
    return bool(claim_numbers) or overlap(claim, text) >= MIN_SUPPORT or contains_folded(text, claim)


def _stated_for_cycle(claim_numbers: set[str], claim_cycles: set[int], text: str) -> bool:
    """False when every sentence of the passage that states the claim's numbers speaks of
    another cycle only: "241 … in cycle IV" is not supported by "in cycle III … accepted 241",
    even when the passage mentions cycle IV elsewhere."""
    stating = [s for s in split_sentences(text) if claim_numbers <= numbers(s)]
    return not stating or any(not cycles_in(s) or cycles_in(s) & claim_cycles for s in stating)


def _other_states(claim: str, source: Source, co_cited: tuple[Source, ...]) -> set[str]:
    """States the claim names that a passage naming States does not name: "Norway recommended
    …" is not supported by Sweden's recommendation. States named by the other sources the
    sentence cites count too ("Ireland [1] and Finland [2] asked …"). A passage that names no State
    says nothing about who; the State a document is about (its ``country``; Viet Nam for a
    Vietnamese page, which rarely names its own country) need not be named in every passage."""
    named = {name for name, _ in find_states(claim)}
    if not named:  # a claim naming no State needs no passage scanned
        return set()
    passages = [source, *(c for c in co_cited if c is not source)]
    in_text = {name for s in passages for name, _ in find_states(source_text(s))}
    if not in_text:
        return set()
    implicit = {source.passage.metadata.get("country") or ""}
    if source.passage.metadata.get("language") == "vi":
        implicit.add(VIET_NAM)
    return named - in_text - implicit


def best_quote(claim: str, source: Source) -> str:
    """The sentence of the passage closest to the claim (what the user should read)."""
    sentences = split_sentences(source.passage.text) or [source.passage.text]
    return max(sentences, key=lambda s: overlap(claim, s) + (0.5 if numbers(claim) & numbers(s) else 0.0))


def validate(
    answer: str, sources: list[Source], question: str = ""
) -> tuple[str, list[Citation], list[str], set[int]]:
    """(answer with bad markers removed, valid citations in order, notes on what was removed,
    numbers of the sources cited for something they do not say)."""
    rejected: set[int] = set()
    by_n = {s.n: s for s in sources}
    notes: list[str] = []
    cited: dict[int, Citation] = {}
    out_sentences = []
    # "claim. [1] Next" -> "claim [1]. Next": a marker belongs to the sentence before it.
    answer = re.sub(r"([.!?])((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)", r"\2\1", answer)
    for sentence in split_sentences(answer) or [answer]:
        claim = MARKER.sub("", sentence).strip()

        # the sources this sentence cites, together: a State may come from any of them
        together = tuple(by_n[int(n)] for n in re.findall(r"\d+", " ".join(MARKER.findall(sentence))) if int(n) in by_n)

        def keep(match: re.Match[str], claim: str = claim, together: tuple[Source, ...] = together) -> str:
            kept = []
            for raw in re.split(r"[,;]", match.group(1)):
                n = int(raw)
                source = by_n.get(n)
                if source is None:
                    notes.append(f"[{n}] removed: there is no source {n}")
                elif not supports(claim, source, question, together):
                    rejected.add(n)
                    notes.append(f"[{n}] removed: source {n} does not contain “{claim[:80]}”")
                else:
                    kept.append(n)
                    cited.setdefault(n, _citation(n, claim, source))
            return " " + "".join(f"[{n}]" for n in kept) if kept else ""

        if not MARKER.search(sentence) and claim:
            found = _uncited_source(claim, sources, question)
            if found is not None:  # the model left the marker out: cite what the check finds
                cited.setdefault(found.n, _citation(found.n, claim, found))
                notes.append(f"[{found.n}] added: the uncited sentence is in source {found.n}")
                sentence = f"{claim} [{found.n}]"
        out_sentences.append(MARKER.sub(keep, sentence))
    text = " ".join(s.strip() for s in out_sentences if s.strip())
    return text, sorted(cited.values(), key=lambda c: c.n), notes, rejected


def _uncited_source(claim: str, sources: list[Source], question: str) -> Source | None:
    """The source a sentence without a marker copies: one that contains it word for word
    (diacritics aside) and passes the same support check as a cited sentence."""
    words = claim.rstrip(" .!?;:").strip()  # the answer ends it where the source goes on
    if len(words.split()) < 4:
        return None
    for source in sources:
        if contains_folded(source_text(source), words) and supports(claim, source, question):
            return source
    return None


def _citation(n: int, claim: str, source: Source) -> Citation:
    p = source.passage
    quote = best_quote(claim, source)
    at = p.text.find(quote)
    page = page_at(p.metadata, at) if at >= 0 else p.page  # the page of the quoted sentence itself
    return Citation(n=n, chunk_id=p.chunk_id, source=p.file_name, title=p.title, page=page, quote=quote,
                    locator=source.locator)
