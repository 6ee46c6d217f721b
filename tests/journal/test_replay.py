"""The results file replayed into row states (dialer/journal/replay.py, folding each line as
dialer/journal/lines.py says): intents, results, withdrawals, torn and corrupt lines, and the checks of
the switch's call lists."""

from __future__ import annotations

import orjson
import pytest

from dialer.calllist import load_call_list
from dialer.campaign.file import load_campaign
from dialer.core import outcomes as o
from dialer.core.lookup import ABSENT, FOUND, UNASKED
from dialer.journal.lines import Event
from dialer.journal.replay import ResultsFileError, replay_lines
from dialer.planning.planner import plan
from tests.helpers import earlier_run
from tests.helpers.events import dial, lines, result
from tests.helpers.files import write_csv

A = "2000000001"


def test_intent_without_result_is_unknown():
    """A row in flight at a crash may have been placed: unknown, not 'not dialed'."""
    r = replay_lines(lines(dial(2)))
    assert r.rows.record_of(2).state == o.UNKNOWN and r.rows.record_of(2).in_flight


def test_result_outcomes_fold_into_states():
    """placed, rejected, unknown stay; retry means nothing placed yet (failed, dialable)."""
    r = replay_lines(
        lines(
            dial(2),
            result(2, "placed", callid="9.1"),
            dial(3),
            result(3, "retry", code="503"),
            dial(4),
            result(4, "unknown", code="timeout"),
        )
    )
    assert (r.rows.record_of(2).state, r.rows.record_of(2).callid) == (o.PLACED, "9.1")
    assert r.rows.record_of(3).state == o.FAILED
    assert r.rows.record_of(4).state == o.UNKNOWN


def test_withdrawn_intent_restores_the_previous_state():
    """An intent whose request never left (graceful stop) leaves the row dialable."""
    r = replay_lines(lines(dial(2), {"event": "withdrawn", "row": 2, "snumber": "100", "cnumber": "200"}))
    assert r.rows.record_of(2).state == o.NOT_DIALED and not r.rows.record_of(2).sent


def test_torn_last_line_is_tolerated():
    """A crash mid-write leaves a partial last line: ignored and flagged."""
    data = lines(dial(2), result(2, "placed")) + [b'{"event":"dial","row":3,"sn']
    r = replay_lines(data)
    assert r.torn_tail and 3 not in r.rows and r.rows.record_of(2).state == o.PLACED


def test_corrupt_line_in_the_middle_is_an_error():
    """A damaged line that is not the last one is not a crash artefact: refuse to guess."""
    data = [b"garbage\n"] + lines(dial(2))
    with pytest.raises(ResultsFileError, match="line 1"):
        replay_lines(data)


# -- checks: what the switch's call lists said about an unknown attempt ----------------------------


def lines_for(*events: dict) -> list[bytes]:
    base = {"run": "r", "row": 2, "snumber": "2000000001", "cnumber": "100", "ts": "2026-11-26T09:00:00Z"}
    return [orjson.dumps({**base, **e}) + b"\n" for e in events]


DIAL = {"event": Event.DIAL, "attempt": 1, "outcome": o.SENDING}


UNKNOWN = {"event": Event.RESULT, "attempt": 1, "outcome": o.UNKNOWN, "code": "ClientOSError"}


def checked(verdict: str, outcome: str, **extra) -> dict:
    line = {
        "event": Event.CHECKED,
        "attempt": 1,
        "verdict": verdict,
        "outcome": outcome,
        "code": verdict,
    }
    return {**line, **extra}


def test_replay_found_is_placed_with_its_callid():
    rec = replay_lines(lines_for(DIAL, UNKNOWN, checked(FOUND, o.PLACED, callid="c9"))).rows.record_of(2)
    assert (rec.state, rec.callid, rec.code) == (o.PLACED, "c9", FOUND)


def test_replay_absent_is_failed_and_planned_again(tmp_path):
    """A row the switch has no call for is dialed again by the next run, as after a refusal."""
    replay = replay_lines(lines_for(DIAL, UNKNOWN, checked(ABSENT, o.FAILED)))
    assert replay.rows.record_of(2).state == o.FAILED
    source = write_csv(tmp_path / "list.csv", ["snumber", "cnumber"], [["2000000001", "100"]])
    assert plan(load_call_list(source, load_campaign(source).list), replay).to_dial == [2]


def test_replay_unasked_changes_nothing():
    before = replay_lines(lines_for(DIAL, UNKNOWN)).rows.record_of(2)
    after = replay_lines(lines_for(DIAL, UNKNOWN, checked(UNASKED, o.UNKNOWN))).rows.record_of(2)
    assert after == before and after.state == o.UNKNOWN


@pytest.mark.parametrize(
    "events",
    [
        # A check never overrides what was written after the attempt it was about.
        (DIAL, UNKNOWN, {**DIAL, "attempt": 2}, checked(ABSENT, o.FAILED)),
        (DIAL, {**UNKNOWN, "outcome": o.PLACED}, checked(ABSENT, o.FAILED)),
        (DIAL, UNKNOWN, checked(ABSENT, o.FAILED, snumber="2000000009")),
        (DIAL, checked(ABSENT, o.FAILED)),  # the attempt is still in flight
    ],
)
def test_replay_ignores_a_check_that_is_not_about_the_unknown_attempt(events):
    state_without = replay_lines(lines_for(*events[:-1])).rows.record_of(2).state
    assert replay_lines(lines_for(*events)).rows.record_of(2).state == state_without


def checked_line(verdict: str, outcome: str, attempt: int, ts: str, **extra) -> bytes:
    return earlier_run.line(
        Event.CHECKED,
        2,
        A,
        ts,
        attempt=attempt,
        verdict=verdict,
        outcome=outcome,
        code=verdict,
        **extra,
    )


def test_replay_folds_a_resume_check():
    """Interrupted by an earlier run at its attempt 2, then in this run: checked (attempt 2, as the
    replay holds it), absent, then this run's attempt 1, placed. And found, and unasked."""
    ts = "2026-11-26T09:00:00.000000Z"
    earlier = [
        earlier_run.dial(2, A, ts, 1),
        earlier_run.result(2, A, ts, o.RETRY, "503"),
        earlier_run.dial(2, A, ts, 2),
    ]
    interrupted = [earlier_run.result(2, A, ts, o.UNKNOWN, "interrupted", attempt=2)]
    absent = [
        checked_line(ABSENT, o.RETRY, 2, ts),
        earlier_run.dial(2, A, ts, 1),
        earlier_run.result(2, A, ts, o.PLACED, "204"),
    ]
    rec = replay_lines(earlier + interrupted + absent[:1]).rows.record_of(2)
    assert (rec.state, rec.attempts) == (o.FAILED, 2)  # dialable: the switch has no call
    rec = replay_lines(earlier + interrupted + absent).rows.record_of(2)
    assert (rec.state, rec.attempts) == (o.PLACED, 2)
    found = replay_lines(earlier + interrupted + [checked_line(FOUND, o.PLACED, 2, ts, callid="c1")])
    assert (found.rows.record_of(2).state, found.rows.record_of(2).callid) == (o.PLACED, "c1")
    unasked = replay_lines(earlier + interrupted + [checked_line(UNASKED, o.UNKNOWN, 2, ts)])
    assert unasked.rows.record_of(2).state == o.UNKNOWN
