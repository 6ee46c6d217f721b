"""The vocabulary of the results file: what an attempt came to and what a row's state is.

Each attempt's ``outcome`` is one of the attempt outcomes below, one results line per attempt (the
lines themselves are ``dialer.journal.lines``).
A row's state, replayed from all its lines, is one of ROW_STATES. Both are plain strings in the
results file, so a spreadsheet, ``jq`` or an outside checker reads them without this package.
"""

from __future__ import annotations

# Attempt outcomes (the ``outcome`` field of a ``result`` line).
PLACED = "placed"  # 200 or 204: the switch accepted the call
REJECTED = "rejected"  # 400 or 403 from the switch, or the row failed validation before sending
RETRY = "retry"  # nothing was placed and the row will be tried again (503, 429, no connection)
FAILED = "failed"  # nothing was placed and no more attempts in this run (retries used up, 401/402)
UNKNOWN = "unknown"  # sent, but no usable answer: the call may have been placed
SUPPRESSED = "suppressed"  # never sent: a duplicate or a do-not-call number
SENDING = "sending"  # the durable intent written before a request leaves
WITHDRAWN = "withdrawn"  # an intent whose request never left (a graceful stop)

# Row states (replayed). NOT_DIALED is the state of a row with no line at all.
NOT_DIALED = "not_dialed"
ROW_STATES = (PLACED, REJECTED, SUPPRESSED, FAILED, UNKNOWN, NOT_DIALED)

# States after which a row is never dialed again automatically: the call may exist (placed,
# unknown) or the switch refused the row itself (rejected).
FINAL_STATES = frozenset({PLACED, REJECTED, UNKNOWN})
