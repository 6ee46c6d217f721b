"""Comparing replays: a checkpointed replay must be a full replay's exact stand-in."""

from __future__ import annotations

from dataclasses import fields

from dialer.journal.records import RowRecord
from dialer.journal.replay import Replay


def assert_same_replay(got: Replay, full: Replay) -> None:
    """Every RowRecord field (value and type) of every row, in the same order, and every other field."""
    assert list(got.rows) == list(full.rows)
    for row, want in ((r.row, r) for r in full.rows.records()):
        have = got.rows.record_of(row)
        for f in fields(RowRecord):
            a, b = getattr(have, f.name), getattr(want, f.name)
            assert a == b and type(a) is type(b), (row, f.name, a, b)
    for f in fields(Replay):
        if f.name != "rows":
            assert getattr(got, f.name) == getattr(full, f.name), f.name
