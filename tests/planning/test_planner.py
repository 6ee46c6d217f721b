"""Which rows a run dials, given the list and the replayed results file (dialer/planning/planner.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dialer.calllist.model import CallList, RowProblem
from dialer.core import outcomes as o
from dialer.journal.replay import replay_lines
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
