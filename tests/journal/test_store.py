"""The row store (dialer/journal/store.py): a checkpoint's columns read as the dict of RowRecords they were
made from, in the same order, with every record handed out live (a change to it stays), and the columnar
readers giving what a loop over the records gives."""

from __future__ import annotations

import dataclasses
from dataclasses import fields

import numpy as np
import pytest

from dialer.core import outcomes as o
from dialer.journal.column_codec import encode_column, open_column
from dialer.journal.records import RowRecord
from dialer.journal.replay import Replay
from dialer.journal.store import BULK_FRACTION, RecordStore

NAMES = [f.name for f in fields(RowRecord)]


def stored_from(records: list[RowRecord]) -> RecordStore:
    """A store over the columns a checkpoint holds for ``records``."""
    columns = []
    for name in NAMES:
        spec, payload = encode_column(f"row.{name}", [getattr(r, name) for r in records])
        columns.append(open_column(spec, memoryview(payload)))
    return RecordStore.from_columns(NAMES, columns)


def plain_from(records: list[RowRecord]) -> RecordStore:
    """A store of records only, as a replay without a checkpoint makes."""
    store = RecordStore()
    for r in records:
        rec = store.record(r.row)
        for name in NAMES:
            setattr(rec, name, getattr(r, name))
    return store


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


def as_tuples(store: RecordStore) -> list[tuple]:
    return [dataclasses.astuple(r) for r in store.records()]


@pytest.mark.parametrize(
    "rows",
    [
        list(range(2, 202)),  # a list's rows, in order
        [5, 3, 900, 2, 41],  # out of order, with a gap
        [10**12 + 7, -3, 2, 10**15],  # not a table's worth of numbers: looked up by hash
        [2],  # one row: its row column is stored as a dictionary
    ],
)
def test_a_store_reads_as_the_records_its_columns_were_made_from(rows):
    records = varied(rows)
    store = stored_from(records)
    assert list(store) == rows and len(store) == len(rows)
    for rec in records:
        assert rec.row in store and dataclasses.astuple(store.record_of(rec.row)) == dataclasses.astuple(rec)
    assert 999_999 not in store and store.record_of(999_999) is None and "2" not in store
    assert as_tuples(store) == [dataclasses.astuple(r) for r in records] and list(store) == rows


def test_a_record_handed_out_is_live_and_new_rows_come_last():
    records = varied(list(range(2, 60)))
    for store in (stored_from(records), plain_from(records)):
        store.record_of(10).state = o.PLACED
        store.record(59).attempts = 9
        store.record(1000).snumber = "x"
        assert store.record_of(10).state == o.PLACED and store.record_of(59).attempts == 9
        assert list(store) == [*range(2, 60), 1000] and store.record_of(1000).snumber == "x"


def test_reading_many_rows_one_by_one_turns_the_store_into_records_once():
    rows = list(range(2, 2 + 8 * 50))
    store = stored_from(varied(rows))
    for row in rows[: len(rows) // BULK_FRACTION]:
        store.record_of(row)
    assert store.keys_in_columns == len(rows) - len(rows) // BULK_FRACTION
    store.record_of(rows[-1]).reason = "changed"
    assert store.keys_in_columns == 0 and len(store) == len(rows)
    assert list(store) == rows and store.record_of(rows[-1]).reason == "changed"


def test_the_questions_asked_of_every_row_agree_with_a_loop_over_records():
    records = varied(list(range(2, 300)))
    plain, stored = Replay(rows=plain_from(records)), Replay(rows=stored_from(records))
    for replay in (plain, stored):  # some rows made live and changed, one row new
        replay.rows.record_of(40).in_flight = True
        replay.rows.record_of(41).state = o.PLACED
        replay.rows.record_of(41).sent = True
        new = replay.rows.record(7000)
        new.snumber, new.cnumber, new.state, new.sent, new.in_flight = "21299", "200", o.UNKNOWN, True, True
    assert stored.rows.keys_in_columns > 0
    assert stored.counts() == plain.counts()
    assert stored.placed_or_pending_pairs() == plain.placed_or_pending_pairs()
    some = {"2125500041", "2125500003", "21299", "nobody"}
    assert stored.placed_or_pending_pairs(some) == plain.placed_or_pending_pairs(some)
    flying = [dataclasses.astuple(r) for r in stored.in_flight_records()]
    assert flying == [dataclasses.astuple(r) for r in plain.rows.records() if r.in_flight]
    assert [r.row for r in stored.in_flight_records()][-1] == 7000
    for kwargs in ({"states": (o.PLACED,), "sent": True, "stamped": True}, {"in_flight": False}):
        assert stored.rows.select(**kwargs) == plain.rows.select(**kwargs)
    rows = np.array([2, 40, 41, 7000, 8000], dtype=np.int64)
    names = ("snumber", "state", "sent")
    (p1, v1), (p2, v2) = stored.rows.lookup(rows, names), plain.rows.lookup(rows, names)
    assert p1.tolist() == p2.tolist() == [True, True, True, True, False]
    assert all(v1[n].tolist() == v2[n].tolist() for n in names)


def test_two_rows_with_one_pair_map_to_the_later_one_as_a_dict_would():
    a = RowRecord(2, "100", "200", o.PLACED, sent=True)
    b = RowRecord(9, "100", "200", o.UNKNOWN, sent=True)
    store = stored_from([a, b])
    assert Replay(rows=store).placed_or_pending_pairs() == {("100", "200"): 9}
    store.record_of(2).state = o.PLACED  # live now, still before row 9 in the store's order
    assert Replay(rows=store).placed_or_pending_pairs() == {("100", "200"): 9}


def test_columns_that_cannot_be_a_store_are_refused():
    with pytest.raises(ValueError, match="twice"):
        stored_from(varied([2, 3, 3]))
    with pytest.raises(ValueError, match="twice"):
        stored_from(varied([10**12, 5, 10**12]))
