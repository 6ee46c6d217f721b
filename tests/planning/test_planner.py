"""Which rows a run dials, given the list and the replayed results file (dialer/planning/planner.py):
a person's outcome follows them to whatever row holds them now; nobody who was, or may have been,
called is dialed again by accident; [recycle] calls the unanswered again on purpose."""

from __future__ import annotations

from dialer.calllist.model import CallList, RowProblem
from dialer.campaign.settings import Recycle
from dialer.core import outcomes as o
from dialer.journal.replay import replay_lines
from dialer.planning.planner import ALREADY_CALLED, list_row_states, not_in_list, plan
from dialer.planning.times import unix_time
from tests.helpers.call_lists import make_list
from tests.helpers.events import call_ended, dial, lines, result


def states(call_list: CallList, replay) -> dict[int, str]:
    return {st.row: st.state for st in list_row_states(call_list, replay)}


def test_plan_skips_placed_and_unknown_and_redials_failed():
    """Placed and unknown people are not dialed again; failed ones (nothing placed) are."""
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
    assert p.to_dial == [4, 5] and p.unknown == [(3, "101")]
    assert p.counts[o.PLACED] == 1 and p.counts[o.UNKNOWN] == 1
    assert states(cl, r) == {2: o.PLACED, 3: o.UNKNOWN, 4: o.FAILED, 5: o.NOT_DIALED}


def test_plan_redials_unknown_only_when_asked():
    """--redial-unknown is an explicit choice, and the plan says which rows it affects."""
    cl = make_list({2: ("100", "200")})
    r = replay_lines(lines(dial(2)))
    assert plan(cl, r).to_dial == []
    p = plan(cl, r, redial_unknown=True)
    assert p.to_dial == [2] and p.redial_unknown == [2]


def test_a_person_keeps_their_outcome_on_whatever_row_holds_them_now():
    """Rows inserted at the top and the list re-sorted: each person's outcome (and callid) follows them
    to their new row, and nobody is dialed again."""
    before = replay_lines(
        lines(
            dial(2, s="100"),
            result(2, "placed", s="100", callid="c1"),
            dial(3, s="101"),
            result(3, "unknown", s="101"),
        )
    )
    edited = make_list({2: ("900", "200"), 3: ("901", "200"), 4: ("101", "200"), 5: ("100", "200")})
    p = plan(edited, before)
    assert p.to_dial == [2, 3] and p.unknown == [(4, "101")] and sorted(p.moved) == [4, 5]
    rows = {st.row: st for st in list_row_states(edited, before)}
    assert (rows[5].state, rows[5].record.callid) == (o.PLACED, "c1")
    assert rows[4].state == o.UNKNOWN and rows[2].record is None


def test_a_person_called_with_another_cnumber_is_not_called_again():
    """The list now bridges a placed person elsewhere: the row is suppressed, saying when, as which row,
    with which numbers and callid the person was called."""
    r = replay_lines(lines(dial(2), result(2, "placed", callid="c7")))
    cl = make_list({2: ("100", "300")})
    p = plan(cl, r)
    assert p.to_dial == [] and p.already_called == [2] and p.counts[o.SUPPRESSED] == 1
    (problem,) = p.problems_to_record
    assert (problem.code, problem.duplicate_of) == (ALREADY_CALLED, 2)
    assert (
        problem.reason == "its person was already called: placed in run r1 as row 2 (100 to 200), callid c7"
    )
    assert states(cl, r) == {2: o.SUPPRESSED}


def test_an_unknown_person_stays_unknown_and_asked_about_under_other_numbers():
    """A person whose call may have rung is not dialed with the list's new numbers on a guess; the
    switch is asked about the call as it was sent."""
    r = replay_lines(lines(dial(2), result(2, "unknown", code="timeout")))
    cl = make_list({6: ("100", "300")})
    p = plan(cl, r)
    assert p.to_dial == [] and p.unknown == [(6, "100")] and states(cl, r) == {6: o.UNKNOWN}
    assert plan(cl, r, redial_unknown=True).to_dial == [6]


def test_a_person_the_switch_rejected_is_dialed_when_the_row_changed():
    """A refusal placed nothing: the row fixed in the list is dialed; unchanged, it stays rejected."""
    r = replay_lines(lines(dial(2), result(2, "rejected", code="400")))
    assert plan(make_list({2: ("100", "200")}), r).counts[o.REJECTED] == 1
    assert plan(make_list({2: ("100", "300")}), r).to_dial == [2]


def test_an_older_dialers_rows_are_found_by_their_numbers():
    """Lines written before persons were: a row with the same numbers is that row, wherever it is."""
    older = [{k: v for k, v in line.items() if k != "person"} for line in (dial(2), result(2, "placed"))]
    r = replay_lines(lines(*older))
    cl = make_list({9: ("100", "200"), 10: ("555", "200")})
    p = plan(cl, r)
    assert p.to_dial == [10] and p.counts[o.PLACED] == 1
    assert states(cl, r)[9] == o.PLACED


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


# -- [recycle] ----------------------------------------------------------------------------------------

RECYCLE = Recycle(enabled=True, after=3_600, attempts=3, per_24h=2)
T0 = "2026-12-01T09:00:00.000000Z"


def placed_calls(*statuses: str, hours: float = 1.0) -> list[bytes]:
    """Calls placed to person 100 an hour apart (by default), each ending as ``statuses`` says."""
    out = []
    for i, status in enumerate(statuses):
        ts = f"2026-12-01T{9 + int(i * hours):02d}:00:00.000000Z"
        run = f"r{i}"
        out += [dial(2, ts=ts, run=run), result(2, "placed", run=run), call_ended(2, status, placed_run=run)]
    return lines(*out)


def test_the_unanswered_are_called_again_after_the_delay_and_never_the_answered():
    cl = make_list({2: ("100", "200")})
    after = unix_time(T0, 0.0) + 3_600
    for status, due in (("no-answer", True), ("busy", True), ("answered", False), ("not-known", False)):
        r = replay_lines(placed_calls(status))
        early, late = plan(cl, r, recycle=RECYCLE, now=after - 1), plan(cl, r, recycle=RECYCLE, now=after)
        assert early.to_dial == []
        assert late.to_dial == ([2] if due else []), status
        assert (early.recycle_later != []) == due and late.counts[o.PLACED] == 1
    assert (
        "no-answer"
        in plan(cl, replay_lines(placed_calls("no-answer")), recycle=RECYCLE, now=after).recycle_now[2]
    )


def test_recycling_keeps_to_the_caps_in_all_and_in_any_24_hours():
    cl = make_list({2: ("100", "200")})
    two = replay_lines(placed_calls("no-answer", "busy"))  # 09:00 and 10:00: two in 24 hours
    p = plan(cl, two, recycle=RECYCLE, now=unix_time("2026-12-02T08:59:00.000000Z", 0.0))
    assert p.to_dial == [] and p.recycle_later[0][2] == unix_time("2026-12-02T09:00:00.000000Z", 0.0)
    three = replay_lines(placed_calls("no-answer", "busy", "no-answer", hours=25))
    assert plan(cl, three, recycle=RECYCLE, now=2e9).recycle_later == []  # three calls: no more
    assert plan(cl, two, recycle=Recycle(), now=2e9).to_dial == []  # no [recycle]: never again


def test_a_call_whose_outcome_is_not_learned_yet_is_not_recycled():
    cl = make_list({2: ("100", "200")})
    r = replay_lines(lines(dial(2, ts=T0), result(2, "placed")))
    p = plan(cl, r, recycle=RECYCLE, now=2e9, outcomes_since="2026-12-01T00:00:00.000000Z")
    assert p.to_dial == [] and p.outcomes_pending == [(2, "100")]
    assert plan(cl, r, now=2e9, outcomes_since="2026-12-02T00:00:00.000000Z").outcomes_pending == []


# -- what earlier runs did for people the list no longer holds ---------------------------------------------


def test_people_no_longer_in_the_list_are_those_no_row_holds_whatever_it_says_of_them():
    """Placed, unknown and failed people no row holds now are listed, in the order the results file named
    them, with the row and numbers they were dialed as; a person still in the list is not, whether
    their row is dialed, suppressed as already called under other numbers, a duplicate or on a
    do-not-call list now; a person never sent for is not either."""
    r = replay_lines(
        lines(
            dial(2, s="100"),
            result(2, "placed", s="100", callid="c0"),
            dial(3, s="101"),
            result(3, "placed", s="101", callid="c1"),
            dial(4, s="102"),
            result(4, "unknown", s="102", code="timeout"),
            dial(5, s="103"),
            result(5, "failed", s="103", code="503"),
            dial(6, s="104"),
            result(6, "placed", s="104"),
            dial(7, s="105"),
            result(7, "placed", s="105"),
            {**dial(8, s="106"), "event": "withdrawn"},
        )
    )
    dnc = RowProblem(
        3, o.SUPPRESSED, "do-not-call", "on the list", snumber="104", cnumber="200", person="104"
    )
    dup = RowProblem(
        4, o.SUPPRESSED, "duplicate", "row 2's person", snumber="105", cnumber="200", person="105"
    )
    cl = make_list({2: ("101", "300"), 5: ("105", "200")}, [dnc, dup])
    gone = not_in_list(cl, r)
    assert [(rec.key, rec.row, rec.state, rec.callid) for rec in gone] == [
        ("100", 2, o.PLACED, "c0"),
        ("102", 4, o.UNKNOWN, None),
        ("103", 5, o.FAILED, None),
    ]
    assert states(cl, r)[2] == o.SUPPRESSED  # 101: still in the list, already called
    assert not_in_list(make_list({}), replay_lines([])) == []


def test_an_older_dialers_row_is_in_the_list_while_a_row_holds_its_numbers():
    older = [{k: v for k, v in line.items() if k != "person"} for line in (dial(2), result(2, "placed"))]
    r = replay_lines(lines(*older))
    assert not_in_list(make_list({9: ("100", "200")}), r) == []
    assert [rec.key for rec in not_in_list(make_list({9: ("100", "300")}), r)] == ["pair:100|200"]


def test_a_copy_of_a_person_shows_their_call_when_it_holds_the_numbers_the_call_was_made_with():
    """The list now holds the person twice: first bridged elsewhere (suppressed: already called), then
    with the numbers of the call, which that row shows (placed, its callid); an exact copy of the
    first row stays a duplicate, so no callid is on two rows."""
    r = replay_lines(lines(dial(2), result(2, "placed", callid="c7")))
    copy = RowProblem(
        3,
        o.SUPPRESSED,
        "duplicate",
        "row 2's person",
        snumber="100",
        cnumber="200",
        duplicate_of=2,
        person="100",
    )
    cl = make_list({2: ("100", "300")}, [copy])
    rows = {st.row: st for st in list_row_states(cl, r)}
    assert (rows[2].state, rows[2].problem.code) == (o.SUPPRESSED, ALREADY_CALLED)
    assert (rows[3].state, rows[3].record.callid) == (o.PLACED, "c7")
    p = plan(cl, r)
    assert p.to_dial == [] and (p.counts[o.PLACED], p.counts[o.SUPPRESSED]) == (1, 1)
    same = make_list({2: ("100", "200")}, [copy])
    rows = {st.row: st for st in list_row_states(same, r)}
    assert (rows[2].state, rows[2].record.callid) == (o.PLACED, "c7")
    assert (rows[3].state, rows[3].record, rows[3].problem.code) == (o.SUPPRESSED, None, "duplicate")


def test_a_number_put_on_do_not_call_shows_a_call_that_may_exist_and_nothing_else():
    """Placed or unknown before the number went on the do-not-call list: the row shows that call; failed
    or refused (nothing placed): the row is suppressed, as the list says, not failed for ever."""
    dnc = RowProblem(
        2, o.SUPPRESSED, "do-not-call", "on the list", snumber="100", cnumber="200", person="100"
    )
    cl = make_list({}, [dnc])
    for outcome, code, shown in (
        ("placed", "204", o.PLACED),
        ("unknown", "timeout", o.UNKNOWN),
        ("failed", "503", o.SUPPRESSED),
        ("rejected", "400", o.SUPPRESSED),
    ):
        r = replay_lines(lines(dial(2), result(2, outcome, code=code)))
        assert states(cl, r) == {2: shown}, outcome
        assert plan(cl, r).counts[shown] == 1 and plan(cl, r).to_dial == []
