"""Replaying the results file into row state, and planning what a run dials: pure functions."""

from __future__ import annotations

import pytest

from dialer.core import outcomes as o
from dialer.journal.replay import ResultsFileError, replay_lines
from tests.helpers.events import dial, lines, result


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
