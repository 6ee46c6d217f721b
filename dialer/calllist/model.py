"""What a loaded call list is: the contract between the loader and everything that uses it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


class ListError(Exception):
    """The list as a whole cannot be used. The message is one sentence naming the file."""


@dataclass(frozen=True)
class ListOptions:
    """How to read a list: from the campaign file, overridden by command-line flags."""

    columns: dict[str, str] = field(default_factory=dict)  # header in the file -> parameter name
    defaults: dict[str, str] = field(default_factory=dict)  # parameter -> campaign-wide value
    sheet: str | int | None = None  # spreadsheet sheet, by name or 0-based index
    encoding: str | None = None  # force a text encoding instead of detecting it
    delimiter: str | None = None  # force a CSV delimiter instead of detecting it
    default_region: str = "US"  # for canonical numbers (duplicates, do-not-call, time zones)
    do_not_call: tuple[Path, ...] = ()
    person: str = "auto"  # who a row calls, once: "auto" (by stype), "snumber", "cnumber" or "pair"
    keep_original: bool = False  # keep every row's original cell values (reports)


@dataclass(frozen=True)
class RowProblem:
    """A row that will not be dialed, and why. ``row`` is the spreadsheet row number."""

    row: int
    outcome: str  # outcomes.REJECTED or outcomes.SUPPRESSED
    code: str  # "invalid", "duplicate" or "do-not-call"
    reason: str  # one sentence an operator understands
    column: str | None = None  # the header as it appears in the file, when one column is at fault
    snumber: str = ""  # cleaned when it could be, else as in the file
    cnumber: str = ""
    duplicate_of: int | None = None
    values: dict[str, str] = field(default_factory=dict)  # the row's original cells, by header
    person: str = ""  # the person the row calls, when its numbers are valid


@dataclass
class CallList:
    """A checked list.

    ``table`` holds the rows to dial (valid, first of their duplicates, not on a do-not-call list),
    in list order, indexed by spreadsheet row number (header = row 1, blank lines counted, so the
    number is the one an operator sees in Excel or a text editor). Its columns are the calls/make
    parameters in ``parameters`` (strings exactly as they will be sent, "" where unset, campaign
    defaults applied) followed by the carried-over columns in ``extras`` (original headers).
    """

    source: Path
    table: pd.DataFrame
    parameters: list[str]
    extras: list[str]
    problems: list[RowProblem]
    headers: list[str]
    total_rows: int  # data rows, blank rows excluded
    blank_rows: int = 0
    original: pd.DataFrame | None = None  # every data row's original cells, if keep_original
    # For each ``table`` row, the person it calls (``dialer.calllist.persons``): canonical numbers.
    persons: pd.Series | None = None

    def row_params(self, row: int) -> dict[str, str]:
        """The parameters to send for one row: only those set."""
        values = self.table.loc[row, self.parameters]
        return {name: value for name, value in values.items() if value != ""}
