"""Where a campaign stands, as plain data: a pure function of the list rows' states and the results lines.

Counts come from the planner's ``list_row_states`` (the same states a run acts on); times, rates,
codes and errors come from the results lines themselves. A *request* is a ``dial`` intent that was
not ``withdrawn``: it left for the switch.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from dialer.campaign.settings import Recycle as RecyclePolicy
from dialer.core import exitcodes
from dialer.core import outcomes as o
from dialer.journal.lines import Event
from dialer.journal.records import is_person
from dialer.journal.replay import Replay
from dialer.planning.planner import ListRowState
from dialer.reporting.call_stats import CallStats, CallTally, call_stats

# States an operator has to look at, in the order the report lists them.
ATTENTION_STATES = (o.UNKNOWN, o.FAILED, o.REJECTED)

UNKNOWN_NOTE = (
    "unknown rows may have been placed (the request left, no answer came back, and the switch's call "
    "lists were not asked or could not tell); "
    "they are not redialed unless you run again with --redial-unknown"
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
    requests: int
    first_request: str | None
    last_request: str | None
    rate_last_run: float | None  # requests/s in the last run that sent any
    rate_overall: float | None  # requests/s over every run's sending time (gaps between runs left out)
    runs: list[RunStats]
    unknown: list[RowLine]
    attention: list[RowLine]  # unknown, failed and rejected rows, by state then row
    last_error: LastError | None
    attempt_codes: list[CodeCount]  # per attempt: result lines by (outcome, code)
    row_codes: list[CodeCount]  # per row: final state and code of every row that has one
    placed_per_minute: list[tuple[str, int]]  # ("2026-11-26T20:01Z", calls placed), sorted
    not_in_list: dict[str, int] = field(default_factory=dict)  # sent rows whose list row is gone
    torn_tail: bool = False
    call_stats: CallStats = field(default_factory=lambda: call_stats([], CallTally()))


def parse_ts(ts: str | None) -> datetime | None:
    """An ISO-8601 results timestamp as an aware UTC datetime; None if absent or unreadable."""
    if not ts or not isinstance(ts, str):
        return None
    try:
        value = datetime.fromisoformat(ts)
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def ts_key(ts: object) -> str | None:
    """A timestamp in the journal's own form ('2026-11-26T20:01:02.345678Z'), whose string order is
    time order; other ISO-8601 forms are converted, unreadable ones give None. Fast for the usual case."""
    if isinstance(ts, str) and len(ts) == 27 and ts[10] == "T" and ts[19] == "." and ts[26] == "Z":
        return ts
    value = parse_ts(ts) if isinstance(ts, str) else None
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else None


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


class _RunAcc:
    """Accumulates one run's lines."""

    def __init__(self, run: str) -> None:
        self.run = run
        self.started: str | None = None
        self.ended: str | None = None
        self.status: int | None = None
        self.reason: str | None = None
        self.sent: dict[tuple[object, object], list[str]] = defaultdict(list)

    def stats(self) -> RunStats:
        requests = sum(len(ts_list) for ts_list in self.sent.values())
        times = [key for ts_list in self.sent.values() for t in ts_list if (key := ts_key(t))]
        first, last = (min(times), max(times)) if times else (None, None)
        start, end = parse_ts(first), parse_ts(last)
        return RunStats(
            run=self.run,
            started=self.started,
            ended=self.ended,
            status=self.status,
            reason=self.reason,
            requests=requests,
            first_request=first,
            last_request=last,
            rate=rate(requests, first, last),
            seconds=(end - start).total_seconds() if start and end else 0.0,
        )


class _LineAcc:
    """Everything the summary takes from the results lines, in one pass."""

    def __init__(self) -> None:
        self.runs: dict[str, _RunAcc] = {}
        self.current: str = ""
        self.last_error: LastError | None = None
        self.attempt_codes: Counter[tuple[str, str | None]] = Counter()
        self.placed: Counter[str] = Counter()
        self.calls = CallTally()

    def run_of(self, line: dict) -> _RunAcc:
        run = str(line.get("run") or self.current)
        acc = self.runs.get(run)
        if acc is None:
            acc = self.runs[run] = _RunAcc(run)
        return acc

    def add(self, line: dict) -> None:
        event = line.get("event")
        acc = self.run_of(line)
        ts = line.get("ts")
        if event == Event.RUN_STARTED:
            self.current = acc.run
            acc.started = ts
        elif event == Event.DIAL:
            acc.sent[(line.get("row"), line.get("attempt"))].append(ts)
        elif event == Event.WITHDRAWN:
            withdrawn = acc.sent.get((line.get("row"), line.get("attempt")))
            if withdrawn:
                withdrawn.pop()
        elif event == Event.RESULT:
            self.add_result(line)
        elif event == Event.CHECKED:
            if line.get("outcome") == o.PLACED:  # settled by the switch's call lists: placed
                self.add_placed(line)
        elif event == Event.CALL_ENDED:
            self.calls.add_ended(line)
        elif event in (Event.RUN_ENDED, Event.RUN_ERROR):
            self.add_run_outcome(acc, line)

    def add_result(self, line: dict) -> None:
        code = line.get("code")
        outcome = str(line.get("outcome"))
        self.attempt_codes[(outcome, None if code is None else str(code))] += 1
        if outcome == o.PLACED:
            self.add_placed(line)

    def add_placed(self, line: dict) -> None:
        self.calls.add_placed()
        key = ts_key(line.get("ts"))
        if key:
            self.placed[key[:16] + "Z"] += 1

    def add_run_outcome(self, acc: _RunAcc, line: dict) -> None:
        ts, run = line.get("ts"), acc.run
        if line.get("event") == Event.RUN_ERROR:
            self.last_error = LastError(
                ts,
                run,
                Event.RUN_ERROR,
                str(line.get("error") or "error"),
                str(line.get("message") or ""),
            )
            return
        acc.ended, acc.reason = ts, line.get("reason")
        status = line.get("status")
        acc.status = status if isinstance(status, int) else None
        if acc.status:
            what = exitcodes.DESCRIPTIONS.get(acc.status, "")
            reason = str(acc.reason or "")
            message = what if what.startswith(reason) else "; ".join(p for p in (reason, what) if p)
            self.last_error = LastError(ts, run, Event.RUN_ENDED, f"exit status {acc.status}", message)


def _state_order(state: str) -> int:
    return ATTENTION_STATES.index(state) if state in ATTENTION_STATES else len(ATTENTION_STATES)


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


def _not_in_list(states: Sequence[ListRowState], replay: Replay) -> dict[str, int]:
    matched = {id(st.record) for st in states if st.record is not None}
    out: Counter[str] = Counter(
        rec.state
        for rec in replay.records.records()
        if is_person(rec.key) and rec.sent and id(rec) not in matched
    )
    return dict(sorted(out.items()))


def summarise(
    states: Iterable[ListRowState],
    replay: Replay,
    lines: Iterable[dict],
    *,
    recycle: RecyclePolicy | None = None,
    zone: tzinfo = UTC,
) -> Summary:
    """The summary of a campaign: ``states`` from planner.list_row_states, ``lines`` the parsed results,
    ``recycle`` the campaign's [recycle] policy and ``zone`` its calling window's time zone."""
    states = sorted(states, key=lambda st: st.row)
    acc = _LineAcc()
    for line in lines:
        acc.add(line)
    runs = [r.stats() for r in acc.runs.values() if r.started or r.sent or r.ended]
    sending = [r for r in runs if r.requests]
    rows = [row_line(st) for st in states]
    counts = dict.fromkeys(o.ROW_STATES, 0)
    for st in states:
        counts[st.state] = counts.get(st.state, 0) + 1
    seconds = sum(r.seconds for r in sending)
    gaps = sum(r.requests - 1 for r in sending if r.seconds > 0)
    all_times = sorted(t for r in sending for t in (r.first_request, r.last_request) if t)
    return Summary(
        total=len(states),
        counts=counts,
        requests=sum(r.requests for r in runs),
        first_request=all_times[0] if all_times else None,
        last_request=all_times[-1] if all_times else None,
        rate_last_run=sending[-1].rate if sending else None,
        rate_overall=gaps / seconds if seconds > 0 else None,
        runs=runs,
        unknown=[r for r in rows if r.state == o.UNKNOWN],
        attention=sorted(
            (r for r in rows if r.state in ATTENTION_STATES), key=lambda r: (_state_order(r.state), r.row)
        ),
        last_error=acc.last_error,
        attempt_codes=_sorted_codes(acc.attempt_codes),
        row_codes=_sorted_codes(Counter((r.state, r.code) for r in rows if r.state != o.NOT_DIALED)),
        placed_per_minute=sorted(acc.placed.items()),
        not_in_list=_not_in_list(states, replay),
        torn_tail=replay.torn_tail,
        call_stats=call_stats(states, acc.calls, recycle=recycle, zone=zone),
    )
