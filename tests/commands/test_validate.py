"""`dialer validate` (dialer/commands/validate.py): totals, the rejects file and exit statuses."""

from __future__ import annotations

import csv
import re

from click.testing import CliRunner

from dialer.commands.validate import validate
from dialer.core import exitcodes

LIST = (
    "snumber,cnumber,callerid2,answer1,Name\n"
    "2125551234,100,Sales,1,Ann\n"
    "2.125551234E+09,100,Sales,1,Bob\n"
    "\n"
    "212-555-1234,100,Sales,0,Cy\n"
    "6465550000,100,Sales,yes,Di\n"
    '7185550000,100,"O\'Brien & Sons; <Sales>",1,Ed\n'
)


def run(*args):
    return CliRunner().invoke(validate, [str(a) for a in args])


def read_rejects(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def test_totals_rejects_file_and_needs_attention(tmp_path):
    """Two invalid rows, one duplicate, one do-not-call: totals printed, rejects written, exit 4."""
    path = tmp_path / "calls.csv"
    path.write_text(LIST)
    dnc = tmp_path / "dnc.txt"
    dnc.write_text("+1 718 555 0000\n")
    result = run(path, "--do-not-call", dnc)
    assert result.exit_code == exitcodes.NEEDS_ATTENTION, result.output
    out = result.stdout
    assert "calls.csv: 5 rows" in out
    assert "valid        3" in out
    assert "to dial      1" in out
    assert "rejected     2" in out
    assert "snumber is in scientific notation" in out
    assert "answer1 must be 0 or 1" in out
    assert "duplicates   1" in out
    assert "do-not-call  1" in out
    assert "blank rows   1" in out
    rejects = read_rejects(tmp_path / "calls.rejects.csv")
    assert [(r["row"], r["outcome"], r["code"], r["column"]) for r in rejects] == [
        ("3", "rejected", "invalid", "snumber"),
        ("5", "suppressed", "duplicate", ""),
        ("6", "rejected", "invalid", "answer1"),
        ("7", "suppressed", "do-not-call", "snumber"),
    ]
    assert rejects[1]["duplicate_of"] == "2"
    assert rejects[0]["snumber"] == "2.125551234E+09"
    assert rejects[3]["callerid2"] == "O'Brien & Sons; <Sales>"
    assert "more than --max-rejects 0" in result.stderr


def test_max_rejects_allows_ok(tmp_path):
    """Rejects within --max-rejects exit 0; --rejects puts the file where asked."""
    path = tmp_path / "calls.csv"
    path.write_text(LIST)
    out = tmp_path / "out" / "bad.csv"
    out.parent.mkdir()
    result = run(path, "--max-rejects", 2, "--rejects", out)
    assert result.exit_code == exitcodes.OK, result.output
    assert len(read_rejects(out)) == 3
    assert not (tmp_path / "calls.rejects.csv").exists()


def test_nothing_valid_is_bad_input(tmp_path):
    """A list whose every row is rejected exits 2."""
    path = tmp_path / "calls.csv"
    path.write_text("snumber,cnumber\nabc,100\n")
    result = run(path, "--max-rejects", 5)
    assert result.exit_code == exitcodes.BAD_INPUT
    assert "no row can be dialed" in result.stderr


def test_unusable_list_is_one_line_naming_the_file(tmp_path):
    """A missing column is one stderr line naming the file, no traceback, exit 2."""
    path = tmp_path / "calls.csv"
    path.write_text("Phone,Name\n2125551234,Ann\n")
    result = run(path)
    assert result.exit_code == exitcodes.BAD_INPUT
    assert result.stderr.count("\n") == 1
    assert "calls.csv: no snumber or cnumber column" in result.stderr
    assert "Traceback" not in result.output


def test_missing_source_and_binary_list(tmp_path):
    """A missing campaign file and a binary list both exit 2 with the file named."""
    result = run(tmp_path / "nope.csv")
    assert result.exit_code == exitcodes.BAD_INPUT
    assert "nope.csv: no such file" in result.stderr
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)))
    result = run(junk)
    assert result.exit_code == exitcodes.BAD_INPUT
    assert "junk.csv: is not a text table" in result.stderr


def test_campaign_toml_with_columns_defaults_and_options(tmp_path):
    """A campaign's [columns] and [defaults] apply; --delimiter and --encoding override detection."""
    (tmp_path / "people.csv").write_bytes("Phone|Name\n2125551234|Zoë\n".encode("cp1252"))
    toml = tmp_path / "camp.toml"
    toml.write_text(
        '[campaign]\nlist = "people.csv"\n[columns]\nPhone = "snumber"\n[defaults]\ncnumber = "100"\n'
    )
    result = run(toml, "--delimiter", "|", "--encoding", "cp1252")
    assert result.exit_code == exitcodes.OK, result.output
    assert "to dial      1" in result.stdout
    assert not (tmp_path / "people.rejects.csv").exists()  # no row set aside: no rejects file
    result = run(toml, "--delimiter", "ab")
    assert result.exit_code == exitcodes.BAD_INPUT
    assert "delimiter must be one character" in result.stderr


def test_bad_campaign_default_is_bad_input(tmp_path):
    """A campaign default that fails its check exits 2 naming the campaign file and the key."""
    (tmp_path / "people.csv").write_text("snumber,cnumber\n2125551234,100\n")
    toml = tmp_path / "camp.toml"
    toml.write_text('[campaign]\nlist = "people.csv"\n[defaults]\nwarn1 = 7\n')
    result = run(toml)
    assert result.exit_code == exitcodes.BAD_INPUT
    assert f"{toml}: [defaults] warn1 = 7: warn1 must be 0 or 1" in result.stderr


def test_spreadsheet_sheet_option(tmp_path):
    """--sheet picks a sheet by name; an unknown one is a clear error."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Intro"
    ws = wb.create_sheet("Calls")
    ws.append(["snumber", "cnumber"])
    ws.append([2125551234, 100])
    path = tmp_path / "calls.xlsx"
    wb.save(path)
    result = run(path, "--sheet", "Calls")
    assert result.exit_code == exitcodes.OK, result.output
    result = run(path, "--sheet", "Other")
    assert result.exit_code == exitcodes.BAD_INPUT
    assert "no sheet named 'Other'" in result.stderr


def test_rejected_rows_are_listed_with_their_row_column_and_reason(tmp_path):
    """The README's promise: each rejected row on screen with its row number (as Excel shows it), its
    column and why; duplicates and do-not-call rows are counted, not listed as rejected."""
    path = tmp_path / "calls.csv"
    path.write_text(LIST)
    result = run(path)
    out = result.stdout
    listed = out[out.index("Rejected rows (2):") :].splitlines()[1:]
    assert [line.split()[:2] for line in listed] == [["row", "column"], ["3", "snumber"], ["6", "answer1"]]
    assert "snumber is in scientific notation" in listed[1] and "answer1 must be 0 or 1" in listed[2]


def test_the_rejected_rows_on_screen_stop_at_a_limit_unless_all_are_asked_for(tmp_path):
    """30 rejected rows: the first 20 by default, then how many more and where they are; --show-rejects
    sets the limit; --all-rejects lists them all."""
    path = tmp_path / "calls.csv"
    path.write_text("snumber,cnumber\n2125550000,100\n" + "".join(f"abc{n},100\n" for n in range(30)))

    def listed(*flags):
        out = run(path, "--max-rejects", 100, *flags).stdout
        return [line for line in out.splitlines() if re.match(r"^ +\d+  snumber  ", line)], out

    rows, out = listed()
    assert [int(line.split()[0]) for line in rows] == list(range(3, 23))
    assert "... and 10 more: see the rejects file, or --all-rejects" in out
    assert len(listed("--show-rejects", 5)[0]) == 5
    rows, out = listed("--all-rejects")
    assert len(rows) == 30 and "more:" not in out


def test_a_clean_list_writes_no_rejects_file_and_removes_a_stale_one(tmp_path):
    """No row set aside: no rejects file (an empty one said nothing), and the one an earlier check of
    this list wrote is removed, since its rows are rejected no more."""
    path = tmp_path / "calls.csv"
    path.write_text("snumber,cnumber\n2125550000,100\nabc,100\n")
    assert run(path, "--max-rejects", 1).exit_code == exitcodes.OK
    assert (tmp_path / "calls.rejects.csv").exists()
    path.write_text("snumber,cnumber\n2125550000,100\n2125550001,100\n")
    result = run(path)
    assert result.exit_code == exitcodes.OK
    assert "rejects file: none written (no row rejected or suppressed)" in result.stdout
    assert not (tmp_path / "calls.rejects.csv").exists()
    assert "Rejected rows" not in result.stdout
