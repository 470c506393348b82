"""Put the diacritics back into a Vietnamese question typed without them, from its sources.

Staff often type "chap thuan" for "chấp thuận". Retrieval matches folded text already; the
language model does not: a 1.5B model reads "viet nam chap thuan bao nhieu khuyen nghi" as far
from sources that say "Việt Nam chấp thuận 241 khuyến nghị" and answers that they do not say.
The passages found for the question spell its words with their diacritics, so a run of up to
three syllables that the passages spell (almost) always one way takes that spelling. A single
syllable is too ambiguous ("nhieu" is "nhiều" and "nhiêu", "chu" is "chu" and "chủ"), so only
phrases of two or three are restored; the rest stays as typed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from index.tokenize import PHRASE_BREAK, WORD, fold

MAX_SYLLABLES = 3
# A phrase takes the passages' spelling when at least this share of its occurrences agree.
PHRASE_AGREEMENT = 0.8


def has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()


def _spellings(texts: Iterable[str]) -> dict[str, Counter[str]]:
    """Folded phrase of 2..3 syllables → how often the texts spell it each way (lower-cased)."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        for segment in PHRASE_BREAK.split(text):
            words = segment.lower().split()
            for n in range(2, MAX_SYLLABLES + 1):
                for i in range(len(words) - n + 1):
                    phrase = " ".join(words[i : i + n])
                    table[fold(phrase)][phrase] += 1
    return table


def _with_case(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    return word.capitalize() if like[:1].isupper() else word


def restore_diacritics(question: str, texts: Iterable[str]) -> str:
    """``question`` with the diacritics ``texts`` agree on; unchanged if it has any already."""
    if has_diacritics(question):
        return question
    tokens = list(WORD.finditer(question))
    if not tokens:
        return question
    table = _spellings(texts)
    # Every run of 2..3 syllables the passages agree on spells its syllables; longer runs first.
    spelled: list[str | None] = [None] * len(tokens)
    for n in range(MAX_SYLLABLES, 1, -1):
        for i in range(len(tokens) - n + 1):
            run = tokens[i : i + n]
            if any(question[a.end() : b.start()].strip() for a, b in zip(run, run[1:], strict=False)):
                continue  # punctuation between the words: not one phrase
            forms = table.get(" ".join(t.group().lower() for t in run))
            if not forms:
                continue
            form, count = forms.most_common(1)[0]
            if count / sum(forms.values()) < PHRASE_AGREEMENT:
                continue
            for j, word in enumerate(form.split()):
                if spelled[i + j] is None:
                    spelled[i + j] = word
    out, last = [], 0
    for token, word in zip(tokens, spelled, strict=True):
        if word is not None:
            out.append(question[last : token.start()] + _with_case(word, token.group()))
            last = token.end()
    return "".join(out) + question[last:]
