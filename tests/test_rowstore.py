"""The row store: a checkpoint's columns read as the dict of RowRecords they were made from, in the
same order, with every record handed out live (a change to it stays), and the columnar readers
giving what a loop over the records gives."""

from __future__ import annotations

import dataclasses
from dataclasses import fields

import numpy as np
import pytest

from dialer.core import outcomes as o
from dialer.journal.checkpoint import encode_column
from dialer.journal.columns import open_column
from dialer.journal.records import RowRecord
from dialer.journal.replay import Replay
from dialer.journal.store import BULK_FRACTION, RowStore, StoredRows

NAMES = [f.name for f in fields(RowRecord)]


def stored_from(records: list[RowRecord]) -> RowStore:
    """A store over the columns a checkpoint holds for ``records``."""
    columns = []
    for name in NAMES:
        spec, payload = encode_column(f"row.{name}", [getattr(r, name) for r in records])
        columns.append(open_column(spec, memoryview(payload)))
    return RowStore(StoredRows(NAMES, columns))


def varied(rows: list[int]) -> list[RowRecord]:
    """Records with every kind of value a replay makes: None, ints as cnumbers, non-ASCII text."""
    out = []
    for k, row in enumerate(rows):
        state = o.ROW_STATES[k % len(o.ROW_STATES)]
        out.append(
            RowRecord(
                row,
                snumber=f"21255{k:05d}",
                cnumber=100 if k % 7 == 0 else "200",
                state=state,
                sent=k % 3 != 0,
                in_flight=k % 11 == 0,
                attempts=k % 4,
                code=None if k % 5 == 0 else str(200 + k % 3),
                callid=None if k % 2 else f"c{k}",
                reason="numéro refusé" if k % 13 == 0 else None,
                message=None,
                first_ts=f"2026-12-01T00:00:{k % 60:02d}.000000Z",
                last_ts=None if k % 17 == 0 else f"2026-12-01T00:01:{k % 60:02d}.000000Z",
            )
        )
    return out


def as_tuples(mapping) -> dict:
    return {row: dataclasses.astuple(rec) for row, rec in mapping.items()}


@pytest.mark.parametrize(
    "rows",
    [
        list(range(2, 202)),  # a list's rows, in order
        [5, 3, 900, 2, 41],  # out of order, with a gap
        [10**12 + 7, -3, 2, 10**15],  # not a table's worth of numbers: looked up by hash
        [2],  # one row: its row column is stored as a dictionary
    ],
)
def test_a_store_reads_as_the_dict_its_columns_were_made_from(rows):
    records = varied(rows)
    want = {r.row: r for r in records}
    store = stored_from(records)
    assert list(store) == list(want) and len(store) == len(want)
    for row in rows:
        assert row in store and dataclasses.astuple(store[row]) == dataclasses.astuple(want[row])
    assert 999_999 not in store and store.get(999_999) is None and "2" not in store
    with pytest.raises(KeyError):
        store[999_999]
    assert as_tuples(store) == as_tuples(want) and list(store) == list(want)


def test_a_record_handed_out_is_live_and_new_rows_come_last():
    records = varied(list(range(2, 60)))
    store, want = stored_from(records), {r.row: dataclasses.replace(r) for r in records}
    for mapping in (store, want):
        mapping.get(10).state = o.PLACED
        mapping[59].attempts = 9
        mapping[1000] = RowRecord(1000, snumber="x")
        mapping[5] = RowRecord(5, snumber="replaced")
    assert store.get(10).state == o.PLACED and store[59].attempts == 9
    assert list(store) == list(want) and len(store) == len(want)
    assert as_tuples(store) == as_tuples(want)


def test_reading_many_rows_one_by_one_turns_the_store_into_records_once():
    rows = list(range(2, 2 + 8 * 50))
    store = stored_from(varied(rows))
    for row in rows[: len(rows) // BULK_FRACTION]:
        store.get(row)
    assert store.stored is not None
    store.get(rows[-1]).reason = "changed"
    assert store.stored is None and len(store.live) == len(rows)
    assert list(store) == rows and store[rows[-1]].reason == "changed"


def test_select_and_the_replay_readers_agree_with_a_loop_over_records():
    records = varied(list(range(2, 300)))
    plain = Replay()
    for r in records:
        plain.rows[r.row] = dataclasses.replace(r)
    stored = Replay(rows=stored_from(records))
    for replay in (plain, stored):  # some rows made live and changed, one row new
        replay.rows[40].in_flight = True
        replay.rows[41].state = o.PLACED
        replay.rows[41].sent = True
        replay.rows[7000] = RowRecord(7000, "21299", "200", o.UNKNOWN, sent=True, in_flight=True)
    assert stored.rows.stored is not None
    assert stored.counts() == plain.counts()
    assert stored.placed_or_pending_pairs() == plain.placed_or_pending_pairs()
    some = {"2125500041", "2125500003", "21299", "nobody"}
    assert stored.placed_or_pending_pairs(some) == plain.placed_or_pending_pairs(some)
    flying = [dataclasses.astuple(r) for r in stored.in_flight_records()]
    assert flying == [dataclasses.astuple(r) for r in plain.rows.values() if r.in_flight]
    assert [r.row for r in stored.in_flight_records()][-1] == 7000


def test_two_rows_with_one_pair_map_to_the_later_one_as_a_dict_would():
    a = RowRecord(2, "100", "200", o.PLACED, sent=True)
    b = RowRecord(9, "100", "200", o.UNKNOWN, sent=True)
    store = stored_from([a, b])
    assert Replay(rows=store).placed_or_pending_pairs() == {("100", "200"): 9}
    store.get(2).state = o.PLACED  # live now, still before row 9 in the store's order
    assert Replay(rows=store).placed_or_pending_pairs() == {("100", "200"): 9}


def test_columns_that_cannot_be_a_store_are_refused():
    records = varied([2, 3, 3])
    with pytest.raises(ValueError, match="twice"):
        stored_from(records)
    with pytest.raises(ValueError, match="twice"):
        stored_from(varied([10**12, 5, 10**12]))
    spec, payload = encode_column("row.row", [True, 2])
    with pytest.raises(TypeError):
        StoredRows(["row"], [open_column(spec, memoryview(payload))])


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
