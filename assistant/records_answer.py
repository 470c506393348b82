"""Exact answers to counting and listing questions from the recommendation records.

The answer says what the figure is based on (which report or dataset, which session) and
cites the records themselves ("A/HRC/26/6, para. 143.12 (p. 21)"). The two kinds of source
count different things and are never added together: a Working Group report lists each
recommendation once with all its recommending States; UPR Info repeats a joint
recommendation once per recommending State.
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import Any

from assistant.records_route import RecordsQuestion
from assistant.types import Answer, Citation, Passage
from index.catalog import Catalog
from index.records import RecordFilter, RecordStore

MAX_CITED = 8  # records cited in one answer; the full list is `upr recs` / the Recommendations tab
MAX_LISTED = 12

_WORDS = {
    "vi": {"supported": "chấp thuận", "noted": "ghi nhận", "pending": "chưa có trả lời", "rec": "khuyến nghị",
           "more": "và {n} khuyến nghị khác", "full": "Danh sách đầy đủ: tab Khuyến nghị hoặc lệnh `upr recs {args}`.",
           "states": "quốc gia khuyến nghị", "none": "không có khuyến nghị nào"},
    "en": {"supported": "supported", "noted": "noted", "pending": "pending", "rec": "recommendations",
           "more": "and {n} more", "full": "Full list: the Recommendations tab or `upr recs {args}`.",
           "states": "recommending States", "none": "no recommendations"},
}  # fmt: skip


def answer_from_records(
    store: RecordStore, catalog: Catalog, rq: RecordsQuestion, question: str, language: str
) -> Answer | None:
    """The exact answer, or None when the records cannot answer it (then normal retrieval does)."""
    flt = rq.filter
    scope = flt.with_(response=None)
    sources = store.breakdown(scope)
    if not sources:
        # Zero is an answer only when the review itself is in the records ("did Germany recommend ... ?")
        # and no theme is asked for: a theme is matched by words, so finding none proves nothing.
        if not flt.sur or flt.text:
            return None
        review = store.breakdown(RecordFilter(sur=flt.sur, cycle=flt.cycle, session=flt.session, year=flt.year))
        return _zero_answer(question, language, rq, review) if review else None
    if flt.response and all(s["pending"] == s["total"] for s in sources):
        return None  # the records only say "pending": maybe the news or an addendum has the responses
    lang = language if language in _WORDS else "en"
    cited: list[dict[str, Any]] = []
    lines: list[str] = []
    for src in sources:
        if flt.response and src["pending"] == src["total"]:
            lines.append(_pending_line(src, lang))
            continue
        of_source = flt.with_(doc_id=src["doc_id"], sur=src["state_under_review"], session=src["session"])
        src_rows = store.query(of_source, limit=MAX_LISTED + 1)  # +1: tells whether there are more
        marks = _cite(cited, src_rows[: 2 if rq.intent == "count" else MAX_CITED])
        lines.append(_basis_line(src, flt, lang, marks))
        if rq.intent == "list_states":
            ranking = store.states_ranking(of_source)
            names = ", ".join(f"{s} ({n})" if n > 1 else s for s, n in ranking[:40])
            more = f" … (+{len(ranking) - 40})" if len(ranking) > 40 else ""
            lines.append(f"  {_WORDS[lang]['states']} ({len(ranking)}): {names}{more}")
        elif rq.intent == "list_recs":
            for r in src_rows[:MAX_LISTED]:
                n = _cite(cited, [r])
                states = ", ".join(r["recommending_states"])
                lines.append(f"  - {r['text']} ({states}) — {_WORDS[lang][r['response']]} {n}")
            if len(src_rows) > MAX_LISTED:
                lines.append("  " + _WORDS[lang]["more"].format(n=src[flt.response or "total"] - MAX_LISTED))
    lines.append(_WORDS[lang]["full"].format(args=_cli_args(flt)))
    return _answer(question, "\n".join(lines), cited, catalog, rq)


def _zero_answer(question: str, language: str, rq: RecordsQuestion, review: list[dict[str, Any]]) -> Answer:
    lang = language if language in _WORDS else "en"
    lines = [f"{_where_text(src, lang)}: {_WORDS[lang]['none']} {_filter_text(rq.filter, lang)} (0 / {src['total']})."
             for src in review]  # fmt: skip
    return Answer(question=question, answer="\n".join(lines), refused=False, backend="records",
                  notes=["answered from the recommendation records (none match)"])  # fmt: skip


def _cite(cited: list[dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    marks = []
    for r in rows:
        if len(cited) >= MAX_CITED and r not in cited:
            break
        if r not in cited:
            cited.append(r)
        marks.append(f"[{cited.index(r) + 1}]")
    return "".join(marks)


def _where_text(src: dict[str, Any], lang: str) -> str:
    sur = src["state_under_review"] or "?"
    session = src["session"]
    if src["kind"] == "wg_report":
        symbol = src["report_symbol"] or src["source"]
        return (f"Báo cáo của Nhóm công tác {symbol} ({sur}, phiên {session}, chu kỳ {src['cycle']})" if lang == "vi"
                else f"Working Group report {symbol} ({sur}, session {session}, cycle {src['cycle']})")  # fmt: skip
    return (f"Cơ sở dữ liệu UPR Info {src['source']} ({sur}, phiên {session})" if lang == "vi"
            else f"UPR Info database {src['source']} ({sur}, session {session})")  # fmt: skip


def _filter_text(flt: RecordFilter, lang: str) -> str:
    parts = []
    if flt.from_state:
        parts.append(f"từ {flt.from_state}" if lang == "vi" else f"from {flt.from_state}")
    if flt.text:
        theme = flt.text.replace("*", "").replace(" ; ", "; ")
        parts.append(f"có từ khóa “{theme}”" if lang == "vi" else f"matching “{theme}”")
    if flt.year:
        parts.append(f"năm {flt.year}" if lang == "vi" else f"in {flt.year}")
    return " ".join(parts)


def _pending_line(src: dict[str, Any], lang: str) -> str:
    if lang == "vi":
        return f"{_where_text(src, lang)}: {src['total']} khuyến nghị, báo cáo chưa ghi trả lời của quốc gia."
    return f"{_where_text(src, lang)}: {src['total']} recommendations; the report does not record the responses."


def _basis_line(src: dict[str, Any], flt: RecordFilter, lang: str, marks: str) -> str:
    w = _WORDS[lang]
    where = _where_text(src, lang)
    split = ", ".join(f"{src[k]} {w[k]}" for k in ("supported", "noted", "pending") if src[k])
    flt_text = _filter_text(flt, lang)
    flt_text = f" {flt_text}" if flt_text else ""
    if flt.response:
        n = src[flt.response]
        lead = f"{n} {w['rec']}{flt_text} {w[flt.response]}" + (f" / {src['total']}")
    else:
        lead = f"{src['total']} {w['rec']}{flt_text}"
    if src["kind"] == "upr_info":
        distinct = src["distinct_texts"]
        lead += (f" (số dòng: mỗi quốc gia khuyến nghị một dòng; {distinct} nội dung khác nhau)" if lang == "vi"
                 else f" (rows: one per recommending State; {distinct} distinct texts)")  # fmt: skip
    return f"{where}: {lead} — {split} {marks}".rstrip()


def _cli_args(flt: RecordFilter) -> str:
    args = []
    for name, opt in (("sur", "--sur"), ("from_state", "--from"), ("response", "--response"), ("cycle", "--cycle"),
                      ("session", "--session"), ("year", "--year"), ("text", "--text")):  # fmt: skip
        value = getattr(flt, name)
        if value is not None:
            args.append(f'{opt} "{value}"' if isinstance(value, str) and " " in value else f"{opt} {value}")
    return " ".join(args)


def _answer(question: str, text: str, cited: list[dict[str, Any]], catalog: Catalog, rq: RecordsQuestion) -> Answer:
    chunks = catalog.get_chunks([r["chunk_id"] for r in cited if r.get("chunk_id")])
    citations, passages = [], []
    for n, r in enumerate(cited, 1):
        chunk = chunks.get(r.get("chunk_id") or "")
        title = r["report_symbol"] or f"UPR Info {r['source']}"
        quote = r["full_text"] or r["text"]
        citations.append(Citation(n=n, chunk_id=r.get("chunk_id") or "", source=r["source"], title=title,
                                  page=r["page"], quote=quote, locator=r["citation"]))  # fmt: skip
        if chunk and all(p.chunk_id != chunk.chunk_id for p in passages):
            passages.append(Passage(chunk.chunk_id, chunk.text, 1.0, dict(chunk.metadata)))
    return Answer(question=question, answer=text, refused=False, citations=citations, passages=passages,
                  backend="records", notes=[f"answered from the recommendation records ({rq.intent})"])  # fmt: skip


def combine(documents: Answer, records: Answer) -> Answer:
    """A counting answer: what the documents say (official figures are often stated in them),
    then what the records count, with the records' citations numbered after the documents'."""
    if documents.refused:
        records.timings.update(documents.timings)
        return records
    shift = max((c.n for c in documents.citations), default=0)
    text = re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + shift}]", records.answer)
    merged = copy.copy(documents)
    merged.answer = f"{documents.answer}\n\n{text}"
    merged.citations = [*documents.citations, *(replace(c, n=c.n + shift) for c in records.citations)]
    seen = {p.chunk_id for p in documents.passages}
    merged.passages = [*documents.passages, *(p for p in records.passages if p.chunk_id not in seen)]
    merged.notes = [*documents.notes, *records.notes]
    return merged
