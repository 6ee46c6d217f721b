"""Replaying the results file into row state, and planning what a run dials: pure functions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dialer.calllist.model import CallList, RowProblem
from dialer.core import outcomes as o
from dialer.journal.replay import ResultsFileError, replay_lines
from dialer.planning.planner import plan
from tests.helpers.events import dial, lines, result


def make_list(rows: dict[int, tuple[str, str]], problems: list[RowProblem] | None = None) -> CallList:
    table = pd.DataFrame(
        {"snumber": [s for s, _ in rows.values()], "cnumber": [c for _, c in rows.values()]},
        index=pd.Index(list(rows), name="row"),
    )
    return CallList(
        Path("x.csv"), table, ["snumber", "cnumber"], [], problems or [], ["snumber", "cnumber"], len(rows)
    )


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


def test_plan_skips_placed_and_unknown_and_redials_failed():
    """Placed and unknown rows are not dialed again; failed (nothing placed) ones are."""
    cl = make_list({2: ("100", "200"), 3: ("101", "200"), 4: ("102", "200"), 5: ("103", "200")})
    r = replay_lines(
        lines(
            dial(2),
            result(2, "placed"),
            dial(3, s="101"),
            result(3, "unknown", s="101"),
            dial(4, s="102"),
            result(4, "failed", code="503", s="102"),
        )
    )
    p = plan(cl, r)
    assert p.to_dial == [4, 5]
    assert p.counts[o.PLACED] == 1 and p.counts[o.UNKNOWN] == 1


def test_plan_redials_unknown_only_when_asked():
    """--redial-unknown is an explicit choice, and the plan says which rows it affects."""
    cl = make_list({2: ("100", "200")})
    r = replay_lines(lines(dial(2)))
    assert plan(cl, r).to_dial == []
    p = plan(cl, r, redial_unknown=True)
    assert p.to_dial == [2] and p.redial_unknown == [2]


def test_plan_never_redials_a_number_that_moved_rows():
    """A re-sorted list: the pair already dialed under row 2 is suppressed at its new row 3."""
    cl = make_list({2: ("555", "200"), 3: ("100", "200")})
    r = replay_lines(lines(dial(2), result(2, "placed")))
    p = plan(cl, r)
    assert p.to_dial == [2]
    assert [(x.row, x.code, x.duplicate_of) for x in p.problems_to_record] == [(3, "duplicate", 2)]
    assert p.changed_rows == [2]


def test_plan_records_list_problems_once():
    """A rejected row is recorded on the first run and not again on the next."""
    problem = RowProblem(
        row=7, outcome=o.REJECTED, code="invalid", reason="bad flag", snumber="1", cnumber="2"
    )
    cl = make_list({2: ("100", "200")}, [problem])
    assert plan(cl, replay_lines([])).problems_to_record == [problem]
    recorded = {
        "event": "row_rejected",
        "row": 7,
        "snumber": "1",
        "cnumber": "2",
        "outcome": "rejected",
        "reason": "bad flag",
        "code": "invalid",
    }
    p = plan(cl, replay_lines(lines(recorded)))
    assert p.problems_to_record == [] and p.counts[o.REJECTED] == 1
