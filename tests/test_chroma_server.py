"""Server mode: every command against a real `chroma run` server, through the CLI.

Each test starts its own server on a free loopback port and stops it in the fixture's
teardown, pass or fail. Fast tests inject the fake embedder at the CLI's one seam
(``assistant.cli._assistant``); the slow test runs the real `upr` executable and model.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
import httpx
import pytest
from click.testing import CliRunner

from assistant import cli
from assistant.config import Settings
from assistant.errors import IndexStoreError
from assistant.service import Assistant
from index.catalog import Catalog
from index.vector import HNSW, OWNER_KEY, VectorIndex, connect
from tests.conftest import SAMPLE, SEED_241, FakeEmbedder

BIN = Path(sys.executable).parent
SEED_2014 = "002_7ce1fd81c91580d3.txt"  # news: the second UPR cycle, 2014
SEED_PLAN = "003_df2d12fb823006fb.txt"  # the national human-rights plan
Q_241 = "Việt Nam chấp thuận bao nhiêu khuyến nghị UPR chu kỳ III?"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ChromaServer:
    url: str
    port: int

    def client(self) -> Any:
        return chromadb.HttpClient(host="127.0.0.1", port=self.port)

    def collections(self) -> dict[str, int]:
        """Collection name -> number of records, as the server sees them."""
        client = self.client()
        return {c.name: client.get_collection(c.name).count() for c in client.list_collections()}


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    """A fresh `chroma run` on a free port; stopped (killed if need be) whatever the test did."""
    port = free_port()
    log_path = tmp_path / "chroma-server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                str(BIN / "chroma"),
                "run",
                "--path",
                str(tmp_path / "chroma-server"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_heartbeat(port, proc, log_path)
            yield ChromaServer(f"http://127.0.0.1:{port}", port)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


def _wait_for_heartbeat(port: int, proc: subprocess.Popen[bytes], log_path: Path, limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"chroma run exited with {proc.returncode}: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"chroma run did not answer its heartbeat within {limit_s} s")


@pytest.fixture
def embedder(monkeypatch: pytest.MonkeyPatch) -> FakeEmbedder:
    """Every `upr` command run by ``upr()`` gets an assistant with this fake embedder."""
    fake = FakeEmbedder()
    monkeypatch.setattr(cli, "_assistant", lambda settings: Assistant(settings, embedder=fake))
    return fake


def upr(*args: str | Path, env: dict[str, str] | None = None, expect: int = 0) -> str:
    """Run one `upr` command in-process; its stdout (checked exit code)."""
    result = CliRunner().invoke(cli.main, [str(a) for a in args], env=env)
    assert result.exit_code == expect, f"{result.output}\n{result.exception!r}"
    return result.stdout


def upr_json(*args: str | Path, env: dict[str, str] | None = None) -> Any:
    return json.loads(upr(*args, "--json", env=env))


def folder(tmp_path: Path, name: str, *files: str) -> Path:
    docs = tmp_path / name
    docs.mkdir()
    for file in files:
        shutil.copy(SAMPLE / file, docs / file)
    return docs


# --- one data dir on a server ------------------------------------------------------------------
def test_ingest_status_search_ask_against_a_server(
    chroma_server: ChromaServer, embedder: FakeEmbedder, tmp_path: Path
) -> None:
    docs = folder(tmp_path, "docs", SEED_241, SEED_2014, SEED_PLAN)
    data = tmp_path / "data"
    where = ("--data-dir", data, "--chroma-url", chroma_server.url)

    first = upr_json("ingest", docs, *where)
    assert (first["indexed"], first["failed"]) == (3, 0), first["files"]
    assert chroma_server.collections() == {"upr": first["chunks_added"]}
    assert not (data / "chroma").exists()  # nothing went to an embedded store

    calls = embedder.calls
    again = upr_json("ingest", docs, *where)
    assert (again["unchanged"], again["indexed"], again["chunks_added"]) == (3, 0, 0)
    assert embedder.calls == calls and chroma_server.collections() == {"upr": first["chunks_added"]}

    status = upr_json("status", *where)
    assert (status["chroma"], status["collection"], status["documents"]) == (chroma_server.url, "upr", 3)
    cons = status["consistency"]
    assert cons["ok"], cons["problems"]
    assert cons["catalog"] == cons["chroma"] == cons["keyword"] == status["chunks"] == first["chunks_added"]

    hits = upr_json("search", "Việt Nam chấp thuận khuyến nghị", "--filter", f"source={SEED_2014}", *where)
    assert hits and {h["metadata"]["file_name"] for h in hits} == {SEED_2014}
    unfiltered = upr_json("search", "Việt Nam chấp thuận khuyến nghị", "-k", "10", *where)
    assert len({h["metadata"]["file_name"] for h in unfiltered}) > 1

    answer = upr_json("ask", Q_241, "--backend", "extractive", *where)
    assert not answer["refused"], answer["notes"]
    assert "241" in answer["answer"] and answer["backend"] == "extractive"
    assert answer["citations"] and {c["source"] for c in answer["citations"]} == {SEED_241}


def test_changed_and_removed_files_are_replaced_on_the_server(
    chroma_server: ChromaServer, embedder: FakeEmbedder, tmp_path: Path
) -> None:
    docs = folder(tmp_path, "docs", SEED_241, SEED_2014)
    where = ("--data-dir", tmp_path / "data", "--chroma-url", chroma_server.url)
    upr_json("ingest", docs, *where)
    seed = docs / SEED_241
    seed.write_text(seed.read_text(encoding="utf-8") + "\nĐoạn mới về khuyến nghị.\n", encoding="utf-8")
    (docs / SEED_2014).unlink()

    report = upr_json("ingest", docs, "--prune", *where)
    assert (report["indexed"], report["removed"]) == (1, 1)
    status = upr_json("status", *where)
    assert status["consistency"]["ok"], status["consistency"]["problems"]
    assert chroma_server.collections() == {"upr": status["chunks"]}
    assert [h["metadata"]["file_name"] for h in upr_json("search", "Đoạn mới", "-k", "1", *where)] == [SEED_241]


def test_eval_against_a_server_leaves_no_temporary_collection(
    chroma_server: ChromaServer, embedder: FakeEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evals.runner

    made: list[Assistant] = []

    def assistant(settings: Settings) -> Assistant:
        made.append(Assistant(settings, embedder=embedder))
        return made[-1]

    monkeypatch.setattr(evals.runner, "Assistant", assistant)
    docs = folder(tmp_path, "docs", SEED_241, SEED_2014)
    eval_set = tmp_path / "set.jsonl"
    item = {
        "id": "q-241",
        "question": Q_241,
        "language": "vi",
        "answer": "241",
        "must_contain": ["241"],
        "source_ids": [SEED_241],
        "type": "numeric",
        "evidence": [],
    }
    eval_set.write_text(json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8")
    where = ("--data-dir", tmp_path / "data", "--chroma-url", chroma_server.url)
    common = ("eval", "--set", eval_set, "--backend", "extractive", "--baseline", tmp_path / "none.json", *where)
    upr_json("ingest", docs, *where)
    indexed = chroma_server.collections()

    upr(*common, "--out", tmp_path / "current", "--json", tmp_path / "current.json")
    upr(*common, "--corpus", docs, "--out", tmp_path / "fresh", "--json", tmp_path / "fresh.json")

    for name in ("current", "fresh"):
        summary = json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))
        assert summary["overall"]["n"] == 1 and summary["overall"]["hit@5"] == 1.0, name
        assert summary["overall"]["must_contain_recall"] == 1.0 and summary["fingerprint"]["documents"] == 2
    temporary = made[-1].settings
    assert temporary.chroma_url == chroma_server.url and temporary.collection.startswith("eval-")
    assert chroma_server.collections() == indexed  # the temporary collection was dropped, "upr" untouched


# --- several data dirs on one server ----------------------------------------------------------------
def test_data_dirs_with_their_own_collections_share_a_server(
    chroma_server: ChromaServer, embedder: FakeEmbedder, tmp_path: Path
) -> None:
    docs_a = folder(tmp_path, "a", SEED_241)
    docs_b = folder(tmp_path, "b", SEED_2014)
    team_a = ("--data-dir", tmp_path / "data-a", "--chroma-url", chroma_server.url)
    team_b = ("--data-dir", tmp_path / "data-b", "--chroma-url", chroma_server.url)
    a = upr_json("ingest", docs_a, *team_a, env={"UPR_COLLECTION": "team-a"})
    b = upr_json("ingest", docs_b, *team_b, env={"UPR_COLLECTION": "team-b"})
    assert chroma_server.collections() == {"team-a": a["chunks_added"], "team-b": b["chunks_added"]}

    for where, collection in ((team_a, "team-a"), (team_b, "team-b")):
        status = upr_json("status", *where, env={"UPR_COLLECTION": collection})
        assert status["consistency"]["ok"] and status["collection"] == collection, status["consistency"]
    hits = upr_json("search", "Đánh giá UPR lần thứ hai 2014", *team_a, env={"UPR_COLLECTION": "team-a"})
    assert hits and {h["metadata"]["file_name"] for h in hits} == {SEED_241}

    (docs_b / SEED_2014).unlink()
    upr_json("ingest", docs_b, "--prune", *team_b, env={"UPR_COLLECTION": "team-b"})
    assert chroma_server.collections() == {"team-a": a["chunks_added"], "team-b": 0}


def test_a_collection_belongs_to_the_data_dir_that_claimed_it(chroma_server: ChromaServer, tmp_path: Path) -> None:
    owner_a = Catalog(tmp_path / "a" / "catalog.sqlite").instance_id()
    owner_b = Catalog(tmp_path / "b" / "catalog.sqlite").instance_id()
    assert owner_a != owner_b and Catalog(tmp_path / "a" / "catalog.sqlite").instance_id() == owner_a
    client = connect(tmp_path / "unused", chroma_server.url)

    VectorIndex(client, "upr", owner=owner_a)
    VectorIndex(client, "upr", owner=owner_a)  # a second process on the same data dir
    with pytest.raises(IndexStoreError, match="belongs to another data dir"):
        VectorIndex(client, "upr", owner=owner_b)

    legacy = client.create_collection("legacy", metadata=HNSW)  # made before collections had owners
    legacy.upsert(ids=["x:0"], embeddings=[[1.0, 0.0]], documents=["x"], metadatas=[{"doc_id": "x"}])
    claimed = VectorIndex(client, "legacy", owner=owner_b)
    assert claimed.collection.metadata[OWNER_KEY] == owner_b and claimed.count() == 1
    assert claimed.collection.configuration["hnsw"]["space"] == "cosine"  # unchanged by the claim
    with pytest.raises(IndexStoreError, match="belongs to another data dir"):
        VectorIndex(client, "legacy", owner=owner_a)
    assert not (tmp_path / "unused").exists()


def test_a_second_data_dir_cannot_write_into_another_ones_collection(
    chroma_server: ChromaServer, embedder: FakeEmbedder, tmp_path: Path
) -> None:
    upr_json(
        "ingest", folder(tmp_path, "a", SEED_241), "--data-dir", tmp_path / "data-a", "--chroma-url", chroma_server.url
    )
    before = chroma_server.collections()
    result = CliRunner().invoke(
        cli.main,
        [
            "ingest",
            str(folder(tmp_path, "b", SEED_2014)),
            "--data-dir",
            str(tmp_path / "data-b"),
            "--chroma-url",
            chroma_server.url,
        ],
    )
    assert result.exit_code == 1 and "belongs to another data dir" in result.stderr
    assert chroma_server.collections() == before


# --- failures are one line -----------------------------------------------------------------------
def test_an_unreachable_server_is_a_one_line_error(tmp_path: Path) -> None:
    url = f"127.0.0.1:{free_port()}"  # nothing listens there; no scheme is accepted too
    env = {**os.environ, "UPR_DATA_DIR": str(tmp_path / "data")}
    for command in (["status"], ["search", "khuyến nghị"]):
        started = time.monotonic()
        done = subprocess.run(
            [str(BIN / "upr"), *command, "--chroma-url", url], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 1, done.stderr
        assert done.stdout == "" and "Traceback" not in done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: cannot reach the Chroma server at {url}"), lines
        assert "UPR_CHROMA_URL" in lines[0] and time.monotonic() - started < 60


def test_an_invalid_collection_name_is_a_one_line_error(chroma_server: ChromaServer, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli.main,
        ["status", "--data-dir", str(tmp_path / "data"), "--chroma-url", chroma_server.url],
        env={"UPR_COLLECTION": "team_"},
    )
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: collection name 'team_' (UPR_COLLECTION)"), lines
    assert chroma_server.collections() == {}


# --- the real model, end to end ---------------------------------------------------------------------
@pytest.mark.slow
def test_real_model_through_the_upr_executable(chroma_server: ChromaServer, tmp_path: Path) -> None:
    docs = folder(tmp_path, "docs", SEED_241, SEED_2014)
    env = {**os.environ, "UPR_DATA_DIR": str(tmp_path / "data"), "UPR_CHROMA_URL": chroma_server.url}

    def run(*args: str | Path) -> Any:
        done = subprocess.run(
            [str(BIN / "upr"), *map(str, args), "--json"], capture_output=True, text=True, env=env, timeout=600
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout)

    first = run("ingest", docs)
    assert (first["indexed"], first["failed"]) == (2, 0) and chroma_server.collections() == {
        "upr": first["chunks_added"]
    }
    assert run("ingest", docs)["unchanged"] == 2
    status = run("status")
    assert status["chroma"] == chroma_server.url and status["consistency"]["ok"], status["consistency"]
    answer = run("ask", Q_241, "--backend", "extractive")
    assert not answer["refused"] and "241" in answer["answer"]
    assert SEED_241 in {c["source"] for c in answer["citations"]}
