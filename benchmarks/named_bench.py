"""Held-out retrieval check: questions that name a State and a UPR cycle or year.

    .venv/bin/python benchmarks/named_bench.py --data-dir DIR [--shared-dir ../shared] [--json OUT]

Indexes the bundled sample (Vietnamese news + Viet Nam's two reports) and the cycle I and
cycle II Working Group reports of eight other States from ``../shared/corpus/un-wg-reports``
(≈ 760 chunks to embed on a cold cache, a few minutes), then asks 80 templated questions whose
right document is known by construction and that are NOT in the eval set:

- who headed the State's delegation at its first / second review (English), and the same in
  Vietnamese with the State's Vietnamese name ("chu kỳ I / II"): the right document is that
  cycle's report, the other cycle's report says the same kind of thing about another year;
- how many delegations spoke in the interactive dialogue in YEAR (English and Vietnamese);
- what the State reported on implementing its first review's recommendations (English and
  Vietnamese): the right document is the cycle II report (a question naming cycle I whose
  answer lies in a later cycle's document).

Prints document-level hit@1, hit@5 and MRR for dense, keyword and hybrid retrieval.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.config import QueryOptions, Settings  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from evals.metrics import hit_at_k, reciprocal_rank  # noqa: E402
from ingest.metadata import year_of_session  # noqa: E402

# File-name stem in the shared corpus -> the State's name as Vietnamese staff write it.
STATES = {"china": "Trung Quốc", "cuba": "Cu-ba", "france": "Pháp", "india": "Ấn Độ", "japan": "Nhật Bản",
          "malaysia": "Ma-lai-xi-a", "philippines": "Phi-líp-pin", "russia": "Liên bang Nga"}  # fmt: skip
ORDINAL = {1: "first", 2: "second"}
ROMAN = {1: "I", 2: "II"}
MODES = ("dense", "keyword", "hybrid")


def questions(assistant: Assistant) -> list[dict[str, object]]:
    """The templated questions, each with its right document (from the reports' metadata)."""
    docs = {d["file_name"]: d["metadata"] for d in assistant.catalog.documents().values()}
    items: list[dict[str, object]] = []
    for stem, vi in STATES.items():
        reports = sorted((m for f, m in docs.items() if f.startswith(stem)), key=lambda m: int(m["session"]))
        if len(reports) != 2:
            raise SystemExit(f"expected two reports for {stem}, found {[m['file_name'] for m in reports]}")
        en = str(reports[0]["country"]).split(" (")[0]
        for cycle, meta in enumerate(reports, 1):
            year = year_of_session(int(meta["session"]))
            for kind, language, text in (
                ("head", "en", f"Who headed the delegation of {en} at its {ORDINAL[cycle]} UPR review?"),
                ("head", "vi", f"Ai là trưởng đoàn {vi} tại phiên rà soát UPR chu kỳ {ROMAN[cycle]}?"),
                ("year", "en", f"How many delegations made statements during the interactive dialogue with {en} "
                               f"in {year}?"),
                ("year", "vi", f"Có bao nhiêu phái đoàn phát biểu trong phiên đối thoại tương tác với {vi} "
                               f"năm {year}?"),
            ):  # fmt: skip
                items.append({"kind": kind, "language": language, "question": text, "doc": meta["file_name"]})
        for language, text in (
            ("en", f"What progress did {en} report on implementing the recommendations accepted in its first review?"),
            ("vi", f"{vi} đã báo cáo gì về việc thực hiện các khuyến nghị đã chấp thuận ở chu kỳ I?"),
        ):
            items.append({"kind": "follow-up", "language": language, "question": text, "doc": reports[1]["file_name"]})
    return items


def score(assistant: Assistant, items: list[dict[str, object]]) -> dict[str, dict[str, dict[str, float]]]:
    per_item: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    for item in items:
        for mode in MODES:
            ranked = [p.file_name for p in assistant.search(str(item["question"]), QueryOptions(top_k=20, mode=mode))]
            relevant = {str(item["doc"])}
            per_item[mode].append(
                {"hit@1": hit_at_k(ranked, relevant, 1), "hit@5": hit_at_k(ranked, relevant, 5),
                 "mrr": reciprocal_rank(ranked, relevant)}  # fmt: skip
            )
    scopes = {
        "all": lambda i: True,
        "English": lambda i: i["language"] == "en",
        "Vietnamese (cross-lingual)": lambda i: i["language"] == "vi",
        "follow-up": lambda i: i["kind"] == "follow-up",
    }
    table: dict[str, dict[str, dict[str, float]]] = {}
    for scope, keep in scopes.items():
        idx = [n for n, item in enumerate(items) if keep(item)]
        table[scope] = {
            mode: {m: round(sum(per_item[mode][n][m] for n in idx) / len(idx), 3) for m in ("hit@1", "hit@5", "mrr")}
            | {"n": len(idx)}
            for mode in MODES
        }
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="index folder (built or updated here)")
    parser.add_argument("--shared-dir", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--json", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    reports = sorted(p for p in (args.shared_dir / "corpus" / "un-wg-reports").glob("*.pdf") if p.stem[:-4] in STATES)
    if len(reports) != 2 * len(STATES):
        raise SystemExit(f"expected {2 * len(STATES)} reports under {args.shared_dir}, found {len(reports)}")
    assistant = Assistant(Settings.from_env().replace(data_dir=args.data_dir))
    report = assistant.ingest([REPO / "data" / "sample", *reports])
    print("\n".join(report.summary_lines()), file=sys.stderr)
    items = questions(assistant)
    table = score(assistant, items)
    print(f"{len(items)} questions\n\n| mode | scope | hit@1 | hit@5 | MRR |\n|---|---|---|---|---|")
    for scope, modes in table.items():
        for mode, m in modes.items():
            print(f"| {mode} | {scope} ({m['n']}) | {m['hit@1']:.3f} | {m['hit@5']:.3f} | {m['mrr']:.3f} |")
    if args.json:
        args.json.write_text(json.dumps({"questions": items, "table": table}, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
