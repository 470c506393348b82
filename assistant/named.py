"""What a question names, read by rules: the States under review (and the ones only recommending),
the UPR cycles and the years; and whether a passage's document is about them, by its metadata.

Metadata is language-neutral, so this is the part of retrieval and evidence selection that works
across languages where words cannot: "Campuchia" finds the Cambodia report, "second UPR cycle"
the Vietnamese news about chu kỳ II.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from assistant.roles import reviewed_and_recommending
from assistant.text import cycles_in
from index.states import VIET_NAM, mentions_state, state_key
from index.tokenize import fold
from ingest.metadata import year_of_session

_FOLLOW_UP = re.compile(r"\b(?:implement\w*|follow[- ]?up|progress|thuc hien|trien khai)\b")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_SESSION = re.compile(
    r"\bsession (\d{1,2})\b|\b(\d{1,2})(?:st|nd|rd|th) session\b|\bkhoa (?:hop )?(?:thu )?(\d{1,2})\b"
)


@dataclass(frozen=True)
class Named:
    """The States (UN short names), UPR cycles, years and sessions a question names."""

    states: frozenset[str]
    cycles: frozenset[int]
    years: frozenset[int]
    # Implementation of one cycle's recommendations is reported in the next cycle's documents.
    later_cycles_too: bool = False
    # States named only as recommending ("What did Viet Nam recommend to Brunei?"): the
    # documents are about the others, and the answering sentences name these.
    recommenders: frozenset[str] = frozenset()
    sessions: frozenset[int] = frozenset()  # UPR Working Group sessions ("session 18", "khóa 18")

    @classmethod
    def of(cls, question: str) -> Named:
        reviewed, recommending = reviewed_and_recommending(question)
        return cls(
            reviewed,
            frozenset(cycles_in(question)),
            frozenset(int(y) for y in _YEAR.findall(question)),
            bool(_FOLLOW_UP.search(fold(question))),
            recommending,
            frozenset(int(next(g for g in m.groups() if g)) for m in _SESSION.finditer(fold(question))),
        )

    def compared(self) -> list[Named]:
        """The items a comparison names, each as its own ``Named``: two cycles, two years, or
        several States under review ("Belize in 2009 and 2013", "Brunei, Malaysia and Myanmar")."""
        if len(self.cycles) > 1:
            return [Named(self._one_state(), frozenset({c}), frozenset()) for c in sorted(self.cycles)]
        if len(self.years) > 1:
            return [Named(self._one_state(), frozenset(), frozenset({y})) for y in sorted(self.years)]
        if len(self.states) > 1:
            return [Named(frozenset({s}), self.cycles, self.years) for s in sorted(self.states)]
        return []

    def _one_state(self) -> frozenset[str]:
        # "Belize's reviews in 2009 and 2013": each item is Belize's; with several States, any
        return self.states if len(self.states) == 1 else frozenset()

    def is_about(self, meta: dict[str, Any], text: str) -> bool:
        """The passage's document is about what this names, on some criterion, and contradicts none."""
        verdicts = self.verdicts(meta, text)
        return True in verdicts and False not in verdicts

    @cached_property
    def state_keys(self) -> frozenset[str]:
        return frozenset(state_key(state) for state in self.states)

    def verdicts(self, meta: dict[str, Any], text: str) -> tuple[bool | None, bool | None]:
        """Per criterion: True (the passage is about what the question names), False (its
        metadata says it is about something else), None (the question or metadata is silent)."""
        return self._state(meta, text), self._time(meta, text)

    def _state(self, meta: dict[str, Any], text: str) -> bool | None:
        """The State a passage is about: its document's (or record's) State under review; for
        a passage without one, a named State it mentions, else Viet Nam when it is Vietnamese
        (the Vietnamese news and plans here are about Viet Nam), else unknown."""
        if not self.states:
            return None
        subject = meta.get("country") or meta.get("record_sur")
        if subject:
            return _subject_key(str(subject)) in self.state_keys
        if any(mentions_state(text, state) for state in self.states):
            return True
        return VIET_NAM in self.states if meta.get("language") == "vi" else None

    def _time(self, meta: dict[str, Any], text: str) -> bool | None:
        """A passage matches when its document's cycle is a named cycle, its document's year a
        named year, its session a named session, or the passage itself speaks of a named cycle
        (a news item filed under cycle IV may report the results of cycle III)."""
        cycle = _number(meta.get("cycle")) if self.cycles else None
        years = document_years(meta) if self.years else set()
        session = _number(meta.get("session") or meta.get("record_session")) if self.sessions else None
        if cycle is None and not years and session is None:
            return None
        later = self.later_cycles_too and cycle is not None and cycle > min(self.cycles)
        if (cycle is not None and cycle in self.cycles) or later or years & self.years or session in self.sessions:
            return True
        return bool(self.cycles and cycles_in(text) & self.cycles)


_subject_key = lru_cache(maxsize=4096)(state_key)  # every spelling of a State, one key


def document_years(meta: dict[str, Any]) -> set[int]:
    """Years a passage's document is dated to: its date's year (the ``year`` ingest stores on
    every chunk), and for a Working Group report the year its session was held."""
    return {y for y in (_number(meta.get("year")), year_of_session(_number(meta.get("session")))) if y}


def metadata_numbers(meta: dict[str, Any]) -> set[str]:
    """The numbers a passage's metadata stands for: its document's years, session and cycle."""
    values = [*document_years(meta), *(meta.get(k) for k in ("session", "record_session", "cycle"))]
    return {str(v) for v in values if v not in (None, "")}


def _number(value: object) -> int | None:
    """A whole-number metadata value (cycle, session), None when it is missing or not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.strip().isdigit() else None
