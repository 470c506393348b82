"""The readable side of an eval run: ``report.md`` and a chart of the metrics by type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.metrics import QuestionRecord, Regression

SHOWN = [
    "hit@1",
    "hit@5",
    "mrr",
    "must_contain_recall",
    "refusal_accuracy",
    "false_refusal_rate",
    "citation_precision",
    "cited_share",
    "evidence_recall@5",
    "context_recall",
]


def _fmt(value: Any) -> str:
    return "–" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


def _table(rows: dict[str, dict[str, Any]], metrics: list[str]) -> list[str]:
    lines = ["| scope | n | " + " | ".join(metrics) + " |", "|---" * (len(metrics) + 2) + "|"]
    for scope, m in rows.items():
        lines.append(f"| {scope} | {m.get('n')} | " + " | ".join(_fmt(m.get(k)) for k in metrics) + " |")
    return lines


def write_report(
    out_dir: Path, summary: dict[str, Any], records: list[QuestionRecord], regressions: list[Regression]
) -> None:
    """report.md (tables, regressions, failures) and metrics_by_type.png."""
    chart = _chart(out_dir / "metrics_by_type.png", summary)
    o = summary["overall"]
    lines = [
        f"# Evaluation report ({summary.get('backend')}, {summary.get('mode')})",
        "",
        f"Index: {summary['fingerprint'].get('documents')} documents, {summary['fingerprint'].get('chunks')} chunks; "
        f"latency p50 {_fmt(o.get('latency_p50_s'))} s, p95 {_fmt(o.get('latency_p95_s'))} s.",
        "",
        "## Overall and by language",
        "",
        *_table({"overall": o, **{f"lang:{k}": v for k, v in summary["by_language"].items()}}, SHOWN),
        "",
        "## By question type",
        "",
        *_table(summary["by_type"], SHOWN),
        "",
    ]
    if chart:
        lines += [f"![metrics by type]({chart.name})", ""]
    lines += ["## Regressions against the baseline", ""]
    lines += [f"- {r.metric} ({r.scope}): {r.before:.3f} → {r.after:.3f}" for r in regressions] or ["none"]
    misses = [r for r in records if r.answerable and r.verdicts.get("hit@5") == 0]
    wrong = [r for r in records if r.answerable and (r.verdicts.get("must_contain_recall") or 0) < 1]
    lines += [
        "",
        "## Questions to look at",
        "",
        "Retrieval misses (no source document in the top 5): " + (", ".join(r.id for r in misses) or "none"),
        "",
        "Answers missing a key fact: " + (", ".join(r.id for r in wrong) or "none"),
        "",
    ]
    (out_dir / "report.md").write_text("\n".join(lines), encoding="utf-8")


def _chart(path: Path, summary: dict[str, Any]) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    types = list(summary["by_type"])
    metrics = ["hit@5", "mrr", "must_contain_recall", "cited_share", "refusal_accuracy"]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(metrics)
    for i, metric in enumerate(metrics):
        values = [summary["by_type"][t].get(metric) or 0.0 for t in types]
        ax.bar([x + i * width for x in range(len(types))], values, width, label=metric)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(types))], types, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.set_title(f"Metrics by question type ({summary.get('backend')})")
    ax.legend(fontsize=8, ncol=len(metrics), loc="upper center", bbox_to_anchor=(0.5, -0.18))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
