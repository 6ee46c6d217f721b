"""`dialer status`: where a campaign stands, as text for an operator or one JSON object."""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
import orjson

from dialer.commands.errors import clean_errors
from dialer.commands.list_flags import source_options, source_overrides
from dialer.reporting.source import Source, load_source, summary_of, window_zone
from dialer.reporting.status_text import ATTENTION_SHOWN, StatusInfo, status_json, status_text
from dialer.run import collector_policy


def _status_info(src: Source) -> StatusInfo:
    c = src.campaign
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    zone = str(window_zone(c))
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None  # piped: a line a row
    return StatusInfo(
        c.name, str(c.source), str(c.list_path), str(c.results), src.results_exists, zone, now, width
    )


@click.command("status")
@source_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for machines.")
@click.option(
    "--all",
    "list_all",
    is_flag=True,
    help=f"List every row needing attention (without it, the first {ATTENTION_SHOWN} of each state).",
)
@clean_errors
def status(
    source: Path,
    results: Path | None,
    sheet: str | None,
    encoding: str | None,
    delimiter: str | None,
    do_not_call: tuple[Path, ...],
    person: str | None,
    as_json: bool,
    list_all: bool,
) -> None:
    """Where the campaign in SOURCE stands: counts, requests, rate, calls and answers, rows needing
    attention and why, the last error."""
    with collector_policy.bulk_work():
        src = load_source(source, source_overrides(results, sheet, encoding, delimiter, do_not_call, person))
        summary = summary_of(src, None if list_all else ATTENTION_SHOWN, codes_by_row=False)
    info = _status_info(src)
    if as_json:
        click.echo(orjson.dumps(status_json(summary, info), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(status_text(summary, info), nl=False)
