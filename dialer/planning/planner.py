"""Which rows to dial next, given the list and the replayed results file: a pure function.

A row is known by its spreadsheet row number *and* its (snumber, cnumber) pair. The number alone
would be wrong after a list is re-sorted or re-exported; so a row whose pair differs from what the
results file recorded under its number is treated as a new row, and any row whose pair was already
dialed under another number is suppressed as a duplicate of that earlier row: nobody is called twice
because a CRM export changed order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dialer.calllist.model import CallList, RowProblem
from dialer.core import outcomes as o
from dialer.journal.replay import Replay, RowRecord


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
    replay.rows.make_all_records()  # every row is read: its records built at once, not one by one
    claimed = replay.placed_or_pending_pairs()
    table = call_list.table
    snumbers = table["snumber"].tolist() if len(table) else []
    cnumbers = table["cnumber"].tolist() if len(table) else []
    problems = {p.row: p for p in call_list.problems}
    rows = table.index.tolist()
    for row, snumber, cnumber in zip(rows, snumbers, cnumbers, strict=True):
        yield _table_row_state(row, snumber, cnumber, replay.rows.record_of(row), claimed)
    for row, problem in problems.items():
        yield _problem_row_state(problem, replay.rows.record_of(row))


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
    campaign: a row whose results-file history matches it is settled by that history alone, read for
    every row at once without making a record of each.
    """
    out = Plan()
    table = call_list.table
    if len(table):
        rows = table.index.to_numpy(dtype=np.int64)
        snumbers = table["snumber"].to_numpy(dtype=object)
        cnumbers = table["cnumber"].to_numpy(dtype=object)
    else:
        rows, snumbers, cnumbers = np.empty(0, np.int64), np.empty(0, object), np.empty(0, object)
    present, had = replay.rows.lookup(rows, ("snumber", "cnumber", "sent", "state"))
    state = had["state"]
    own = (
        present
        & (had["snumber"] == snumbers)
        & (had["cnumber"] == cnumbers)
        & (had["sent"].astype(bool) | ~_isin(state, _LIST_VERDICTS))  # _history_counts, for every row
    )
    _settle(out, rows[own], state[own], redial_unknown)
    others = ~own
    _judge_others(
        out,
        list(zip(rows[others].tolist(), snumbers[others].tolist(), cnumbers[others].tolist(), strict=True)),
        present[others].tolist(),
        replay,
        redial_unknown,
    )
    history = replay.rows
    for problem in {p.row: p for p in call_list.problems}.values():
        # A row the list now rejects is never dialed again, so never asked about either.
        st = _problem_row_state(problem, history.record_of(problem.row))
        _add(out, st, history.record_of(problem.row), redial_unknown, listed=False)
    out.to_dial.sort()
    out.unknown.sort()
    out.redial_unknown.sort()
    return out


def _settle(out: Plan, rows: np.ndarray, state: np.ndarray, redial_unknown: bool) -> None:
    """The rows whose own history decides them: not dialed or failed are dialed, unknown are asked
    about (or redialed on the operator's word), the rest stay as they are."""
    out.to_dial += rows[_isin(state, (o.NOT_DIALED, o.FAILED))].tolist()
    unknown = rows[_isin(state, (o.UNKNOWN,))].tolist()
    if redial_unknown:
        out.redial_unknown += unknown
        out.to_dial += unknown
    else:
        out.unknown += unknown
    for value, n in Counter(state.tolist()).items():
        out.counts[value] += n


def _judge_others(
    out: Plan, others: list[tuple[int, str, str]], present: list[bool], replay: Replay, redial_unknown: bool
) -> None:
    """Rows without a matching history: new rows (the common case, settled here at once: never
    dialed, and their numbers not dialed under another row) and the rest, judged in full."""
    history = replay.rows
    claimed = replay.placed_or_pending_pairs({snumber for _, snumber, _ in others})
    fresh = 0
    for (row, snumber, cnumber), known in zip(others, present, strict=True):
        if not known and (snumber, cnumber) not in claimed:
            out.to_dial.append(row)
            fresh += 1
        else:
            rec = history.record_of(row)
            _add(out, _table_row_state(row, snumber, cnumber, rec, claimed), rec, redial_unknown)
    out.counts[o.NOT_DIALED] += fresh


def _isin(values: np.ndarray, wanted: tuple) -> np.ndarray:
    """A bool per value of an object array (None and mixed types allowed): one of ``wanted``."""
    return pd.Series(values, dtype=object, copy=False).isin(list(wanted)).to_numpy(dtype=bool)


_LIST_VERDICTS = (o.REJECTED, o.SUPPRESSED)


def _history_counts(rec: RowRecord) -> bool:
    """False for an earlier run's verdict on the list (not the switch's): the list is re-checked now."""
    return rec.sent or rec.state not in _LIST_VERDICTS


def _add(
    out: Plan, st: ListRowState, rec: RowRecord | None, redial_unknown: bool, listed: bool = True
) -> None:
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
