"""Whom a campaign reached: its placed calls by what became of them, answer rate, talk time, answers by
hour, and who waits to be called again ([recycle]). Pure: the caller passes the instant and the zone.

Two sources, each for what it alone knows. Every placed call and every ``call_ended`` line counts in
the replay's tally (``CallTally``: a person called three times is three calls); a row is reached or
not by its person's record, whose latest call speaks for all of them (someone who answered is never
called again, and a person is called again only after an unanswered call).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

import pandas as pd

from dialer.campaign.settings import Recycle as RecyclePolicy
from dialer.core import outcomes as o
from dialer.core.call_outcome import ANSWERED, BUSY, CALL_STATUSES, FAILED, NO_ANSWER
from dialer.planning.recycle import next_call_at
from dialer.planning.times import unix_time
from dialer.reporting.rows import RowTable

WAITING = "waiting"  # placed, what became of the call not learned yet
CALL_KEYS = (*CALL_STATUSES, WAITING)
UNANSWERED = (NO_ANSWER, BUSY, FAILED)


@dataclass(frozen=True)
class RecycleWaiting:
    """A list row whose person is to be called again ([recycle])."""

    row: int
    snumber: str
    cnumber: str
    due: str  # ISO-8601 UTC, when the person may be called again
    last_status: str  # call_status of their last call (no-answer, busy)
    calls: int  # calls placed to the person so far


@dataclass(frozen=True)
class CallStats:
    calls: dict[str, int]  # placed calls by call_status, every CALL_KEYS key in that order
    reached: int  # list rows whose person answered
    not_reached: int  # list rows placed whose calls all ended unanswered (no-answer, busy, failed)
    answer_rate: float | None  # reached / (reached + not_reached); None when both 0
    talk_median_s: float | None  # over answered calls
    talk_p90_s: float | None
    answers_by_hour: list[int]  # 24 counts: answered calls by the local hour they were placed
    recycle_waiting: list[RecycleWaiting]  # soonest first


@dataclass(frozen=True)
class CallTally:
    """The placed calls and ``call_ended`` lines of a results file, as the replay tallied them."""

    placed: int = 0
    ended: Counter[str] = field(default_factory=Counter)  # call_ended lines by call_status
    talk: Counter[float] = field(default_factory=Counter)  # answered calls' talk seconds
    # Answered calls by the UTC minute they were placed ('2026-11-26T20:01'): a zone is whole
    # minutes off UTC, so the local hour is known once the zone is.
    answered_at: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, tally: dict) -> CallTally:
        """From a replay's tally (dialer.journal.tally)."""
        return cls(
            placed=tally["placed"],
            ended=Counter(tally["ended"]),
            talk=Counter({float(seconds): n for seconds, n in tally["talk"].items()}),
            answered_at=Counter(tally["answered_at"]),
        )


def calls_by_status(tally: CallTally) -> dict[str, int]:
    """Placed calls by call_status; those with no call_ended line yet are waiting."""
    out = {status: tally.ended.get(status, 0) for status in CALL_STATUSES}
    out[WAITING] = max(0, tally.placed - sum(out.values()))
    return out


def percentile(values: Counter[float], fraction: float) -> float | None:
    """The value below which ``fraction`` of the counted values lie (nearest rank); None when none."""
    total = sum(values.values())
    if not total:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for value in sorted(values):
        seen += values[value]
        if seen >= rank:
            return value
    return None  # not reached: the ranks add up to total


def answers_by_hour(answered_at: Counter[str], zone: tzinfo) -> list[int]:
    """24 counts, by the hour in ``zone`` of each UTC minute's answered calls."""
    hours = [0] * 24
    for minute, n in answered_at.items():
        try:
            when = datetime.fromisoformat(minute).replace(tzinfo=UTC)
        except ValueError:
            continue
        hours[when.astimezone(zone).hour] += n
    return hours


def recycle_waiting(table: RowTable, policy: RecyclePolicy | None) -> list[RecycleWaiting]:
    """The placed rows whose person [recycle] calls again, soonest first (those due already too)."""
    if policy is None or not policy.enabled:
        return []
    out = []
    placed = table.where(o.PLACED)
    unanswered = pd.Series(table.call_status[placed], dtype=object).isin(policy.statuses).to_numpy(dtype=bool)
    for i in placed[unanswered].tolist():
        rec = table.record_at(i)
        if rec is None:
            continue
        at = next_call_at(policy, rec.call_status, [unix_time(ts, 0.0) for ts in rec.placed_at.split()])
        if at is None:
            continue
        due = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        numbers = (table.snumbers[i], table.cnumbers[i])
        out.append(RecycleWaiting(int(table.rows[i]), *numbers, due, str(rec.call_status), rec.calls))
    out.sort(key=lambda w: (w.due, w.row))
    return out


def call_stats(
    tally: CallTally,
    table: RowTable | None = None,
    *,
    recycle: RecyclePolicy | None = None,
    zone: tzinfo = UTC,
) -> CallStats:
    """The call statistics of a campaign: ``tally`` its results lines', ``table`` its list rows'
    states (rows.row_table), ``recycle`` its [recycle] policy, ``zone`` its calling window's zone."""
    statuses: Counter = Counter()
    if table is not None and len(table):
        placed = table.call_status[table.where(o.PLACED)]
        statuses.update(pd.Series(placed, dtype=object).value_counts().to_dict())
    reached = statuses[ANSWERED]
    not_reached = sum(statuses[s] for s in UNANSWERED)
    asked = reached + not_reached
    return CallStats(
        calls=calls_by_status(tally),
        reached=reached,
        not_reached=not_reached,
        answer_rate=reached / asked if asked else None,
        talk_median_s=percentile(tally.talk, 0.5),
        talk_p90_s=percentile(tally.talk, 0.9),
        answers_by_hour=answers_by_hour(tally.answered_at, zone),
        recycle_waiting=[] if table is None else recycle_waiting(table, recycle),
    )
