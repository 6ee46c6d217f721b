"""The column codec of the derived files (dialer/journal/column_codec.py): every value and its type back,
whole or one at a time, and what it refuses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dialer.core import outcomes as o
from dialer.journal import checkpoint as ck
from dialer.journal.column_codec import decode_column, encode_column, open_column
from dialer.journal.derived_file import Stale


@pytest.mark.parametrize(
    "values",
    [
        [True, 1, False, 0, True, 1] * 20,
        ["a", None, "", "b\nc", None] * 10,
        ["x", None, "", "é€😀"] * 50,
        [f"2125550{i:03d}" for i in range(500)] + [None],
        list(range(-3, 600)) + [2**62],
        [1.5, 2, "2", None, {"a": [1, None]}, [1, 2]],
        ["placed"] * 300 + ["failed", None, 7],
        [],
    ],
)
def test_columns_keep_their_values_and_types(values):
    spec, payload = encode_column("c", values)
    spec["size"] = len(payload)
    back = decode_column(spec, memoryview(payload))
    assert back == values
    assert [type(v) for v in back] == [type(v) for v in values]


def test_a_value_json_cannot_hold_is_refused_not_mangled():
    with pytest.raises(ValueError):
        encode_column("c", [1.0, float("nan")])
    with pytest.raises(Stale):
        ck.read_derived(Path("/nonexistent/checkpoint"), "checkpoint", lambda header: None)


@pytest.mark.parametrize(
    "values",
    [
        ["a", None, "numéro", "", "b"],
        ["2125550001", "2125550002", None],
        [None, None],
        ["only"],
        [],
    ],
)
def test_a_text_column_read_one_value_at_a_time_is_the_whole_column(values):
    spec, payload = encode_column("x", values)
    column = open_column(spec, memoryview(payload))
    assert [column.at(i) for i in range(len(values))] == values == column.tolist()
    assert column.array().tolist() == values


def test_a_coded_column_tests_and_counts_on_its_codes():
    values = [o.PLACED, o.FAILED, None, o.PLACED, o.UNKNOWN] * 40
    spec, payload = encode_column("state", values)
    assert spec["codec"] == "dict"
    column = open_column(spec, memoryview(payload))
    wanted = (o.PLACED, o.UNKNOWN)
    assert column.isin(wanted).tolist() == [v in wanted for v in values]
    assert column.truthy().tolist() == [bool(v) for v in values]
    at = np.array([0, 1, 2, 3, 5])
    assert column.counts(at) == {o.PLACED: 3, o.FAILED: 1, None: 1}
