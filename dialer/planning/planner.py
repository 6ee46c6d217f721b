"""Which rows to dial next, given the list and the replayed results file: a pure function.

A row is known by its spreadsheet row number *and* its (snumber, cnumber) pair. The number alone
would be wrong after a list is re-sorted or re-exported; so a row whose pair differs from what the
results file recorded under its number is treated as a new row, and any row whose pair was already
dialed under another number is suppressed as a duplicate of that earlier row: nobody is called twice
because a CRM export changed order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from dialer.calllist.model import CallList, RowProblem
from dialer.core import outcomes as o
from dialer.journal.replay import Replay, RowRecord
from dialer.journal.store import RowStore
from dialer.run.collector_policy import collector_paused


@dataclass(frozen=True)
class ListRowState:
    """One list row as things stand: its state and where that state comes from."""

    row: int
    snumber: str
    cnumber: str
    state: str  # one of outcomes.ROW_STATES
    record: RowRecord | None  # its history in the results file, when it matches this row
    problem: RowProblem | None  # why it is not dialed, when the list or an earlier run says so


@dataclass
class Plan:
    to_dial: list[int] = field(default_factory=list)  # in list order
    redial_unknown: list[int] = field(default_factory=list)  # unknown rows the operator chose to redial
    # Unknown rows (history matching the list row, not redialed) whose call the switch may be asked about.
    unknown: list[int] = field(default_factory=list)
    problems_to_record: list[RowProblem] = field(default_factory=list)  # not yet in the results file
    changed_rows: list[int] = field(default_factory=list)  # the list's pair differs from the results'
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(o.ROW_STATES, 0))


def list_row_states(call_list: CallList, replay: Replay) -> Iterator[ListRowState]:
    """Every row of the list with its current state, in row order."""
    replay.rows.materialize()  # every row is read: its records built at once, not one by one
    claimed = replay.placed_or_pending_pairs()
    table = call_list.table
    snumbers = table["snumber"].tolist() if len(table) else []
    cnumbers = table["cnumber"].tolist() if len(table) else []
    problems = {p.row: p for p in call_list.problems}
    rows = table.index.tolist()
    for row, snumber, cnumber in zip(rows, snumbers, cnumbers, strict=True):
        yield _table_row_state(row, snumber, cnumber, replay.rows.get(row), claimed)
    for row, problem in problems.items():
        yield _problem_row_state(problem, replay.rows.get(row))


def _table_row_state(
    row: int, snumber: str, cnumber: str, rec: RowRecord | None, claimed: dict[tuple[str, str], int]
) -> ListRowState:
    if rec is not None and (rec.snumber, rec.cnumber) == (snumber, cnumber):
        if not _history_counts(rec):
            rec = None
        else:
            return ListRowState(row, snumber, cnumber, rec.state, rec, None)
    earlier = claimed.get((snumber, cnumber))
    if earlier is not None and earlier != row:
        problem = RowProblem(
            row=row,
            outcome=o.SUPPRESSED,
            code="duplicate",
            reason=f"same snumber and cnumber as row {earlier}, already dialed in an earlier run",
            snumber=snumber,
            cnumber=cnumber,
            duplicate_of=earlier,
        )
        return ListRowState(row, snumber, cnumber, o.SUPPRESSED, None, problem)
    return ListRowState(row, snumber, cnumber, o.NOT_DIALED, None, None)


def _problem_row_state(problem: RowProblem, rec: RowRecord | None) -> ListRowState:
    if rec is not None and rec.sent and (rec.snumber, rec.cnumber) == (problem.snumber, problem.cnumber):
        # Dialed before the list marked it; what happened then is what counts.
        return ListRowState(problem.row, problem.snumber, problem.cnumber, rec.state, rec, None)
    return ListRowState(problem.row, problem.snumber, problem.cnumber, problem.outcome, None, problem)


def plan(call_list: CallList, replay: Replay, *, redial_unknown: bool = False) -> Plan:
    """What this run must do: rows to dial, problems to record, and counts of where things stand.

    The same judgement as ``list_row_states``, with a fast lane for the common case of a resumed
    campaign: a row whose results-file history matches it is settled by that history alone.
    """
    with collector_paused():  # amid the list and the replay: a million objects, no cycles
        return _plan(call_list, replay, redial_unknown)


def _plan(call_list: CallList, replay: Replay, redial_unknown: bool) -> Plan:
    out = Plan()
    history = replay.rows
    table = call_list.table
    if len(table):
        rows = table.index.to_numpy(dtype=np.int64)
        snumbers = table["snumber"].to_numpy(dtype=object)
        cnumbers = table["cnumber"].to_numpy(dtype=object)
    else:
        rows, snumbers, cnumbers = np.empty(0, np.int64), np.empty(0, object), np.empty(0, object)
    rest = ~_settle_stored(out, history, rows, snumbers, cnumbers, redial_unknown)
    others: list[tuple[int, str, str]] = []  # rows the full judgement decides
    counts, to_dial = out.counts, out.to_dial
    for row, snumber, cnumber in zip(
        rows[rest].tolist(), snumbers[rest].tolist(), cnumbers[rest].tolist(), strict=True
    ):
        rec = history.get(row)
        if (
            rec is None
            or rec.snumber != snumber
            or rec.cnumber != cnumber
            or not (rec.sent or rec.state not in _LIST_VERDICTS)  # _history_counts, inlined
        ):
            others.append((row, snumber, cnumber))
            continue
        state = rec.state
        if state == o.NOT_DIALED or state == o.FAILED:
            to_dial.append(row)
        elif state == o.UNKNOWN:
            if redial_unknown:
                out.redial_unknown.append(row)
                to_dial.append(row)
            else:
                out.unknown.append(row)
        counts[state] += 1
    _judge_others(out, others, replay, redial_unknown)
    for problem in {p.row: p for p in call_list.problems}.values():
        # A row the list now rejects is never dialed again, so never asked about either.
        state = _problem_row_state(problem, history.get(problem.row))
        _add(out, state, history, redial_unknown, listed=False)
    to_dial.sort()
    out.unknown.sort()
    out.redial_unknown.sort()
    return out


def _settle_stored(
    out: Plan,
    history: RowStore,
    rows: np.ndarray,
    snumbers: np.ndarray,
    cnumbers: np.ndarray,
    redial_unknown: bool,
) -> np.ndarray:
    """The fast lane for the list rows whose history is still in a checkpoint's columns (no record
    made yet): the loop's test and verdicts, an array operation each. Returns the rows it settled."""
    settled = np.zeros(len(rows), dtype=bool)
    stored = history.stored
    if stored is None or not len(rows):
        return settled
    where = stored.positions(rows)
    at = np.flatnonzero(where >= 0)
    at = at[~stored.taken[where[at]]]
    where = where[at]
    same = (
        (stored.column("snumber")[where] == snumbers[at])
        & (stored.column("cnumber")[where] == cnumbers[at])
        & (stored.truthy("sent") | ~stored.isin("state", _LIST_VERDICTS))[where]
    )
    at, where = at[same], where[same]
    settled[at] = True
    out.to_dial += rows[at[stored.isin("state", (o.NOT_DIALED, o.FAILED))[where]]].tolist()
    unknown = rows[at[stored.isin("state", (o.UNKNOWN,))[where]]].tolist()
    if redial_unknown:
        out.redial_unknown += unknown
        out.to_dial += unknown
    else:
        out.unknown += unknown
    for state, n in stored.counts("state", where).items():
        out.counts[state] += n
    return settled


def _judge_others(
    out: Plan, others: list[tuple[int, str, str]], replay: Replay, redial_unknown: bool
) -> None:
    """Rows without a matching history: new rows (the common case, settled here at once: never
    dialed, and their numbers not dialed under another row) and the rest, judged in full."""
    history = replay.rows
    claimed = replay.placed_or_pending_pairs({snumber for _, snumber, _ in others})
    fresh = 0
    for row, snumber, cnumber in others:
        rec = history.get(row)
        if rec is None and (snumber, cnumber) not in claimed:
            out.to_dial.append(row)
            fresh += 1
        else:
            _add(out, _table_row_state(row, snumber, cnumber, rec, claimed), history, redial_unknown)
    out.counts[o.NOT_DIALED] += fresh


_LIST_VERDICTS = (o.REJECTED, o.SUPPRESSED)


def _history_counts(rec: RowRecord) -> bool:
    """False for an earlier run's verdict on the list (not the switch's): the list is re-checked now."""
    return rec.sent or rec.state not in _LIST_VERDICTS


def _add(out: Plan, st: ListRowState, history: RowStore, redial_unknown: bool, listed: bool = True) -> None:
    rec = history.get(st.row)
    if rec is not None and rec.sent and st.record is None and st.problem is None:
        out.changed_rows.append(st.row)
    if st.problem is not None:
        if not _already_recorded(st.problem, rec):
            out.problems_to_record.append(st.problem)
    elif st.state in (o.NOT_DIALED, o.FAILED):
        out.to_dial.append(st.row)
    elif st.state == o.UNKNOWN and redial_unknown:
        out.redial_unknown.append(st.row)
        out.to_dial.append(st.row)
    elif st.state == o.UNKNOWN and listed and st.record is not None:
        out.unknown.append(st.row)
    out.counts[st.state] += 1


def _already_recorded(problem: RowProblem, rec: RowRecord | None) -> bool:
    return (
        rec is not None
        and not rec.sent
        and rec.state == problem.outcome
        and rec.reason == problem.reason
        and (rec.snumber, rec.cnumber) == (problem.snumber, problem.cnumber)
    )
