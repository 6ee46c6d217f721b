"""The list flags (dialer/commands/list_flags.py) mean the same to every command: `--sheet 2024` is a sheet's
name before a number."""

from __future__ import annotations

import orjson
from click.testing import CliRunner
from openpyxl import Workbook

from dialer.commands.status import status
from dialer.commands.validate import validate
from dialer.core import exitcodes


def two_sheets(path):
    book = Workbook()
    book.active.title = "notes"
    book.active.append(["nothing", "here"])
    year = book.create_sheet("2024")
    year.append(["snumber", "cnumber"])
    year.append(["2125550001", "100"])
    year.append(["2125550002", "100"])
    book.save(path)
    return path


def test_status_and_validate_find_a_sheet_named_like_a_number(tmp_path):
    """validate and status both read the sheet called "2024", not sheet number 2024."""
    source = two_sheets(tmp_path / "calls.xlsx")
    checked = CliRunner().invoke(validate, [str(source), "--sheet", "2024"])
    assert checked.exit_code == exitcodes.OK, checked.output
    shown = CliRunner().invoke(status, [str(source), "--sheet", "2024", "--json"])
    assert shown.exit_code == exitcodes.OK, shown.output
    assert orjson.loads(shown.stdout)["counts"]["not_dialed"] == 2
