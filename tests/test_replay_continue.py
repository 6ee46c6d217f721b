"""Reading back only what a run wrote, on top of the replay it started from (the end of a run)."""

from __future__ import annotations

import dataclasses
import random

import orjson

from dialer.journal.replay import Replay
from dialer.journal.results_file import Journal, read_results


def _state(replay: Replay) -> tuple:
    rows = {row: dataclasses.astuple(rec) for row, rec in ((r.row, r) for r in replay.rows.records())}
    return rows, replay.runs, replay.ends, replay.errors, replay.lines


def _random_lines(rng: random.Random, count: int) -> list[dict]:
    out = []
    for _ in range(count):
        row = rng.randint(2, 12)
        event = rng.choice(["dial", "result", "result", "withdrawn", "row_rejected", "run_started"])
        out.append(
            {
                "event": event,
                "row": row,
                "snumber": rng.choice(["100", "101"]),
                "cnumber": "200",
                "attempt": rng.randint(1, 3),
                "outcome": rng.choice(["placed", "retry", "unknown", "rejected"]),
                "code": rng.choice(["204", "503", None]),
                "callid": rng.choice(["1.1", None]),
            }
        )
    return out


def test_folding_the_rest_on_top_equals_replaying_the_whole_file(tmp_path):
    """read_results(since=opened_size, into=replay) gives what a full replay of the file gives."""
    rng = random.Random(5)
    for trial in range(40):
        path = tmp_path / f"r{trial}.jsonl"
        before, after = _random_lines(rng, rng.randint(0, 30)), _random_lines(rng, rng.randint(0, 30))
        path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in before))
        start = read_results(path)
        journal = Journal(path, "run")
        journal.open()
        for line in after:
            journal.write((line.pop("event"), line))
        journal.close()
        continued = read_results(path, since=journal.opened_size, into=start)
        assert _state(continued) == _state(read_results(path))


def test_a_torn_tail_cut_on_open_is_not_read_back(tmp_path):
    """The journal cuts an earlier crash's torn line; the bytes after that are this run's lines."""
    path = tmp_path / "r.jsonl"
    path.write_bytes(orjson.dumps({"event": "dial", "row": 2, "snumber": "1", "cnumber": "2"}) + b'\n{"ev')
    start = read_results(path)
    assert start.torn_tail
    journal = Journal(path, "run")
    journal.open()
    journal.write(("result", dict(row=2, snumber="1", cnumber="2", attempt=1, outcome="placed", code="204")))
    journal.close()
    continued = read_results(path, since=journal.opened_size, into=start)
    assert continued.rows.record_of(2).state == "placed" and continued.lines == 2
