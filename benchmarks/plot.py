"""Plot how retrieval latency grows with collection size, from benchmarks/results/retrieval.json.

    .venv/bin/python benchmarks/plot.py        # writes benchmarks/scaling.png
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> None:
    results = json.loads((HERE / "results" / "retrieval.json").read_text())
    sizes = sorted(int(k) for k in results if k.isdigit())
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=120)
    for mode in ("dense", "keyword", "hybrid", "hybrid+filter"):
        ax.plot(sizes, [results[str(n)][mode]["p95_ms"] for n in sizes], marker="o", label=f"{mode} p95")
    ax.axhline(150, color="grey", linestyle="--", linewidth=0.8, label="target: hybrid p95 150 ms")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("chunks in the collection")
    ax.set_ylabel("retrieval latency (ms)")
    ax.set_title("Retrieval p95 vs collection size (2-core CPU)")
    ax.grid(True, which="both", linewidth=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(HERE / "scaling.png")
    print(HERE / "scaling.png")


if __name__ == "__main__":
    main()
