"""The per-row report: every list row's original cells followed by what became of it. Pure."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from dialer.calllist.model import CallList
from dialer.planning.planner import ListRowState
from dialer.reporting.summary import RowLine, row_line

ROW_COLUMN = "row"
RESULT_COLUMNS = ("outcome", "code", "message", "callid", "attempts", "time")


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


def report_table(call_list: CallList, states: Iterable[ListRowState]) -> pd.DataFrame:
    """One row per list row, in row order: row number, original cells, outcome, code, message,
    callid, attempts and time (ts of the row's last results line, UTC)."""
    states = sorted(states, key=lambda st: st.row)
    rows = [st.row for st in states]
    cells = original_cells(call_list, rows)
    names = result_names(cells.columns)
    results = pd.DataFrame(
        [
            {
                names["outcome"]: st.state,
                names["code"]: line.code or "",
                names["message"]: line.message or "",
                names["callid"]: (st.record.callid if st.record is not None else None) or "",
                names["attempts"]: line.attempts,
                names["time"]: line.time or "",
            }
            for st, line in ((st, row_line(st)) for st in states)
        ],
        index=rows,
        columns=[names[c] for c in RESULT_COLUMNS],
    )
    out = pd.concat([cells, results], axis=1)
    out.insert(0, names[ROW_COLUMN], rows)
    out[names["attempts"]] = out[names["attempts"]].astype(int)
    return out.reset_index(drop=True)


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
