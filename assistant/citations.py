"""Map ``[n]`` markers to sources and keep only those that really support their sentence.

A marker is kept when it is in range, the cited passage's document is about what the question
names (State under review, cycle, year), a recommendation is one the State the question names
made, and the passage contains the sentence's numbers and enough of its words; otherwise it is
removed and the removal is noted, never shown as if valid, and a sentence whose every marker is
removed is dropped. A sentence the
model left without a marker is cited when a source contains it word for word or holds its
figures and most of its words (the small model often copies a source and forgets the marker)."""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

from assistant.named import Named, metadata_numbers
from assistant.question import bilingual_overlap
from assistant.refusal import NOT_FOUND
from assistant.roles import speaks_of_recommending
from assistant.sources import Source
from assistant.text import contains_folded, content_terms, cycles_in, numbers, overlap, split_sentences
from assistant.types import Citation
from index.states import VIET_NAM, find_states, without_states
from index.tokenize import fold
from ingest.chunking import page_at
from ingest.metadata import detect_language

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
MIN_SUPPORT = 0.25
CROSS_SUPPORT = 0.5  # across languages fewer words can match, and each says more (a name, a term)
UNCITED_SUPPORT = 0.6  # a sentence without a marker is cited to a source holding this share of its words
_YEAR = re.compile(r"(?:19|20)\d\d")
# What a list of the sources says ("Source 1 [2] Source 2", "Nguồn: [1]"): no claim at all.
_SOURCE_WORDS = frozenset({"source", "sources", "nguon", "lieu", "tham", "khao", "reference", "references"})
_YEAR_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_named = lru_cache(maxsize=256)(Named.of)
# The words that ask (folded): a question with two of them has two parts.
_ASKING = re.compile(r"\b(?:what|which|how|who|whom|when|where|gi|nao|bao nhieu|ai|dau)\b")


def source_text(source: Source) -> str:
    """The passage with the facts its metadata states (title, date, UN symbol)."""
    meta = source.passage.metadata
    return " ".join([source.passage.text, *(str(meta[k]) for k in ("title", "date", "symbol") if meta.get(k))])


def supports(claim: str, source: Source, question: str = "", co_cited: tuple[Source, ...] = ()) -> bool:
    """Does the cited passage contain the claim's numbers and enough of its words, and speak
    of the same UPR cycle? A figure may come from another source the same sentence cites ("from
    60 [1] to 106 [2]"), but each cited source must hold one of them. A number other than a year
    that the claim repeats from the question ("đợt 1") must be the passage's too, if only by its
    metadata; it is no evidence of support by itself. A claim in the other language than the
    passage is measured on the words that translate: glossary terms, States, names and figures."""
    text = source_text(source)
    claim_numbers = numbers(claim) - numbers(question)
    together = set().union(*(numbers(source_text(s)) for s in (source, *co_cited)))
    if claim_numbers - together or (claim_numbers and not claim_numbers & numbers(text)):
        return False
    echoed = {n for n in numbers(claim) & numbers(question) if not _YEAR.fullmatch(n)}
    if echoed - numbers(text) - metadata_numbers(source.passage.metadata):
        return False
    claim_cycles = cycles_in(claim)
    cycle = source.passage.metadata.get("cycle")
    if claim_cycles and not claim_cycles & (cycles_in(text) | ({int(cycle)} if cycle else set())):
        return False
    # a figure answers about the cycle the claim names, or else the one the question asks about
    context_cycles = claim_cycles or cycles_in(question)
    own = claim_numbers & numbers(text)
    if context_cycles and own and not _stated_for_cycle(own, context_cycles, source.passage.text):
        return False
    if _other_states(claim, source, co_cited) or off_question(question, source):
        return False
    if _recommender_silent(claim, source, question):
        return False
    if claim_numbers or contains_folded(text, claim):
        return True
    return word_support(claim, source) >= (CROSS_SUPPORT if _across(claim, source) else MIN_SUPPORT)


def _across(claim: str, source: Source) -> bool:
    return detect_language(claim) != source.passage.metadata.get("language", detect_language(claim))


def word_support(claim: str, source: Source) -> float:
    """Share of the claim's words the passage has; across languages, of the words that translate."""
    text = source_text(source)
    return bilingual_overlap(claim, text) if _across(claim, source) else overlap(claim, text)


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


def off_question(question: str, source: Source) -> str:
    """Why the cited passage cannot answer the question whatever it says, or "": its document
    is about another State under review than the question names, or about another cycle or
    year, and the passage itself does not speak of the question's ("Who headed Cambodia's
    delegation at its 2014 review?" is not answered by the 2010 report, "Brunei in 2014" not by
    Malaysia's report). The same verdicts rank the passages in retrieval (``Named``)."""
    if not question:
        return ""
    named = _named(question)
    state, time = named.verdicts(source.passage.metadata, source.passage.text)
    if state is False:
        return "is about another State under review"
    said_years = {int(y) for y in _YEAR_IN_TEXT.findall(source.passage.text)}
    if time is False and not named.years & said_years:
        return "is about another UPR cycle or year"
    return ""


def _recommender_silent(claim: str, source: Source, question: str) -> bool:
    """For a question that names the recommending State ("What did Viet Nam recommend to
    Brunei?"), True when the claim gives a recommendation (in a question of several parts: it
    names that State, says "recommended", or names another State) and no sentence of the
    passage in which that State speaks holds it: a recommendation Italy made is not Viet Nam's
    because the report also lists Viet Nam's. The claim is measured without its State names
    (they are the question's)."""
    named = _named(question) if question else None
    if named is None or not named.recommenders:
        return False
    in_claim = {name for name, _ in find_states(claim)}
    # In a question of several parts, a claim may answer another ("… from 14 to 16 (2009 report),
    # and what did the Netherlands recommend?"): only one naming the recommender, recommending,
    # or naming another State is taken for the recommendation.
    recommendation = in_claim & named.recommenders or speaks_of_recommending(claim) or in_claim - named.states
    if len(_ASKING.findall(fold(question))) > 1 and not recommendation:
        return False
    recommenders = named.recommenders
    own = named.states | {str(source.passage.metadata.get("country") or "")}
    spoken = spoken_by(source.passage.text, recommenders, own)
    if not spoken:
        return True
    part = source_text(Source(source.n, dataclasses.replace(source.passage, text=" ".join(spoken)), source.window))
    said = without_states(claim)
    if _across(claim, source):
        return bilingual_overlap(said, part) < CROSS_SUPPORT
    return overlap(said, part) < MIN_SUPPORT


def spoken_by(text: str, speakers: frozenset[str], own: frozenset[str] | set[str]) -> list[str]:
    """The sentences of ``text`` said by or of ``speakers``: a sentence naming one of them (a
    listed recommendation ends with its State: "… (Viet Nam);"), and the sentences after it
    that name no other State (the rest of that delegation's statement). The States in ``own``
    (the State under review) do not change the speaker."""
    speaker: set[str] = set()
    out = []
    for sentence in split_sentences(text):
        named = {name for name, _ in find_states(sentence)} - set(own)
        if named:
            speaker = named
        if speaker & speakers:
            out.append(sentence)
    return out


def best_quote(claim: str, source: Source, question: str = "") -> str:
    """The sentence of the passage closest to the claim (what the user should read). A figure of
    the claim's in a sentence weighs much, unless the question gave it: "… năm 2009 là H.E. Rastam
    Mohd. Isa" is quoted from the sentence naming him, not the one dated 2009."""
    sentences = split_sentences(source.passage.text) or [source.passage.text]
    figures = numbers(claim) - numbers(question)
    return max(sentences, key=lambda s: overlap(claim, s) + (0.5 if figures & numbers(s) else 0.0))


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
    answer = re.sub(r"\]\s*[,;]\s*\[", "][", answer)  # "[1], [2]" is "[1][2]"
    answer = re.sub(r"([.!?])((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)", r"\2\1", answer)
    for sentence in split_sentences(answer) or [answer]:
        claim = MARKER.sub("", sentence).strip()
        if NOT_FOUND in claim:  # "… [1]. NOT_FOUND": the model refused the rest; never shown
            notes.append(f"dropped: the model's refusal token in “{claim[:80]}”")
            continue
        words = content_terms(claim)
        if words & _SOURCE_WORDS and all(w in _SOURCE_WORDS or w.isdigit() for w in words):
            notes.append(f"dropped: a list of sources, not a claim: “{sentence.strip()[:80]}”")
            continue

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
                    why = off_question(question, source) or f"does not contain “{claim[:80]}”"
                    notes.append(f"[{n}] removed: source {n} {why}")
                else:
                    kept.append(n)
                    cited.setdefault(n, _citation(n, claim, source, question))
            return " " + "".join(f"[{n}]" for n in kept) if kept else ""

        if not MARKER.search(sentence) and claim:
            found = _uncited_source(claim, sources, question)
            if found is not None:  # the model left the marker out: cite what the check finds
                cited.setdefault(found.n, _citation(found.n, claim, found, question))
                notes.append(f"[{found.n}] added: the uncited sentence is in source {found.n}")
                sentence = f"{claim} [{found.n}]"
        checked = MARKER.sub(keep, sentence)
        if MARKER.search(sentence) and not MARKER.search(checked):
            notes.append(f"dropped: no source it cites supports “{claim[:80]}”")
            continue  # a claim whose every source was rejected is not shown uncited
        out_sentences.append(re.sub(r"(\[\d+\])(?:\s*\1)+", r"\1", checked))  # "[1] [1]" once
    text = " ".join(s.strip() for s in out_sentences if s.strip())
    return text, sorted(cited.values(), key=lambda c: c.n), notes, rejected


def _uncited_source(claim: str, sources: list[Source], question: str) -> Source | None:
    """The source a sentence without a marker comes from: one that contains it word for word
    (diacritics aside), or that holds its figures and most of its words, and passes the same
    support check as a cited sentence (the small model often writes a source's list and forgets
    the marker)."""
    words = claim.rstrip(" .!?;:").strip()  # the answer ends it where the source goes on
    if len(words.split()) < 4:
        return None
    for source in sources:
        if contains_folded(source_text(source), words) and supports(claim, source, question):
            return source
    scored = [(word_support(claim, s), s) for s in sources if supports(claim, s, question)]
    best = max(scored, key=lambda t: t[0], default=None)
    return best[1] if best and best[0] >= UNCITED_SUPPORT else None


def _citation(n: int, claim: str, source: Source, question: str = "") -> Citation:
    p = source.passage
    quote = best_quote(claim, source, question)
    at = p.text.find(quote)
    page = page_at(p.metadata, at) if at >= 0 else p.page  # the page of the quoted sentence itself
    return Citation(n=n, chunk_id=p.chunk_id, source=p.file_name, title=p.title, page=page, quote=quote,
                    locator=source.locator)
