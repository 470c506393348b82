"""Recommendation records of an ingested document, each linked to the chunk that holds it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.chunking import Chunk
from ingest.loaders import LoadedDocument
from ingest.recommendations import Recommendation, csv_records, parse_wg_report

# "143.12." at the start of a line (the chunker puts each numbered paragraph on its own).
_PARA_RE = re.compile(r"(?m)^\s*(\d{1,3}\s?[.\-]\s?\d{1,3})\.?\s")


def records_for(doc: LoadedDocument, chunks: Sequence[Chunk], doc_id: str) -> tuple[str, list[Recommendation]]:
    """(kind, records) for a Working Group report or a UPR Info export; ('', []) for anything else."""
    doc_type = doc.metadata.get("doc_type")
    if doc_type == "recommendations" and any("record_sur" in s.extra for s in doc.sections):
        kind, records = "upr_info", csv_records(doc)
        by_row = {c.metadata.get("row"): c.seq for c in chunks if c.metadata.get("row") is not None}
        for r in records:
            if r.row in by_row:
                r.chunk_id = f"{doc_id}:{by_row[r.row]}"
        return kind, records
    if doc_type != "wg_report":
        return "", []
    records = parse_wg_report(doc)
    by_para: dict[str, int] = {}
    for c in chunks:
        for found in _PARA_RE.findall(c.text):
            by_para.setdefault(re.sub(r"\s?[.\-]\s?", ".", found), c.seq)
    for r in records:
        seq = by_para.get(r.para_id)
        if seq is None and r.page:  # paragraph number not found as printed: the chunk of its page
            seq = next((c.seq for c in chunks if int(c.metadata.get("page") or 0) <= r.page
                        <= int(c.metadata.get("page_end") or c.metadata.get("page") or 0)), None)  # fmt: skip
        if seq is not None:
            r.chunk_id = f"{doc_id}:{seq}"
    return "wg_report", records
