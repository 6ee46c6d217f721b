"""Do-not-call lists: files of numbers that must not be called, read into canonical forms.

A file is a CSV (or spreadsheet) with a header naming a number column, or one number a line
with no header. Numbers are matched on their canonical form, so the list's and the call list's
formatting need not agree. An entry that is not a number (a note, an empty cell) is skipped.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dialer.calllist.columns import header_key
from dialer.calllist.numbers import canonical_numbers
from dialer.calllist.reading import blank_rows, read_grid
from dialer.calllist.values import check_column
from dialer.core.params import Kind

# Header words that name the number column, best first.
_NUMBER_HEADERS = ("number", "phone", "phonenumber", "telephone", "tel", "mobile", "cell", "msisdn")
_NUMBER_LIKE = r"\s*\+?[0-9][0-9\s\-.()]{2,}"


def load_do_not_call(paths: tuple[Path, ...], region: str) -> pd.Series:
    """Canonical number -> the name of the first file listing it."""
    found = [_numbers(Path(p), region) for p in paths]
    if not found:
        return pd.Series([], dtype="str")
    numbers = pd.concat(found)
    return numbers[~numbers.index.duplicated()]


def _numbers(path: Path, region: str) -> pd.Series:
    grid = read_grid(path).cells
    grid = grid.loc[~blank_rows(grid).to_numpy()]
    if grid.empty:
        return pd.Series([], dtype="str")
    column, has_header = _number_column(grid)
    cells = grid[column].iloc[1:] if has_header else grid[column]
    checked = check_column(cells, Kind.NUMBER)
    values = checked.values[checked.values != ""]
    canonical = canonical_numbers(values, region)
    return pd.Series(path.name, index=pd.Index(canonical.unique()), dtype="str")


def _number_column(grid: pd.DataFrame) -> tuple[int, bool]:
    """The column holding the numbers, and whether the first row is a header."""
    first = grid.iloc[0]
    looks_numeric = first.str.fullmatch(_NUMBER_LIKE)
    if looks_numeric.any():
        return int(looks_numeric.to_numpy().argmax()), False
    keys = [header_key(str(h)) for h in first]
    for word in _NUMBER_HEADERS:
        for i, key in enumerate(keys):
            if word in key:
                return i, True
    # No telling header: the column whose first rows most often look like numbers.
    sample = grid.iloc[1:101]
    counts = [int(sample[c].str.fullmatch(_NUMBER_LIKE).sum()) for c in grid.columns]
    return int(max(range(len(counts)), key=counts.__getitem__)), True
