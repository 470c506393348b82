"""Answer latency per backend: time to first token, tokens/s, total, context size.

    .venv/bin/python benchmarks/answer_bench.py --data-dir DIR [--backends local extractive] [--n 12]
    (openai: set UPR_OPENAI_BASE_URL/UPR_OPENAI_MODEL and add it to --backends)

Asks the first N answerable questions of the shipped eval set (alternating languages as the
set does) against an existing index, in one process with the model loaded once (as the
server runs). The first question pays the cold system prompt; it is reported separately.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from assistant.config import QueryOptions, Settings
from assistant.service import Assistant
from evals.dataset import load_eval_set
from evals.runner import DEFAULT_SET


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--backends", nargs="+", default=["local", "extractive"])
    parser.add_argument("--n", type=int, default=12)
    args = parser.parse_args()
    assistant = Assistant(Settings.from_env(data_dir=args.data_dir))
    questions = [i.question for i in load_eval_set(DEFAULT_SET) if i.answerable][: args.n]
    assistant.search("warm up")
    report: dict[str, object] = {}
    for backend in args.backends:
        rows = []
        t_load = time.perf_counter()
        assistant.ask(questions[0], QueryOptions(backend=backend))  # loads the model, fills the cache
        cold_s = time.perf_counter() - t_load
        for q in questions[1:]:
            t = assistant.ask(q, QueryOptions(backend=backend)).timings
            rows.append(t)
        gen = [r for r in rows if r.get("output_tokens")]
        report[backend] = {
            "questions": len(rows),
            "first_question_incl_load_s": round(cold_s, 2),
            "first_token_p50_s": _med(rows, "first_token_s"),
            "total_p50_s": _med(rows, "total_s"),
            "total_max_s": round(max(r["total_s"] for r in rows), 2),
            "prompt_tokens_p50": _med(rows, "prompt_tokens"),
            "output_tokens_p50": _med(rows, "output_tokens"),
            "tokens_per_s_p50": round(
                statistics.median(r["output_tokens"] / max(1e-3, r["generation_s"] - r["first_token_s"]) for r in gen),
                1,
            )
            if gen
            else None,
        }
        print(json.dumps({backend: report[backend]}), flush=True)
    print(json.dumps(report, indent=2))


def _med(rows: list[dict[str, float]], key: str) -> float | None:
    values = [r[key] for r in rows if key in r]
    return round(statistics.median(values), 2) if values else None


if __name__ == "__main__":
    main()
