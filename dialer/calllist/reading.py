"""Read a list file (CSV or spreadsheet) into a grid of strings, every cell exactly as written.

Nothing here knows about calls/make: this module only turns bytes into rows. Row numbers are the
spreadsheet's: the first line or row of the file is 1 and blank lines are counted, so a number
matches what an operator sees in Excel or a text editor. A quoted CSV value that spans several
lines counts as one row, as Excel shows it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dialer.calllist.model import ListError

SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
_ZIP_MAGIC = b"PK\x03\x04"  # xlsx, xlsm and ods are zip files
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # xls
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SNIFF_CHARS = 65536
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_RAGGED = re.compile(r"Expected \d+ fields in line (\d+), saw (\d+)")


@dataclass
class Grid:
    """A file's rows: ``cells`` has positional int columns and is indexed by row number."""

    cells: pd.DataFrame


@dataclass
class RawTable:
    """A list's header row and the data rows under it, as strings."""

    source: Path
    headers: list[str]  # as in the file; unnamed columns holding data become "column N"
    cells: pd.DataFrame  # data rows (blank ones included), columns = headers, index = row number
    blank: pd.Series  # bool, by row number: every cell empty or whitespace
    overflow: pd.Series  # row number -> the non-empty cells beyond the header's last column


def read_grid(
    path: Path, *, sheet: str | int | None = None, encoding: str | None = None, delimiter: str | None = None
) -> Grid:
    """Every row of a CSV or spreadsheet file, as strings ("" for an empty cell, never NaN)."""
    data = _read_bytes(path)
    if _is_spreadsheet(path, data):
        del data
        frame = _read_spreadsheet(path, sheet)
    else:
        frame = _read_csv(path, data, encoding, delimiter)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return Grid(frame)


def read_table(path: Path, *, sheet=None, encoding=None, delimiter=None) -> RawTable:
    """The first non-blank row is the header; every row after it is data."""
    grid = read_grid(path, sheet=sheet, encoding=encoding, delimiter=delimiter).cells
    blank = blank_rows(grid)
    content = np.flatnonzero(~blank.to_numpy())
    if content.size == 0:
        raise ListError(f"{path}: has no header row (every line is empty)")
    header_row = int(blank.index[content[0]])
    header_cells = [str(v) for v in grid.loc[header_row]]
    data = grid.loc[header_row + 1 :]
    named = [i for i, h in enumerate(header_cells) if h.strip()]
    width = named[-1] + 1 if named else 0
    overflow = _overflow(data.iloc[:, width:])
    cells = data.iloc[:, :width]
    keep, headers = _name_columns(header_cells[:width], cells)
    cells = cells.iloc[:, keep]
    cells.columns = headers
    return RawTable(path, headers, cells, blank.loc[header_row + 1 :], overflow)


def blank_rows(cells: pd.DataFrame) -> pd.Series:
    """True for rows whose every cell is empty or whitespace."""
    candidate = np.ones(len(cells), dtype=bool)
    for col in cells.columns:
        # Most rows drop out at the first column, so the costly whitespace test runs on few cells.
        where = np.flatnonzero(candidate)
        if where.size == 0:
            break
        values = cells[col].iloc[where]
        empty = (values == "").to_numpy(dtype=bool)
        filled = np.flatnonzero(~empty)
        candidate[where[filled]] = values.iloc[filled].str.isspace().to_numpy(dtype=bool)
    return pd.Series(candidate, index=cells.index)


def _overflow(extra: pd.DataFrame) -> pd.Series:
    if extra.shape[1] == 0:
        return pd.Series([], dtype=object)
    has = ~blank_rows(extra)
    rows = extra.loc[has.to_numpy()]
    extra = [[v for v in row if v.strip()] for row in rows.itertuples(index=False)]
    return pd.Series(extra, index=rows.index, dtype=object)


def _name_columns(header_cells: list[str], cells: pd.DataFrame) -> tuple[list[int], list[str]]:
    """Drop unnamed empty columns; name unnamed ones that hold data; make names unique."""
    keep: list[int] = []
    names: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(header_cells):
        if not name.strip():
            if blank_rows(cells.iloc[:, [i]]).all():
                continue
            name = f"column {i + 1}"
        unique, n = name, 1
        while unique in seen:
            unique, n = f"{name}.{n}", n + 1
        seen.add(unique)
        keep.append(i)
        names.append(unique)
    return keep, names


def _read_bytes(path: Path) -> bytes:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ListError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ListError(f"{path}: is a directory, not a call list") from None
    except OSError as exc:
        raise ListError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    if not data or data.isspace():
        raise ListError(f"{path}: the file is empty")
    return data


def _is_spreadsheet(path: Path, data: bytes) -> bool:
    # The content decides first: an xlsx saved with a .csv name is still an xlsx.
    if data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        return True
    return Path(path).suffix.lower() in SPREADSHEET_SUFFIXES


def _read_spreadsheet(path: Path, sheet: str | int | None) -> pd.DataFrame:
    from python_calamine import CalamineWorkbook

    try:
        names = CalamineWorkbook.from_path(str(path)).sheet_names
    except Exception as exc:  # calamine raises its own and zip/xml errors for damaged files
        raise ListError(f"{path}: cannot read it as a spreadsheet ({_one_line(exc)})") from None
    chosen = _choose_sheet(path, names, sheet)
    try:
        frame = pd.read_excel(
            path, sheet_name=chosen, header=None, dtype=str, na_filter=False, engine="calamine"
        )
    except Exception as exc:  # as above: the reader's error types are not a stable interface
        raise ListError(f"{path}: cannot read sheet {names[chosen]!r} ({_one_line(exc)})") from None
    frame.columns = pd.RangeIndex(frame.shape[1])
    return frame


def _choose_sheet(path: Path, names: list[str], sheet: str | int | None) -> int:
    """A sheet by name (exact, then ignoring case) or by 0-based index; the first when not given."""
    if not names:
        raise ListError(f"{path}: the spreadsheet has no sheets")
    if sheet is None:
        return 0
    if isinstance(sheet, str):
        if sheet in names:
            return names.index(sheet)
        folded = [n.casefold() for n in names]
        if sheet.casefold() in folded:
            return folded.index(sheet.casefold())
        if not sheet.strip().isdigit():
            raise ListError(f"{path}: no sheet named {sheet!r} (sheets: {', '.join(names)})")
        sheet = int(sheet)
    if not 0 <= sheet < len(names):
        raise ListError(f"{path}: no sheet number {sheet} (sheets are numbered from 0: {', '.join(names)})")
    return sheet


def _read_csv(path: Path, data: bytes, encoding: str | None, delimiter: str | None) -> pd.DataFrame:
    encoding, sample = _decode(path, data, encoding)
    del data
    sep = _delimiter(path, delimiter) if delimiter else sniff_delimiter(sample)
    width = _sample_width(sample, sep) + 1
    # A row with more cells than any seen so far stops the C parser; it names the width it saw,
    # so read again that wide. Each retry reads the whole file, hence the small bound.
    for _ in range(4):
        try:
            return pd.read_csv(
                path,
                sep=sep,
                header=None,
                names=range(width),
                index_col=False,
                dtype=str,
                na_filter=False,
                skip_blank_lines=False,
                encoding=encoding,
                engine="c",
            )
        except pd.errors.EmptyDataError:
            raise ListError(f"{path}: the file is empty") from None
        except pd.errors.ParserError as exc:
            ragged = _RAGGED.search(str(exc))
            if not ragged:
                raise ListError(f"{path}: cannot read it as CSV ({_parser_message(exc)})") from None
            width = int(ragged.group(2)) + 1
    raise ListError(f"{path}: line {ragged.group(1)} has {ragged.group(2)} cells, far more than the header")


def _decode(path: Path, data: bytes, forced: str | None) -> tuple[str, str]:
    """The encoding to read with, and the start of the text for sniffing.

    The whole file is decoded once to prove the choice: a cp1252 byte may sit on the last row.
    """
    if forced:
        candidates = [_forced_encoding(path, forced, data)]
    else:
        bom = next((enc for mark, enc in _BOMS if data.startswith(mark)), None)
        if bom is None and b"\x00" in data[:_SNIFF_CHARS]:
            raise ListError(
                f"{path}: is not a text table (it holds binary data; if it is UTF-16 text without "
                "a byte-order mark, give the encoding, e.g. utf-16-le)"
            )
        candidates = [bom] if bom else ["utf-8", "cp1252"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            failure = exc
            continue
        sample = text[:_SNIFF_CHARS]
        if _CONTROL.search(sample):
            raise ListError(f"{path}: is not a text table (it holds binary data)")
        return encoding, sample
    tried = " or ".join(candidates)
    raise ListError(
        f"{path}: is not {tried} text (undecodable byte at offset {failure.start}); give its encoding"
    )


def _forced_encoding(path: Path, name: str, data: bytes) -> str:
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        raise ListError(f"{path}: unknown encoding {name!r}") from None
    if canonical == "utf-8" and data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    return canonical


def _delimiter(path: Path, given: str) -> str:
    sep = DELIMITER_NAMES.get(given.lower(), given)
    if len(sep) != 1 or sep in '"\r\n':
        raise ListError(f"{path}: the delimiter must be one character (or 'tab'), not {given!r}")
    return sep


def sniff_delimiter(sample: str) -> str:
    """The candidate appearing most often in the header line, outside quotes; ',' if none does."""
    header = next((line for line in sample.splitlines() if line.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", header)
    best = max(DELIMITERS, key=unquoted.count)  # first of equals wins: ',' before ';' ...
    return best if unquoted.count(best) else ","


def _sample_width(sample: str, sep: str) -> int:
    try:
        return max((len(row) for row in csv.reader(io.StringIO(sample), delimiter=sep)), default=1)
    except csv.Error:
        return 1


def _parser_message(exc: Exception) -> str:
    return _one_line(exc).replace("Error tokenizing data. C error: ", "")


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
