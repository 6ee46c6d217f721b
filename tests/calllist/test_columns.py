"""Which column fills which calls/make parameter (dialer/calllist/columns.py): headers matched loosely,
mapped headers, defaults standing in for missing columns, auth columns dropped."""

from __future__ import annotations

import pytest

from dialer.calllist import ListError
from tests.helpers.call_lists import load


def test_headers_match_ignoring_case_spaces_and_underscores(tmp_path):
    """' SNumber ', 'C_NUMBER' and 'caller id 2' are snumber, cnumber and callerid2."""
    rows = [[" SNumber ", "C_NUMBER", "caller id 2", "Notes"], ["2125551234", "100", "X", "n"]]
    calls = load(tmp_path, rows)
    assert calls.parameters == ["snumber", "cnumber", "callerid2"]
    assert calls.extras == ["Notes"]
    assert calls.row_params(2) == {"snumber": "2125551234", "cnumber": "100", "callerid2": "X"}
    assert calls.table.loc[2, "Notes"] == "n"


def test_column_mapping(tmp_path):
    """ListOptions.columns maps other headers to parameters; a mapped header must exist."""
    rows = [["Phone", "Agent line", "Name"], ["212-555-1234", "1234567", "Ann"]]
    columns = {"phone": "cnumber", "Agent line": "snumber"}
    calls = load(tmp_path, rows, columns=columns, defaults={"stype": "phone"})
    assert calls.row_params(2) == {"stype": "phone", "snumber": "1234567", "cnumber": "2125551234"}
    assert calls.extras == ["Name"]
    with pytest.raises(ListError, match="names 'Mobile', not a header in the list"):
        load(tmp_path, rows, columns={"Phone": "cnumber", "Agent line": "snumber", "Mobile": "callerid1"})


def test_missing_required_column_names_it_and_lists_headers(tmp_path):
    """No cnumber column and no default: the error names cnumber and the headers found."""
    with pytest.raises(ListError) as err:
        load(tmp_path, [["snumber", "Phone"], ["2125551234", "100"]])
    message = str(err.value)
    assert "list.csv: no cnumber column" in message
    assert "headers found: 'snumber', 'Phone'" in message


def test_default_fills_a_missing_required_column(tmp_path):
    """A campaign default stands in for a column the list lacks."""
    calls = load(tmp_path, [["snumber"], ["2125551234"]], defaults={"cnumber": "100"})
    assert calls.row_params(2) == {"snumber": "2125551234", "cnumber": "100"}


def test_two_columns_for_one_parameter(tmp_path):
    """'snumber' and a header mapped to snumber cannot both fill it."""
    with pytest.raises(ListError, match="both 'snumber' and 'Phone' give snumber"):
        load(tmp_path, [["snumber", "Phone", "cnumber"], ["1", "2", "3"]], columns={"Phone": "snumber"})


def test_auth_columns_are_never_used_or_carried(tmp_path):
    """auth_username/auth_password columns vanish from the table, extras, headers and problems."""
    rows = [["snumber", "cnumber", "Auth Password", "auth_username"], ["2125551234", "100", "s3cret", "bob"]]
    rows.append(["bad", "100", "s3cret", "bob"])
    calls = load(tmp_path, rows, keep_original=True)
    assert list(calls.table.columns) == ["snumber", "cnumber"]
    assert calls.headers == ["snumber", "cnumber"]
    assert "s3cret" not in repr(calls.problems)
    assert list(calls.original.columns) == ["snumber", "cnumber"]
