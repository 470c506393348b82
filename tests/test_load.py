"""A bounded load test: `upr serve` on the sample, many gradio_client users at once.

The full-size run (20 users x 5 questions) is benchmarks/load_bench.py; this one keeps the
same path (real `upr serve`, real embedding model, queue, /ask API) small enough for CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.load_bench import differing_answers, index_sample, run_load, serve, summary

pytestmark = pytest.mark.slow
USERS, PER_USER = 12, 2


def test_concurrent_users_all_get_cited_answers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    report = index_sample(data)
    assert report["failed"] == 0 and report["indexed"] == 7, report["files"]
    # Two answers at a time: the queue and answering in parallel threads are both exercised.
    with serve(data, concurrency=2) as url:
        outcomes = run_load(url, USERS, PER_USER)
    result = summary(outcomes, 1.0)
    assert result["requests"] == USERS * PER_USER
    assert result["errors"] == 0, result["error_samples"]
    assert result["without_citations"] == 0 and result["refused"] == 0
    for outcome in outcomes:
        sources = {s["chunk_id"] for s in outcome.answer["sources"]}
        assert {c["chunk_id"] for c in outcome.answer["citations"]} <= sources, outcome.question
    assert differing_answers(outcomes) == []  # an answer does not depend on who else is asking
    assert any("241" in o.answer["answer"] for o in outcomes if "chấp thuận bao nhiêu" in o.question)
