"""Writing the report files: CSV and xlsx for spreadsheets, HTML for people. Each file appears whole
(written beside its final name, then renamed), so a half-written report is never left behind."""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMATS = ("csv", "xlsx", "html")
_PLAIN_NUMBER = re.compile(r"[+-][0-9 ().\-]*")
_XLSX_MAX_CELL = 32767


def report_paths(results: Path, out: str | None, formats: tuple[str, ...]) -> dict[str, Path]:
    """Where each format goes.

    No ``out``: beside the results file, ``<results stem>.report.<ext>``. ``out`` an existing
    directory (or ending in a slash): that directory, same names. Otherwise ``out`` is a file prefix,
    ``<out>.<ext>`` (a trailing .csv/.xlsx/.html on it is dropped).
    """
    if out is None:
        return {f: results.with_name(f"{results.stem}.report.{f}") for f in formats}
    target = Path(out)
    if out.endswith(("/", os.sep)) or target.is_dir():
        return {f: target / f"{results.stem}.report.{f}" for f in formats}
    if target.suffix.lower().lstrip(".") in FORMATS:
        target = target.with_suffix("")
    return {f: target.with_name(f"{target.name}.{f}") for f in formats}


def spreadsheet_safe(value: object) -> object:
    """A CSV cell that a spreadsheet will not run as a formula: '=…', '@…' and '+/-' followed by
    anything but a plain number get a leading apostrophe. Phone numbers like +1 (555) 010-0000 stay."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "=@\t\r" or (value[0] in "+-" and not _PLAIN_NUMBER.fullmatch(value)):
        return "'" + value
    return value


def _atomic_write(path: Path, write: Callable[[io.BufferedWriter], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o666 & ~_umask())  # as an ordinary new file would be, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """UTF-8 with a byte-order mark, so Excel reads accents and non-Latin names right."""
    safe = table.map(spreadsheet_safe)
    data = safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
    _atomic_write(path, lambda f: f.write(data))


def _xlsx_value(ws: object, value: object) -> object:
    """A value openpyxl writes as it is: text without the control characters xlsx forbids, and text
    that openpyxl would take for a formula ('=…') wrapped in a cell typed as a string."""
    if hasattr(value, "item"):  # numpy scalars as Python values
        value = value.item()
    if not isinstance(value, str):
        return value
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    value = value[:_XLSX_MAX_CELL]
    if value.startswith("="):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def write_xlsx(table: pd.DataFrame, path: Path, *, sheet: str = "report") -> None:
    """One sheet: a bold, frozen header row with filters, then one row per list row, text as text."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.freeze_panes = "A2"
    for i, name in enumerate(table.columns, start=1):
        width = max([len(str(name))] + [len(str(v)) for v in table.iloc[:200, i - 1]])
        ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, width + 2))
    if len(table.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"
    header = []
    for name in table.columns:
        cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", str(name)))
        cell.data_type, cell.font = "s", Font(bold=True)
        header.append(cell)
    ws.append(header)
    for values in table.itertuples(index=False, name=None):
        ws.append([_xlsx_value(ws, v) for v in values])
    _atomic_write(path, wb.save)


def write_html(page: str, path: Path) -> None:
    data = page.encode("utf-8")
    _atomic_write(path, lambda f: f.write(data))
