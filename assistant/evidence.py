"""Evidence selection: the sentences that answer a question, put in front of the model.

The local model reads a prompt at 30–60 tokens a second on two cores, so it is shown a few short sentence
windows, and they must be the ones that hold the answer. Every sentence of the retrieved passages
is scored by
- the question's terms it contains, each weighted by how rare it is among the candidate sentences
  (IDF over this pool: "troika" counts, "Viet Nam" hardly), a term also matching through its
  translation (the glossary) and a State through any of its names;
- whether it holds the kind of answer the question asks for: a figure for "how many", a date for
  "when", a person for "who", States for "which States";
- whether its document is about the State, cycle and year the question names (retrieval's ``Named``).
A question that compares (two cycles, two years, several States) gets the best passage of each
compared item first; the other places go to the best sentences overall.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property

from assistant.named import Named, document_years, metadata_numbers
from assistant.question import answer_kinds, grams, holds_kind, kind_word, question_terms
from assistant.text import cycles_in, numbers, split_sentences
from assistant.types import Passage
from index.states import VIET_NAM, mentions_state, state_key
from index.tokenize import fold, stem, stems
from ingest.metadata import detect_language

ANSWER_KIND_BONUS = 0.25  # the sentence holds the kind of answer the question asks for
CONTEXT_SHARE = 0.3  # of the better neighbour's match, added to a sentence's own
IMPLIED_SHARE = 0.5  # a term the document stands for (its State, year, cycle) but the sentence does not say
RELEVANT_NEIGHBOUR = 0.5  # a neighbour scoring less than this share of the best sentence is not shown
CLOSE_NEIGHBOUR = 0.8  # a neighbour scoring this share of the best sentence may stretch the window
CLIP_LEAD_WORDS = 3  # words kept before the first match when a long sentence is cut
COVERED_SHARE = 1 / 3  # what a term already shown in an earlier source is worth to the next one
OFF_TOPIC_PENALTY = 0.3  # per criterion (State, time) on which its document is about something else
COUNT_WINDOW = 3  # words between a figure and what it counts ("60 delegations", "241 khuyến nghị")
ANSWER_COVERAGE = 0.5  # a sentence given as the answer on its own holds at least half the question's terms
RANK_PRIOR = 0.05  # retrieval's order breaks ties: 0.05 for the first passage, 0.025 the second …
MIN_SENTENCE_CHARS = 25  # shorter pieces are headings and table debris, not answers
_CONTENTS_LINE = re.compile(r"…\s*\d")  # "B. Interactive dialogue … 19–142 5": a table of contents


@dataclass
class Candidate:
    """One sentence of a candidate passage, with what the scorer found in it."""

    passage: int  # index into the scorer's passages
    index: int  # sentence number in the passage
    text: str
    found: frozenset[int]  # indices of the question terms it contains
    implied: frozenset[int]  # … and of those its document stands for without saying them
    kind: float  # 0..1, holds the kind of answer asked for
    score: float = 0.0


class Evidence:
    """The question's terms and answer kinds, and every sentence of the candidate passages scored."""

    def __init__(self, question: str, passages: list[Passage]) -> None:
        self.question, self.passages = question, passages
        self.named = Named.of(question)
        self.kinds = answer_kinds(question)
        self.language = detect_language(question)
        self.terms = question_terms(question, self.named)
        self.question_numbers = frozenset(numbers(question))
        self.sentences = [split_sentences(p.text) or [p.text] for p in passages]
        self._implied_terms = [self._implied(i) for i in range(len(passages))]
        self.candidates = [self._candidate(i, j, s) for i, ss in enumerate(self.sentences) for j, s in enumerate(ss)]
        self.idf = self._idf()
        self._penalties = penalties = self._off_topic()
        own = {(c.passage, c.index): self.coverage(c) for c in self.candidates}
        for c in self.candidates:
            # an answer often follows the sentence that restates the question ("The review was
            # held on … The delegation was headed by …"): a neighbour's match counts a little
            context = max(own.get((c.passage, c.index + d), 0.0) for d in (-1, 1))
            c.score = (
                own[(c.passage, c.index)]
                + CONTEXT_SHARE * context
                + ANSWER_KIND_BONUS * c.kind
                - OFF_TOPIC_PENALTY * penalties[c.passage]
                + RANK_PRIOR / (c.passage + 1)
            )

    def _implied(self, i: int) -> frozenset[int]:
        """The terms passage ``i``'s document stands for in every sentence: the State it is about,
        its year and cycle. A report about Viet Nam's 2014 review rarely repeats them."""
        meta = self.passages[i].metadata
        about = {state_key(str(meta.get("country") or meta.get("record_sur") or ""))}
        if meta.get("language") == "vi":
            about.add(state_key(VIET_NAM))
        years, cycle = document_years(meta), meta.get("cycle")
        return frozenset(
            k for k, t in enumerate(self.terms)
            if (t.state in self.named.states and state_key(t.state) in about)
            or (t.year is not None and t.year in years)
            or (t.cycle is not None and str(t.cycle) == str(cycle))
        )  # fmt: skip

    def _candidate(self, i: int, j: int, sentence: str) -> Candidate:
        found_grams = grams(sentence)
        found = frozenset(k for k, t in enumerate(self.terms) if t.found_in(found_grams, sentence))
        held = [holds_kind(kind, sentence, self.named, self.question_numbers) for kind in self.kinds]
        return Candidate(i, j, sentence, found, self._implied_terms[i] - found, sum(held) / len(held) if held else 0.0)

    def _idf(self) -> list[float]:
        n = len(self.candidates)
        df = [sum(1 for c in self.candidates if k in c.found) for k in range(len(self.terms))]
        return [math.log(1 + (n + 1) / (d + 0.5)) for d in df]

    def coverage(
        self,
        c: Candidate,
        covered: frozenset[int] = frozenset(),
        every_term: bool = False,
        skip: frozenset[int] = frozenset(),
    ) -> float:
        """The IDF-weighted share of the question's terms the sentence contains, 0..1, among the
        terms that can match its passage's language (a Vietnamese word cannot match an English
        report; ``every_term``: among all, for a sentence that must answer on its own). A term its
        document stands for counts half (fully with ``every_term``); terms in ``covered`` (shown
        already) a third; terms in ``skip`` not at all."""
        other = self.passages[c.passage].metadata.get("language") not in (None, self.language)
        usable = [k for k, t in enumerate(self.terms) if (every_term or t.bilingual or not other) and k not in skip]
        total = sum(self.idf[k] for k in usable)
        implied = 1.0 if every_term else IMPLIED_SHARE  # on its own, a report on Viet Nam answers for it
        shares = {**{k: implied for k in c.implied}, **{k: 1.0 for k in c.found}}
        got = sum(self.idf[k] * shares[k] * (COVERED_SHARE if k in covered else 1.0) for k in usable if k in shares)
        return got / total if total else 0.0

    @cached_property
    def _compared_terms(self) -> frozenset[int]:
        """The terms that name the compared items (each year, cycle, State of "2009 and 2014"): a
        sentence about one item cannot hold the others'."""
        items = self.named.compared()
        years = {y for i in items for y in i.years} if len({y for i in items for y in i.years}) > 1 else set()
        cycles = {c for i in items for c in i.cycles} if len({c for i in items for c in i.cycles}) > 1 else set()
        states = {s for i in items for s in i.states} if len({s for i in items for s in i.states}) > 1 else set()
        return frozenset(
            k
            for k, t in enumerate(self.terms)
            if t.year in years or t.cycle in cycles or (t.state and t.state in states)
        )

    def _off_topic(self) -> list[int]:
        """Per passage, on how many criteria its document is about something other than what the
        question names (counted for a criterion some candidate passage meets)."""
        verdicts = [self.named.verdicts(p.metadata, p.text) for p in self.passages]
        counts = [0] * len(self.passages)
        for column in zip(*verdicts):
            if True in column:
                counts = [n + (v is False) for n, v in zip(counts, column, strict=True)]
        return counts

    @cached_property
    def best(self) -> list[Candidate]:
        """The best answer-length sentence of each passage."""
        out: list[Candidate] = []
        for i in range(len(self.passages)):
            own = [c for c in self.candidates if c.passage == i]
            usable = [c for c in own if _answer_like(c.text)] or own
            out.append(max(usable, key=lambda c: c.score))
        return out

    def ranked(self) -> list[Candidate]:
        """All answer-length sentences, best first."""
        usable = [c for c in self.candidates if _answer_like(c.text)]
        return sorted(usable, key=lambda c: c.score, reverse=True)

    def order(self) -> list[int]:
        """Passages in the order they should be shown: the best of each compared item first, then,
        one at a time, the passage whose best sentence adds most of what those chosen do not show."""
        chosen: list[int] = []
        for item in self.named.compared():
            matching = [i for i in range(len(self.passages)) if i not in chosen and self.is_about(item, i)]
            if matching:
                chosen.append(max(matching, key=lambda i: self.best[i].score))
        covered = frozenset().union(*(self.best[i].found | self.best[i].implied for i in chosen))
        rest = [i for i in range(len(self.passages)) if i not in chosen]
        while rest:
            i = max(rest, key=lambda i: self._gain(i, covered))
            chosen.append(i)
            rest.remove(i)
            covered |= self.best[i].found | self.best[i].implied
        return chosen

    def is_about(self, item: Named, i: int) -> bool:
        """Whether passage ``i``'s document is about a compared item."""
        return item.is_about(self.passages[i].metadata, self.passages[i].text)

    def answers(self, c: Candidate) -> bool:
        """Whether the sentence can be given as the answer on its own, without a model: it holds the
        kind of answer asked for (for "how many", a figure next to what is counted), it says at
        least half of what the question asks about (its terms other than the State, year and
        cycle, which its document must not contradict), it has every number the question gives,
        names every recommending State the question names, and speaks of no other cycle."""
        primary = self.kinds[0] if self.kinds else ""  # "When … and who …": the date at least
        if primary and holds_kind(primary, c.text, self.named, self.question_numbers) < 0.5:
            return False
        if primary == "number" and not self._counts_what_is_asked(c.text):
            return False
        if self._penalties[c.passage] or not self.names_what_is_asked(c):
            return False
        spoken = cycles_in(c.text)  # "In cycle III, Viet Nam accepted 241" does not answer about cycle IV
        if self.named.cycles and spoken and not spoken & self.named.cycles:
            return False
        known = numbers(c.text) | metadata_numbers(self.passages[c.passage].metadata)
        # in a comparison each year names one compared item ("first (2009) and second (2014)")
        compared = {str(y) for y in self.named.years} if self.named.compared() else set()
        if self.question_numbers - known - compared:  # "đợt 1 năm 2024" is not answered by one on "đợt 2"
            return False
        return self._topic_coverage(c) >= ANSWER_COVERAGE

    def _topic_coverage(self, c: Candidate) -> float:
        """The IDF-weighted share of the question's topic terms (not the State, year, cycle or
        compared items its document stands for) that the sentence itself says."""
        topic = [k for k, t in enumerate(self.terms) if not t.anchor and k not in self._compared_terms]
        total = sum(self.idf[k] for k in topic)
        return sum(self.idf[k] for k in topic if k in c.found) / total if total else 1.0

    def gives_what_is_asked(self, sentence: str) -> bool:
        """Whether a source sentence holds the kind of answer the question asks for first: for "how
        many", a figure next to what is counted; for "when", a date; for "who", a person's title;
        for "which States", a State. A question for anything (or a list) is not held to this."""
        primary = self.kinds[0] if self.kinds else ""
        if primary == "number":
            return self._counts_what_is_asked(sentence)
        if primary in ("date", "person", "states"):
            return holds_kind(primary, sentence, self.named, self.question_numbers) > 0
        return True

    def _counts_what_is_asked(self, sentence: str) -> bool:
        """For "how many X": a figure within a few words of a question term ("60 delegations",
        "241 khuyến nghị", "28 members"), not any number in the sentence."""
        words = stems(sentence)
        forms = [f for t in self.terms if not t.anchor for f in t.forms if f]
        for i, word in enumerate(words):
            if word.isdigit() and word not in self.question_numbers and not _YEAR_WORD.fullmatch(word):
                window = words[max(0, i - COUNT_WINDOW) : i + COUNT_WINDOW + 1]
                if any(_has(window, f) for f in forms):
                    return True
        return False

    def _gain(self, i: int, covered: frozenset[int]) -> float:
        best = self.best[i]
        return best.score - self.coverage(best) + self.coverage(best, covered)

    def window(self, i: int, max_chars: int) -> str:
        """Passage ``i``'s best sentence and, while they fit in ``max_chars``, its relevant neighbours;
        a neighbour that matches almost as well as the best one may take the window to 1.5 times
        that ("… statements were made by 60 delegations. Additional statements by 16 …")."""
        sentences = self.sentences[i]
        scores = {c.index: c.score for c in self.candidates if c.passage == i}
        best = self.best[i]
        lo, hi = best.index, best.index + 1
        while True:
            options = []
            for j in (lo - 1, hi):
                score = scores.get(j, 0.0)
                if 0 <= j < len(sentences) and score >= RELEVANT_NEIGHBOUR * best.score:
                    size = len(" ".join(sentences[min(lo, j) : max(hi, j + 1)]))
                    close = score >= CLOSE_NEIGHBOUR * best.score
                    if size <= max_chars or (close and size <= max_chars * 3 // 2):
                        options.append(j)
            if not options:
                break
            j = max(options, key=lambda j: scores.get(j, 0.0))
            lo, hi = min(lo, j), max(hi, j + 1)
        return self._clip(" ".join(sentences[lo:hi]), best.text, max_chars)

    def _clip(self, window: str, best: str, max_chars: int) -> str:
        """A window no longer than ``max_chars`` and a margin. A best sentence longer than that
        keeps the run of words where the question's terms (weighted by rarity) and words of the kind
        of answer asked for are densest: a long list of recommendations has the asked one in its middle."""
        limit = max_chars + max_chars // 2
        if len(window) <= limit:
            return window
        if len(best) <= limit:
            return best
        words = best.split()
        weight = {form[0]: self.idf[k] for k, t in enumerate(self.terms) for form in t.forms if len(form) == 1}
        kind_weight = max(self.idf, default=1.0)  # a word of the kind asked for counts as the rarest term
        hits = [weight.get(stem(fold(w.strip(".,;:()"))), 0.0) + kind_weight * kind_word(self.kinds, w) for w in words]
        start, first, length, count, most = 0, 0, 0, 0.0, -1.0
        for end, word in enumerate(words):  # the densest run of at most `limit` characters
            length += len(word) + 1
            count += hits[end]
            while length > limit:
                length -= len(words[start]) + 1
                count -= hits[start]
                start += 1
            if count > most:
                most, first = count, start
        # The answer tends to follow the words that match ("was headed by …"): start a little
        # before the run's first match and fill the window to the right.
        first = max(0, next((k for k in range(first, len(words)) if hits[k]), first) - CLIP_LEAD_WORDS)
        last, length = first, 0
        while last < len(words) and length + len(words[last]) + 1 <= limit:
            length += len(words[last]) + 1
            last += 1
        cut = " ".join(words[first:last])
        return ("… " if first else "") + cut + (" …" if last < len(words) else "")

    def names_what_is_asked(self, c: Candidate) -> bool:
        """Whether the sentence (or its document) is about every State the question names, and
        names every recommending one: a sentence about Sweden's recommendation does not answer
        what Norway recommended."""
        p = self.passages[c.passage]
        implicit = {state_key(str(p.metadata.get("country") or p.metadata.get("record_sur") or ""))}
        if p.metadata.get("language") == "vi":
            implicit.add(state_key(VIET_NAM))
        reviewed = all(state_key(s) in implicit or mentions_state(c.text, s) for s in self.named.states)
        return reviewed and all(mentions_state(c.text, s) for s in self.named.recommenders)


def _answer_like(sentence: str) -> bool:
    """Prose long enough to answer: not a heading, table debris or a table-of-contents line."""
    return len(sentence) >= MIN_SENTENCE_CHARS and not _CONTENTS_LINE.search(sentence)


_YEAR_WORD = re.compile(r"(?:19|20)\d\d")


def _has(words: list[str], form: tuple[str, ...]) -> bool:
    n = len(form)
    return any(tuple(words[i : i + n]) == form for i in range(len(words) - n + 1))
