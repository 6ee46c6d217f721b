"""Results-file events written by hand, for the replay's and the planner's tests: as dicts (``dial``,
``result``, ``call_ended``) turned into lines by ``lines``, and a bare intent line (``dial_line``).
A line's person is its snumber unless given: the lists these tests plan over say the same."""

from __future__ import annotations

import orjson


def lines(*events: dict) -> list[bytes]:
    return [orjson.dumps(e) + b"\n" for e in events]


def dial(row, attempt=1, s="100", c="200", ts=None, run="r1"):
    return {
        "event": "dial",
        "ts": ts or "2026-12-01T09:00:00.000000Z",
        "run": run,
        "row": row,
        "snumber": s,
        "cnumber": c,
        "person": s,
        "attempt": attempt,
        "outcome": "sending",
    }


def result(row, outcome, attempt=1, code="204", s="100", c="200", callid=None, ts=None, run="r1"):
    return {
        "event": "result",
        "ts": ts or "2026-12-01T09:00:01.000000Z",
        "run": run,
        "row": row,
        "snumber": s,
        "cnumber": c,
        "person": s,
        "attempt": attempt,
        "outcome": outcome,
        "code": code,
        "callid": callid,
    }


def call_ended(row, status, attempt=1, s="100", c="200", placed_run="r1", ts=None):
    return {
        "event": "call_ended",
        "ts": ts or "2026-12-01T09:05:00.000000Z",
        "run": "r2",
        "row": row,
        "snumber": s,
        "cnumber": c,
        "person": s,
        "attempt": attempt,
        "placed_run": placed_run,
        "call_status": status,
    }


def dial_line(row: int) -> bytes:
    """An intent line for ``row`` (snumber 1, cnumber 2, attempt 1), newline included."""
    fields = {"event": "dial", "row": row, "snumber": "1", "cnumber": "2", "person": f"p{row}", "attempt": 1}
    return orjson.dumps(fields) + b"\n"
