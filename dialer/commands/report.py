"""`dialer report`: the per-row report of a campaign as CSV, xlsx and a self-contained HTML page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from dialer import __version__
from dialer.commands.errors import clean_errors, fail
from dialer.commands.help_text import option
from dialer.commands.list_flags import source_options, source_overrides
from dialer.core import exitcodes
from dialer.reporting.call_stats import recycle_waiting
from dialer.reporting.html import MAX_ATTENTION_ROWS, PageInfo, render_html
from dialer.reporting.source import Source, load_source, summary_of, window_zone
from dialer.reporting.table import report_table, row_details
from dialer.reporting.writers import (
    FORMATS,
    TooManyRows,
    check_fits_xlsx,
    report_paths,
    write_csv,
    write_html,
    write_xlsx,
)
from dialer.run import collector_policy


def _write_reports(src: Source, paths: dict[str, Path]) -> None:
    summary = summary_of(src, MAX_ATTENTION_ROWS) if "html" in paths else None  # the page lists no more
    if "csv" in paths or "xlsx" in paths:
        if summary is not None:
            waiting = summary.call_stats.recycle_waiting
        else:
            waiting = recycle_waiting(src.rows, src.campaign.recycle)
        table = report_table(src.call_list, src.rows, waiting)
        if "csv" in paths:
            write_csv(table, paths["csv"])
        if "xlsx" in paths:
            write_xlsx(table, paths["xlsx"])
    if summary is not None:
        c = src.campaign
        info = PageInfo(
            title=c.name,
            list_path=str(c.list_path),
            results_path=str(c.results),
            generated=datetime.now(UTC).isoformat(timespec="seconds"),
            version=__version__,
            zone=str(window_zone(c)),
        )
        details = row_details(src.call_list, summary.attention[:MAX_ATTENTION_ROWS])
        write_html(render_html(summary, info, details), paths["html"])


@click.command("report")
@source_options
@option(
    "--format",
    "fmt",
    type=click.Choice([*FORMATS, "all"]),
    default="all",
    show_default=True,
    help="Which report files to write.",
)
@option(
    "--out",
    metavar="DIR|PREFIX",
    show_default="beside the results file",
    help="Where the report files go: an existing directory (or a path ending in /), under their usual "
    "names; anything else is a file prefix (--out reports/june writes reports/june.csv, .xlsx, .html).",
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
    """Write the per-row report of SOURCE as CSV, xlsx and/or a self-contained HTML page.

    The files are named after the campaign: <campaign name>.report.csv, .xlsx and .html (the name is
    [campaign] name in a campaign file, else the file's name without its extension), beside the
    results file unless --out says otherwise. Each file appears whole or not at all.

    An xlsx sheet holds at most 1,048,576 rows: a longer list is refused (exit status 2, nothing
    written); use --format csv.
    """
    overrides = source_overrides(results, sheet, encoding, delimiter, do_not_call, person)
    formats = FORMATS if fmt == "all" else (fmt,)
    with collector_policy.bulk_work():
        src = load_source(source, overrides, keep_original=True)
        paths = report_paths(src.campaign.name, src.campaign.results, out, formats)
        try:
            if "xlsx" in paths:
                check_fits_xlsx(len(src.rows))  # before any file is written
            _write_reports(src, paths)
        except TooManyRows as exc:
            fail(f"{paths['xlsx']}: {exc}", exitcodes.BAD_INPUT)
        except OSError as exc:
            where = exc.filename or (out or src.campaign.results.parent)
            fail(f"{where}: cannot write the report: {exc.strerror or exc}", exitcodes.BAD_INPUT)
    for path in paths.values():
        click.echo(str(path))
