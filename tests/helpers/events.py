"""Results-file events written by hand, for the replay's and the planner's tests: as dicts (``dial``,
``result``) turned into lines by ``lines``, and a bare intent line (``dial_line``)."""

from __future__ import annotations

import orjson


def lines(*events: dict) -> list[bytes]:
    return [orjson.dumps(e) + b"\n" for e in events]


def dial(row, attempt=1, s="100", c="200"):
    return {"event": "dial", "row": row, "snumber": s, "cnumber": c, "attempt": attempt, "outcome": "sending"}


def result(row, outcome, attempt=1, code="204", s="100", c="200", callid=None):
    return {
        "event": "result",
        "row": row,
        "snumber": s,
        "cnumber": c,
        "attempt": attempt,
        "outcome": outcome,
        "code": code,
        "callid": callid,
    }


def dial_line(row: int) -> bytes:
    """An intent line for ``row`` (snumber 1, cnumber 2, attempt 1), newline included."""
    return orjson.dumps({"event": "dial", "row": row, "snumber": "1", "cnumber": "2", "attempt": 1}) + b"\n"
