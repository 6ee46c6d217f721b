"""The per-row report: every list row's original cells followed by what became of it. Pure.

The table is kept as columns (one list of values per header), not as a DataFrame of Python objects:
a million-row report is written straight from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dialer.calllist.model import CallList
from dialer.core import outcomes as o
from dialer.reporting.call_stats import WAITING, RecycleWaiting
from dialer.reporting.rows import RowTable
from dialer.reporting.summary import RowLine
from dialer.reporting.wording import code_words

ROW_COLUMN = "row"
RESULT_COLUMNS = (
    "snumber",  # the numbers as dialed (or as the list has them, for a row never dialed)
    "cnumber",
    "outcome",  # the row's state
    "reason",  # its code in an operator's words
    "code",  # the raw code
    "message",
    "callid",
    "attempts",
    "time",
    "call_status",  # what became of its person's latest call: answered, no-answer, ..., waiting
    "talk_s",
    "calls",  # calls placed to its person
    "next_call",  # [recycle]: when its person may be called again, ISO-8601 UTC
)
TIME_COLUMNS = ("time", "next_call")  # "time": ts of the row's last results line, ISO-8601 UTC
# Columns whose values dialer writes itself (numbers, states, its own words, times): none can hold
# text from the list or the switch.
OWN_COLUMNS = (ROW_COLUMN, "outcome", "reason", "attempts", *TIME_COLUMNS, "call_status", "talk_s", "calls")


@dataclass(frozen=True)
class ReportTable:
    """The report's rows as columns: header -> one value per list row, in row order."""

    columns: dict[str, list]
    times: frozenset[str] = frozenset()  # the headers of TIME_COLUMNS (renamed if the list has them)
    own: frozenset[str] = frozenset()  # the headers of OWN_COLUMNS

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))

    @property
    def headers(self) -> list[str]:
        return list(self.columns)


def result_names(original_columns: Iterable[str]) -> dict[str, str]:
    """Names for the row number and result columns that do not clash with the list's own headers.

    A list that already has, say, a "code" column keeps it; ours becomes "code (dialer)".
    """
    taken = {str(c) for c in original_columns}
    out = {}
    for name in (ROW_COLUMN, *RESULT_COLUMNS):
        new = name
        while new in taken:
            new = f"{new} (dialer)"
        out[name] = new
    return out


def original_cells(call_list: CallList, rows: list[int]) -> pd.DataFrame:
    """The list's own cells for ``rows``, as text, one column per header of the list."""
    if call_list.original is not None:
        frame = call_list.original.reindex(rows)
    else:
        frame = _from_table_and_problems(call_list, rows)
    frame = frame.astype(object).where(frame.notna(), "")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _from_table_and_problems(call_list: CallList, rows: list[int]) -> pd.DataFrame:
    """Fallback without CallList.original: the rows to dial from the table, the others from their problem."""
    columns = [str(c) for c in call_list.table.columns]
    frame = call_list.table.reindex(index=rows, columns=columns)
    for problem in call_list.problems:
        if problem.row not in frame.index:
            continue
        values = {c: problem.values.get(c, "") for c in columns}
        for name in ("snumber", "cnumber"):
            if name in values and not values[name]:
                values[name] = getattr(problem, name)
        frame.loc[problem.row, columns] = [values[c] for c in columns]
    return frame


def call_status_word(state: str, call_status: str | None) -> str:
    """What became of a row's call: its call_status, "waiting" for a placed row not learned yet, ""
    for a row not placed."""
    if state != o.PLACED:
        return ""
    return call_status or WAITING


def call_status_of(line: RowLine) -> str:
    return call_status_word(line.state, line.call_status)


_RECORD_FIELDS = (
    "code",
    "message",
    "reason",
    "attempts",
    "last_ts",
    "call_status",
    "talk_s",
    "calls",
    "callid",
)


def line_columns(table: RowTable) -> dict[str, list]:
    """What ``summary.row_line`` says of every row (its fields as columns, RowLine's names), and each
    row's callid, read from the records' store without an object per row (a million-row report).
    tests/reporting/test_table.py holds the two to the same answers."""
    present, v = table.replay.records.lookup(table.keys, _RECORD_FIELDS)
    out = {
        "code": v["code"].tolist(),
        "message": [m or r for m, r in zip(v["message"].tolist(), v["reason"].tolist(), strict=True)],
        "attempts": v["attempts"].tolist(),
        "time": v["last_ts"].tolist(),
        "call_status": v["call_status"].tolist(),
        "talk_s": v["talk_s"].tolist(),
        "calls": v["calls"].tolist(),
        "callid": v["callid"].tolist(),
    }
    rows = table.rows
    for i in np.flatnonzero(~present).tolist():  # rows no record speaks for: the list's problems
        problem = table.problems.get(int(rows[i]))
        out["code"][i] = problem.code if problem else None
        out["message"][i] = problem.reason if problem else None
        out["attempts"][i] = out["calls"][i] = 0
    return out


def _reasons(states: list[str], codes: list[str | None]) -> list[str]:
    words: dict[tuple[str, str | None], str] = {}  # a few distinct codes among many rows
    out = []
    for key in zip(states, codes, strict=True):
        if key not in words:
            words[key] = code_words(*key)
        out.append(words[key])
    return out


def _result_columns(table: RowTable, due: dict[int, str]) -> dict[str, list]:
    lines = line_columns(table)
    states = table.states.tolist()
    return {
        "snumber": table.snumbers.tolist(),
        "cnumber": table.cnumbers.tolist(),
        "outcome": states,
        "reason": _reasons(states, lines["code"]),
        "code": [c or "" for c in lines["code"]],
        "message": [m or "" for m in lines["message"]],
        "callid": [c or "" for c in lines["callid"]],
        "attempts": lines["attempts"],
        "time": [t or "" for t in lines["time"]],
        "call_status": list(map(call_status_word, states, lines["call_status"])),
        "talk_s": lines["talk_s"],
        "calls": lines["calls"],
        "next_call": [due.get(row, "") for row in table.rows.tolist()],
    }


def report_table(call_list: CallList, table: RowTable, waiting: Iterable[RecycleWaiting] = ()) -> ReportTable:
    """One row per list row, in row order: row number, original cells, then RESULT_COLUMNS: the numbers
    dialed, what became of the row and of its person's latest call, and when ``waiting`` (rows whose
    person [recycle] calls again, call_stats.recycle_waiting) says the next call may be made.
    ``table``: the list rows' states (rows.row_table)."""
    rows = table.rows.tolist()
    cells = original_cells(call_list, rows)
    names = result_names(cells.columns)
    results = _result_columns(table, {w.row: w.due for w in waiting})
    columns: dict[str, list] = {names[ROW_COLUMN]: rows}
    columns.update((str(header), cells[header].tolist()) for header in cells.columns)
    columns.update((names[name], results[name]) for name in RESULT_COLUMNS)
    return ReportTable(
        columns, frozenset(names[c] for c in TIME_COLUMNS), frozenset(names[c] for c in OWN_COLUMNS)
    )


def row_details(call_list: CallList, rows: Iterable[RowLine], *, width: int = 60) -> dict[int, str]:
    """For each row, its other list cells as one line ("Name: Ann Lee; Account: 17"), so a person
    sees who a row is. Cells repeating the row's snumber or cnumber, and empty ones, are left out."""
    rows = list(rows)
    cells = original_cells(call_list, [r.row for r in rows])
    out = {}
    for r, (_, values) in zip(rows, cells.iterrows(), strict=True):
        parts = [
            f"{header}: {_shorten(str(value), width)}"
            for header, value in values.items()
            if str(value) and str(value) not in (r.snumber, r.cnumber)
        ]
        out[r.row] = "; ".join(parts)
    return out


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
