"""Deterministic eval metrics: document retrieval, key facts, refusals, citations, latency.

Pure functions, no LLM judge. Retrieval is scored at document level: the retrieved chunk
list is reduced to distinct file names in first-seen order before any rank is computed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, NamedTuple

from evals.dataset import EvalItem, normalize_for_match, text_contains

Citation = Mapping[str, Any]

HIGHER_IS_BETTER = (
    "hit@1",
    "hit@3",
    "hit@5",
    "mrr",
    "ndcg@10",
    "must_contain_recall",
    "refusal_accuracy",
    "citation_precision",
    "cited_share",
    "evidence_recall@5",
    "context_recall",
)
LOWER_IS_BETTER = ("false_refusal_rate",)
LATENCY_METRICS = ("latency_p50_s", "latency_p95_s")
# Latency is noisy: only a rise of both +50 % and +1 s counts as a regression.
LATENCY_RELATIVE_TOLERANCE = 0.5
LATENCY_ABSOLUTE_TOLERANCE_S = 1.0


def _file_name(source: str) -> str:
    """Base name of a source that may be given as a path."""
    return PurePath(source).name


def unique_docs(retrieved: Sequence[str]) -> list[str]:
    """Distinct file names in rank order, each kept at its first (best) position."""
    seen: dict[str, None] = {}
    for source in retrieved:
        seen.setdefault(_file_name(source), None)
    return list(seen)


def hit_at_k(retrieved: Sequence[str], relevant: set[str], k: int) -> float:
    """1.0 if a relevant document is among the first k distinct documents, else 0.0."""
    return 1.0 if any(doc in relevant for doc in unique_docs(retrieved)[:k]) else 0.0


def reciprocal_rank(retrieved: Sequence[str], relevant: set[str]) -> float:
    """1 / rank of the first relevant distinct document; 0.0 when none is retrieved."""
    for rank, doc in enumerate(unique_docs(retrieved), start=1):
        if doc in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(retrieved: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """Binary-relevance nDCG@k over distinct documents; 0.0 when nothing is relevant."""
    if not relevant:
        return 0.0
    docs = unique_docs(retrieved)[:k]
    dcg = sum(1.0 / math.log2(rank + 1) for rank, doc in enumerate(docs, 1) if doc in relevant)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def must_contain_recall(answer: str, must_contain: Sequence[str]) -> float:
    """Share of key facts found in the answer (lenient match); 1.0 for an empty list."""
    if not must_contain:
        return 1.0
    found = sum(1 for fact in must_contain if text_contains(answer, fact))
    return found / len(must_contain)


def _squeezed(text: str) -> str:
    """Folded text without any whitespace: PDF extraction splits and joins words differently
    ("measure s", "bett erment"), so an evidence sentence is matched letter for letter."""
    return "".join(normalize_for_match(text).split())


def evidence_recall(evidence: Sequence[str], passages: Sequence[str]) -> float | None:
    """Share of the evidence sentences that some passage contains (passage-level recall: for a
    multi-document item, were the passages of every compared item retrieved?); None without evidence."""
    if not evidence:
        return None
    texts = [_squeezed(p) for p in passages]
    return sum(1 for e in evidence if any(_squeezed(e) in t for t in texts)) / len(evidence)


def context_recall(must_contain: Sequence[str], context: Sequence[str]) -> float | None:
    """Share of the key facts in what the answering backend read (the windows shown to the
    model): a fact missing here cannot be in a grounded answer; None without key facts."""
    if not must_contain:
        return None
    joined = "\n".join(context)
    return sum(1 for fact in must_contain if text_contains(joined, fact)) / len(must_contain)


def refusal_correct(item: EvalItem, refused: bool) -> bool | None:
    """For an unanswerable item, whether the system refused; None for answerable items."""
    return None if item.answerable else refused


def false_refusal(item: EvalItem, refused: bool) -> bool | None:
    """For an answerable item, whether the system wrongly refused; None otherwise."""
    return refused if item.answerable else None


def _citation_text(citation: Citation) -> str:
    """The quoted passage of a citation, under either key the system may use."""
    return str(citation.get("quote") or citation.get("text") or "")


def citation_is_valid(citation: Citation, item: EvalItem) -> bool:
    """A citation names one of the item's sources and, if the item has key facts,
    quotes a passage containing at least one of them."""
    if _file_name(str(citation.get("source", ""))) not in set(item.source_ids):
        return False
    if not item.must_contain:
        return True
    quote = _citation_text(citation)
    return any(text_contains(quote, fact) for fact in item.must_contain)


def citation_precision(citations: Sequence[Citation], item: EvalItem) -> float | None:
    """Share of valid citations; None when the answer cites nothing (precision undefined)."""
    if not citations:
        return None
    return sum(1 for c in citations if citation_is_valid(c, item)) / len(citations)


def has_valid_citation(citations: Sequence[Citation], item: EvalItem) -> bool:
    """Whether at least one citation is valid for the item."""
    return any(citation_is_valid(c, item) for c in citations)


@dataclass
class QuestionRecord:
    """What the system did on one question, with the per-question verdicts."""

    id: str
    type: str
    language: str
    answerable: bool
    retrieved_files: list[str]
    relevant_files: list[str]
    answer: str
    refused: bool
    citations: list[dict[str, Any]]
    must_contain: list[str]
    latency_s: float | None
    verdicts: dict[str, float | bool | None] = field(default_factory=dict)


def _verdicts(
    item: EvalItem,
    retrieved: list[str],
    answer: str,
    refused: bool,
    citations: list[dict[str, Any]],
    passages: Sequence[str],
    context: Sequence[str] | None,
) -> dict[str, float | bool | None]:
    """Per-question scores; metrics that do not apply to the item are None."""
    if not item.answerable:
        return {"refusal_correct": refusal_correct(item, refused)}
    relevant = set(item.source_ids)
    return {
        "hit@1": hit_at_k(retrieved, relevant, 1),
        "hit@3": hit_at_k(retrieved, relevant, 3),
        "hit@5": hit_at_k(retrieved, relevant, 5),
        "rr": reciprocal_rank(retrieved, relevant),
        "ndcg@10": ndcg_at_k(retrieved, relevant, 10),
        "must_contain_recall": (
            must_contain_recall(answer, item.must_contain) if item.must_contain else None
        ),
        "false_refusal": false_refusal(item, refused),
        "citation_precision": citation_precision(citations, item),
        "has_valid_citation": has_valid_citation(citations, item),
        "evidence_recall@5": evidence_recall(item.evidence, passages[:5]),
        "context_recall": context_recall(item.must_contain, context) if context is not None else None,
    }


def score_item(
    item: EvalItem,
    retrieved_files: Sequence[str],
    answer: str,
    refused: bool,
    citations: Sequence[Citation],
    latency_s: float | None,
    passages: Sequence[str] = (),
    context: Sequence[str] | None = None,
) -> QuestionRecord:
    """Score one system response against its eval item. ``passages``: the texts of the ranked
    passages; ``context``: the texts the backend read (None when it read none, e.g. records)."""
    retrieved = [_file_name(s) for s in retrieved_files]
    cites = [dict(c) for c in citations]
    return QuestionRecord(
        id=item.id,
        type=item.type,
        language=item.language,
        answerable=item.answerable,
        retrieved_files=retrieved,
        relevant_files=list(item.source_ids),
        answer=answer,
        refused=refused,
        citations=cites,
        must_contain=list(item.must_contain),
        latency_s=latency_s,
        verdicts=_verdicts(item, retrieved, answer, refused, cites, passages, context),
    )


def _mean(values: Iterable[float | bool | None]) -> float | None:
    """Mean of the values that are not None; None if there are none."""
    present = [float(v) for v in values if v is not None]
    return sum(present) / len(present) if present else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in [0, 1]); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def aggregate(records: Sequence[QuestionRecord]) -> dict[str, float | int | None]:
    """Summary metrics: answer-side metrics over answerable items, refusal accuracy over
    unanswerable ones; a metric with no applicable item is None."""
    answerable = [r.verdicts for r in records if r.answerable]
    unanswerable = [r.verdicts for r in records if not r.answerable]
    latencies = [r.latency_s for r in records if r.latency_s is not None]
    return {
        "n": len(records),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "hit@1": _mean(v["hit@1"] for v in answerable),
        "hit@3": _mean(v["hit@3"] for v in answerable),
        "hit@5": _mean(v["hit@5"] for v in answerable),
        "mrr": _mean(v["rr"] for v in answerable),
        "ndcg@10": _mean(v["ndcg@10"] for v in answerable),
        "must_contain_recall": _mean(v["must_contain_recall"] for v in answerable),
        "refusal_accuracy": _mean(v["refusal_correct"] for v in unanswerable),
        "false_refusal_rate": _mean(v["false_refusal"] for v in answerable),
        "citation_precision": _mean(v["citation_precision"] for v in answerable),
        "cited_share": _mean(v["has_valid_citation"] for v in answerable),
        "evidence_recall@5": _mean(v["evidence_recall@5"] for v in answerable),
        "context_recall": _mean(v["context_recall"] for v in answerable),
        "latency_p50_s": percentile(latencies, 0.5),
        "latency_p95_s": percentile(latencies, 0.95),
    }


def summarize(records: Sequence[QuestionRecord]) -> dict[str, Any]:
    """Overall metrics plus the same metrics per question type and per language."""
    by_type = sorted({r.type for r in records})
    by_language = sorted({r.language for r in records})
    return {
        "overall": aggregate(records),
        "by_type": {t: aggregate([r for r in records if r.type == t]) for t in by_type},
        "by_language": {
            lang: aggregate([r for r in records if r.language == lang]) for lang in by_language
        },
    }


class Regression(NamedTuple):
    """A metric that got worse than the baseline in one scope ("overall", "type:list")."""

    metric: str
    scope: str
    before: float
    after: float


def _scopes(summary: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Flatten a summarize() result into {scope name: metrics}."""
    scopes: dict[str, Mapping[str, Any]] = {"overall": summary.get("overall", {})}
    for group, prefix in (("by_type", "type"), ("by_language", "language")):
        for key, metrics in summary.get(group, {}).items():
            scopes[f"{prefix}:{key}"] = metrics
    return scopes


def _worse(metric: str, before: float, after: float, tolerance: float) -> bool:
    """Whether moving from before to after is a regression beyond tolerance."""
    if metric in HIGHER_IS_BETTER:
        return after < before - tolerance
    if metric in LOWER_IS_BETTER:
        return after > before + tolerance
    if metric in LATENCY_METRICS:
        return (
            after > before * (1 + LATENCY_RELATIVE_TOLERANCE)
            and after - before > LATENCY_ABSOLUTE_TOLERANCE_S
        )
    return False


def _denominator(metrics: Mapping[str, Any], metric: str) -> int:
    """How many items a metric of one scope is the mean of (the scope's size if not recorded)."""
    key = "n_unanswerable" if metric == "refusal_accuracy" else "n_answerable"
    return int(metrics.get(key) or metrics.get("n") or 0)


def compare(
    summary: Mapping[str, Any], baseline: Mapping[str, Any], tolerance: float = 0.02
) -> list[Regression]:
    """Regressions of a summary against a baseline summary, in every scope both share.

    A metric is a mean over the items it applies to (refusal accuracy over the unanswerable
    ones, the rest over the answerable ones); where those are few, one question is worth more
    than ``tolerance`` (1/25 over 25 items), so there a drop counts only when it is worse than a
    single question changing its verdict (over a single item, though, any drop counts).
    """
    regressions: list[Regression] = []
    current, previous = _scopes(summary), _scopes(baseline)
    for scope in sorted(current.keys() & previous.keys()):
        for metric in HIGHER_IS_BETTER + LOWER_IS_BETTER + LATENCY_METRICS:
            before, after = previous[scope].get(metric), current[scope].get(metric)
            if before is None or after is None:
                continue
            n = _denominator(current[scope], metric)
            one_question = 1.0 / n + 1e-9 if n >= 2 else 0.0
            scope_tolerance = max(tolerance, one_question)
            if _worse(metric, float(before), float(after), scope_tolerance):
                regressions.append(Regression(metric, scope, float(before), float(after)))
    return regressions
