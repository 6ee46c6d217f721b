"""Writing the report files: CSV and xlsx for spreadsheets, HTML for people. Each file appears whole
(written beside its final name, then renamed), so a half-written report is never left behind."""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dialer.reporting.summary import parse_ts
from dialer.reporting.table import ReportTable

FORMATS = ("csv", "xlsx", "html")
_PLAIN_NUMBER = re.compile(r"[+-][0-9 ().\-]*")
_XLSX_MAX_CELL = 32767
XLSX_MAX_ROWS = 1_048_576  # rows in an Excel sheet, the header row included
_FORMULA_STARTS = frozenset("=@\t\r+-")
_NOT_IN_FILE_NAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def report_paths(name: str, results: Path, out: str | None, formats: tuple[str, ...]) -> dict[str, Path]:
    """Where each format goes, for the campaign called ``name`` whose results file is ``results``.

    No ``out``: beside the results file, ``<name>.report.<ext>``. ``out`` an existing directory (or
    ending in a slash): that directory, same names. Otherwise ``out`` is a file prefix, ``<out>.<ext>``
    (a trailing .csv/.xlsx/.html on it is dropped).
    """
    base = f"{file_name(name) or results.stem}.report"
    if out is None:
        return {f: results.with_name(f"{base}.{f}") for f in formats}
    target = Path(out)
    if out.endswith(("/", os.sep)) or target.is_dir():
        return {f: target / f"{base}.{f}" for f in formats}
    if target.suffix.lower().lstrip(".") in FORMATS:
        target = target.with_suffix("")
    return {f: target.with_name(f"{target.name}.{f}") for f in formats}


def file_name(name: str) -> str:
    """A campaign's name as one file name: path separators, control characters and characters
    Windows refuses become '_'; leading dots go, so the file is not hidden."""
    return _NOT_IN_FILE_NAMES.sub("_", name.strip()).lstrip(".")


def spreadsheet_safe(value: object) -> object:
    """A CSV cell that a spreadsheet will not run as a formula: '=…', '@…' and '+/-' followed by
    anything but a plain number get a leading apostrophe. Phone numbers like +1 (555) 010-0000 stay."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in "=@\t\r" or (value[0] in "+-" and not _PLAIN_NUMBER.fullmatch(value)):
        return "'" + value
    return value


def _safe_column(values: list) -> list:
    # Most cells start with none of the characters that matter: test the first one before calling.
    return [spreadsheet_safe(v) if v.__class__ is str and v[:1] in _FORMULA_STARTS else v for v in values]


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


def write_csv(table: ReportTable, path: Path) -> None:
    """UTF-8 with a byte-order mark, so Excel reads accents and non-Latin names right."""
    safe = [v if h in table.own else _safe_column(v) for h, v in table.columns.items()]

    def write(f: io.BufferedWriter) -> None:
        text = io.TextIOWrapper(f, encoding="utf-8-sig", newline="", write_through=False)
        out = csv.writer(text, lineterminator="\r\n")
        out.writerow(table.headers)
        out.writerows(zip(*safe, strict=True))
        text.flush()
        text.detach()

    _atomic_write(path, write)


class TooManyRows(ValueError):
    """The report has more rows than an xlsx sheet holds."""


def check_fits_xlsx(rows: int) -> None:
    """Raises TooManyRows, saying what to do instead, when ``rows`` rows and a header overflow a sheet."""
    if rows + 1 > XLSX_MAX_ROWS:
        raise TooManyRows(
            f"the report has {rows:,} rows and a header; an xlsx sheet holds at most {XLSX_MAX_ROWS:,} "
            "rows (Excel's limit): use --format csv (or html) for this campaign"
        )


def _xlsx_value(ws: object, value: object) -> object:
    """A value openpyxl writes as it is: text without the control characters xlsx forbids, and text
    that openpyxl would take for a formula ('=…') wrapped in a cell typed as a string."""
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


def _xlsx_time(ts: object) -> object:
    """A results timestamp as a date-time cell (UTC; xlsx has no time zones), empty when there is none."""
    value = parse_ts(ts) if isinstance(ts, str) else None
    return value.replace(tzinfo=None) if value else None


def write_xlsx(table: ReportTable, path: Path, *, sheet: str = "report") -> None:
    """One sheet: a bold, frozen header row with filters, then one row per list row, text as text and
    the time columns as date-times. Raises TooManyRows, before writing anything, past Excel's limit."""
    check_fits_xlsx(len(table))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.freeze_panes = "A2"
    for i, (name, values) in enumerate(table.columns.items(), start=1):
        width = max([len(str(name))] + [len(str(v)) for v in values[:200]])
        ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, width + 2))
    if table.columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"
    header = []
    for name in table.headers:
        cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", str(name)))
        cell.data_type, cell.font = "s", Font(bold=True)
        header.append(cell)
    ws.append(header)
    columns = [
        [_xlsx_time(v) for v in values] if name in table.times else values
        for name, values in table.columns.items()
    ]
    for values in zip(*columns, strict=True):
        ws.append([_xlsx_value(ws, v) for v in values])
    _atomic_write(path, wb.save)


def write_html(page: str, path: Path) -> None:
    data = page.encode("utf-8")
    _atomic_write(path, lambda f: f.write(data))
