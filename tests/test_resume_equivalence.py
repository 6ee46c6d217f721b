"""A run that starts from a checkpoint decides exactly what a full replay would: the same plan (rows
to dial, to ask about, to record), the same counts, the same rows left in flight and the same
controls, over random histories (redials, withdrawals, checks, re-sorted lists, list verdicts)
cut at random places, with the checkpoint's columns read before and after records are made."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import orjson
import pandas as pd
import pytest

from dialer.calllist.model import CallList, RowProblem
from dialer.core import outcomes as o
from dialer.core.lookup import ABSENT, FOUND, UNASKED
from dialer.journal import store as rowstore
from dialer.journal.checkpoint import replay_with_checkpoint, save_checkpoint
from dialer.journal.lines import Event
from dialer.journal.results_file import read_results
from dialer.journal.store import BULK_FRACTION
from dialer.planning.earlier_unknown import recent_placed
from dialer.planning.planner import list_row_states, plan

ROWS = 400


def history_lines(rng: random.Random) -> list[bytes]:
    """Results lines of several runs over ROWS rows, as the journal writes them (one stamp per batch)."""
    pairs = {
        row: (f"2125{rng.randrange(10**6):06d}", rng.choice(["200", "201", 100])) for row in range(2, ROWS)
    }
    out: list[dict] = []
    second = 0
    for _ in range(ROWS * 3):
        second += rng.random() < 0.3
        ts = f"2026-12-01T09:{second // 60 % 60:02d}:{second % 60:02d}.000000Z"
        row = rng.randrange(2, ROWS + 20)  # a few rows the list will not hold
        if rng.random() < 0.05:  # the list was re-sorted: another pair under this row
            pairs[row] = (f"2125{rng.randrange(10**6):06d}", "200")
        s, c = pairs.setdefault(row, ("2125000000", "200"))
        base = {"ts": ts, "row": row, "snumber": s, "cnumber": c}
        attempt = rng.randrange(1, 4)
        kind = rng.random()
        if kind < 0.08:
            event = rng.choice([Event.ROW_REJECTED, Event.ROW_SUPPRESSED])
            outcome = o.REJECTED if event == Event.ROW_REJECTED else o.SUPPRESSED
            out.append(
                base | {"event": event, "attempt": 0, "outcome": outcome, "code": "invalid", "reason": "r"}
            )
            continue
        out.append(base | {"event": Event.DIAL, "attempt": attempt, "outcome": o.SENDING})
        if kind < 0.16:
            continue  # in flight: no answer
        if kind < 0.22:
            out.append(base | {"event": Event.WITHDRAWN, "attempt": attempt, "outcome": o.WITHDRAWN})
            continue
        outcome = rng.choice([o.PLACED, o.PLACED, o.FAILED, o.RETRY, o.UNKNOWN, o.UNKNOWN, o.REJECTED])
        callid = f"c{rng.randrange(10**6)}" if outcome == o.PLACED and rng.random() < 0.7 else None
        code = {o.PLACED: "200", o.REJECTED: "400", o.UNKNOWN: "timeout"}.get(outcome, "503")
        out.append(
            base
            | {
                "event": Event.RESULT,
                "attempt": attempt,
                "outcome": outcome,
                "code": code,
                "callid": callid,
            }
        )
        if outcome == o.UNKNOWN and rng.random() < 0.5:
            verdict = rng.choice([FOUND, ABSENT, UNASKED])
            out.append(base | {"event": Event.CHECKED, "verdict": verdict, "code": "checked", "callid": None})
    return [orjson.dumps(line) + b"\n" for line in out]


def random_list(rng: random.Random, full) -> CallList:
    """A list over the same rows: most pairs as dialed, some changed, some moved to other rows, some
    rows the list rejects now, some rows new."""
    rows: dict[int, tuple[str, object]] = {}
    problems = []
    history = list(full.rows.records())
    for row in range(2, ROWS + 10):
        rec = full.rows.record_of(row)
        pick = rng.random()
        if rec is not None and pick < 0.7:
            pair = (rec.snumber, rec.cnumber)
        elif pick < 0.8 and history:
            other = rng.choice(history)
            pair = (other.snumber, other.cnumber)  # a number that moved rows
        else:
            pair = (f"2126{rng.randrange(10**6):06d}", "200")
        if rng.random() < 0.05:
            problems.append(RowProblem(row, o.REJECTED, "invalid", "r", str(pair[0]), str(pair[1])))
        else:
            rows[row] = pair
    table = pd.DataFrame(
        {"snumber": [s for s, _ in rows.values()], "cnumber": [c for _, c in rows.values()]},
        index=pd.Index(list(rows), name="row"),
    )
    return CallList(
        Path("x.csv"), table, ["snumber", "cnumber"], [], problems, ["snumber", "cnumber"], len(rows)
    )


def plan_fields(p) -> tuple:
    return (p.to_dial, p.redial_unknown, p.unknown, p.problems_to_record, p.changed_rows, p.counts)


def decisions(call_list: CallList, replay, touch: list[int]) -> dict:
    """What a run decides from ``replay``; ``touch``: rows whose records are made first (as the
    fold of the lines after a checkpoint or a reader would)."""
    for row in touch:
        replay.rows.record_of(row)
    table = call_list.table

    def numbers(row: int):
        return (table.at[row, "snumber"], table.at[row, "cnumber"]) if row in table.index else None

    # the readers that work on the columns first: the plan may make records of many rows
    return {
        "counts": replay.counts(),
        "pairs": replay.placed_or_pending_pairs(),
        "pairs of some": replay.placed_or_pending_pairs({s for s, _ in table.itertuples(index=False)}),
        "in flight": [dataclasses.astuple(r) for r in replay.in_flight_records()],
        "controls": [r.row for r in recent_placed(replay, numbers, 5)],
        "plan": plan_fields(plan(call_list, replay)),
        "plan, redial unknown": plan_fields(plan(call_list, replay, redial_unknown=True)),
        "states": [(s.row, s.state, s.problem) for s in list_row_states(call_list, replay)],
        "rows": [dataclasses.astuple(r) for r in replay.rows.records()],
    }


@pytest.mark.parametrize("bulk_fraction", [1, BULK_FRACTION], ids=["record by record", "in bulk"])
@pytest.mark.parametrize("seed", range(6))
def test_a_checkpointed_replay_decides_what_a_full_replay_decides(tmp_path, monkeypatch, seed, bulk_fraction):
    """``bulk_fraction`` 1: records are made one by one however many are asked for, so every
    reader meets the columns; the default: a store turned into records on the way, too."""
    monkeypatch.setattr(rowstore, "BULK_FRACTION", bulk_fraction)
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
    touch = rng.sample(range(2, ROWS), 12)
    want = decisions(call_list, full, touch)
    for first in ([], touch):
        history = replay_with_checkpoint(results)
        assert history.restored
        assert history.replay.rows.keys_in_columns or bulk_fraction != 1
        assert decisions(call_list, history.replay, first) == want
