"""Split loaded documents into chunks sized for the embedding model.

llama-index's ``SentenceSplitter`` does the splitting, counting tokens with the embedding
model's own tokenizer (Vietnamese costs far more tokens in GPT tokenizers than in Gemma's).
Each numbered paragraph of a UN report (``143.12. Ratify CAT (Gabon, Mali);``) is made a
paragraph of its own, and paragraphs are never cut unless one alone exceeds the chunk size,
so a recommendation is never split in the middle. Pages of a PDF are chunked as one text
and each chunk keeps the page where it starts (and ends).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from llama_index.core.node_parser import SentenceSplitter

from ingest.loaders import LoadedDocument

# A numbered paragraph: "143.12." / "143.12 " / "12." at the start of a line, then a capital or quote.
_NUMBERED = re.compile(r"\n(?=\s*\d{1,3}(?:\.\d{1,3})*\.?\s+[\"“(A-Z])")
PARA_ID = re.compile(r"(?m)^\s*(\d{1,3}\.\d{1,3}(?:\.\d{1,3})?\.?|\d{1,3}\.)\s+[\"“(A-Z]")
PAGE_JOIN = "\n\n"


@dataclass
class Chunk:
    """A piece of a document ready to embed, with its own metadata (page, paragraphs, record)."""

    seq: int
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=4)
def token_counter(model_dir: str) -> Callable[[str], list[int]]:
    """The embedding model's tokenizer as llama-index expects it (text -> token ids)."""
    path = Path(model_dir) / "tokenizer.json"
    if path.exists():
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(path))
        return lambda text: tok.encode(text, add_special_tokens=False).ids
    # Without the model (unit tests) fall back to a conservative syllable count.
    return lambda text: text.split()


def make_splitter(chunk_size: int, chunk_overlap: int, model_dir: Path) -> SentenceSplitter:
    """SentenceSplitter with paragraph breaks at blank lines and the model's tokenizer."""
    return SentenceSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        paragraph_separator="\n\n",
        tokenizer=token_counter(str(model_dir)),
    )


def chunk_document(doc: LoadedDocument, splitter: SentenceSplitter) -> list[Chunk]:
    """Chunks of ``doc``: record sections (CSV rows) one by one, page text as one flow."""
    if any(s.extra for s in doc.sections):
        return _chunk_records(doc, splitter)
    texts = [_mark_paragraphs(s.text) for s in doc.sections]
    starts, offset = [], 0
    for text in texts:
        starts.append(offset)
        offset += len(text) + len(PAGE_JOIN)
    full = PAGE_JOIN.join(texts)
    pages = [s.page for s in doc.sections]
    chunks, cursor = [], 0
    for seq, piece in enumerate(splitter.split_text(full)):
        at = full.find(piece[:80], cursor)
        at = cursor if at < 0 else at
        cursor = at + 1
        first_i = bisect.bisect_right(starts, at) - 1
        last_i = bisect.bisect_right(starts, at + len(piece) - 1) - 1
        meta: dict[str, Any] = {"page": pages[first_i] or 0, "page_end": pages[last_i] or 0, **_paragraphs(piece)}
        if last_i > first_i:  # where each later page begins inside the chunk, for exact citations
            meta["page_map"] = ";".join(f"{starts[i] - at}:{pages[i]}" for i in range(first_i + 1, last_i + 1))
        chunks.append(Chunk(seq, piece, meta))
    return chunks


def page_at(metadata: dict[str, Any], offset: int) -> int | None:
    """The page of the character at ``offset`` of a chunk's text."""
    page = int(metadata.get("page") or 0) or None
    for item in str(metadata.get("page_map") or "").split(";"):
        if ":" in item:
            start, number = item.split(":")
            if offset >= int(start):
                page = int(number)
    return page


def _chunk_records(doc: LoadedDocument, splitter: SentenceSplitter) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in doc.sections:
        for piece in splitter.split_text(section.text):
            chunks.append(Chunk(len(chunks), piece, {"page": section.page or 0, **section.extra}))
    return chunks


def _mark_paragraphs(text: str) -> str:
    """Put every numbered paragraph after a blank line so the splitter treats it as a unit."""
    return re.sub(r"\n{3,}", "\n\n", _NUMBERED.sub("\n\n", text)).strip()


def _paragraphs(text: str) -> dict[str, str]:
    ids = PARA_ID.findall(text)
    ids = [i.rstrip(".") for i in ids]
    return {"para_first": ids[0], "para_last": ids[-1]} if ids else {}
