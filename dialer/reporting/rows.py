"""Every list row's state as columns: what ``planner.list_row_states`` says of each row, without making an
object per row (status on a million rows looks at the few that need attention, and counts the rest).

The states are the planner's: its verdicts on the table's rows (``row_verdicts``, one vectorised look-up of
the records) turned into states by the rule of ``_table_row_state``, and its own function for the rows
the list sets aside. tests/reporting/test_rows.py holds the two to the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dialer.calllist.model import CallList, RowProblem
from dialer.core import outcomes as o
from dialer.journal.records import PersonRecord
from dialer.journal.replay import Replay
from dialer.planning.planner import (
    ListRowState,
    already_called_problem,
    problem_row_state,
    row_verdicts,
)

STATES = np.asarray(o.ROW_STATES, dtype=object)  # a state's number in ``RowTable.state_numbers``


@dataclass(frozen=True)
class RowTable:
    """The list's rows in row order: each row's state, the key of the record whose outcome is the row's
    (None when none is), and why the list or the planner sets it aside, where one does."""

    rows: np.ndarray  # int64, ascending
    state_numbers: np.ndarray  # int8: each row's state, as its place in outcomes.ROW_STATES
    keys: np.ndarray  # object: the record speaking for the row, or None
    call_status: np.ndarray  # object: what became of that record's latest call (None: not learned)
    snumbers: np.ndarray  # object
    cnumbers: np.ndarray  # object
    problems: dict[int, RowProblem]  # by row
    replay: Replay
    call_list: CallList

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def states(self) -> np.ndarray:
        """Each row's state (object array)."""
        return STATES[self.state_numbers]

    def counts(self) -> dict[str, int]:
        """Rows by state, every state in outcomes.ROW_STATES order."""
        n = np.bincount(self.state_numbers, minlength=len(STATES))
        return {state: int(k) for state, k in zip(o.ROW_STATES, n.tolist(), strict=True)}

    def where(self, state: str) -> np.ndarray:
        """Positions of the rows in ``state``, in row order."""
        return np.flatnonzero(self.state_numbers == o.ROW_STATES.index(state))

    def record_at(self, i: int) -> PersonRecord | None:
        key = self.keys[i]
        return None if key is None else self.replay.records.record_of(key)

    def state_at(self, i: int) -> ListRowState:
        row = int(self.rows[i])
        return ListRowState(
            row,
            self.snumbers[i],
            self.cnumbers[i],
            o.ROW_STATES[self.state_numbers[i]],
            self.record_at(i),
            self.problems.get(row),
        )


def row_table(call_list: CallList, replay: Replay) -> RowTable:
    """Every row of the list with its state, as ``list_row_states`` gives them."""
    v = row_verdicts(call_list, replay)
    state, present, same = v.state, v.present, v.same
    failed = present & _isin(state, (o.FAILED,))
    nothing = ~present | _isin(state, (o.NOT_DIALED, o.FAILED))
    rejected = present & _isin(state, (o.REJECTED,))
    placed = present & _isin(state, (o.PLACED,))
    called_elsewhere = placed & ~same
    number = o.ROW_STATES.index
    numbers = np.full(len(v.rows), number(o.UNKNOWN), dtype=np.int8)  # unknown, or a state nobody wrote
    numbers[placed & same] = number(o.PLACED)
    numbers[called_elsewhere] = number(o.SUPPRESSED)
    numbers[rejected & same] = number(o.REJECTED)
    numbers[(rejected & ~same) | (nothing & ~failed)] = number(o.NOT_DIALED)
    numbers[nothing & failed] = number(o.FAILED)
    speaks = present & ~(rejected & ~same) & ~called_elsewhere
    keys = np.where(speaks, v.keys, None).astype(object)
    problems = {}
    for i in np.flatnonzero(called_elsewhere).tolist():
        problems[int(v.rows[i])] = already_called_problem(v, i, replay.records.record_of(v.keys[i]))
    table = (v.rows, numbers, keys, np.where(speaks, v.call_status, None), v.snumbers, v.cnumbers)
    if call_list.problems:
        listed = [problem_row_state(problem, replay, v) for problem in call_list.problems]
        problems.update((st.row, st.problem) for st in listed if st.problem is not None)
        table = _with_rows(table, listed)
    return RowTable(*table, problems=problems, replay=replay, call_list=call_list)


def _with_rows(table: tuple, listed: list[ListRowState]) -> tuple:
    """The table's columns with the rows the list set aside put in, all in row order."""
    extra = (
        np.array([st.row for st in listed], dtype=np.int64),
        np.array([o.ROW_STATES.index(st.state) for st in listed], dtype=np.int8),
        _objects(st.record.key if st.record is not None else None for st in listed),
        _objects(st.record.call_status if st.record is not None else None for st in listed),
        _objects(st.snumber for st in listed),
        _objects(st.cnumber for st in listed),
    )
    joined = [np.concatenate([mine, theirs]) for mine, theirs in zip(table, extra, strict=True)]
    order = np.argsort(joined[0], kind="stable")
    return tuple(column[order] for column in joined)


def _objects(values) -> np.ndarray:
    out = list(values)
    array = np.empty(len(out), dtype=object)
    array[:] = out
    return array


def _isin(values: np.ndarray, wanted: tuple) -> np.ndarray:
    return pd.Series(values, dtype=object, copy=False).isin(list(wanted)).to_numpy(dtype=bool)
