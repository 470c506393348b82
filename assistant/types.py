"""Plain data passed between the facade and its callers (CLI, UI, evals)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


def document_id(chunk_id: str, metadata: dict[str, Any]) -> str:
    """The document a chunk belongs to: its ``doc_id`` metadata, else its id before the last ':'."""
    return str(metadata.get("doc_id") or chunk_id.rsplit(":", 1)[0])


@dataclass
class Passage:
    """One retrieved chunk with its score and flat metadata (as stored in Chroma)."""

    chunk_id: str
    text: str
    score: float
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def file_name(self) -> str:
        return str(self.metadata.get("file_name", ""))

    @property
    def doc_id(self) -> str:
        return document_id(self.chunk_id, self.metadata)

    @property
    def title(self) -> str:
        return str(self.metadata.get("title") or self.file_name)

    @property
    def page(self) -> int | None:
        page = self.metadata.get("page")
        return int(page) if isinstance(page, (int, float)) and page > 0 else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Citation:
    """An ``[n]`` marker of an answer mapped to the passage it cites."""

    n: int
    chunk_id: str
    source: str  # file base name
    title: str
    page: int | None
    quote: str  # the passage sentence(s) that support the claim
    locator: str = ""  # human-readable place: "A/HRC/26/6, para. 143.12 (p. 21)" or "p. 3"
    valid: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    """What the assistant says, with the evidence behind it."""

    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    backend: str = ""
    standalone_question: str = ""
    notes: list[str] = field(default_factory=list)
    evidence: dict[str, float] = field(default_factory=dict)  # retrieval scores behind a refusal decision
    context: list[str] = field(default_factory=list)  # the source windows the backend read, in order
    quoted: bool = False  # the model gave no supported answer: these are the sources' own sentences

    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape of ``upr ask --json``."""
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "sources": [
                {"chunk_id": p.chunk_id, "source": p.file_name, "title": p.title, "page": p.page, "score": p.score}
                for p in self.passages
            ],
            "timings": self.timings,
            "backend": self.backend,
            "standalone_question": self.standalone_question,
            "notes": self.notes,
            "evidence": self.evidence,
            "context": self.context,
            "quoted": self.quoted,
        }
