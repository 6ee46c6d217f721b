"""`dialer report`: the per-row report of a campaign as CSV, xlsx and a self-contained HTML page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from dialer import __version__
from dialer.commands.errors import clean_errors, fail
from dialer.commands.list_flags import source_options, source_overrides
from dialer.core import exitcodes
from dialer.reporting.html import MAX_ATTENTION_ROWS, PageInfo, render_html
from dialer.reporting.source import Source, load_source, summary_of
from dialer.reporting.table import report_table, row_details
from dialer.reporting.writers import FORMATS, report_paths, write_csv, write_html, write_xlsx
from dialer.run import collector_policy


def _write_reports(src: Source, paths: dict[str, Path]) -> None:
    if "csv" in paths or "xlsx" in paths:
        table = report_table(src.call_list, src.states)
        if "csv" in paths:
            write_csv(table, paths["csv"])
        if "xlsx" in paths:
            write_xlsx(table, paths["xlsx"])
    if "html" in paths:
        summary = summary_of(src)
        c = src.campaign
        info = PageInfo(
            title=c.name,
            list_path=str(c.list_path),
            results_path=str(c.results),
            generated=datetime.now(UTC).isoformat(timespec="seconds"),
            version=__version__,
        )
        details = row_details(src.call_list, summary.attention[:MAX_ATTENTION_ROWS])
        write_html(render_html(summary, info, details), paths["html"])


@click.command("report")
@source_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*FORMATS, "all"]),
    default="all",
    show_default=True,
    help="Which report files to write.",
)
@click.option(
    "--out",
    help="Directory, or file prefix, for the report files. Default: beside the results file, "
    "<results stem>.report.<ext>.",
)
@clean_errors
def report(
    source: Path,
    results: Path | None,
    sheet: str | None,
    encoding: str | None,
    delimiter: str | None,
    do_not_call: tuple[Path, ...],
    person: str | None,
    fmt: str,
    out: str | None,
) -> None:
    """Write the per-row report of SOURCE as CSV, xlsx and/or a self-contained HTML page."""
    overrides = source_overrides(results, sheet, encoding, delimiter, do_not_call, person)
    formats = FORMATS if fmt == "all" else (fmt,)
    with collector_policy.bulk_work():
        src = load_source(source, overrides, keep_original=True)
        paths = report_paths(src.campaign.results, out, formats)
        try:
            _write_reports(src, paths)
        except OSError as exc:
            where = exc.filename or (out or src.campaign.results.parent)
            fail(f"{where}: cannot write the report: {exc.strerror or exc}", exitcodes.BAD_INPUT)
    for path in paths.values():
        click.echo(str(path))
