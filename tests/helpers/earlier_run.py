"""Results lines an earlier run left behind, stamped relative to now: the rows a new run finds unknown
and asks the switch about when it starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from dialer.core import outcomes as o
from dialer.journal.lines import Event


def stamp(seconds_ago: float) -> str:
    """A results line's ``ts``, in the journal's own form."""
    when = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def line(event: str, row: int, snumber: str, ts: str, **fields) -> bytes:
    """A line about the person whose (North American) snumber is ``snumber``, as the loader names
    them in the numbered lists these tests use."""
    doc = {"ts": ts, "event": event, "run": "earlier", "row": row, "snumber": snumber, "cnumber": "100"}
    return orjson.dumps({**doc, "person": f"+1{snumber}", **fields}) + b"\n"


def dial(row: int, snumber: str, ts: str, attempt: int = 1) -> bytes:
    return line(Event.DIAL, row, snumber, ts, attempt=attempt, outcome=o.SENDING, code=None, callid=None)


def result(row: int, snumber: str, ts: str, outcome: str, code: str, attempt: int = 1, callid=None) -> bytes:
    return line(Event.RESULT, row, snumber, ts, attempt=attempt, outcome=outcome, code=code, callid=callid)
