"""What `dialer status` counts of a campaign's attempts and calls, folded with the replay, line by line.

The records say where each person stands; they forget every attempt but the last. Status also shows
what happened along the way: each run's requests and when they were sent, the codes of every answer,
the calls placed each minute, what became of every placed call. Counting these while the replay folds
each line (one more dictionary update per answer) saves reading a long results file a second time,
and since the tally is part of the replay, a run's checkpoint holds it: status reads only what came
after. It is plain JSON (string keys, numbers, lists), as the checkpoint stores it.

A request is counted when its answer (a ``result`` line, ``interrupted`` included) is folded, for the
run whose intent it answers, at the intent's time; an intent with no answer yet is in flight, and the
reader counts those from the records (``Replay.in_flight_records``). A withdrawn intent never left
and has no answer: it is never counted.
"""

from __future__ import annotations

import math
from typing import Any

from dialer.core import outcomes as o
from dialer.core.call_outcome import ANSWERED, CALL_STATUSES, NOT_KNOWN
from dialer.journal.records import PersonRecord

# A run's entry in "runs": [requests, first intent ts, last intent ts, requests that never connected]
REQUESTS, FIRST, LAST, NEVER_CONNECTED = range(4)
_NOT_CONNECTED_OUTCOMES = (o.RETRY, o.FAILED)


def new_tally() -> dict[str, Any]:
    """An empty tally: the shape every fold below updates."""
    return {
        "runs": {},  # run id -> [requests, first, last, never connected]
        "codes": {},  # code_key(outcome, code) -> result lines
        "placed_minutes": {},  # '2026-11-26T20:01' (UTC, of the answer) -> calls placed
        "placed": 0,  # calls placed (answers that placed one, and calls found by reconciliation)
        "ended": {},  # call_status -> call_ended lines
        "talk": {},  # answered calls' talk seconds (as text) -> calls
        "answered_at": {},  # '2026-11-26T20:01' (UTC, when placed) -> answered calls
    }


def code_key(outcome: object, code: object) -> str:
    """The key of an (outcome, code) pair in "codes": the outcome alone when there is no code."""
    return str(outcome) if code is None else f"{outcome}\t{code}"


def outcome_code(key: str) -> tuple[str, str | None]:
    outcome, _, code = key.partition("\t")
    return outcome, (code if _ else None)


def count_result(tally: dict, line: dict, rec: PersonRecord) -> None:
    """A ``result`` line, folded into ``rec`` already: one request of the intent's run, one answer.
    The replay of a million rows calls this a million times: it is kept to plain dictionary work."""
    runs = tally["runs"]
    run = rec.run or ""
    entry = runs.get(run)
    if entry is None:
        entry = runs[run] = [0, None, None, 0]
    entry[REQUESTS] += 1
    ts = rec.dialed_ts
    if type(ts) is str:
        if entry[FIRST] is None or ts < entry[FIRST]:
            entry[FIRST] = ts
        if entry[LAST] is None or ts > entry[LAST]:
            entry[LAST] = ts
    outcome = line.get("outcome")
    code = line.get("code")
    key = f"{outcome}" if code is None else f"{outcome}\t{code}"
    codes = tally["codes"]
    codes[key] = codes.get(key, 0) + 1
    if outcome == o.PLACED:
        count_placed(tally, line)
    elif outcome in _NOT_CONNECTED_OUTCOMES and line.get("http_status") is None:
        # Nothing placed and no HTTP answer: the connection never opened, nothing was sent (one
        # lost after sending is unknown; a login token the switch refused has a status).
        entry[NEVER_CONNECTED] += 1


def count_placed(tally: dict, line: dict) -> None:
    """A call placed: by the answer to its request, or found in the switch's lists (``checked``)."""
    tally["placed"] += 1
    ts = line.get("ts")
    if type(ts) is str:
        minute = ts[:16]
        minutes = tally["placed_minutes"]
        minutes[minute] = minutes.get(minute, 0) + 1


def count_call_ended(tally: dict, line: dict) -> None:
    """A ``call_ended`` line: what became of a placed call (any call, not only the person's latest)."""
    status = line.get("call_status")
    status = status if status in CALL_STATUSES else NOT_KNOWN
    ended = tally["ended"]
    ended[status] = ended.get(status, 0) + 1
    if status != ANSWERED:
        return
    talk = line.get("talk_s")
    if type(talk) in (int, float) and math.isfinite(talk) and talk >= 0:
        key = str(talk)
        tally["talk"][key] = tally["talk"].get(key, 0) + 1
    placed_at = line.get("placed_at")
    if type(placed_at) is str and len(placed_at) >= 16:
        answered = tally["answered_at"]
        answered[placed_at[:16]] = answered.get(placed_at[:16], 0) + 1
