"""Rows an earlier run left unknown, asked about when a run starts: which, when, and the controls (pure).

A crash, kill -9 or second Ctrl-C leaves rows in flight (written down as ``interrupted``), and a run
that stops also leaves the unknown rows it had not yet checked. The next run hands them to the
reconciler like its own unknown attempts: the same questions, the same settle rule, counted from the
record's last results line (the moment the earlier run last knew anything of it). An empty answer is
believed only when a call placed before the unknown one, and close to it in time, still shows in the
lists; at the start of a run none is placed yet, so calls earlier runs placed serve as the controls.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping

import numpy as np

from dialer.core import outcomes as o
from dialer.core.lookup import settle_seconds
from dialer.journal.records import PersonRecord
from dialer.journal.replay import Replay
from dialer.planning.planner import Plan
from dialer.planning.times import unix_time


def _whole(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


def unknown_to_check(the_plan: Plan, replay: Replay) -> list[tuple[int, PersonRecord]]:
    """The rows whose person's outcome is unknown that the switch's lists can be asked about, each
    with the person's record, in row order.

    ``the_plan.unknown`` holds the list rows whose person's outcome is unknown and that
    ``--redial-unknown`` does not redial (the operator's choice wins). Of those, one with a callid is
    not asked about, as within a run: the switch answered with the call's id, and a lookup would only
    say so again.
    """
    out = []
    for row, key in the_plan.unknown:
        rec = replay.records.record_of(key)
        if rec is not None and rec.state == o.UNKNOWN and rec.sent and rec.callid is None:
            out.append((row, rec))
    return out


def carried(rec: PersonRecord, params: Mapping[str, str], stagger_period: float) -> dict[str, str]:
    """The ``delay`` and ``wait`` the record's last request may have carried: what the results file
    recorded of it, or what the row sends now (``params``), plus one ``stagger_period`` of delay (the
    campaign's period when staggering by delay), whichever is longer. A list or campaign edited since
    may send less than that request did, and a check made too soon finds its call not yet started."""
    stagger = math.ceil(stagger_period)
    delay = _whole(params.get("delay")) + stagger
    wait = _whole(params.get("wait"))
    wait = wait + stagger if wait and stagger else wait
    return {"delay": str(max(delay, rec.sent_delay)), "wait": str(max(wait, rec.sent_wait))}


def seconds_until_settled(rec: PersonRecord, carried: Mapping[str, str], settle: float, now: float) -> float:
    """How long from ``now`` (Unix time) until any call the record's last attempt started shows in the
    lists, 0 when that moment has passed: its last line's time plus the delay and wait its request
    ``carried`` (as within a run) plus ``settle``. A record without a readable time is counted from
    now."""
    last_line = unix_time(rec.last_ts, now)
    return max(0.0, last_line + settle_seconds(carried, settle) - now)


def cdr_window_opens(rec: PersonRecord) -> float:
    """Unix time before which the record's last call cannot have started: its last dial's (or, for a
    record without one, its first line's). A wider window can only find more."""
    return unix_time(rec.dialed_ts or rec.first_ts, 0.0)


def dialed_at(rec: PersonRecord) -> float:
    """Unix time the record's last request was about to leave (0 when unknown)."""
    return unix_time(rec.dialed_ts, 0.0)


def controls_before(replay: Replay, unknown: list[PersonRecord], horizon: float) -> list[PersonRecord]:
    """For each unknown record, the call placed most recently before it (and at most ``horizon``
    seconds before it) by an earlier run: the one whose showing in the lists proves they cover the
    time the unknown call would have been made. Each at most once, oldest first."""
    if not unknown:
        return []
    keys = replay.records.select(states=(o.PLACED,), sent=True)
    _, values = replay.records.lookup(np.array(keys, dtype=object), ("dialed_ts",))
    times = [unix_time(ts, 0.0) for ts in values["dialed_ts"].tolist()]
    placed = sorted((t, key) for t, key in zip(times, keys, strict=True) if t > 0)
    starts = [t for t, _ in placed]
    chosen: dict[str, float] = {}
    for rec in unknown:
        sent = dialed_at(rec)
        i = bisect.bisect_right(starts, sent) - 1
        if i >= 0 and sent - starts[i] <= horizon:
            chosen[placed[i][1]] = starts[i]
    ordered = sorted(chosen, key=chosen.__getitem__)
    return replay.records.records_of(ordered)
