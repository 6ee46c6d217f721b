"""Results-file events written by hand, for the replay's and the planner's tests: as dicts (``dial``,
``result``, ``call_ended``) turned into lines by ``lines``, and a bare intent line (``dial_line``).
A line's person is its snumber unless given: the lists these tests plan over say the same."""

from __future__ import annotations

import orjson


def lines(*events: dict) -> list[bytes]:
    return [orjson.dumps(e) + b"\n" for e in events]


def about_a_row(event, row, *, ts, run, s="100", c="200", attempt=1, **fields):
    """A line about ``row``: the fields every such line carries (the person is the snumber), then
    ``fields``."""
    return {
        "event": event,
        "ts": ts,
        "run": run,
        "row": row,
        "snumber": s,
        "cnumber": c,
        "person": s,
        "attempt": attempt,
        **fields,
    }


def dial(row, attempt=1, s="100", c="200", ts=None, run="r1"):
    ts = ts or "2026-12-01T09:00:00.000000Z"
    return about_a_row("dial", row, ts=ts, run=run, s=s, c=c, attempt=attempt, outcome="sending")


def result(row, outcome, attempt=1, code="204", s="100", c="200", callid=None, ts=None, run="r1"):
    ts = ts or "2026-12-01T09:00:01.000000Z"
    fields = {"outcome": outcome, "code": code, "callid": callid}
    return about_a_row("result", row, ts=ts, run=run, s=s, c=c, attempt=attempt, **fields)


def call_ended(row, status, attempt=1, s="100", c="200", placed_run="r1", ts=None):
    ts = ts or "2026-12-01T09:05:00.000000Z"
    fields = {"placed_run": placed_run, "call_status": status}
    return about_a_row("call_ended", row, ts=ts, run="r2", s=s, c=c, attempt=attempt, **fields)


def dial_line(row: int) -> bytes:
    """An intent line for ``row`` (snumber 1, cnumber 2, attempt 1), newline included."""
    fields = {"event": "dial", "row": row, "snumber": "1", "cnumber": "2", "person": f"p{row}", "attempt": 1}
    return orjson.dumps(fields) + b"\n"
