"""Rows an earlier run left unknown, asked about when a run starts: which, when, and the controls (pure).

A crash, kill -9 or second Ctrl-C leaves rows in flight (written down as ``interrupted``), and a run
that stops also leaves the unknown rows it had not yet checked. The next run hands them to the
reconciler like its own unknown attempts: the same questions, the same settle rule, counted from the
row's last results line (the moment the earlier run last knew anything of it). An empty answer is
believed only once the lists have shown a known call; at the start of a run none is placed yet, so
rows earlier runs placed serve as the controls.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from datetime import datetime
from operator import itemgetter

import numpy as np

from dialer.calllist.model import CallList
from dialer.core import outcomes as o
from dialer.core.lookup import settle_seconds
from dialer.journal.replay import Replay, RowRecord
from dialer.planning.planner import Plan

# Placed rows looked at, most recent first, to find the few whose numbers the list still holds.
CONTROL_CANDIDATES_PER_CONTROL = 8


def unknown_to_check(the_plan: Plan, replay: Replay) -> list[RowRecord]:
    """The unknown rows the switch's lists can be asked about, in row order.

    ``the_plan.unknown`` already holds only list rows whose history is theirs (same snumber and
    cnumber: the planner's notion of the same row) and that ``--redial-unknown`` does not redial
    (the operator's choice wins). Of those, a row with a callid is not asked about, as within a run:
    the switch answered with the call's id, and a lookup would only say so again.
    """
    out = []
    for row in the_plan.unknown:
        rec = replay.rows.record_of(row)
        if rec is not None and rec.state == o.UNKNOWN and rec.sent and rec.callid is None:
            out.append(rec)
    return out


def unix_time(ts: str | None, default: float) -> float:
    """A results line's ``ts`` (UTC ISO 8601, ``Z``) as Unix time; ``default`` when absent or unreadable."""
    if not ts:
        return default
    try:
        return datetime.fromisoformat(ts).timestamp()
    except ValueError:
        return default


def seconds_until_settled(
    rec: RowRecord, params: Mapping[str, str], settle: float, stagger_period: float, now: float
) -> float:
    """How long from ``now`` (Unix time) until any call the row's last attempt started shows in the
    lists, 0 when that moment has passed: its last line's time plus the delay and wait the row sends
    (as within a run) plus ``settle``, plus ``stagger_period`` (the campaign's period when staggering
    by delay: such a request carried an extra delay of up to one period, written in no line the
    earlier run may have left). A row without a readable time is counted from now."""
    last_line = unix_time(rec.last_ts, now)
    return max(0.0, last_line + settle_seconds(params, settle) + stagger_period - now)


def cdr_window_opens(rec: RowRecord) -> float:
    """Unix time before which the row's call cannot have started: its first line's. A row's earliest
    line is no later than any of its requests, and an earlier window can only find more."""
    return unix_time(rec.first_ts, 0.0)


def recent_placed(
    replay: Replay, list_numbers: Callable[[int], tuple[str, str] | None], kept: int
) -> list[RowRecord]:
    """Up to ``kept`` rows placed by earlier runs, most recent last line first, whose numbers the list
    still holds for them: the calls that prove the lists show this campaign's calls in the form its
    rows are asked about."""
    rows = replay.rows.select(states=(o.PLACED,), sent=True, stamped=True)
    _, values = replay.rows.lookup(np.array(rows, dtype=np.int64), ("last_ts",))
    # ISO 8601 UTC stamps of one fixed form sort as text in time order; nlargest keeps the store's
    # order among equal times.
    newest = heapq.nlargest(
        kept * CONTROL_CANDIDATES_PER_CONTROL,
        zip(values["last_ts"].tolist(), rows, strict=True),
        key=itemgetter(0),
    )
    records = replay.rows.records_of(row for _, row in newest)
    return [r for r in records if list_numbers(r.row) == (r.snumber, r.cnumber)][:kept]


def list_numbers_of(call_list: CallList) -> Callable[[int], tuple[str, str] | None]:
    """A row's (snumber, cnumber) in the list, None for a row the list does not hold (or rejects)."""
    table = call_list.table

    def numbers(row: int) -> tuple[str, str] | None:
        if row not in table.index:
            return None
        return table.at[row, "snumber"], table.at[row, "cnumber"]

    return numbers
