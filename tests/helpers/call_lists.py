"""Call lists for the call-list and list-cache tests: a list loaded from rows, and a messy one."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from dialer.calllist import ListOptions, load_call_list
from dialer.calllist.model import CallList, RowProblem

from .files import write_csv


def load(tmp_path: Path, rows: list[list[str]], **options) -> CallList:
    """``rows`` (the header first) written to tmp_path/list.csv and loaded with ListOptions(**options)."""
    return load_call_list(write_csv(tmp_path / "list.csv", rows[0], rows[1:]), ListOptions(**options))


def by_row(calls: CallList) -> dict:
    return {p.row: p for p in calls.problems}


def messy_list(path: Path, rows: int = 3000) -> Path:
    """Rejects (bad numbers, bad flags, empty cells, extra cells), duplicates, do-not-call numbers,
    blank lines, carried columns (one mostly empty), cells the campaign default fills."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["Phone", "cnumber", "answer1", "Customer name", "Note"])
        for i in range(rows):
            phone = f"(212) 555-{i % 2500:04d}"  # rows 2500+ repeat earlier numbers: duplicates
            cnumber = "" if i % 7 == 0 else "100"  # the default fills it
            answer1 = {0: "1", 1: "", 2: "0"}[i % 3]
            name = f"Customer {i} d'Été"
            note = "call after 5" if i % 50 == 0 else ""
            if i % 97 == 0:
                phone = "2.125551234E+09"  # Excel ate the digits: rejected
            if i % 131 == 0:
                answer1 = "yes"  # not a flag: rejected
            if i % 173 == 0:
                writer.writerow([phone, cnumber, answer1, name, note, "extra"])  # more cells than headers
                continue
            writer.writerow([phone, cnumber, answer1, name, note])
            if i % 400 == 0:
                writer.writerow([])  # a blank line
    return path


def dnc_file(path: Path, numbers: list[str]) -> Path:
    """A do-not-call file: one number a line."""
    path.write_text("\n".join(numbers) + "\n")
    return path


def make_list(rows: dict[int, tuple[str, str]], problems: list[RowProblem] | None = None) -> CallList:
    """A checked list whose person is each row's snumber (as the loader says with stype empty)."""
    table = pd.DataFrame(
        {"snumber": [s for s, _ in rows.values()], "cnumber": [c for _, c in rows.values()]},
        index=pd.Index(list(rows), name="row"),
    )
    persons = pd.Series([s for s, _ in rows.values()], index=table.index, dtype="str")
    columns = ["snumber", "cnumber"]
    return CallList(Path("x.csv"), table, columns, [], problems or [], columns, len(rows), persons=persons)
