"""Load test of the web app: concurrent gradio_client users asking over the /ask API.

    .venv/bin/python benchmarks/load_bench.py [--users 20] [--per-user 5] [--concurrency N]
        [--data-dir DIR] [--json-out FILE]

Indexes data/sample into DIR (a temporary folder unless given; the embedding cache makes a
second indexing nearly free), starts `upr serve` on a free loopback port with the extractive
backend, sends one warm-up question (the server loads the embedding model on first use), then
starts every user at once; each asks its questions one after another (Vietnamese questions
about the sample). Prints JSON: errors, answers without citations, latency p50/p95/max,
throughput. The server is stopped whatever happens. ``--concurrency`` sets UPR_CONCURRENCY,
the app's concurrency limit for answers (default 1: one answer at a time, the rest queue).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
UPR = Path(sys.executable).parent / "upr"
SAMPLE = REPO / "data" / "sample"
# Eval-set questions about data/sample that the extractive backend answers with citations.
QUESTIONS = [
    "Ở UPR chu kỳ III, Việt Nam chấp thuận bao nhiêu khuyến nghị trên tổng số bao nhiêu khuyến nghị?",
    "Bộ Công an được Thủ tướng giao chủ trì thực hiện bao nhiêu khuyến nghị UPR chu kỳ III?",
    "Hội thảo cập nhật tình hình thực hiện khuyến nghị UPR chu kỳ III của Bộ Công an do đơn vị nào tổ chức, "
    "vào ngày nào và ở đâu?",
    "Bộ Ngoại giao phối hợp với tổ chức nào để tổ chức Hội thảo quốc tế về kinh nghiệm xây dựng Báo cáo UPR "
    "chu kỳ IV ngày 27/4?",
    "Theo Kế hoạch tổng thể về bảo vệ và thúc đẩy quyền con người, cơ quan nào được giao chủ trì, theo dõi, "
    "đôn đốc việc triển khai Kế hoạch?",
    "Quyết định về Kế hoạch tổng thể thực hiện khuyến nghị UPR có hiệu lực từ ngày nào?",
    "Kế hoạch tổng thể về bảo vệ và thúc đẩy quyền con người đề ra những nhiệm vụ và giải pháp chủ yếu nào?",
    "Việt Nam luôn nỗ lực bảo đảm những nguyên tắc nào xuyên suốt quá trình UPR?",
    "So sánh số khuyến nghị Việt Nam nhận và chấp thuận ở chu kỳ I và chu kỳ III của UPR.",
    "Báo cáo quốc gia UPR chu kỳ IV và chu kỳ V của Việt Nam dự kiến được nộp, hoàn thành vào thời điểm nào?",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def index_sample(data_dir: Path) -> dict[str, Any]:
    """`upr ingest data/sample` into ``data_dir`` (real embedding model; a no-op when done already)."""
    done = subprocess.run(
        [str(UPR), "ingest", str(SAMPLE), "--data-dir", str(data_dir), "--json"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode:
        raise RuntimeError(f"upr ingest failed: {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout))


@contextmanager
def serve(data_dir: Path, concurrency: int | None = None, start_limit_s: float = 300) -> Iterator[str]:
    """`upr serve` (extractive) on a free loopback port; yields its URL; always stopped."""
    port = free_port()
    env = {**os.environ, "UPR_BACKEND": "extractive"}
    if concurrency:
        env["UPR_CONCURRENCY"] = str(concurrency)
    log = (data_dir / "serve.log").open("wb")
    command = [
        str(UPR),
        "serve",
        "--data-dir",
        str(data_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-sample",
    ]
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + start_limit_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"upr serve exited with {proc.returncode}: {_tail(data_dir / 'serve.log')}")
            try:
                if httpx.get(url, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"upr serve did not answer in {start_limit_s} s: {_tail(data_dir / 'serve.log')}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        log.close()


def _tail(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-2000:]


@dataclass
class Outcome:
    user: int
    question: str
    seconds: float
    error: str = ""
    citations: int = 0
    refused: bool = False
    answer: dict[str, Any] = field(default_factory=dict, repr=False)


def ask(url: str, question: str) -> dict[str, Any]:
    """One question through gradio_client, as a single client would ask it."""
    from gradio_client import Client

    return dict(Client(url, verbose=False).predict(question, "extractive", api_name="/ask"))


def run_load(url: str, users: int, per_user: int, questions: list[str] = QUESTIONS) -> list[Outcome]:
    """``users`` threads, each with its own client, all started together, ``per_user`` questions each."""
    from gradio_client import Client

    start = threading.Barrier(users)
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def user(u: int) -> None:
        failure = ""
        try:
            client = Client(url, verbose=False)
        except Exception as exc:  # counted as errors of every question of this user
            client, failure = None, f"client: {type(exc).__name__}: {exc}"
        start.wait()
        for i in range(per_user):
            question = questions[(u * per_user + i) % len(questions)]
            t = time.perf_counter()
            try:
                if client is None:
                    raise RuntimeError(failure)
                result = dict(client.predict(question, "extractive", api_name="/ask"))
                done = Outcome(
                    u,
                    question,
                    time.perf_counter() - t,
                    citations=len(result["citations"]),
                    refused=bool(result["refused"]),
                    answer=result,
                )
            except Exception as exc:
                done = Outcome(u, question, time.perf_counter() - t, error=f"{type(exc).__name__}: {exc}"[:300])
            with lock:
                outcomes.append(done)

    threads = [threading.Thread(target=user, args=(u,)) for u in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def summary(outcomes: list[Outcome], wall_s: float) -> dict[str, Any]:
    """Errors, answers without citations, latency percentiles and throughput."""
    ok = sorted(o.seconds for o in outcomes if not o.error)

    def pct(q: float) -> float | None:
        return round(ok[min(len(ok) - 1, int(round(q * (len(ok) - 1))))], 2) if ok else None

    return {
        "requests": len(outcomes),
        "errors": sum(1 for o in outcomes if o.error),
        "error_samples": sorted({o.error for o in outcomes if o.error})[:5],
        "without_citations": sum(1 for o in outcomes if not o.error and not o.citations),
        "refused": sum(1 for o in outcomes if o.refused),
        "questions_with_differing_answers": len(differing_answers(outcomes)),
        "latency_p50_s": pct(0.5),
        "latency_p95_s": pct(0.95),
        "latency_max_s": round(ok[-1], 2) if ok else None,
        "wall_s": round(wall_s, 1),
        "answers_per_s": round(len(ok) / wall_s, 2) if wall_s else None,
    }


def differing_answers(outcomes: list[Outcome]) -> list[str]:
    """Questions that got more than one answer text: answers must not depend on who else is asking."""
    texts: dict[str, set[str]] = {}
    for o in outcomes:
        if not o.error:
            texts.setdefault(o.question, set()).add(o.answer["answer"])
    return sorted(q for q, answers in texts.items() if len(answers) > 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--per-user", type=int, default=5)
    parser.add_argument("--concurrency", type=int, help="UPR_CONCURRENCY for the server (default: its own, 1)")
    parser.add_argument("--data-dir", type=Path, help="index folder to reuse (default: a temporary one)")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="upr-load-"))
    try:
        t = time.perf_counter()
        report = index_sample(data_dir)
        result: dict[str, Any] = {
            "index_s": round(time.perf_counter() - t, 1),
            "documents": report["indexed"] + report["unchanged"],
            "users": args.users,
            "per_user": args.per_user,
            "concurrency": args.concurrency or 1,
        }
        with serve(data_dir, args.concurrency) as url:
            t = time.perf_counter()
            ask(url, QUESTIONS[0])
            result["warmup_s"] = round(time.perf_counter() - t, 2)
            t = time.perf_counter()
            outcomes = run_load(url, args.users, args.per_user)
            result.update(summary(outcomes, time.perf_counter() - t))
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
