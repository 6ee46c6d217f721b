"""The results file replayed into each person's state (dialer/journal/replay.py, folding each line as
dialer/journal/lines.py says): intents, results, withdrawals, torn and corrupt lines, the checks of
the switch's call lists, what became of placed calls, and an older dialer's lines."""

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
from tests.helpers.events import call_ended, dial, lines, result
from tests.helpers.files import write_csv

A = "2000000001"


def test_intent_without_result_is_unknown():
    """A person in flight at a crash may have been called: unknown, not 'not dialed'."""
    r = replay_lines(lines(dial(2)))
    assert r.records.record_of("100").state == o.UNKNOWN and r.records.record_of("100").in_flight


def test_result_outcomes_fold_into_states():
    """placed, rejected, unknown stay; retry means nothing placed yet (failed, dialable)."""
    r = replay_lines(
        lines(
            dial(2, s="100"),
            result(2, "placed", s="100", callid="9.1"),
            dial(3, s="101"),
            result(3, "retry", s="101", code="503"),
            dial(4, s="102"),
            result(4, "unknown", s="102", code="timeout"),
        )
    )
    assert (r.records.record_of("100").state, r.records.record_of("100").callid) == (o.PLACED, "9.1")
    assert r.records.record_of("101").state == o.FAILED
    assert r.records.record_of("102").state == o.UNKNOWN


def test_a_persons_lines_fold_into_one_record_whatever_row_holds_them():
    """The list was re-sorted between runs: row 2's person dialed again as row 7 is one record."""
    r = replay_lines(lines(dial(2), result(2, "failed", code="503"), dial(7), result(7, "placed")))
    rec = r.records.record_of("100")
    assert (rec.row, rec.state, rec.calls) == (7, o.PLACED, 1) and list(r.records) == ["100"]


def test_withdrawn_intent_restores_the_previous_state():
    """An intent whose request never left (graceful stop) leaves the person dialable."""
    withdrawn = {"event": "withdrawn", "row": 2, "snumber": "100", "cnumber": "200", "person": "100"}
    r = replay_lines(lines(dial(2), withdrawn))
    assert r.records.record_of("100").state == o.NOT_DIALED and not r.records.record_of("100").sent


def test_the_delay_and_wait_a_request_carried_are_kept_from_its_intent_and_its_answer():
    """An intent says what its request will carry (the row's delay and wait, a staggered delay at most
    one period more); its answer says exactly what it carried; a later run's word on an intent left
    without an answer changes neither, and a withdrawn intent gives back what was known before it."""
    intent = {**dial(2), "delay": "6", "wait": "11", "stagger": 2.0}
    r = replay_lines(lines(intent))
    assert (r.records.record_of("100").sent_delay, r.records.record_of("100").sent_wait) == (8, 13)
    answered = {**result(2, "unknown", code="timeout"), "delay": "7", "wait": "12"}
    r = replay_lines(lines(intent, answered))
    assert (r.records.record_of("100").sent_delay, r.records.record_of("100").sent_wait) == (7, 12)
    later = {**result(2, "unknown", code="interrupted"), "run": "r2"}
    r = replay_lines(lines(intent, later))
    assert (r.records.record_of("100").sent_delay, r.records.record_of("100").sent_wait) == (8, 13)
    withdrawn = {"event": "withdrawn", "row": 2, "snumber": "100", "cnumber": "200", "person": "100"}
    r = replay_lines(lines(intent, answered, dial(2, attempt=1, run="r3"), withdrawn))
    assert (r.records.record_of("100").state, r.records.record_of("100").sent_delay) == (o.UNKNOWN, 7)
    plain = replay_lines(lines(dial(2), {**result(2, "placed"), "wait": "x"}))
    assert (plain.records.record_of("100").sent_delay, plain.records.record_of("100").sent_wait) == (0, 0)


def test_torn_last_line_is_tolerated():
    """A crash mid-write leaves a partial last line: ignored and flagged."""
    data = lines(dial(2), result(2, "placed")) + [b'{"event":"dial","row":3,"sn']
    r = replay_lines(data)
    assert r.torn_tail and len(r.records) == 1 and r.records.record_of("100").state == o.PLACED


def test_an_older_dialers_lines_are_kept_by_their_numbers():
    """Lines written before lines named the person: one record per snumber and cnumber dialed."""
    older = [{k: v for k, v in line.items() if k != "person"} for line in (dial(2), result(2, "placed"))]
    r = replay_lines(lines(*older))
    assert r.older_rows and r.records.record_of("pair:100|200").state == o.PLACED


def test_the_list_verdicts_are_kept_by_row_apart_from_the_persons():
    rejected = {"event": "row_rejected", "row": 5, "snumber": "x", "cnumber": "200", "outcome": "rejected"}
    r = replay_lines(lines(dial(5, s="105"), result(5, "placed", s="105"), rejected))
    assert r.records.record_of("105").state == o.PLACED
    assert r.records.record_of("row:5").state == o.REJECTED


def test_a_calls_outcome_counts_for_the_persons_latest_call_only():
    """The outcome of an earlier call, learned late, says nothing of the call after it."""
    first = [dial(2, run="r1"), result(2, "placed", run="r1")]
    again = [dial(2, run="r2"), result(2, "placed", run="r2")]
    late = call_ended(2, "no-answer", placed_run="r1")
    r = replay_lines(lines(*first, *again, late))
    assert r.records.record_of("100").call_status is None and r.records.record_of("100").calls == 2
    r = replay_lines(lines(*first, *again, call_ended(2, "answered", placed_run="r2")))
    assert r.records.record_of("100").call_status == "answered"


def test_each_placed_call_is_counted_with_when_it_was_sent():
    r = replay_lines(
        lines(
            dial(2, ts="2026-12-01T09:00:00.000000Z"),
            result(2, "placed"),
            call_ended(2, "busy"),
            dial(2, ts="2026-12-01T10:00:00.000000Z", run="r2"),
            result(2, "placed", run="r2"),
        )
    )
    rec = r.records.record_of("100")
    assert rec.calls == 2 and rec.placed_at.split() == [
        "2026-12-01T09:00:00.000000Z",
        "2026-12-01T10:00:00.000000Z",
    ]
    assert rec.call_status is None  # the second call's outcome is still to learn


def test_corrupt_line_in_the_middle_is_an_error():
    """A damaged line that is not the last one is not a crash artefact: refuse to guess."""
    data = [b"garbage\n"] + lines(dial(2))
    with pytest.raises(ResultsFileError, match="line 1"):
        replay_lines(data)


# -- checks: what the switch's call lists said about an unknown attempt ----------------------------


def lines_for(*events: dict) -> list[bytes]:
    base = {
        "run": "r",
        "row": 2,
        "snumber": "2000000001",
        "cnumber": "100",
        "person": "+12000000001",
        "ts": "2026-11-26T09:00:00Z",
    }
    return [orjson.dumps({**base, **e}) + b"\n" for e in events]


P = "+12000000001"
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
    rec = replay_lines(lines_for(DIAL, UNKNOWN, checked(FOUND, o.PLACED, callid="c9"))).records.record_of(P)
    assert (rec.state, rec.callid, rec.code) == (o.PLACED, "c9", FOUND)


def test_replay_absent_is_failed_and_planned_again(tmp_path):
    """A row the switch has no call for is dialed again by the next run, as after a refusal."""
    replay = replay_lines(lines_for(DIAL, UNKNOWN, checked(ABSENT, o.FAILED)))
    assert replay.records.record_of(P).state == o.FAILED
    source = write_csv(tmp_path / "list.csv", ["snumber", "cnumber"], [["2000000001", "100"]])
    assert plan(load_call_list(source, load_campaign(source).list), replay).to_dial == [2]


def test_replay_unasked_changes_nothing():
    before = replay_lines(lines_for(DIAL, UNKNOWN)).records.record_of(P)
    after = replay_lines(lines_for(DIAL, UNKNOWN, checked(UNASKED, o.UNKNOWN))).records.record_of(P)
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
    state_without = replay_lines(lines_for(*events[:-1])).records.record_of(P).state
    assert replay_lines(lines_for(*events)).records.record_of(P).state == state_without


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
    person = f"+1{A}"
    rec = replay_lines(earlier + interrupted + absent[:1]).records.record_of(person)
    assert (rec.state, rec.attempts) == (o.FAILED, 2)  # dialable: the switch has no call
    rec = replay_lines(earlier + interrupted + absent).records.record_of(person)
    assert (rec.state, rec.attempts) == (o.PLACED, 2)
    found = replay_lines(earlier + interrupted + [checked_line(FOUND, o.PLACED, 2, ts, callid="c1")])
    assert (found.records.record_of(person).state, found.records.record_of(person).callid) == (o.PLACED, "c1")
    unasked = replay_lines(earlier + interrupted + [checked_line(UNASKED, o.UNKNOWN, 2, ts)])
    assert unasked.records.record_of(person).state == o.UNKNOWN
