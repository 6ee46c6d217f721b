"""Where a campaign stands, as plain data: a pure function of the list rows' states and the replayed
results file.

Counts come from the planner's states of the list rows (``rows.row_table``: the same states a run
acts on); requests, rates, codes and calls from the replay's tally of the results lines
(``dialer.journal.tally``), errors from its run lines. A *request* is a ``dial`` intent that was not
``withdrawn``: it left for the switch, or tried to (one whose connection never opened sent nothing).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

import numpy as np
import pandas as pd

from dialer.campaign.settings import Recycle as RecyclePolicy
from dialer.core import exitcodes
from dialer.core import outcomes as o
from dialer.journal import tally as t
from dialer.journal.lines import Event
from dialer.journal.replay import Replay
from dialer.planning.planner import ListRowState, not_in_list
from dialer.reporting.call_stats import CallStats, CallTally, call_stats
from dialer.reporting.rows import RowTable

# States an operator has to look at, in the order status and the report list them.
ATTENTION_STATES = (o.UNKNOWN, o.FAILED, o.REJECTED, o.NOT_DIALED)

UNKNOWN_NOTE = (
    "unknown rows may have been placed (the request left, no answer came back, and the switch's call "
    "lists were not asked or could not tell); "
    "they are not redialed unless you run again with --redial-unknown"
)
# Runs that ended as planned: finished (4: some rows need attention, which is no error of the run),
# or paused until the window opens, the time limit or a recycle: nothing went wrong. Such a run that
# met no error itself shows the campaign carried on past the errors before it.
ORDERLY_ENDS = frozenset(
    {
        exitcodes.OK,
        exitcodes.NEEDS_ATTENTION,
        exitcodes.WINDOW_CLOSED,
        exitcodes.TIME_LIMIT,
        exitcodes.RECYCLE_LATER,
    }
)


@dataclass(frozen=True)
class RunStats:
    """One run of the campaign, from its results lines."""

    run: str
    started: str | None  # ts of run_started
    ended: str | None  # ts of run_ended (None: still running, or it died)
    status: int | None  # run_ended's exit status
    reason: str | None
    requests: int
    first_request: str | None
    last_request: str | None
    rate: float | None  # requests per second between its first and last request
    seconds: float = 0.0  # from its first request to its last
    never_connected: int = 0  # requests whose connection never opened: nothing was sent


@dataclass(frozen=True)
class RowLine:
    """One list row as the status and the report list it."""

    row: int
    state: str
    snumber: str
    cnumber: str
    code: str | None
    message: str | None
    attempts: int
    time: str | None  # ts of its last line in the results file
    call_status: str | None = None  # what became of its person's latest placed call (None: not learned)
    talk_s: float | None = None  # that call's talk time
    calls: int = 0  # calls placed to its person


@dataclass(frozen=True)
class CodeCount:
    outcome: str  # an attempt outcome (per attempt) or a row state (per row)
    code: str | None
    count: int


@dataclass(frozen=True)
class LastError:
    ts: str | None
    run: str | None
    event: str  # run_error or run_ended
    error: str  # run_error's error, or "exit status N"
    message: str


@dataclass(frozen=True)
class Summary:
    total: int  # list rows
    counts: dict[str, int]  # every outcomes.ROW_STATES key, in that order
    requests: int  # sent, or tried: never_connected of them sent nothing
    first_request: str | None
    last_request: str | None
    rate_last_run: float | None  # requests/s in the last run that sent any
    rate_overall: float | None  # requests/s over every run's sending time (gaps between runs left out)
    runs: list[RunStats]
    unknown: list[RowLine]  # every unknown row
    # Rows needing attention, by state (ATTENTION_STATES) then row: the first ``attention_limit`` of
    # each state (all when no limit was given); attention_counts says how many there are of each.
    attention: list[RowLine]
    last_error: LastError | None  # the last error that still describes the campaign
    attempt_codes: list[CodeCount]  # per attempt: result lines by (outcome, code)
    row_codes: list[CodeCount]  # per row: final state and code of every row that has one
    placed_per_minute: list[tuple[str, int]]  # ("2026-11-26T20:01Z", calls placed), sorted
    not_in_list: dict[str, int] = field(default_factory=dict)  # sent rows whose list row is gone
    torn_tail: bool = False
    call_stats: CallStats = field(default_factory=lambda: call_stats(CallTally()))
    never_connected: int = 0  # requests whose connection never opened
    attention_counts: dict[str, int] = field(default_factory=dict)  # every ATTENTION_STATES key


def parse_ts(ts: str | None) -> datetime | None:
    """An ISO-8601 results timestamp as an aware UTC datetime; None if absent or unreadable."""
    if not ts or not isinstance(ts, str):
        return None
    try:
        value = datetime.fromisoformat(ts)
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def rate(requests: int, first: str | None, last: str | None) -> float | None:
    """Requests per second from the first request to the last: (n - 1) gaps over the time between."""
    start, end = parse_ts(first), parse_ts(last)
    if requests < 2 or start is None or end is None:
        return None
    seconds = (end - start).total_seconds()
    return (requests - 1) / seconds if seconds > 0 else None


def row_line(st: ListRowState) -> RowLine:
    rec, problem = st.record, st.problem
    if rec is not None:
        return RowLine(
            row=st.row,
            state=st.state,
            snumber=st.snumber,
            cnumber=st.cnumber,
            code=rec.code,
            message=rec.message or rec.reason,
            attempts=rec.attempts,
            time=rec.last_ts,
            call_status=rec.call_status,
            talk_s=rec.talk_s,
            calls=rec.calls,
        )
    return RowLine(
        row=st.row,
        state=st.state,
        snumber=st.snumber,
        cnumber=st.cnumber,
        code=problem.code if problem else None,
        message=problem.reason if problem else None,
        attempts=0,
        time=None,
    )


# -- runs, from the replay's run lines and tally ---------------------------------------------------------


class _RunAcc:
    """One run's lines, as the replay kept and tallied them."""

    def __init__(self, run: str) -> None:
        self.run = run
        self.started: str | None = None
        self.ended: str | None = None
        self.status: int | None = None
        self.reason: str | None = None
        self.requests = 0
        self.never_connected = 0
        self.first: str | None = None
        self.last: str | None = None

    def sent(self, n: int, first: str | None, last: str | None) -> None:
        self.requests += n
        times = [ts for ts in (self.first, self.last, first, last) if isinstance(ts, str)]
        self.first, self.last = (min(times), max(times)) if times else (None, None)

    def stats(self) -> RunStats:
        start, end = parse_ts(self.first), parse_ts(self.last)
        return RunStats(
            run=self.run,
            started=self.started,
            ended=self.ended,
            status=self.status,
            reason=self.reason,
            requests=self.requests,
            first_request=self.first,
            last_request=self.last,
            rate=rate(self.requests, self.first, self.last),
            seconds=(end - start).total_seconds() if start and end else 0.0,
            never_connected=self.never_connected,
        )


def _runs(replay: Replay) -> list[RunStats]:
    """Every run, in the order the results file first names it."""
    runs: dict[str, _RunAcc] = {}

    def acc(run: object) -> _RunAcc:
        key = str(run or "")
        return runs.setdefault(key, _RunAcc(key))

    for line in replay.runs:
        acc(line.get("run")).started = line.get("ts")
    for run, entry in replay.tally["runs"].items():
        a = acc(run)
        a.sent(entry[t.REQUESTS], entry[t.FIRST], entry[t.LAST])
        a.never_connected += entry[t.NEVER_CONNECTED]
    for rec in replay.in_flight_records():  # sent, no answer yet: still a request
        acc(rec.run).sent(1, rec.dialed_ts, rec.dialed_ts)
    for line in replay.ends:
        a = acc(line.get("run"))
        a.ended, a.reason = line.get("ts"), line.get("reason")
        status = line.get("status")
        a.status = status if type(status) is int else None
    return [a.stats() for a in runs.values() if a.started or a.requests or a.ended]


def last_error(replay: Replay) -> LastError | None:
    """The last error that still describes the campaign: a run_error line, or a run that ended other
    than in order (ORDERLY_ENDS); a later run that ended in order, meeting no error itself, clears
    those before it (the campaign carried on past them)."""
    events = sorted(
        [*((line, True) for line in replay.errors), *((line, False) for line in replay.ends)],
        key=lambda item: str(item[0].get("ts") or ""),
    )  # the file's order (its times only grow), run_error before its run's run_ended
    found: LastError | None = None
    for line, is_error in events:
        ts, run = line.get("ts"), line.get("run")
        if is_error:
            error, message = str(line.get("error") or "error"), str(line.get("message") or "")
            found = LastError(ts, run, Event.RUN_ERROR, error, message)
            continue
        status = line.get("status")
        if status in ORDERLY_ENDS:
            if found is not None and found.run != run:
                found = None
            continue
        what = exitcodes.DESCRIPTIONS.get(status, "") if type(status) is int else ""
        reason = str(line.get("reason") or "")
        message = what if what.startswith(reason) else "; ".join(p for p in (reason, what) if p)
        found = LastError(ts, run, Event.RUN_ENDED, f"exit status {status}", message)
    return found


# -- codes ---------------------------------------------------------------------------------------------

# Outcomes in the order tables list them: how far the call got, then the rows that need a decision.
OUTCOME_ORDER = (o.PLACED, o.REJECTED, o.SUPPRESSED, o.RETRY, o.FAILED, o.UNKNOWN, o.NOT_DIALED)


def _sorted_codes(counter: Counter[tuple[str, str | None]]) -> list[CodeCount]:
    """By outcome (OUTCOME_ORDER), then most frequent first."""

    def key(kv: tuple[tuple[str, str | None], int]) -> tuple[int, int, str]:
        (outcome, code), n = kv
        rank = OUTCOME_ORDER.index(outcome) if outcome in OUTCOME_ORDER else len(OUTCOME_ORDER)
        return rank, -n, code or ""

    items = sorted(counter.items(), key=key)
    return [CodeCount(outcome, code, n) for (outcome, code), n in items]


def _row_codes(table: RowTable) -> Counter[tuple[str, str | None]]:
    """Each row's final state and code (the code of the record speaking for it, or of the list's or
    the planner's verdict), rows not yet dialed left out."""
    speaks = np.flatnonzero(table.keys != None)  # noqa: E711 - elementwise
    codes = np.full(len(table), None, dtype=object)
    _, had = table.replay.records.lookup(table.keys[speaks], ("code",))
    codes[speaks] = had["code"]
    if table.problems:  # the rows are in ascending order: each problem row found by bisection
        at = np.searchsorted(table.rows, np.fromiter(table.problems, dtype=np.int64))
        codes[at] = [problem.code for problem in table.problems.values()]
    dialed = table.state_numbers != o.ROW_STATES.index(o.NOT_DIALED)
    pairs = pd.DataFrame({"state": table.states[dialed], "code": codes[dialed]}, dtype=object)
    counts = pairs.value_counts(dropna=False)
    return Counter({(state, None if pd.isna(code) else code): int(n) for (state, code), n in counts.items()})


def _attempt_codes(replay: Replay) -> Counter[tuple[str, str | None]]:
    return Counter({t.outcome_code(key): n for key, n in replay.tally["codes"].items()})


# -- rows ----------------------------------------------------------------------------------------------


def _attention(table: RowTable, limit: int | None) -> tuple[list[RowLine], dict[str, int]]:
    lines: list[RowLine] = []
    counts = {}
    for state in ATTENTION_STATES:
        at = table.where(state)
        counts[state] = len(at)
        lines += [row_line(table.state_at(i)) for i in (at if limit is None else at[:limit]).tolist()]
    return lines, counts


def _not_in_list(table: RowTable, replay: Replay) -> dict[str, int]:
    """What earlier runs did for people no row of the list holds now (planner.not_in_list), by state.
    At once when the rows placed or unknown speak for as many persons as requests were sent for: each
    of those persons was sent for, so then every one sent for is in the list."""
    sent = replay.records.count("sent").get(True, 0)
    surely_sent = np.isin(table.state_numbers, [o.ROW_STATES.index(o.PLACED), o.ROW_STATES.index(o.UNKNOWN)])
    if len(pd.unique(table.keys[surely_sent & (table.keys != None)])) >= sent:  # noqa: E711 - elementwise
        return {}
    gone = not_in_list(table.call_list, replay)
    return dict(sorted(Counter(rec.state for rec in gone).items()))


def summarise(
    table: RowTable,
    replay: Replay,
    *,
    recycle: RecyclePolicy | None = None,
    zone: tzinfo = UTC,
    attention_limit: int | None = None,
    codes_by_row: bool = True,
) -> Summary:
    """The summary of a campaign: ``table`` its list rows' states (rows.row_table), ``replay`` its
    results file replayed, ``recycle`` its [recycle] policy, ``zone`` its calling window's time zone;
    ``attention_limit``: the rows needing attention listed of each state (None: all);
    ``codes_by_row``: count the rows by state and code (row_codes, which status does not show: on a
    million rows, that is a look-up of every row's code)."""
    runs = _runs(replay)
    sending = [r for r in runs if r.requests]
    seconds = sum(r.seconds for r in sending)
    gaps = sum(r.requests - 1 for r in sending if r.seconds > 0)
    all_times = sorted(ts for r in sending for ts in (r.first_request, r.last_request) if ts)
    attention, attention_counts = _attention(table, attention_limit)
    tally = replay.tally
    return Summary(
        total=len(table),
        counts=table.counts(),
        requests=sum(r.requests for r in runs),
        first_request=all_times[0] if all_times else None,
        last_request=all_times[-1] if all_times else None,
        rate_last_run=sending[-1].rate if sending else None,
        rate_overall=gaps / seconds if seconds > 0 else None,
        runs=runs,
        unknown=[row_line(table.state_at(i)) for i in table.where(o.UNKNOWN).tolist()],
        attention=attention,
        last_error=last_error(replay),
        attempt_codes=_sorted_codes(_attempt_codes(replay)),
        row_codes=_sorted_codes(_row_codes(table)) if codes_by_row else [],
        placed_per_minute=sorted((minute + "Z", n) for minute, n in tally["placed_minutes"].items()),
        not_in_list=_not_in_list(table, replay),
        torn_tail=replay.torn_tail,
        call_stats=call_stats(CallTally.of(tally), table, recycle=recycle, zone=zone),
        never_connected=sum(r.never_connected for r in runs),
        attention_counts=attention_counts,
    )
