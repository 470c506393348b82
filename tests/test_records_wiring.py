"""Recommendation records through the product: ingest writes them with the chunks, re-ingest and
removal keep them in sync, `upr recs` counts equal counts made straight from the CSV, and
counting/listing questions get exact, cited answers through `upr ask`."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.config import QueryOptions, Settings
from assistant.service import Assistant
from index.records import RecordFilter
from tests.conftest import REPO, SAMPLE, FakeEmbedder

EVAL_CSV = REPO / "evals" / "corpus" / "upr-info-sample.csv"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("recs-corpus")
    for name in ("vietnam2009.pdf", "vietnam2014.pdf", "000_437c9dafada3569e.txt"):
        shutil.copy(SAMPLE / name, folder / name)
    shutil.copy(EVAL_CSV, folder / EVAL_CSV.name)
    return folder


@pytest.fixture(scope="module")
def indexed(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    settings = Settings.from_env(data_dir=tmp_path_factory.mktemp("recs") / "data")
    assistant = Assistant(settings, embedder=FakeEmbedder())
    report = assistant.ingest([corpus])
    assert len(report.by_status("indexed")) == 4, report.summary_lines()
    return assistant


def _csv_rows(**where: str) -> list[dict[str, str]]:
    with EVAL_CSV.open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if all(r[k] == v for k, v in where.items())]


def test_ingest_writes_records_linked_to_chunks(indexed: Assistant) -> None:
    store = indexed.records
    # the per-report figures are pinned by tests/test_recommendations.py; here: all of them arrive
    assert store.count(kind="wg_report", sur="Viet Nam", session=18) == 227
    assert store.count(kind="wg_report", sur="Viet Nam", session=5) == 100
    assert store.count(kind="upr_info") == len(_csv_rows())
    status = indexed.status()["consistency"]
    assert status["ok"], status["problems"]
    assert status["records"] == store.total()
    chunks = indexed.catalog.get_chunks(sorted(store.chunk_ids()))
    assert len(chunks) == len(store.chunk_ids())  # every link points to an existing chunk
    row = store.query(sur="Viet Nam", session=18, kind="wg_report", text="crimes death penalty")[0]
    assert row["para_id"] in chunks[row["chunk_id"]].text  # ...and to the one that holds the paragraph
    csv_row = store.query(kind="upr_info", limit=1)[0]
    assert chunks[csv_row["chunk_id"]].metadata["row"] == csv_row["row"]


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (["--sur", "Vietnam"], {"To": "Viet Nam"}),
        (["--sur", "Viet Nam", "--response", "supported"], {"To": "Viet Nam", "Response": "Accepted"}),
        (["--sur", "VIET NAM", "--response", "noted"], {"To": "Viet Nam", "Response": "Noted"}),
        (["--from", "Norway"], {"From": "Norway"}),
        (["--sur", "Belize", "--session", "17"], {"To": "Belize", "Session": "17"}),
        (["--from", "United States", "--sur", "Belize"], {"From": "United States", "To": "Belize"}),
    ],
)
def test_recs_counts_equal_the_csv_rows(indexed: Assistant, args: list[str], where: dict[str, str]) -> None:
    result = CliRunner().invoke(
        main, ["recs", *args, "--kind", "upr_info", "--json", "--data-dir", str(indexed.settings.data_dir)]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["count"] == len(_csv_rows(**where)) > 0
    assert len(out["records"]) == out["count"]


def test_recs_csv_and_text_output(indexed: Assistant) -> None:
    data = ["--data-dir", str(indexed.settings.data_dir)]
    result = CliRunner().invoke(main, ["recs", "--from", "Germany", "--text", "death penalty", "--csv", *data])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.output.splitlines()))
    assert rows and all("Germany" in r["recommending_states"] and "death" in r["text"].lower() for r in rows)
    assert {r["citation"] for r in rows} >= {"A/HRC/26/6, para. 143.93 (p. 19)"}
    text = CliRunner().invoke(main, ["recs", "--sur", "Viet Nam", "--session", "18", "--limit", "2", *data])
    assert "A/HRC/26/6 — Viet Nam, session 18: 227 (227 pending)" in text.output
    assert text.output.rstrip().endswith("records, 2 shown") or "2 shown" in text.output
    bad = CliRunner().invoke(main, ["recs", "--json", "--csv", *data])
    assert bad.exit_code == 1 and "choose one" in bad.output


def test_vietnamese_counting_question_gets_an_exact_cited_answer(indexed: Assistant) -> None:
    answer = indexed.ask("Bao nhiêu khuyến nghị Việt Nam chấp thuận ở chu kỳ II?", QueryOptions(backend="extractive"))
    supported = len(_csv_rows(To="Viet Nam", Response="Accepted"))
    assert not answer.refused and any("recommendation records" in n for n in answer.notes)
    assert f"{supported} khuyến nghị chấp thuận" in answer.answer
    assert "A/HRC/26/6" in answer.answer and "upr-info-sample.csv" in answer.answer  # what the count is based on
    cited = [c for c in answer.citations if c.locator.startswith(("UPR Info", "A/HRC/"))]
    assert cited and all(c.chunk_id in {p.chunk_id for p in answer.passages} for c in answer.citations)
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.n for c in answer.citations}  # documents' and records' markers numbered as one list


def test_english_listing_question_lists_the_states(indexed: Assistant) -> None:
    answer = indexed.ask("Which States recommended Viet Nam to abolish the death penalty?")
    assert answer.backend == "records"
    expected = {r["From"] for r in _csv_rows(To="Viet Nam") if "abolish" in r["Text"].lower()
                and "death penalty" in r["Text"].lower()}  # fmt: skip
    assert expected and all(state in answer.answer for state in expected)
    assert any(c.locator.startswith("A/HRC/26/6, para. 143.") for c in answer.citations)


def test_removal_and_reingest_keep_records_in_sync(indexed: Assistant, corpus: Path, tmp_path: Path) -> None:
    settings = Settings.from_env(data_dir=tmp_path / "data")
    assistant = Assistant(settings, embedder=FakeEmbedder())
    folder = tmp_path / "docs"
    shutil.copytree(corpus, folder)
    assistant.ingest([folder])
    before = assistant.records.total()
    assistant.ingest([folder])  # unchanged: nothing is duplicated
    assert assistant.records.total() == before
    lines = (folder / EVAL_CSV.name).read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / EVAL_CSV.name).write_text("".join(lines[:11]), encoding="utf-8")  # header + 10 rows
    assistant.ingest([folder])
    assert assistant.records.count(RecordFilter(kind="upr_info")) == 10
    assert assistant.remove("vietnam2014.pdf").status == "removed"
    assert assistant.records.count(sur="Viet Nam", session=18, kind="wg_report") == 0
    (folder / "vietnam2009.pdf").unlink()
    assistant.ingest([folder], prune=True)  # 2009 is pruned; 2014, removed but still in the folder, comes back
    assert assistant.records.count(kind="wg_report", session=5) == 0
    assert assistant.records.count(kind="wg_report") == 227
    assert assistant.status()["consistency"]["ok"]


def test_a_long_listing_lists_every_source(indexed: Assistant) -> None:
    # 583 records in three sources: each source lists its own first records, however many come before it
    answer = indexed.ask("Which recommendations did Viet Nam receive?", QueryOptions(backend="extractive"))
    assert answer.backend == "records"
    blocks = answer.answer.split("\n")
    heads = [i for i, line in enumerate(blocks) if not line.startswith(" ")][:-1]  # the last line: "Full list"
    assert len(heads) == 3, answer.answer
    for start, end in zip(heads, [*heads[1:], len(blocks) - 1]):
        assert sum(line.startswith("  - ") for line in blocks[start:end]) == 12, blocks[start]  # MAX_LISTED
