"""The record store (dialer/journal/store.py): a checkpoint's columns read as the records they were made
from, by key and in the same order, with every record handed out live (a change to it stays), and the
questions asked of every record answered as a loop over the records would."""

from __future__ import annotations

import dataclasses
from dataclasses import fields

import numpy as np
import pytest

from dialer.core import outcomes as o
from dialer.journal.records import PersonRecord
from dialer.journal.replay import Replay
from dialer.journal.store import BULK_FRACTION, RecordStore
from tests.helpers.replays import stored_from

NAMES = [f.name for f in fields(PersonRecord)]


def plain_from(records: list[PersonRecord]) -> RecordStore:
    """A store of records only, as a replay without a checkpoint makes."""
    store = RecordStore()
    for r in records:
        rec = store.record(r.key)
        for name in NAMES:
            setattr(rec, name, getattr(r, name))
    return store


def key(k: int) -> str:
    return f"+121255{k:05d}"


def varied(count: int, start: int = 0) -> list[PersonRecord]:
    """Records with every kind of value a replay makes: None, ints as cnumbers, non-ASCII text."""
    out = []
    for k in range(start, start + count):
        out.append(
            PersonRecord(
                key(k),
                row=k + 2,
                snumber=f"21255{k:05d}",
                cnumber=100 if k % 7 == 0 else "200",
                state=o.ROW_STATES[k % len(o.ROW_STATES)],
                sent=k % 3 != 0,
                in_flight=k % 11 == 0,
                attempts=k % 4,
                code=None if k % 5 == 0 else str(200 + k % 3),
                callid=None if k % 2 else f"c{k}",
                reason="numéro refusé" if k % 13 == 0 else None,
                first_ts=f"2026-12-01T00:00:{k % 60:02d}.000000Z",
                last_ts=None if k % 17 == 0 else f"2026-12-01T00:01:{k % 60:02d}.000000Z",
                placed_at="2026-12-01T00:00:01.000000Z" if k % 4 == 0 else "",
                call_status="no-answer" if k % 8 == 0 else None,
            )
        )
    return out


def as_tuples(store: RecordStore) -> list[tuple]:
    return [dataclasses.astuple(r) for r in store.records()]


@pytest.mark.parametrize("count", [200, 1, 0])
def test_a_store_reads_as_the_records_its_columns_were_made_from(count):
    records = varied(count)
    store = stored_from(records)
    assert list(store) == [r.key for r in records] and len(store) == count
    for rec in records:
        assert rec.key in store and dataclasses.astuple(store.record_of(rec.key)) == dataclasses.astuple(rec)
    assert "+19999999999" not in store and store.record_of("+19999999999") is None and 2 not in store
    assert as_tuples(store) == [dataclasses.astuple(r) for r in records]


def test_a_record_handed_out_is_live_and_new_keys_come_last():
    records = varied(58)
    for store in (stored_from(records), plain_from(records)):
        store.record_of(key(8)).state = o.PLACED
        store.record(key(57)).attempts = 9
        store.record("row:1000").reason = "x"
        assert store.record_of(key(8)).state == o.PLACED and store.record_of(key(57)).attempts == 9
        assert list(store) == [*(r.key for r in records), "row:1000"]
        assert store.record_of("row:1000").reason == "x"


def test_reading_many_records_one_by_one_turns_the_store_into_records_once():
    records = varied(8 * 50)
    store = stored_from(records)
    for rec in records[: len(records) // BULK_FRACTION]:
        store.record_of(rec.key)
    assert store.keys_in_columns == len(records) - len(records) // BULK_FRACTION
    store.record_of(records[-1].key).reason = "changed"
    assert store.keys_in_columns == 0 and len(store) == len(records)
    assert list(store) == [r.key for r in records] and store.record_of(records[-1].key).reason == "changed"


def test_the_questions_asked_of_every_record_agree_with_a_loop_over_records():
    records = varied(300)
    plain, stored = Replay(records=plain_from(records)), Replay(records=stored_from(records))
    for replay in (plain, stored):  # some records made live and changed, one key new
        replay.records.record_of(key(40)).in_flight = True
        replay.records.record_of(key(41)).state = o.PLACED
        replay.records.record_of(key(41)).sent = True
        new = replay.records.record("+12129999999")
        new.snumber, new.cnumber, new.state, new.sent, new.in_flight = "21299", "200", o.UNKNOWN, True, True
    assert stored.records.keys_in_columns > 0
    assert stored.records.count("state") == plain.records.count("state")
    assert stored.records.count("call_status") == plain.records.count("call_status")
    flying = [dataclasses.astuple(r) for r in stored.in_flight_records()]
    assert flying == [dataclasses.astuple(r) for r in plain.records.records() if r.in_flight]
    assert [r.key for r in stored.in_flight_records()][-1] == "+12129999999"
    for kwargs in ({"states": (o.PLACED,), "sent": True, "stamped": True}, {"in_flight": False}, {}):
        assert stored.records.select(**kwargs) == plain.records.select(**kwargs)
    keys = np.array([key(0), key(40), key(41), "+12129999999", "+10000000000"], dtype=object)
    names = ("snumber", "state", "sent", "placed_at")
    (p1, v1), (p2, v2) = stored.records.lookup(keys, names), plain.records.lookup(keys, names)
    assert p1.tolist() == p2.tolist() == [True, True, True, True, False]
    assert all(v1[n].tolist() == v2[n].tolist() for n in names)


@pytest.mark.parametrize("seed", range(6))
def test_the_rows_hint_gives_the_answer_without_it(seed):
    """``lookup(keys, names, rows)``: found where the row's record is the key's (the list did not
    move), matched among the other records otherwise; the same answer as without the hint, whatever
    the list did (rows moved, persons gone, new persons, two records last dialed as one row)."""
    rng = np.random.default_rng(seed)
    records = varied(400)
    records[5].row = records[6].row  # two persons last dialed as one row (the list was edited)
    store = stored_from(records)
    store.record_of(key(9)).state = o.PLACED  # one record live
    kept = rng.permutation(400)[: 300 + seed * 15]
    keys = [key(int(k)) for k in kept] + [key(1000 + k) for k in range(seed * 5)]  # some persons new
    rows = np.array([int(k) + 2 for k in kept] + [900 + k for k in range(seed * 5)], dtype=np.int64)
    moved = rng.random(len(rows)) < seed / 10  # some rows now hold another position's person
    rows[moved] = rng.permutation(rows[moved])
    order = rng.permutation(len(keys))
    keys, rows = np.array(keys, dtype=object)[order], rows[order]
    names = ("row", "state", "snumber")
    hinted, plain = store.lookup(keys, names, rows), store.lookup(keys, names)
    assert hinted[0].tolist() == plain[0].tolist()
    assert hinted[0].sum() == len(kept)
    assert all(hinted[1][n].tolist() == plain[1][n].tolist() for n in names)


def test_the_rows_hint_with_every_record_in_place_and_new_persons():
    """Every record found at its row, the rest new persons: nothing is left to match them against."""
    records = varied(50)
    store = stored_from(records)
    keys = np.array([r.key for r in records] + [key(900), key(901)], dtype=object)
    rows = np.array([r.row for r in records] + [900, 901], dtype=np.int64)
    present, values = store.lookup(keys, ("row",), rows)
    assert present.tolist() == [True] * 50 + [False, False]
    assert values["row"].tolist() == [r.row for r in records] + [None, None]


def test_columns_that_cannot_be_a_store_are_refused():
    twice = varied(3)
    twice[2] = dataclasses.replace(twice[2], key=twice[0].key)
    with pytest.raises(ValueError, match="twice"):
        stored_from(twice)
