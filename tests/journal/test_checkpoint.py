"""The checkpoint of the replayed results file: checkpoint + the lines after it = a full replay, field
for field; any doubt about the results file or the checkpoint means a full replay; and end to end, a
resumed run with a warm checkpoint and list cache dials exactly the rows that remain, once each."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path

import orjson
import pytest

from dialer.journal import checkpoint as ck
from dialer.journal.checkpoint import checkpoint_path, replay_with_checkpoint, save_checkpoint
from dialer.journal.column_codec import decode_column, encode_column
from dialer.journal.derived_file import Stale
from dialer.journal.records import RowRecord
from dialer.journal.replay import Replay
from dialer.journal.results_file import read_results
from tests.helpers.log import Log

RUN1, RUN2 = "20261126T090000-aaaaaa", "20261126T100000-bbbbbb"
TORN = b'{"ts":"2026-11-26T10:59:59.000000Z","event":"dial","run":"20261126T100000-bbbbbb","row":5,"snu'


class Lines:
    """Results lines in the journal's format, timestamps increasing."""

    def __init__(self, run: str) -> None:
        self.run = run
        self.out: list[bytes] = []
        self.tick = 0

    def add(self, event: str, **fields: object) -> Lines:
        self.tick += 1
        ts = f"2026-11-26T{9 + self.tick // 3600:02d}:{self.tick // 60 % 60:02d}:{self.tick % 60:02d}.000000Z"
        self.out.append(orjson.dumps({"ts": ts, "event": event, "run": self.run, **fields}) + b"\n")
        return self

    def row(self, event: str, row: int, **fields: object) -> Lines:
        fields.setdefault("snumber", f"212555{row:04d}")
        fields.setdefault("cnumber", "100")
        return self.add(event, row=row, **fields)

    def dial(self, row: int, attempt: int = 1, **fields: object) -> Lines:
        return self.row("dial", row, attempt=attempt, outcome="sending", code=None, callid=None, **fields)

    def result(self, row: int, outcome: str, code: object, attempt: int = 1, **fields: object) -> Lines:
        fields.setdefault("callid", f"1795724006.{row}" if outcome == "placed" else None)
        fields.setdefault("reason", {"placed": "call requested"}.get(outcome, f"answer {code}"))
        fields.setdefault("message", "OK" if outcome == "placed" else "Service unavailable")
        return self.row("result", row, attempt=attempt, outcome=outcome, code=code, **fields)

    def placed(self, row: int, **fields: object) -> Lines:
        return self.dial(row, **fields).result(row, "placed", "200", **fields)

    def bytes(self) -> bytes:
        return b"".join(self.out)


def first_run() -> bytes:
    """Every kind of row: retried then placed, unknown, interrupted, withdrawn, rejected by the list and
    by the switch, suppressed, failed, odd values (an int cnumber, a numeric callid, no ts)."""
    lines = Lines(RUN1).add("run_started", rows=400, settings={"rate": 50.0, "window": {}})
    lines.dial(2).result(2, "retry", "503").dial(2, attempt=2).result(2, "placed", "200", attempt=2)
    lines.dial(3).result(3, "unknown", "timeout", callid=None)
    lines.dial(4)  # interrupted: the intent, and no answer
    lines.dial(5).row("withdrawn", 5, attempt=1, outcome="withdrawn", code=None, callid=None)
    lines.row("row_rejected", 6, attempt=0, outcome="rejected", code="invalid", reason="bad", column="x")
    lines.row("row_suppressed", 7, attempt=0, outcome="suppressed", code="duplicate", duplicate_of=2)
    lines.dial(8).result(8, "rejected", "400", key="snumber", message="Invalid snumber")
    lines.dial(9).result(9, "retry", "503").dial(9, attempt=2).result(9, "failed", "503", attempt=2)
    lines.row("row_suppressed", 10, attempt=0, outcome="suppressed", code="do-not-call", reason="dnc")
    lines.dial(11, cnumber=100).result(11, "placed", 200, callid=17957, cnumber=100)
    lines.out.append(
        b'{"event":"dial","run":"x","row":12,"snumber":"2125550012","cnumber":"100","attempt":1}\n'
    )
    lines.out.append(b"   \n")
    for row in range(13, 313):
        lines.placed(row)
    lines.add("run_error", reason="switch unreachable", detail={"attempts": [1, 2.5, None]})
    lines.add("run_ended", status=6, reason="SIGTERM received", counts={"placed": 300})
    return lines.bytes()


def second_run() -> bytes:
    lines = Lines(RUN2).add("run_started", rows=420)
    lines.result(4, "unknown", "interrupted", callid=None, reason="the run ended before the switch answered")
    lines.dial(9).result(9, "placed", "200")
    lines.dial(5).result(5, "placed", "204", callid=None)
    lines.row("redial_unknown", 3, attempt=1)
    lines.dial(3, attempt=2).result(3, "placed", "200", attempt=2)
    for row in range(400, 420):
        lines.placed(row)
    lines.dial(420).row("withdrawn", 420, attempt=1, outcome="withdrawn", code=None, callid=None)
    lines.add("run_ended", status=0, reason="finished", counts={"placed": 320})
    return lines.bytes()


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


def checkpointed(results: Path, content: bytes) -> int:
    """Write ``content``, replay it and save its checkpoint; returns the checkpoint's offset."""
    results.write_bytes(content)
    history = replay_with_checkpoint(results)
    assert history.exact and history.restored == 0
    assert save_checkpoint(results, history)
    return history.offset


def test_checkpoint_plus_appended_lines_equals_a_full_replay(tmp_path):
    """Checkpoint after the first run; the second run's lines and a torn tail appended after it."""
    results = tmp_path / "list.results.jsonl"
    offset = checkpointed(results, first_run())
    assert offset == len(first_run())
    with open(results, "ab") as f:
        f.write(second_run() + TORN)
    log = Log()
    history = replay_with_checkpoint(results, log)
    full = read_results(results)
    assert history.restored == offset
    assert "results file replayed from its checkpoint" in log.events()
    assert full.torn_tail and full.rows.record_of(4).state == "unknown"
    assert full.rows.record_of(2).attempts == 2
    states = {full.rows.record_of(r).state for r in (5, 6, 7, 8, 10, 420)}
    assert states == {"placed", "rejected", "suppressed", "not_dialed"}
    assert full.rows.record_of(420).state == "not_dialed" and not full.rows.record_of(420).sent
    assert_same_replay(history.replay, full)
    # the torn line is not part of what may be checkpointed next
    assert history.exact and history.offset == results.stat().st_size - len(TORN)


def test_the_checkpoint_alone_equals_a_full_replay_including_an_interrupted_row(tmp_path):
    results = tmp_path / "list.results.jsonl"
    checkpointed(results, first_run())
    history = replay_with_checkpoint(results)
    assert history.restored == len(first_run())
    full = read_results(results)
    assert full.rows.record_of(4).in_flight
    assert full.rows.record_of(11).cnumber == 100 and full.rows.record_of(11).callid == "17957"
    assert full.rows.record_of(12).first_ts is None
    assert_same_replay(history.replay, full)


def test_a_checkpoint_made_over_a_torn_tail_covers_the_whole_lines_before_it(tmp_path):
    """The torn line is not in the checkpoint; the journal cuts it and the next run appends."""
    results = tmp_path / "list.results.jsonl"
    results.write_bytes(first_run() + TORN)
    history = replay_with_checkpoint(results)
    assert history.replay.torn_tail and history.exact and history.offset == len(first_run())
    assert save_checkpoint(results, history)
    os.truncate(results, len(first_run()))  # what Journal.open does to a torn tail
    with open(results, "ab") as f:
        f.write(second_run())
    again = replay_with_checkpoint(results)
    assert again.restored == len(first_run())
    assert_same_replay(again.replay, read_results(results))
    assert not again.replay.torn_tail


def test_a_last_line_without_its_newline_that_parsed_is_not_checkpointed(tmp_path):
    """It was folded, but no offset of whole lines says so: no checkpoint rather than a wrong one."""
    results = tmp_path / "list.results.jsonl"
    results.write_bytes(first_run().rstrip(b"\n"))
    history = replay_with_checkpoint(results)
    assert not history.exact
    assert not save_checkpoint(results, history)
    assert not checkpoint_path(results).exists()


def _truncated(results: Path, offset: int) -> None:
    os.truncate(results, offset - 7)


def _truncated_and_regrown(results: Path, offset: int) -> None:
    """Cut back to a line in the middle, then longer than before: other bytes before the offset."""
    os.truncate(results, results.read_bytes().rindex(b"\n", 0, offset // 2) + 1)
    with open(results, "ab") as f:
        f.write(second_run() * 20)
    assert results.stat().st_size > offset


def _rewritten_same_size(results: Path, offset: int) -> None:
    """An edit in place (same inode, same size): a placed row now says failed."""
    data = results.read_bytes()
    at = data.rindex(b'"outcome":"placed"', 0, offset)
    with open(results, "r+b") as f:
        f.seek(at)
        f.write(b'"outcome":"failed"')


def _replaced(results: Path, offset: int) -> None:
    """The same bytes and more, in another file renamed over it."""
    other = results.with_name("other.jsonl")
    other.write_bytes(results.read_bytes() + second_run())
    os.replace(other, results)


def _checkpoint_byte_flipped(results: Path, offset: int) -> None:
    path = checkpoint_path(results)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0x01
    path.write_bytes(bytes(data))


def _checkpoint_cut_short(results: Path, offset: int) -> None:
    path = checkpoint_path(results)
    os.truncate(path, path.stat().st_size - 1000)


def _checkpoint_garbage(results: Path, offset: int) -> None:
    checkpoint_path(results).write_bytes(b"\x00\x01not a checkpoint\n" * 10)


def _checkpoint_of_another_results_file(results: Path, offset: int) -> None:
    other = results.with_name("other.jsonl")
    checkpointed(other, first_run())
    os.replace(checkpoint_path(other), checkpoint_path(results))


@pytest.mark.parametrize(
    "damage",
    [
        _truncated,
        _truncated_and_regrown,
        _rewritten_same_size,
        _replaced,
        _checkpoint_byte_flipped,
        _checkpoint_cut_short,
        _checkpoint_garbage,
        _checkpoint_of_another_results_file,
    ],
)
def test_any_doubt_means_a_full_replay_with_the_same_answer(tmp_path, damage):
    results = tmp_path / "list.results.jsonl"
    offset = checkpointed(results, first_run())
    damage(results, offset)
    log = Log()
    history = replay_with_checkpoint(results, log)
    assert history.restored == 0
    assert "checkpoint not used: replaying the whole results file" in log.events()
    assert log.lines[0][2]["reason"]
    assert_same_replay(history.replay, read_results(results))


def test_a_rewrite_in_place_is_caught_and_changes_the_answer(tmp_path):
    """The case above that matters: the checkpoint's row 312 would be placed; the file says failed."""
    results = tmp_path / "list.results.jsonl"
    offset = checkpointed(results, first_run())
    _rewritten_same_size(results, offset)
    history = replay_with_checkpoint(results)
    assert history.replay.rows.record_of(312).state == "failed"


def test_a_change_to_the_replayed_fields_ignores_the_old_checkpoint(tmp_path, monkeypatch):
    """Another RowRecord field (or a change to replay.py) changes the format: the old one is stale."""
    results = tmp_path / "list.results.jsonl"
    checkpointed(results, first_run())
    real = ck.field_names
    monkeypatch.setattr(ck, "field_names", lambda *classes: [*real(*classes), "RowRecord.new:str:True"])
    ck.checkpoint_format.cache_clear()
    try:
        log = Log()
        history = replay_with_checkpoint(results, log)
    finally:
        monkeypatch.undo()
        ck.checkpoint_format.cache_clear()
    assert history.restored == 0
    assert log.lines[0][2]["reason"] == "format changed"
    assert_same_replay(history.replay, read_results(results))


def test_a_missing_results_file_with_a_checkpoint_is_an_empty_history(tmp_path):
    results = tmp_path / "list.results.jsonl"
    checkpointed(results, first_run())
    results.unlink()
    history = replay_with_checkpoint(results)
    assert len(history.replay.rows) == 0 and history.restored == 0


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
