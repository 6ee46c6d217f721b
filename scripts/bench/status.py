"""`dialer status` and `dialer report` on a long campaign: wall time, peak memory, time per row.

The campaign is the resume section's (scripts/bench/resume.py: 1,000,000 rows by default, --rows,
90% of them placed in the results file), and a 1,000-row campaign generated the same way, so that
seconds per 1,000 rows at both sizes say whether a row costs the same in a long campaign as in a
short one (at 1,000 rows, the process's start-up is most of the time). Each command is a subprocess
(`dialer status LIST --results FILE`, `dialer report ... --format csv`, then `--format html`), timed
from just before it starts to its exit, its peak memory from wait4 (scripts/bench/common.py).

Each command runs twice on each campaign: cold, on the files as generated (no list cache, no
checkpoint: the list is loaded and checked and the whole results file replayed), and warm, with the
list cache and checkpoint a run leaves (made by one `dialer run` whose calling window is closed: it
loads, replays, records its start and end, saves both and exits 7 without dialing). Goals, at
1,000,000 rows: status under 3 s, each report under 60 s. A command that exits with a status other
than 0 or 4 (4: finished, rows need attention) is reported as failed, with the tail of its stderr.

With --compare-with, the other checkout runs every command too, right after this one's, on a copy of
the results file with caches made by its own `dialer run`.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from scripts.bench.common import THIS, Bench, Checkout, ChildRun, Row, run_child, yes
from scripts.bench.resume import (
    GOAL_ROWS,
    Campaign,
    caches,
    campaign_inputs,
    copy_results,
    remove_caches,
    remove_copy,
)

SMALL_ROWS = 1000
COMMANDS = {  # name: the dialer command's arguments before the list
    "status": ["status"],
    "report --format csv": ["report", "--format", "csv"],
    "report --format html": ["report", "--format", "html"],
}
GOALS = {"status": 3.0, "report --format csv": 60.0, "report --format html": 60.0}  # seconds at 1M rows
ACCEPTED = (0, 4)  # exit statuses of a status or report that worked (`dialer status --help`)
STATES = {
    "warm": "warm (the list cache and checkpoint a run leaves)",
    "cold": "cold (no list cache, no checkpoint)",
}
NO_SWITCH = "http://127.0.0.1:9/api/json/calls/make/"  # never asked: the window is closed


@dataclass
class Measured:
    wall: float
    peak_mb: float
    failed: str = ""  # "exit N: stderr tail" when the command failed


def run(b: Bench) -> None:
    d = b.work / "status"
    results: dict[tuple[str, int, str, str], Measured] = {}  # (command, rows, state, checkout label)
    for rows in (SMALL_ROWS, b.rows_of_campaign):
        print(f"status: {rows:,} rows, {rows * 9 // 10:,} placed", flush=True)
        campaign = campaign_inputs(b.work / "resume", rows)
        results.update(_measure_campaign(b, d / str(rows), campaign))
    _rows(b, results)
    if b.rows_of_campaign != GOAL_ROWS:
        b.note(
            f"status: the goals are set for {GOAL_ROWS:,} rows; "
            f"this run's campaign has {b.rows_of_campaign:,}"
        )


def _measure_campaign(b: Bench, d: Path, campaign: Campaign) -> dict[tuple[str, int, str, str], Measured]:
    """Every command, cold then warm, each checkout right after the other."""
    out: dict[tuple[str, int, str, str], Measured] = {}
    for name in COMMANDS:
        for co in b.checkouts:
            out[name, campaign.rows, "cold", co.label] = _timed(d / f"cold-{co.label}", name, campaign, co)
            remove_caches(campaign.results)  # status and report write none; if one did, the next is cold too
    warm = {}
    try:
        for co in b.checkouts:
            warm[co.label] = _with_caches(b, d / f"warm-{co.label}", campaign, co)
        for name in COMMANDS:
            for co in b.checkouts:
                where = d / f"warm-{co.label}"
                out[name, campaign.rows, "warm", co.label] = _timed(where, name, warm[co.label], co)
    finally:
        for copy in warm.values():
            remove_copy(copy)
    return out


def _with_caches(b: Bench, d: Path, campaign: Campaign, checkout: Checkout) -> Campaign:
    """A copy of the campaign's results file with the list cache and checkpoint ``checkout``'s
    `dialer run` leaves: a run whose calling window (an hour of the day, UTC, that is not now) is closed."""
    copy = copy_results(campaign, d)
    window = "00:00-01:00" if datetime.now(UTC).hour >= 2 else "12:00-13:00"
    command = [
        sys.executable, "-m", "dialer", "run", str(copy.list_path), "--results", str(copy.results),
        "--url", NO_SWITCH, "--window", window, "--timezone", "UTC",
    ]  # fmt: skip
    made = run_child(command, d, checkout=checkout)
    missing = [path.name for path in caches(copy.results) if not path.exists()]
    if made.status != 7 or missing:
        b.note(
            f"status ({checkout.label} checkout, {campaign.rows:,} rows): "
            f"the run meant to write the caches exited {made.status} (7 expected: window closed); "
            f"missing: {', '.join(missing) or 'none'}; its stderr: {_tail(made.stderr)}"
        )
    return copy


def _timed(d: Path, name: str, campaign: Campaign, checkout: Checkout) -> Measured:
    d.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "dialer", *COMMANDS[name], str(campaign.list_path)]
    command += ["--results", str(campaign.results)]
    if name.startswith("report"):
        out = d / "report"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        command += ["--out", str(out)]
    done: ChildRun = run_child(command, d, checkout=checkout)
    failed = "" if done.status in ACCEPTED else f"exit {done.status}: {_tail(done.stderr)}"
    print(
        f"  {checkout.label} dialer {name}, {campaign.rows:,} rows, {d.name}: {done.wall:.2f} s, "
        f"{done.peak_mb:,.0f} MB{', FAILED ' + failed if failed else ''}",
        flush=True,
    )
    return Measured(done.wall, done.peak_mb, failed)


def _tail(stderr: str, chars: int = 300) -> str:
    """The end of a command's stderr, on one line, fit for a table cell."""
    text = " / ".join(line.strip() for line in stderr.strip().splitlines() if line.strip())
    text = text[-chars:] if len(text) > chars else text
    return (text or "(nothing on stderr)").replace("|", "\\|")


def _rows(b: Bench, results: dict[tuple[str, int, str, str], Measured]) -> None:
    big = b.rows_of_campaign
    for name in COMMANDS:
        for state in STATES:
            for rows in (big, SMALL_ROWS):
                new = results[name, rows, state, THIS.label]
                old = results[name, rows, state, b.other.label] if b.other is not None else None
                b.add(_row(name, rows, state, new, old, GOALS[name] if rows == big else None))


def _row(name: str, rows: int, state: str, new: Measured, old: Measured | None, goal: float | None) -> Row:
    if rows == SMALL_ROWS:
        measure = f"  the same at {rows:,} rows ({rows * 9 // 10:,} placed)"
    else:
        measure = (
            f"dialer {name}, {rows:,} rows ({rows * 9 // 10:,} placed), {STATES[state]}: "
            "wall / per 1,000 rows / peak memory"
        )
    value, baseline, ratio = _cell(new, rows), "", ""
    if old is not None:
        baseline = "old " + _cell(old, rows)
        value = "new " + value
        if not (new.failed or old.failed):
            ratio = f"{new.wall / old.wall:.2f}"
    if goal is None:
        return Row(measure, value, baseline, ratio)
    return Row(measure, value, baseline, ratio, f"< {goal:g} s", yes(not new.failed and new.wall < goal))


def _cell(m: Measured, rows: int) -> str:
    if m.failed:
        return f"failed ({m.failed})"
    return f"{m.wall:.2f} s / {m.wall / rows * 1000:.4f} s / {m.peak_mb:,.0f} MB"
