"""The `dialer status` and `dialer report` commands (registered on the main group in dialer.cli)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson

from dialer import __version__
from dialer.calllist.model import ListError
from dialer.campaign.file import CampaignError
from dialer.commands.list_flags import list_options, list_overrides
from dialer.core import exitcodes
from dialer.journal.replay import ResultsFileError
from dialer.reporting.html import MAX_ATTENTION_ROWS, PageInfo, render_html
from dialer.reporting.source import Source, load_source
from dialer.reporting.status import StatusInfo, status_json, status_text
from dialer.reporting.summary import summarise
from dialer.reporting.table import report_table, row_details
from dialer.reporting.writers import FORMATS, report_paths, write_csv, write_html, write_xlsx


def _fail(message: str, code: int) -> None:
    click.echo(f"dialer: {message}", err=True)
    raise SystemExit(code)


def clean_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """One line on stderr and a documented exit status instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ResultsFileError as exc:
            _fail(str(exc), exitcodes.RESULTS_UNWRITABLE)
        except (CampaignError, ListError) as exc:
            _fail(str(exc), exitcodes.BAD_INPUT)
        except OSError as exc:
            where = exc.filename or "file"
            _fail(f"{where}: {exc.strerror or exc}", exitcodes.BAD_INPUT)

    return wrapper


def source_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """SOURCE and the flags that decide how its list and results file are read."""
    command = list_options(command)
    command = click.option(
        "--results", type=click.Path(dir_okay=False, path_type=Path), help="Results file to read."
    )(command)
    return click.argument("source", type=click.Path(dir_okay=False, path_type=Path))(command)


def _overrides(
    results: Path | None,
    sheet: str | None,
    encoding: str | None,
    delimiter: str | None,
    do_not_call: tuple[Path, ...],
) -> dict[str, Any]:
    return {"results": results, **list_overrides(sheet, encoding, delimiter, do_not_call)}


def _status_info(src: Source) -> StatusInfo:
    c = src.campaign
    return StatusInfo(c.name, str(c.source), str(c.list_path), str(c.results), src.results_exists)


@click.command("status")
@source_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for machines.")
@clean_errors
def status(
    source: Path,
    results: Path | None,
    sheet: str | None,
    encoding: str | None,
    delimiter: str | None,
    do_not_call: tuple[Path, ...],
    as_json: bool,
) -> None:
    """Where the campaign in SOURCE stands: counts, rate, unknown rows, last error."""
    src = load_source(source, _overrides(results, sheet, encoding, delimiter, do_not_call))
    summary = summarise(src.states, src.replay, src.lines())
    info = _status_info(src)
    if as_json:
        click.echo(orjson.dumps(status_json(summary, info), option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(status_text(summary, info), nl=False)


def _write_reports(src: Source, paths: dict[str, Path]) -> None:
    if "csv" in paths or "xlsx" in paths:
        table = report_table(src.call_list, src.states)
        if "csv" in paths:
            write_csv(table, paths["csv"])
        if "xlsx" in paths:
            write_xlsx(table, paths["xlsx"])
    if "html" in paths:
        summary = summarise(src.states, src.replay, src.lines())
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
    fmt: str,
    out: str | None,
) -> None:
    """Write the per-row report of SOURCE as CSV, xlsx and/or a self-contained HTML page."""
    src = load_source(
        source, _overrides(results, sheet, encoding, delimiter, do_not_call), keep_original=True
    )
    formats = FORMATS if fmt == "all" else (fmt,)
    paths = report_paths(src.campaign.results, out, formats)
    try:
        _write_reports(src, paths)
    except OSError as exc:
        where = exc.filename or (out or src.campaign.results.parent)
        _fail(f"{where}: cannot write the report: {exc.strerror or exc}", exitcodes.BAD_INPUT)
    for path in paths.values():
        click.echo(str(path))
