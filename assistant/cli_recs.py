"""`upr recs`: list and count UPR recommendation records (Working Group reports, UPR Info)."""

from __future__ import annotations

import json
import sys

import click

from assistant.cli_common import assistant_for, common
from assistant.config import Settings
from assistant.errors import ConfigError
from index.records import RESPONSES, RecordFilter, to_csv


@click.command()
@click.option("--sur", help='State under review, any spelling ("Viet Nam", "Vietnam").')
@click.option("--from", "from_state", help="Recommending State.")
@click.option("--response", type=click.Choice(RESPONSES), help="The State's response.")
@click.option("--cycle", type=int, help="UPR cycle (1, 2, 3, ...).")
@click.option("--session", type=int, help="Working Group session.")
@click.option("--year", type=int, help="Year of the review's session.")
@click.option("--text", help="Words that must all occur in the recommendation ('ratif*' = prefix, 'a | b' = either).")
@click.option("--kind", type=click.Choice(["wg_report", "upr_info"]), help="Only one kind of source.")
@click.option("--limit", type=int, default=None, help="List at most this many (the count is always complete).")
@click.option("--json", "as_json", is_flag=True, help="Print {count, records} as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the records as CSV.")
@common
def recs(
    settings: Settings,
    sur: str | None,
    from_state: str | None,
    response: str | None,
    cycle: int | None,
    session: int | None,
    year: int | None,
    text: str | None,
    kind: str | None,
    limit: int | None,
    as_json: bool,
    as_csv: bool,
) -> None:
    """List and count recommendations. Report records count each recommendation once; UPR Info
    rows count (recommendation, recommending State) pairs: use --kind to keep them apart."""
    if as_json and as_csv:
        raise ConfigError("choose one of --json and --csv")
    flt = RecordFilter(sur, from_state, response, cycle, session, year, text, kind)
    assistant = assistant_for(settings)
    count, rows = assistant.recs(flt, limit=limit)
    if as_json:
        click.echo(json.dumps({"count": count, "filter": flt.__dict__, "records": rows}, ensure_ascii=False, indent=2))
        return
    if as_csv:
        to_csv(rows, sys.stdout)
        return
    for src in assistant.records.breakdown(flt):
        where = src["report_symbol"] or f"UPR Info {src['source']}"
        split = ", ".join(f"{src[k]} {k}" for k in RESPONSES if src[k])
        click.echo(f"{where} — {src['state_under_review']}, session {src['session']}: {src['total']} ({split})")
    for row in rows:
        states = ", ".join(row["recommending_states"])
        click.echo(f"{row['citation']}: {row['text']} ({states}) — {row['response']}")
    click.echo(f"{count} record(s)" + (f", {len(rows)} shown" if len(rows) < count else ""))
