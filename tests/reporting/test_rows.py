"""Every list row's state as columns (dialer/reporting/rows.py) says what planner.list_row_states says of
each row, in every case the planner knows: placed, unknown, failed, a person moved or called under other
numbers, rejected with the same or other numbers, an older dialer's rows, and the rows the list sets
aside."""

from __future__ import annotations

import pytest

from dialer.calllist.model import RowProblem
from dialer.core import outcomes as o
from dialer.journal.replay import Replay, replay_lines
from dialer.planning.planner import list_row_states
from dialer.reporting.rows import row_table
from tests.helpers.call_lists import make_list
from tests.helpers.events import dial, lines, result
from tests.helpers.report_campaign import make_call_list, replay_of

COPY = RowProblem(
    7, o.SUPPRESSED, "duplicate", "row 2's person", snumber="100", cnumber="200", duplicate_of=2, person="100"
)
DNC = RowProblem(8, o.SUPPRESSED, "do-not-call", "on the list", snumber="104", cnumber="200", person="104")


def edited_campaign():
    """Persons 100 (placed), 101 (unknown), 102 (failed), 103 (rejected), 104 (placed, now do-not-call)
    and an older dialer's placed row, under a list that moved and changed some of them."""
    older = [
        {k: v for k, v in line.items() if k != "person"}
        for line in (dial(9, s="900"), result(9, "placed", s="900"))
    ]
    replay = replay_lines(
        lines(
            dial(2, s="100"),
            result(2, "placed", s="100", callid="c1"),
            dial(3, s="101"),
            result(3, "unknown", s="101"),
            dial(4, s="102"),
            result(4, "failed", s="102", code="503"),
            dial(5, s="103"),
            result(5, "rejected", s="103", code="400"),
            dial(6, s="104"),
            result(6, "placed", s="104"),
            *older,
        )
    )
    cases = [
        make_list({2: ("100", "200"), 3: ("101", "200"), 4: ("102", "200"), 5: ("103", "200")}),
        make_list(
            {2: ("100", "300"), 3: ("101", "300"), 4: ("102", "300"), 5: ("103", "300"), 6: ("105", "1")}
        ),
        make_list({5: ("100", "200"), 2: ("103", "200"), 9: ("900", "200"), 10: ("901", "200")}, [COPY, DNC]),
        make_list({2: ("100", "300")}, [COPY, DNC]),
        make_list({}, [COPY]),
    ]
    return [(cl, replay) for cl in cases]


def cases():
    yield make_call_list(), replay_of()
    yield make_call_list(), Replay()
    yield from edited_campaign()


@pytest.mark.parametrize(("call_list", "replay"), list(cases()))
def test_the_columns_say_what_list_row_states_says(call_list, replay):
    table = row_table(call_list, replay)
    got = [table.state_at(i) for i in range(len(table))]
    want = list(list_row_states(call_list, replay))
    assert [(st.row, st.snumber, st.cnumber, st.state) for st in got] == [
        (st.row, st.snumber, st.cnumber, st.state) for st in want
    ]
    assert [st.record for st in got] == [st.record for st in want]
    assert [st.problem for st in got] == [st.problem for st in want]
    speaking = [st.record.call_status if st.record else None for st in want]
    assert table.call_status.tolist() == speaking
