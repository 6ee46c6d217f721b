"""Which rows to dial next, given the list and the replayed results file: a pure function.

A campaign's memory is kept by person (``dialer.calllist.persons``), not by row: whatever row,
position or list holds a person now, what the results file says of that person decides the row.

| the person's record          | the row holds the numbers it was dialed with | other numbers          |
| ---------------------------- | -------------------------------------------- | ---------------------- |
| none, never sent, or failed  | dialed                                       | dialed                 |
| placed                       | placed (its callid)                          | suppressed: called     |
| unknown                      | unknown: the switch's lists are asked (or the operator redials) | the same |
| rejected by the switch       | rejected                                     | dialed (nothing placed)|

So a list edited between runs (rows inserted, re-ordered, deleted, a cnumber changed, another list
on the same results file) never has a person called twice, and every row's outcome is the one its
person had. The list's own verdicts (invalid, duplicate, do-not-call) are the loader's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dialer.calllist.model import CallList, RowProblem
from dialer.campaign.settings import Recycle
from dialer.core import outcomes as o
from dialer.journal.records import PersonRecord, is_person, list_row_key, older_row_key
from dialer.journal.replay import Replay
from dialer.planning.recycle import next_call_at, why
from dialer.planning.times import unix_time

ALREADY_CALLED = "already-called"  # the code of a row whose person was called under other numbers
# States of a person's record after which nobody is called again on their account: the call may
# exist. Anything the planner does not know (a damaged line) is taken as one of these.
_MAY_EXIST = (o.PLACED, o.UNKNOWN)
_NOTHING_PLACED = (o.NOT_DIALED, o.FAILED)


@dataclass(frozen=True)
class ListRowState:
    """One list row as things stand: its state and where that state comes from."""

    row: int
    snumber: str
    cnumber: str
    state: str  # one of outcomes.ROW_STATES
    record: PersonRecord | None  # its person's record, when that outcome is this row's
    problem: RowProblem | None  # why it is not dialed, when the list or an earlier run says so


@dataclass
class Plan:
    to_dial: list[int] = field(default_factory=list)  # in list order
    redial_unknown: list[int] = field(default_factory=list)  # unknown rows the operator chose to redial
    # Rows whose person's outcome is unknown and not redialed, with the key of the person's record:
    # the switch may be asked about them.
    unknown: list[tuple[int, str]] = field(default_factory=list)
    problems_to_record: list[RowProblem] = field(default_factory=list)  # not yet in the results file
    already_called: list[int] = field(default_factory=list)  # person called under other numbers
    moved: list[int] = field(default_factory=list)  # person's outcome recorded under another row
    # [recycle]: rows whose person is called again now (with why), and later (row, key, when, how
    # their last call ended)
    recycle_now: dict[int, str] = field(default_factory=dict)
    recycle_later: list[tuple[int, str, float, str]] = field(default_factory=list)
    placed_times: dict[str, list[float]] = field(default_factory=dict)  # of the persons recycled
    outcomes_pending: list[tuple[int, str]] = field(default_factory=list)  # placed, outcome to learn
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(o.ROW_STATES, 0))


@dataclass
class RowVerdicts:
    """Every table row's person and what the results file says of it, as arrays in row order."""

    rows: np.ndarray  # int64
    snumbers: np.ndarray
    cnumbers: np.ndarray
    keys: np.ndarray  # the key of the record that speaks for the row (its person, or an older row)
    present: np.ndarray  # bool: the record exists and a request for the person may have left
    state: np.ndarray  # the record's state (None where absent)
    row_of: np.ndarray  # the row the record was last dialed as
    same: np.ndarray  # bool: the row holds the numbers the record was dialed with
    call_status: np.ndarray  # what became of the record's latest call (None: not learned)
    dialed_ts: np.ndarray  # when the record's latest request was made ready to leave

    def where(self, states: tuple) -> np.ndarray:
        return self.present & _isin(self.state, states)

    def numbers_of(self, row: int | None) -> tuple[str, str] | None:
        """The numbers a row of the table sends (None for a row not in it)."""
        at = int(np.searchsorted(self.rows, row)) if row is not None else len(self.rows)
        if at < len(self.rows) and self.rows[at] == row:
            return self.snumbers[at], self.cnumbers[at]
        return None


def row_verdicts(call_list: CallList, replay: Replay) -> RowVerdicts:
    table = call_list.table
    if len(table):
        rows = table.index.to_numpy(dtype=np.int64)
        snumbers = table["snumber"].to_numpy(dtype=object)
        cnumbers = table["cnumber"].to_numpy(dtype=object)
        keys = call_list.persons.to_numpy(dtype=object, copy=True)  # older rows' keys go in it
    else:
        rows, snumbers, cnumbers, keys = np.empty(0, np.int64), *(np.empty(0, object),) * 3
    names = ("snumber", "cnumber", "sent", "state", "row", "call_status", "dialed_ts")
    present, had = replay.records.lookup(keys, names, rows)  # a list's persons are unique: rows hint
    if replay.older_rows:
        _older_records(replay, snumbers, cnumbers, keys, present, had)
    present &= had["sent"].astype(bool)
    same = present & (had["snumber"] == snumbers) & (had["cnumber"] == cnumbers)
    state, row_of, status = had["state"], had["row"], had["call_status"]
    return RowVerdicts(rows, snumbers, cnumbers, keys, present, state, row_of, same, status, had["dialed_ts"])


def _older_records(
    replay: Replay,
    snumbers: np.ndarray,
    cnumbers: np.ndarray,
    keys: np.ndarray,
    present: np.ndarray,
    had: dict[str, np.ndarray],
) -> None:
    """Rows with no record of their person, matched by their numbers to a row an older dialer
    recorded without naming the person (in place)."""
    rest = np.flatnonzero(~present)
    if not len(rest):
        return
    older = np.array([older_row_key(s, c) for s, c in zip(snumbers[rest], cnumbers[rest], strict=True)])
    found, values = replay.records.lookup(older.astype(object), tuple(had))
    at = rest[found]
    keys[at] = older[found]
    present[at] = True
    for name, column in had.items():
        column[at] = values[name][found]


def plan(
    call_list: CallList,
    replay: Replay,
    *,
    redial_unknown: bool = False,
    recycle: Recycle | None = None,
    now: float = 0.0,
    outcomes_since: str | None = None,
) -> Plan:
    """What this run must do: rows to dial, problems to record, and counts of where things stand.

    ``recycle`` and ``now`` (Unix time): who is called again now, and who later; ``outcomes_since``
    (a results-line time): the placed calls since then whose outcome is still to learn."""
    out = Plan()
    v = row_verdicts(call_list, replay)
    dial = ~v.present | v.where(_NOTHING_PLACED) | (v.where((o.REJECTED,)) & ~v.same)
    counts = Counter(np.where(v.present & v.where((o.FAILED,)), o.FAILED, o.NOT_DIALED)[dial].tolist())
    out.to_dial = v.rows[dial].tolist()
    out.counts[o.REJECTED] += int(np.count_nonzero(v.where((o.REJECTED,)) & v.same))
    may_exist = v.present & ~dial & ~v.where((o.REJECTED,))
    placed_here = may_exist & v.same & _isin(v.state, (o.PLACED,))
    called_elsewhere = may_exist & ~v.same & _isin(v.state, (o.PLACED,))
    unknown = may_exist & ~placed_here & ~called_elsewhere  # unknown, or a state nobody wrote
    again = _recycle(out, v, replay, placed_here | called_elsewhere, recycle, now)
    out.to_dial += v.rows[again].tolist()
    called_elsewhere &= ~again
    out.counts[o.PLACED] += int(np.count_nonzero(placed_here | again))
    out.counts[o.SUPPRESSED] += int(np.count_nonzero(called_elsewhere))
    if outcomes_since is not None and (replay.last_dialed or "") >= outcomes_since:
        out.outcomes_pending = _outcomes_pending(v, replay, placed_here | called_elsewhere, outcomes_since)
        if recycle is not None and recycle.enabled:  # learned in this run, they may be called again
            out.placed_times.update(_placed_times(replay, key) for _, key in out.outcomes_pending)
    if redial_unknown:
        out.redial_unknown = v.rows[unknown].tolist()
        out.to_dial += out.redial_unknown
        counts[o.UNKNOWN] += len(out.redial_unknown)
    else:
        out.unknown = list(zip(v.rows[unknown].tolist(), v.keys[unknown].tolist(), strict=True))
        out.counts[o.UNKNOWN] += len(out.unknown)
    for state, n in counts.items():
        out.counts[state] += n
    out.moved = v.rows[(placed_here | (unknown & v.same)) & (v.row_of != v.rows)].tolist()
    out.already_called = v.rows[called_elsewhere].tolist()
    for i in np.flatnonzero(called_elsewhere).tolist():
        problem = already_called_problem(v, i, replay.records.record_of(v.keys[i]))
        _note(out, problem, replay)
    for problem in call_list.problems:
        state = problem_row_state(problem, replay, v)
        if state.problem is not None:
            _note(out, state.problem, replay)
        out.counts[state.state] += 1
    out.to_dial.sort()
    return out


def _recycle(
    out: Plan, v: RowVerdicts, replay: Replay, placed: np.ndarray, policy: Recycle | None, now: float
) -> np.ndarray:
    """The placed rows whose person is called again now (True); those due later go in the plan."""
    again = np.zeros(len(v.rows), dtype=bool)
    if policy is None or not policy.enabled:
        return again
    for i in np.flatnonzero(placed & _isin(v.call_status, policy.statuses)).tolist():
        rec = replay.records.record_of(v.keys[i])
        if rec is None:
            continue
        times = [unix_time(ts, 0.0) for ts in rec.placed_at.split()]
        at = next_call_at(policy, rec.call_status, times)
        if at is None:
            continue
        row, key = int(v.rows[i]), str(v.keys[i])
        out.placed_times[key] = times
        if at <= now:
            again[i] = True
            out.recycle_now[row] = why(str(rec.call_status), times, policy)
        else:
            out.recycle_later.append((row, key, at, str(rec.call_status)))
    out.recycle_later.sort(key=lambda entry: entry[2])
    return again


def _placed_times(replay: Replay, key: str) -> tuple[str, list[float]]:
    rec = replay.records.record_of(key)
    return key, [unix_time(ts, 0.0) for ts in rec.placed_at.split()] if rec is not None else []


def _outcomes_pending(
    v: RowVerdicts, replay: Replay, placed: np.ndarray, since: str
) -> list[tuple[int, str]]:
    candidates = np.flatnonzero(placed & pd.isna(pd.Series(v.call_status, dtype=object)).to_numpy())
    dialed = v.dialed_ts[candidates].tolist()
    recent = [i for i, ts in zip(candidates.tolist(), dialed, strict=True) if (ts or "") >= since]
    return [(int(v.rows[i]), str(v.keys[i])) for i in recent]


def list_row_states(call_list: CallList, replay: Replay) -> Iterator[ListRowState]:
    """Every row of the list with its current state, in row order (for status and reports)."""
    replay.records.make_all_records()  # every record is read: built at once, not one by one
    v = row_verdicts(call_list, replay)
    states = [
        _table_row_state(v, i, replay.records.record_of(v.keys[i]) if v.present[i] else None)
        for i in range(len(v.rows))
    ]
    states += [problem_row_state(problem, replay, v) for problem in call_list.problems]
    yield from sorted(states, key=lambda st: st.row)


def not_in_list(call_list: CallList, replay: Replay) -> list[PersonRecord]:
    """What earlier runs did for people the list no longer holds: the record of every person a request
    was sent for (placed, unknown, failed, rejected by the switch) that no row of the list holds now,
    to dial or set aside (a duplicate, a do-not-call number, a person already called under other
    numbers), in the order the results file first named them. A row an older dialer recorded without
    its person is in the list while a row holds the same numbers."""
    persons = set(call_list.persons.tolist()) if call_list.persons is not None else set()
    persons.update(problem.person for problem in call_list.problems if problem.person)
    table = call_list.table
    pairs = set()
    if replay.older_rows and len(table):
        numbers = zip(table["snumber"].tolist(), table["cnumber"].tolist(), strict=True)
        pairs = {older_row_key(s, c) for s, c in numbers}
    gone = [key for key in replay.records.select(sent=True) if is_person(key) and key not in persons]
    return replay.records.records_of(key for key in gone if key not in pairs)


def _table_row_state(v: RowVerdicts, i: int, rec: PersonRecord | None) -> ListRowState:
    row, snumber, cnumber = int(v.rows[i]), v.snumbers[i], v.cnumbers[i]
    if rec is None or rec.state in _NOTHING_PLACED:
        state = o.FAILED if rec is not None and rec.state == o.FAILED else o.NOT_DIALED
        return ListRowState(row, snumber, cnumber, state, rec, None)
    if rec.state == o.REJECTED:
        if v.same[i]:
            return ListRowState(row, snumber, cnumber, o.REJECTED, rec, None)
        return ListRowState(row, snumber, cnumber, o.NOT_DIALED, None, None)
    if rec.state == o.PLACED and not v.same[i]:
        return ListRowState(row, snumber, cnumber, o.SUPPRESSED, None, already_called_problem(v, i, rec))
    state = rec.state if rec.state in _MAY_EXIST else o.UNKNOWN
    return ListRowState(row, snumber, cnumber, state, rec, None)


def already_called_problem(v: RowVerdicts, i: int, rec: PersonRecord | None) -> RowProblem:
    row, snumber, cnumber = int(v.rows[i]), v.snumbers[i], v.cnumbers[i]
    earlier = "an earlier run" if rec is None or not rec.run else f"run {rec.run}"
    detail = "" if rec is None else f" as row {rec.row} ({rec.snumber} to {rec.cnumber})"
    callid = f", callid {rec.callid}" if rec is not None and rec.callid else ""
    return RowProblem(
        row=row,
        outcome=o.SUPPRESSED,
        code=ALREADY_CALLED,
        reason=f"its person was already called: placed in {earlier}{detail}{callid}",
        snumber=snumber,
        cnumber=cnumber,
        duplicate_of=None if rec is None else rec.row,
        person=str(v.keys[i]),
    )


def problem_row_state(problem: RowProblem, replay: Replay, table: RowVerdicts) -> ListRowState:
    """A row the list sets aside; one whose person was called (or may have been) with these very
    numbers before the list set it aside shows that call: a number put on do-not-call since, or a
    copy of a person whose first row now holds other numbers than the call was made with (the call
    is this row's, and only this row's). A call that cannot exist (failed, refused) is not shown:
    the row is what the list says."""
    if problem.person:
        rec = replay.records.record_of(problem.person)
        numbers = (problem.snumber, problem.cnumber)
        if (
            rec is not None
            and rec.sent
            and rec.state in _MAY_EXIST
            and (rec.snumber, rec.cnumber) == numbers
            and (problem.code != "duplicate" or table.numbers_of(problem.duplicate_of) != numbers)
        ):
            return ListRowState(problem.row, problem.snumber, problem.cnumber, rec.state, rec, None)
    return ListRowState(problem.row, problem.snumber, problem.cnumber, problem.outcome, None, problem)


def _note(out: Plan, problem: RowProblem, replay: Replay) -> None:
    """A problem is written down once: again only when what the results file says of it differs."""
    rec = replay.records.record_of(list_row_key(problem.row))
    if (
        rec is None
        or rec.state != problem.outcome
        or rec.reason != problem.reason
        or (rec.snumber, rec.cnumber) != (problem.snumber, problem.cnumber)
    ):
        out.problems_to_record.append(problem)


def _isin(values: np.ndarray, wanted: tuple) -> np.ndarray:
    """A bool per value of an object array (None and mixed types allowed): one of ``wanted``."""
    return pd.Series(values, dtype=object, copy=False).isin(list(wanted)).to_numpy(dtype=bool)
