"""The eval runner end to end: the shipped set as CI's regression gate, and a tiny set that
must be caught regressing against a better baseline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLE, SEED_241

pytestmark = pytest.mark.slow
SUMMARY_KEYS = {
    "n",
    "n_answerable",
    "n_unanswerable",
    "hit@1",
    "hit@3",
    "hit@5",
    "mrr",
    "ndcg@10",
    "must_contain_recall",
    "refusal_accuracy",
    "false_refusal_rate",
    "citation_precision",
    "cited_share",
    "evidence_recall@5",
    "context_recall",
    "latency_p50_s",
    "latency_p95_s",
}


def _eval(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", "eval", *args], capture_output=True, text=True, timeout=1800, cwd=REPO
    )


def test_shipped_set_has_no_regression_against_the_baseline(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _eval(
        "--corpus",
        str(SAMPLE),
        "--corpus",
        str(REPO / "evals" / "corpus"),
        "--backend",
        "extractive",
        "--out",
        str(out),
        "--json",
        str(tmp_path / "summary.json"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["overall"]) == SUMMARY_KEYS and summary["overall"]["n"] >= 60
    assert {"cross_lingual", "no_diacritics", "unanswerable"} <= set(summary["by_type"])
    assert summary["fingerprint"]["documents"] == 16 and summary["backend"] == "extractive"
    assert summary["overall"]["hit@5"] >= 0.9
    assert (out / "report.md").exists() and (out / "metrics_by_type.png").stat().st_size > 1000
    assert len((out / "questions.jsonl").read_text(encoding="utf-8").splitlines()) == summary["overall"]["n"]


# The local model's gate: every 8th question (21 of them, three of each type) against the committed
# baseline of the same 21. Greedy decoding follows the CPU's floating-point rounding, so another
# CPU may word a close call differently: the gate lets two of the 18 answerable questions change and
# catches what matters (the model refusing, misciting or losing a type of question).
LOCAL_EVERY, LOCAL_TOLERANCE = 8, 0.15


def test_local_model_quick_run_has_no_regression_against_its_baseline(tmp_path: Path) -> None:
    baseline = REPO / "evals" / "baseline" / f"local-every{LOCAL_EVERY}.json"
    assert baseline.exists(), "the local model's gate needs its committed baseline"
    result = _eval(
        "--corpus", str(SAMPLE), "--corpus", str(REPO / "evals" / "corpus"), "--backend", "local",
        "--every", str(LOCAL_EVERY), "--tolerance", str(LOCAL_TOLERANCE), "--out", str(tmp_path / "out"),
        "--json", str(tmp_path / "summary.json"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    saved = json.loads(baseline.read_text(encoding="utf-8"))
    assert summary["backend"] == "local" and summary["question_set"] == saved["question_set"]
    assert {"unanswerable", "multi_doc", "cross_lingual"} <= set(summary["by_type"])


def test_a_drop_against_the_baseline_fails_and_names_the_questions(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SAMPLE / SEED_241, corpus / SEED_241)
    items = [
        {
            "id": "q-241",
            "question": "Việt Nam chấp thuận bao nhiêu khuyến nghị UPR chu kỳ III?",
            "language": "vi",
            "answer": "241",
            "must_contain": ["241"],
            "source_ids": [SEED_241],
            "type": "numeric",
            "evidence": ["Việt Nam chấp thuận 241 khuyến nghị trên tổng số 291 khuyến nghị"],
        },
        {
            "id": "q-none",
            "question": "Việt Nam chấp thuận bao nhiêu khuyến nghị UPR chu kỳ IV?",
            "language": "vi",
            "answer": "Không có trong tài liệu.",
            "must_contain": [],
            "source_ids": [],
            "type": "unanswerable",
            "evidence": [],
        },
    ]
    eval_set = tmp_path / "set.jsonl"
    eval_set.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items), encoding="utf-8")
    first = _eval(
        "--set",
        str(eval_set),
        "--corpus",
        str(corpus),
        "--out",
        str(tmp_path / "a"),
        "--baseline",
        str(tmp_path / "base.json"),
        "--save-baseline",
    )
    assert first.returncode == 0, first.stderr[-2000:]
    baseline = json.loads((tmp_path / "base.json").read_text(encoding="utf-8"))
    assert baseline["by_type"]["numeric"]["must_contain_recall"] == 1.0
    baseline["overall"]["refusal_accuracy"] = 1.0  # pretend the past was better
    baseline["by_type"]["unanswerable"]["refusal_accuracy"] = 1.0
    (tmp_path / "base.json").write_text(json.dumps(baseline), encoding="utf-8")
    second = _eval(
        "--set",
        str(eval_set),
        "--corpus",
        str(corpus),
        "--out",
        str(tmp_path / "b"),
        "--baseline",
        str(tmp_path / "base.json"),
    )
    if (
        baseline["overall"]["refusal_accuracy"]
        == json.loads((tmp_path / "b" / "summary.json").read_text())["overall"]["refusal_accuracy"]
    ):
        pytest.fail("the extractive backend was expected not to refuse the near-miss question")
    assert second.returncode == 1
    assert "refusal_accuracy (overall): 1.000 -> 0.000" in second.stderr and "q-none" in second.stderr
    # a quick run of every 2nd question is not compared with a baseline of the whole set
    third = _eval("--set", str(eval_set), "--corpus", str(corpus), "--out", str(tmp_path / "c"), "--every", "2",
                  "--baseline", str(tmp_path / "base.json"))  # fmt: skip
    assert third.returncode == 1 and "saved on other questions (2) than this run asked (1)" in third.stderr
    assert json.loads((tmp_path / "c" / "summary.json").read_text())["question_set"]["n"] == 1
    # ... and saving that run as the new baseline, as the message says, works
    fourth = _eval("--set", str(eval_set), "--corpus", str(corpus), "--out", str(tmp_path / "d"), "--every", "2",
                   "--baseline", str(tmp_path / "base.json"), "--save-baseline")  # fmt: skip
    assert fourth.returncode == 0, fourth.stderr[-2000:]
    assert json.loads((tmp_path / "base.json").read_text())["question_set"]["n"] == 1


def test_an_unreadable_baseline_is_reported_before_the_run(tmp_path: Path) -> None:
    broken = tmp_path / "base.json"
    broken.write_text('{"overall": ', encoding="utf-8")
    run = _eval("--corpus", str(SAMPLE), "--out", str(tmp_path / "out"), "--baseline", str(broken))
    assert run.returncode == 1 and f"cannot read the baseline {broken}" in run.stderr
    assert not re.search(r"questions: .*\d+/\d+", run.stderr), "a question was asked"  # the bar never started
    assert not (tmp_path / "out").exists()
    broken.write_text("[]", encoding="utf-8")
    run = _eval("--corpus", str(SAMPLE), "--out", str(tmp_path / "out"), "--baseline", str(broken))
    assert run.returncode == 1 and "not an eval summary" in run.stderr
