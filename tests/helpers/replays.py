"""Comparing replays: a checkpointed replay must be a full replay's exact stand-in."""

from __future__ import annotations

from dataclasses import fields

from dialer.journal.column_codec import encode_column, open_column
from dialer.journal.records import PersonRecord
from dialer.journal.replay import Replay
from dialer.journal.store import RecordStore


def assert_same_replay(got: Replay, full: Replay) -> None:
    """Every PersonRecord field (value and type) of every record, in the same order, and every other
    field."""
    assert list(got.records) == list(full.records)
    for want in full.records.records():
        have = got.records.record_of(want.key)
        for f in fields(PersonRecord):
            a, b = getattr(have, f.name), getattr(want, f.name)
            assert a == b and type(a) is type(b), (want.key, f.name, a, b)
    for f in fields(Replay):
        if f.name != "records":
            assert getattr(got, f.name) == getattr(full, f.name), f.name


NAMES = [f.name for f in fields(PersonRecord)]


def stored_from(records: list[PersonRecord]) -> RecordStore:
    """A store over the columns a checkpoint holds for ``records``."""
    columns = []
    for name in NAMES:
        spec, payload = encode_column(f"record.{name}", [getattr(r, name) for r in records])
        columns.append(open_column(spec, memoryview(payload)))
    return RecordStore.from_columns(NAMES, columns)
