"""The checkpoint of the replayed results file (dialer/journal/checkpoint.py): checkpoint + the lines after it
= a full replay, field for field; any doubt about the results file or the checkpoint means a full replay;
and a run that starts from a checkpoint decides exactly what a full replay would, over random histories."""

from __future__ import annotations

import dataclasses
import os
import random
from pathlib import Path

import orjson
import pandas as pd
import pytest

from dialer.calllist.model import CallList, RowProblem
from dialer.campaign.settings import Recycle
from dialer.core import outcomes as o
from dialer.core.lookup import ABSENT, FOUND, UNASKED
from dialer.journal import checkpoint as ck
from dialer.journal import store
from dialer.journal.checkpoint import replay_with_checkpoint, save_checkpoint
from dialer.journal.lines import Event
from dialer.journal.records import older_row_key
from dialer.journal.results_file import read_results
from dialer.journal.results_marks import checkpoint_path
from dialer.journal.store import BULK_FRACTION
from dialer.planning.earlier_unknown import controls_before, unknown_to_check
from dialer.planning.planner import list_row_states, plan
from tests.helpers.log import Log
from tests.helpers.replays import assert_same_replay

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


def row_of(replay, row: int):
    """The record of a row these lines (an older dialer's, naming no person) wrote."""
    return replay.records.record_of(older_row_key(f"212555{row:04d}", "100"))


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
    assert full.torn_tail and row_of(full, 4).state == "unknown"
    assert row_of(full, 2).attempts == 2
    assert {row_of(full, r).state for r in (5, 8, 420)} == {"placed", "rejected", "not_dialed"}
    # the list's verdicts on rows it did not send are kept by row
    assert [full.records.record_of(f"row:{r}").state for r in (6, 7, 10)] == [
        "rejected",
        "suppressed",
    ] * 1 + ["suppressed"]
    assert row_of(full, 420).state == "not_dialed" and not row_of(full, 420).sent
    assert_same_replay(history.replay, full)
    # the torn line is not part of what may be checkpointed next
    assert history.exact and history.offset == results.stat().st_size - len(TORN)


def test_the_checkpoint_alone_equals_a_full_replay_including_an_interrupted_row(tmp_path):
    results = tmp_path / "list.results.jsonl"
    checkpointed(results, first_run())
    history = replay_with_checkpoint(results)
    assert history.restored == len(first_run())
    full = read_results(results)
    assert row_of(full, 4).in_flight
    assert row_of(full, 11).cnumber == 100 and row_of(full, 11).callid == "17957"
    assert row_of(full, 12).first_ts is None
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
    checkpointed(other, second_run() * 50)
    os.replace(checkpoint_path(other), checkpoint_path(results))


@pytest.mark.parametrize(
    "damage",
    [
        _truncated,
        _truncated_and_regrown,
        _rewritten_same_size,
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
    assert history.replay.records.record_of(older_row_key("2125550312", "100")).state == "failed"


def test_a_change_to_the_replayed_fields_ignores_the_old_checkpoint(tmp_path, monkeypatch):
    """Another PersonRecord field (or a change to replay.py) changes the format: the old one is stale."""
    results = tmp_path / "list.results.jsonl"
    checkpointed(results, first_run())
    real = ck.field_names
    monkeypatch.setattr(ck, "field_names", lambda *classes: [*real(*classes), "PersonRecord.new:str:True"])
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


def test_a_whole_copy_put_back_in_place_keeps_its_checkpoint(tmp_path):
    """Another file (a copy restored, or moved across file systems) holding the same bytes and more:
    the checkpoint proves itself on the bytes, not on the inode."""
    results = tmp_path / "list.results.jsonl"
    offset = checkpointed(results, first_run())
    _replaced(results, offset)
    history = replay_with_checkpoint(results)
    assert history.restored == offset
    assert_same_replay(history.replay, read_results(results))


# -- what a run decides from a checkpointed replay -------------------------------------------------


ROWS = 400


def history_lines(rng: random.Random) -> list[bytes]:
    """Results lines of several runs over ROWS rows, as the journal writes them (one stamp per batch),
    each about a person (``p`` and the number), some of whom move rows or change cnumber."""
    pairs = {
        row: (f"2125{rng.randrange(10**6):06d}", rng.choice(["200", "201", 100])) for row in range(2, ROWS)
    }
    out: list[dict] = []
    second = 0
    for _ in range(ROWS * 3):
        second += rng.random() < 0.3
        ts = f"2026-12-01T09:{second // 60 % 60:02d}:{second % 60:02d}.000000Z"
        row = rng.randrange(2, ROWS + 20)  # a few rows the list will not hold
        if rng.random() < 0.05:  # the list was re-sorted: another person under this row
            pairs[row] = (f"2125{rng.randrange(10**6):06d}", "200")
        s, c = pairs.setdefault(row, ("2125000000", "200"))
        base = {"ts": ts, "row": row, "snumber": s, "cnumber": c, "person": f"p{s}"}
        out += _events(rng, base)
    return [orjson.dumps(line) + b"\n" for line in out]


def _events(rng: random.Random, base: dict) -> list[dict]:
    attempt = rng.randrange(1, 4)
    kind = rng.random()
    if kind < 0.08:
        event = rng.choice([Event.ROW_REJECTED, Event.ROW_SUPPRESSED])
        outcome = o.REJECTED if event == Event.ROW_REJECTED else o.SUPPRESSED
        return [base | {"event": event, "attempt": 0, "outcome": outcome, "code": "invalid", "reason": "r"}]
    out = [base | {"event": Event.DIAL, "attempt": attempt, "outcome": o.SENDING}]
    if kind < 0.16:
        return out  # in flight: no answer
    if kind < 0.22:
        return [*out, base | {"event": Event.WITHDRAWN, "attempt": attempt, "outcome": o.WITHDRAWN}]
    outcome = rng.choice([o.PLACED, o.PLACED, o.FAILED, o.RETRY, o.UNKNOWN, o.UNKNOWN, o.REJECTED])
    callid = f"c{rng.randrange(10**6)}" if outcome == o.PLACED and rng.random() < 0.7 else None
    code = {o.PLACED: "200", o.REJECTED: "400", o.UNKNOWN: "timeout"}.get(outcome, "503")
    out.append(
        base | {"event": Event.RESULT, "attempt": attempt, "outcome": outcome, "code": code, "callid": callid}
    )
    if outcome == o.UNKNOWN and rng.random() < 0.5:
        verdict = rng.choice([FOUND, ABSENT, UNASKED])
        out.append(base | {"event": Event.CHECKED, "verdict": verdict, "code": "checked", "callid": None})
    if outcome == o.PLACED and rng.random() < 0.5:
        status = rng.choice(["answered", "no-answer", "busy", "not-known"])
        out.append(
            base | {"event": Event.CALL_ENDED, "attempt": attempt, "placed_run": None, "call_status": status}
        )
    return out


def random_list(rng: random.Random, full) -> CallList:
    """A list over the same rows: most as dialed, some with another cnumber, some people moved to
    other rows, some rows the list rejects now, some rows new."""
    rows: dict[int, tuple[str, object]] = {}
    problems = []
    history = [r for r in full.records.records() if not r.key.startswith("row:")]
    by_row = {r.row: r for r in history}
    for row in range(2, ROWS + 10):
        rec = by_row.get(row)
        pick = rng.random()
        if rec is not None and pick < 0.65:
            pair = (rec.snumber, rec.cnumber)
        elif rec is not None and pick < 0.7:
            pair = (rec.snumber, "999")  # the same person, bridged elsewhere now
        elif pick < 0.8 and history:
            other = rng.choice(history)
            pair = (other.snumber, other.cnumber)  # a person who moved rows
        else:
            pair = (f"2126{rng.randrange(10**6):06d}", "200")
        if rng.random() < 0.05:
            problems.append(RowProblem(row, o.REJECTED, "invalid", "r", str(pair[0]), str(pair[1])))
        elif f"p{pair[0]}" not in {f"p{s}" for s, _ in rows.values()}:  # the loader keeps a person once
            rows[row] = pair
    table = pd.DataFrame(
        {"snumber": [s for s, _ in rows.values()], "cnumber": [c for _, c in rows.values()]},
        index=pd.Index(list(rows), name="row"),
    )
    persons = pd.Series([f"p{s}" for s, _ in rows.values()], index=table.index, dtype="str")
    return CallList(
        Path("x.csv"),
        table,
        ["snumber", "cnumber"],
        [],
        problems,
        ["snumber", "cnumber"],
        len(rows),
        persons=persons,
    )


def plan_fields(p) -> tuple:
    return (p.to_dial, p.redial_unknown, p.unknown, p.problems_to_record, p.already_called, p.moved, p.counts)


def decisions(call_list: CallList, replay, touch: list[str]) -> dict:
    """What a run decides from ``replay``; ``touch``: keys whose records are made first (as the fold of
    the lines after a checkpoint or a reader would)."""
    for key in touch:
        replay.records.record_of(key)
    unknown = [rec for _, rec in unknown_to_check(plan(call_list, replay), replay)]
    recycle = Recycle(enabled=True, after=60.0)
    # the readers that work on the columns first: the plan may make records of many rows
    return {
        "states": replay.records.count("state"),
        "in flight": [dataclasses.astuple(r) for r in replay.in_flight_records()],
        "controls": [r.key for r in controls_before(replay, unknown, 3600.0)],
        "plan": plan_fields(plan(call_list, replay)),
        "plan, redial unknown": plan_fields(plan(call_list, replay, redial_unknown=True)),
        "plan, recycling": plan_fields(plan(call_list, replay, recycle=recycle, now=1.9e9)),
        "states of rows": [(s.row, s.state, s.problem) for s in list_row_states(call_list, replay)],
        "records": [dataclasses.astuple(r) for r in replay.records.records()],
    }


@pytest.mark.parametrize("bulk_fraction", [1, BULK_FRACTION], ids=["record by record", "in bulk"])
@pytest.mark.parametrize("seed", range(6))
def test_a_checkpointed_replay_decides_what_a_full_replay_decides(tmp_path, monkeypatch, seed, bulk_fraction):
    """``bulk_fraction`` 1: records are made one by one however many are asked for, so every
    reader meets the columns; the default: a store turned into records on the way, too."""
    monkeypatch.setattr(store, "BULK_FRACTION", bulk_fraction)
    rng = random.Random(seed)
    lines = history_lines(rng)
    cut = rng.randrange(len(lines) // 3, len(lines))
    results = tmp_path / "list.results.jsonl"
    results.write_bytes(b"".join(lines[:cut]))
    assert save_checkpoint(results, replay_with_checkpoint(results))
    with open(results, "ab") as f:
        f.write(b"".join(lines[cut:]))
    full = read_results(results)
    call_list = random_list(rng, full)
    touch = rng.sample([k for k in full.records if not k.startswith("row:")], 12)
    want = decisions(call_list, full, touch)
    for first in ([], touch):
        history = replay_with_checkpoint(results)
        assert history.restored
        assert history.replay.records.keys_in_columns or bulk_fraction != 1
        assert decisions(call_list, history.replay, first) == want
