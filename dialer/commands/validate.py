"""`dialer validate`: load and check a list without dialing; totals, a rejects file, an exit status."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

import click

from dialer.calllist.loader import load_call_list
from dialer.calllist.model import CallList, ListError
from dialer.campaign.file import CampaignError, load_campaign
from dialer.commands.help_text import FILE, N, exit_statuses, option
from dialer.commands.list_flags import list_options, list_overrides
from dialer.core import exitcodes, outcomes

REJECTS_COLUMNS = ["row", "outcome", "code", "column", "reason", "duplicate_of"]


SHOWN = 20  # rejected rows listed on screen unless --show-rejects or --all-rejects says otherwise
MEANINGS = {
    exitcodes.OK: "the list can be dialed (rejected rows within --max-rejects)",
    exitcodes.BAD_INPUT: "the campaign or list is unusable, or no row can be dialed",
    exitcodes.NEEDS_ATTENTION: "more rows rejected than --max-rejects",
}


@click.command("validate", epilog=exit_statuses(MEANINGS, MEANINGS))
@click.argument("source", metavar="SOURCE", type=click.Path(path_type=Path))
@list_options
@option(
    "--rejects",
    metavar=FILE,
    type=click.Path(dir_okay=False, path_type=Path),
    show_default="LIST.rejects.csv beside the list",
    help="Where to write the rejected and suppressed rows; written only when there are some.",
)
@option(
    "--max-rejects",
    metavar=N,
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Exit 4 (needs attention) when more rows than this are rejected.",
)
@option(
    "--show-rejects",
    metavar=N,
    type=click.IntRange(min=0),
    default=SHOWN,
    show_default=True,
    help="List at most N rejected rows on screen (row, column, reason); 0 lists none.",
)
@option("--all-rejects", is_flag=True, help="List every rejected row on screen.")
def validate(
    source, sheet, encoding, delimiter, do_not_call, person, rejects, max_rejects, show_rejects, all_rejects
):
    """Check SOURCE, a campaign file (.toml) or a call list, without dialing anything.

    Prints the totals and the rejected rows, and writes the rows set aside (rejected, duplicates,
    do-not-call) to a CSV file Excel opens.
    """
    overrides = list_overrides(sheet, encoding, delimiter, do_not_call, person)
    try:
        campaign = load_campaign(source, overrides)
        calls = load_call_list(campaign.list_path, replace(campaign.list, keep_original=False))
    except (ListError, CampaignError) as exc:
        _fail(str(exc))
    rejects = rejects or campaign.list_path.with_name(campaign.list_path.stem + ".rejects.csv")
    if rejects.resolve() == campaign.list_path.resolve():
        _fail(f"{rejects}: the rejects file would overwrite the list")
    written = bool(calls.problems)
    try:
        if written:
            write_rejects(rejects, calls)
        else:
            _remove_stale(rejects)
    except OSError as exc:
        _fail(f"{rejects}: cannot write the rejects file: {exc.strerror or exc}")
    rejected = _print_summary(calls, rejects if written else None)
    _print_rejected(calls, None if all_rejects else show_rejects)
    if calls.total_rows == 0 or rejected == calls.total_rows:
        _fail(f"{calls.source}: no row can be dialed")
    if rejected > max_rejects:
        click.echo(f"{_rows(rejected)} rejected, more than --max-rejects {max_rejects}", err=True)
        _exit(exitcodes.NEEDS_ATTENTION)
    _exit(exitcodes.OK)


def _fail(message: str) -> NoReturn:
    click.echo(f"dialer validate: {' '.join(message.split())}", err=True)
    _exit(exitcodes.BAD_INPUT)


def _exit(code: int) -> NoReturn:
    click.get_current_context().exit(code)


def write_rejects(path: Path, calls: CallList) -> None:
    """Rejected and suppressed rows, in row order, with their original cells.

    UTF-8 with a byte-order mark, so Excel shows accents and symbols as they were.
    """
    with open(path, "w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        header_names = [h if h not in REJECTS_COLUMNS else f"{h} (list)" for h in calls.headers]
        writer.writerow(REJECTS_COLUMNS + header_names)
        for p in calls.problems:
            fixed = [p.row, p.outcome, p.code, p.column or "", p.reason, p.duplicate_of or ""]
            writer.writerow(fixed + [p.values.get(h, "") for h in calls.headers])


def _remove_stale(path: Path) -> None:
    """A rejects file an earlier check wrote, now that the list has none: it would mislead."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f), [])
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
        return
    if header[: len(REJECTS_COLUMNS)] == REJECTS_COLUMNS:
        path.unlink()


def _print_summary(calls: CallList, rejects: Path | None) -> int:
    """Print the totals; the number of rejected rows."""
    by_code = Counter(p.code for p in calls.problems)
    reasons = Counter(p.reason for p in calls.problems if p.outcome == outcomes.REJECTED)
    rejected = sum(reasons.values())
    lines = [
        f"{calls.source}: {_rows(calls.total_rows)}",
        f"  valid        {calls.total_rows - rejected}",
        f"  to dial      {len(calls.table)}",
        f"  rejected     {rejected}",
        *(f"    {n:>8}  {reason}" for reason, n in reasons.most_common()),
        f"  duplicates   {by_code['duplicate']}",
        f"  do-not-call  {by_code['do-not-call']}",
        f"  blank rows   {calls.blank_rows} (skipped)",
        f"rejects file: {rejects} ({_rows(len(calls.problems))})"
        if rejects is not None
        else "rejects file: none written (no row rejected or suppressed)",
    ]
    click.echo("\n".join(lines))
    return rejected


def _print_rejected(calls: CallList, limit: int | None) -> None:
    """The rejected rows as a table (row, column, reason), the first ``limit`` of them (None: all)."""
    rows = [p for p in calls.problems if p.outcome == outcomes.REJECTED]
    shown = rows if limit is None else rows[:limit]
    if not shown:
        return
    table = [("row", "column", "reason")] + [(str(p.row), p.column or "-", p.reason) for p in shown]
    row_width = max(len(r[0]) for r in table)
    column_width = max(len(r[1]) for r in table)
    lines = [f"Rejected rows ({len(rows)}):"]
    lines += [f"  {r:>{row_width}}  {c:<{column_width}}  {why}" for r, c, why in table]
    if len(shown) < len(rows):
        lines.append(f"  ... and {len(rows) - len(shown)} more: see the rejects file, or --all-rejects")
    click.echo("\n".join(lines))


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"
