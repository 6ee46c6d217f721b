"""What the results file says of one row: the record the replay folds each line into."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer.core import outcomes as o


@dataclass(slots=True)
class RowRecord:
    row: int
    snumber: str = ""
    cnumber: str = ""
    state: str = o.NOT_DIALED
    sent: bool = False  # a request for this row may have left at some point
    in_flight: bool = False  # an intent with no result after it
    attempts: int = 0
    code: str | None = None
    callid: str | None = None
    reason: str | None = None
    message: str | None = None
    first_ts: str | None = None
    last_ts: str | None = None
    _state_before_intent: str = field(default=o.NOT_DIALED, repr=False)
