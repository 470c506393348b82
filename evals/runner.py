"""Run the eval set against the assistant: retrieval, answers, citations, refusals, latency.

Writes a result folder (config, per-question JSONL, ``summary.json``, ``report.md`` with a
chart) and compares with a baseline summary: a drop beyond the tolerance is a regression.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.config import QueryOptions, Settings
from assistant.errors import AssistantError
from assistant.service import Assistant
from evals.dataset import EvalItem, load_eval_set
from evals.metrics import QuestionRecord, Regression, compare, score_item, summarize
from evals.report import write_report

log = logging.getLogger(__name__)
EVALS_DIR = Path(__file__).resolve().parent
DEFAULT_SET = EVALS_DIR / "datasets" / "upr_eval.jsonl"
DEFAULT_BASELINE = EVALS_DIR / "baseline" / "summary.json"
RETRIEVAL_DEPTH = 10  # nDCG@10 needs ten ranked passages


@dataclass
class EvalConfig:
    """Everything that defines a run (written to the result folder)."""

    eval_set: str = str(DEFAULT_SET)
    corpus: list[str] = field(default_factory=list)
    backend: str = "extractive"
    k: int = 5
    mode: str = "hybrid"
    tolerance: float = 0.02
    every: int = 1  # every N-th question of the set: a quick run that still spans every type


@dataclass
class EvalResult:
    summary: dict[str, Any]
    records: list[QuestionRecord]
    regressions: list[Regression]
    out_dir: Path
    ingest: dict[str, Any] | None = None


def run_eval(
    settings: Settings,
    config: EvalConfig,
    out_dir: Path,
    baseline: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EvalResult:
    """Evaluate the current index, or a fresh temporary one built from ``config.corpus``."""
    try:
        items = load_eval_set(config.eval_set)
    except (ValueError, OSError) as exc:
        raise AssistantError(f"cannot use the eval set: {exc}") from exc
    if config.every < 1:
        raise AssistantError(f"every must be 1 or more, not {config.every}")
    items = items[:: config.every]
    stored = _read_baseline(baseline)  # before the run: an unreadable baseline must not cost one
    tmp_dir = Path(tempfile.mkdtemp(prefix="upr-eval-")) if config.corpus else None
    # On a shared Chroma server the temporary index needs a collection of its own (two runs
    # at once must not mix), dropped afterwards like the temporary data dir.
    # (A uuid, not the folder's random name: that may end in "_", which Chroma refuses.)
    collection = f"eval-{uuid.uuid4().hex[:16]}"
    run_settings = settings.replace(data_dir=tmp_dir, collection=collection) if tmp_dir else settings
    assistant = Assistant(run_settings)
    try:
        ingest = None
        if config.corpus:
            report = assistant.ingest([Path(c) for c in config.corpus])
            ingest = report.to_dict()
            if report.by_status("failed"):
                ingest["warning"] = "some corpus files failed to ingest"
        records = [_one(assistant, item, config) for item in _progress(items, progress)]
        summary = summarize(records)
        summary.update(
            fingerprint=assistant.fingerprint(),
            backend=config.backend,
            mode=config.mode,
            question_set=question_set(items),
        )
    finally:
        if tmp_dir:
            try:
                _drop_temporary(assistant)
            finally:
                shutil.rmtree(tmp_dir, ignore_errors=True)
    previous = _comparable(stored, summary)
    regressions = compare(summary, previous, config.tolerance) if previous else []
    _write(out_dir, config, records, summary, regressions, ingest)
    if previous and previous.get("question_set", summary["question_set"]) != summary["question_set"]:
        raise AssistantError(
            f"the baseline {baseline} was saved on other questions ({previous['question_set']['n']}) than "
            f"this run asked ({summary['question_set']['n']}): compare with a baseline of the same set "
            f"(--baseline), or save this run as the new one (--save-baseline); results: {out_dir}"
        )
    return EvalResult(summary, records, regressions, out_dir, ingest)


def question_set(items: list[EvalItem]) -> dict[str, Any]:
    """What identifies the questions a run asked: how many, and a digest of their ids and text."""
    digest = hashlib.sha256("\n".join(f"{i.id}\t{i.question}" for i in items).encode("utf-8"))
    return {"n": len(items), "sha256": digest.hexdigest()[:16]}


def _drop_temporary(assistant: Assistant) -> None:
    """Remove the temporary index's collection from a Chroma server (embedded: goes with the dir)."""
    if not assistant.settings.chroma_url:
        return
    try:
        assistant.vectors.drop()
    except AssistantError as exc:
        log.warning("could not drop the temporary collection %s: %s", assistant.settings.collection, exc)


def _progress(items: list[EvalItem], progress: Callable[[int, int], None] | None) -> Any:
    for i, item in enumerate(items):
        if progress:
            progress(i, len(items))
        yield item
    if progress:
        progress(len(items), len(items))


def _one(assistant: Assistant, item: EvalItem, config: EvalConfig) -> QuestionRecord:
    ranked = assistant.search(item.question, QueryOptions(top_k=RETRIEVAL_DEPTH, mode=config.mode))  # type: ignore[arg-type]
    t0 = time.monotonic()
    answer = assistant.ask(item.question, QueryOptions(top_k=config.k, backend=config.backend, mode=config.mode))  # type: ignore[arg-type]
    latency = time.monotonic() - t0
    cited = {c.n: c for c in answer.citations}
    citations = [
        {"source": c.source, "quote": c.quote, "text": _passage_text(answer, c.chunk_id), "n": n}
        for n, c in cited.items()
    ]
    record = score_item(
        item,
        [p.file_name for p in ranked],
        answer.answer,
        answer.refused,
        citations,
        latency,
        passages=[p.text for p in ranked],
        context=answer.context or None,  # a records answer reads no passages
    )
    record.verdicts["timings"] = answer.timings  # type: ignore[assignment]
    record.verdicts["notes"] = answer.notes  # type: ignore[assignment]
    record.verdicts["evidence"] = answer.evidence  # type: ignore[assignment]
    return record


def _passage_text(answer: Any, chunk_id: str) -> str:
    return next((p.text for p in answer.passages if p.chunk_id == chunk_id), "")


def _read_baseline(baseline: Path | None) -> dict[str, Any] | None:
    """The stored baseline summary; None if there is none."""
    if not baseline or not baseline.exists():
        return None
    try:
        previous = json.loads(baseline.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise AssistantError(f"cannot read the baseline {baseline}: {exc}") from exc
    if not isinstance(previous, dict) or not isinstance(previous.get("overall"), dict):
        raise AssistantError(f"cannot read the baseline {baseline}: not an eval summary (no 'overall' scores)")
    return previous


def _comparable(previous: dict[str, Any] | None, summary: dict[str, Any]) -> dict[str, Any] | None:
    """The baseline to compare with; None if there is none of this run's backend and mode."""
    if previous is None:
        return None
    if previous.get("backend") != summary.get("backend") or previous.get("mode", "hybrid") != summary.get("mode"):
        return None  # a baseline of another backend is not comparable
    return previous


def _write(
    out_dir: Path,
    config: EvalConfig,
    records: list[QuestionRecord],
    summary: dict[str, Any],
    regressions: list[Regression],
    ingest: dict[str, Any] | None,
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.json").write_text(json.dumps(asdict(config), indent=2), encoding="utf-8")
    with (out_dir / "questions.jsonl").open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(asdict(r), ensure_ascii=False) + "\n")
    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    if ingest:
        (out_dir / "ingest.json").write_text(json.dumps(ingest, ensure_ascii=False, indent=2), encoding="utf-8")
    write_report(out_dir, summary, records, regressions)


def failing_questions(records: list[QuestionRecord], regression: Regression) -> list[str]:
    """Questions in the regression's scope that fail its metric (to say *where* it dropped)."""
    scope_kind, _, scope_value = regression.scope.partition(":")
    key = {
        "mrr": "rr",
        "cited_share": "has_valid_citation",
        "refusal_accuracy": "refusal_correct",
        "false_refusal_rate": "false_refusal",
    }.get(regression.metric, regression.metric)
    out = []
    for r in records:
        if scope_kind == "type" and r.type != scope_value or scope_kind == "language" and r.language != scope_value:
            continue
        value = r.verdicts.get(key)
        bad = value is True if key == "false_refusal" else value is not None and value is not True and value < 1
        if bad:
            out.append(r.id)
    return out
