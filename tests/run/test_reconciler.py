"""Reconciliation: the judgement of the switch's call lists (pure), its replay, and the runner asking."""

from __future__ import annotations

import asyncio
import time

import pytest

from dialer.campaign.file import load_campaign
from dialer.commands.console import console
from dialer.core import exitcodes
from dialer.core import outcomes as o
from dialer.core.lookup import (
    ABSENT,
    ACTIVE_PATH,
    CDRS_PATH,
    FOUND,
    UNASKED,
)
from dialer.journal.lines import Event
from dialer.journal.results_file import read_results
from dialer.run.session import RunOptions, Session
from dialer.switch.mock import MockTransport
from tests.helpers.files import write_csv
from tests.helpers.mock_switch import CREDS, Switch, results, run_against

pytestmark = pytest.mark.timeout(30)


# -- the runner ---------------------------------------------------------------------------------------


def lines_of(tmp_path, snumber: str) -> list[tuple]:
    return [
        (ln["event"], ln["attempt"], ln.get("verdict"), ln["outcome"])
        for ln in results(tmp_path)
        if ln.get("snumber") == snumber and ln["event"] in (Event.DIAL, Event.RESULT, Event.CHECKED)
    ]


def states(tmp_path) -> dict[str, str]:
    return {r.snumber: r.state for r in read_results(tmp_path / "list.results.jsonl").rows.records()}


A, B, C = "2000000001", "2000000002", "2000000003"


async def test_a_call_found_makes_the_row_placed(tmp_path):
    """Reset after placing: the lists show the call; the row is placed, with its callid, never redialed."""
    switch = Switch({A: ["reset-after"]})
    session, _ = run_against(tmp_path, switch, [A, B])
    assert await session.run() == exitcodes.OK
    assert lines_of(tmp_path, A) == [
        (Event.DIAL, 1, None, o.SENDING),
        (Event.RESULT, 1, None, o.UNKNOWN),
        (Event.CHECKED, 1, FOUND, o.PLACED),
    ]
    assert switch.placed.count(A) == 1
    assert states(tmp_path) == {A: o.PLACED, B: o.PLACED}
    check = next(ln for ln in results(tmp_path) if ln["event"] == Event.CHECKED)
    assert check["callid"] == f"c-{A}" and check["asked"]["snumber"] == A
    assert [a["path"] for a in check["answers"]] == [ACTIVE_PATH]


async def test_no_call_found_retries_the_row_to_placement(tmp_path):
    """Reset before placing: both lists empty (and a placed row shows they can be believed): the row
    gets a new attempt with its own intent and result, and is placed once."""
    switch = Switch({A: ["reset-before"]})
    session, transport = run_against(tmp_path, switch, [A, B])
    assert await session.run() == exitcodes.OK
    assert lines_of(tmp_path, A) == [
        (Event.DIAL, 1, None, o.SENDING),
        (Event.RESULT, 1, None, o.UNKNOWN),
        (Event.CHECKED, 1, ABSENT, o.RETRY),
        (Event.DIAL, 2, None, o.SENDING),
        (Event.RESULT, 2, None, o.PLACED),
    ]
    assert switch.placed.count(A) == 1 and states(tmp_path)[A] == o.PLACED
    # A's two lists, then the control: row B's call, which the switch did place.
    assert [(path, p["snumber"]) for _, path, p in switch.lookups] == [
        (ACTIVE_PATH, A),
        (CDRS_PATH, A),
        (ACTIVE_PATH, B),
    ]
    # The password goes in each lookup's form, and nowhere in the results file.
    assert all(p["auth_password"] == CREDS.password for _, _, p in switch.lookups)
    assert CREDS.password not in (tmp_path / "list.results.jsonl").read_text()


async def test_retries_after_a_check_are_bounded_by_attempts(tmp_path):
    """A row never placed: each check finds nothing, each retry counts; after --attempts it is failed."""
    switch = Switch({A: ["reset-before"] * 5})
    session, _ = run_against(tmp_path, switch, [A, B], attempts=2)
    assert await session.run() == exitcodes.NEEDS_ATTENTION
    assert lines_of(tmp_path, A) == [
        (Event.DIAL, 1, None, o.SENDING),
        (Event.RESULT, 1, None, o.UNKNOWN),
        (Event.CHECKED, 1, ABSENT, o.RETRY),
        (Event.DIAL, 2, None, o.SENDING),
        (Event.RESULT, 2, None, o.UNKNOWN),
        (Event.CHECKED, 2, ABSENT, o.FAILED),
    ]
    last = [ln for ln in results(tmp_path) if ln["event"] == Event.CHECKED][-1]
    assert "no call" in last["reason"] and "gave up after 2 attempts" in last["reason"]
    assert states(tmp_path)[A] == o.FAILED and A not in switch.placed


async def test_lists_not_offered_leave_unknown_rows_unknown_and_stop_asking(tmp_path):
    """404 from the lists: the row stays unknown, one warning, and no further row is asked about."""
    switch = Switch({A: ["reset-before"], C: ["reset-before"]}, lists="missing")
    session, _ = run_against(tmp_path, switch, [A, B, C], concurrency=1)
    assert await session.run() == exitcodes.NEEDS_ATTENTION
    assert states(tmp_path) == {A: o.UNKNOWN, B: o.PLACED, C: o.UNKNOWN}
    assert [p["snumber"] for _, _, p in switch.lookups] == [A]
    check = [ln for ln in results(tmp_path) if ln["event"] == Event.CHECKED]
    assert [(c["snumber"], c["verdict"], c["outcome"]) for c in check] == [(A, UNASKED, o.UNKNOWN)]
    assert check[0]["answers"][0]["http_status"] == 404


async def test_a_failed_lookup_is_never_absent_and_asking_goes_on(tmp_path):
    """500 from the lists: nothing decided for that row; the next unknown row is still asked about."""
    switch = Switch({A: ["reset-before"], C: ["reset-before"]}, lists="broken")
    session, _ = run_against(tmp_path, switch, [A, B, C])
    assert await session.run() == exitcodes.NEEDS_ATTENTION
    assert states(tmp_path) == {A: o.UNKNOWN, B: o.PLACED, C: o.UNKNOWN}
    assert sorted(p["snumber"] for _, _, p in switch.lookups) == [A, C]
    assert switch.placed.count(A) == 0


async def test_lists_that_do_not_show_a_placed_call_are_not_believed(tmp_path):
    """Lists that are always empty (numbers stored in another form): the control row's call is not
    listed either, so the empty answer proves nothing: unknown, and asking stops."""
    switch = Switch({A: ["reset-after"], C: ["reset-after"]}, lists="blind")
    session, _ = run_against(tmp_path, switch, [B, A, C], concurrency=1)
    assert await session.run() == exitcodes.NEEDS_ATTENTION
    assert switch.placed.count(A) == 1 and switch.placed.count(C) == 1
    assert states(tmp_path) == {A: o.UNKNOWN, B: o.PLACED, C: o.UNKNOWN}
    check = [ln for ln in results(tmp_path) if ln["event"] == Event.CHECKED]
    # The first of them to settle is the one asked about; the other is never asked.
    assert [c["verdict"] for c in check] == [UNASKED] and check[0]["snumber"] in (A, C)
    assert "another form" in check[0]["reason"]


async def test_no_placed_row_to_confirm_the_lists_decides_nothing(tmp_path):
    """The only row reset before placing, nothing placed this run: empty lists are not believed."""
    switch = Switch({A: ["reset-before"]})
    session, _ = run_against(tmp_path, switch, [A])
    assert await session.run() == exitcodes.NEEDS_ATTENTION
    assert states(tmp_path) == {A: o.UNKNOWN}
    assert switch.placed == []


async def test_the_check_waits_for_delay_wait_and_settle(tmp_path):
    """The lists are asked no sooner than the delay and wait sent plus the settle margin after the attempt."""
    switch = Switch({A: ["500"]})
    source = write_csv(tmp_path / "list.csv", ["snumber", "cnumber", "wait"], [[A, "100", "1"]])
    campaign = load_campaign(source, {"reconcile_settle": 0.3})
    transport = MockTransport(switch.make)
    transport.api_handler = switch.api
    session = Session(campaign, CREDS, RunOptions(quiet=True), console(), transport=transport)
    started = time.monotonic()
    assert await session.run() == exitcodes.OK
    assert switch.lookups and switch.lookups[0][0] - started >= 1.3
    assert states(tmp_path) == {A: o.PLACED}


async def test_first_stop_asks_nothing_new(tmp_path):
    """A stop while a row waits to settle: it is not asked about, stays unknown, and the run ends at once."""
    switch = Switch({A: ["reset-after"]})
    session, _ = run_against(tmp_path, switch, [A], reconcile_settle=5)

    async def make_then_stop(form):
        asyncio.get_running_loop().call_later(0.1, session._runner.request_stop)
        return await switch.make(form)

    session._transport._handler = make_then_stop
    started = time.monotonic()
    assert await session.run() == exitcodes.STOPPED
    assert time.monotonic() - started < 2
    assert switch.lookups == [] and states(tmp_path) == {A: o.UNKNOWN}


async def test_first_stop_lets_a_check_out_finish_and_a_second_abandons_it(tmp_path):
    """A check already asking when the first stop comes is answered and recorded; after a second
    stop nothing more is written and the run ends at once."""
    for stops, want in ((1, [(A, FOUND)]), (2, [])):
        directory = tmp_path / str(stops)
        directory.mkdir()
        switch = Switch({A: ["reset-after"]})
        switch.lookup_delay = 0.3 if stops == 1 else 5
        session, _ = run_against(directory, switch, [B, A], concurrency=1)

        def stop(session=session, stops=stops):
            for _ in range(stops):
                session._runner.request_stop()

        switch.on_lookup = stop
        started = time.monotonic()
        assert await session.run() == exitcodes.STOPPED
        assert time.monotonic() - started < 2.5
        check = [ln for ln in results(directory) if ln["event"] == Event.CHECKED]
        assert [(c["snumber"], c["verdict"]) for c in check] == want


async def test_reconcile_off_asks_nothing(tmp_path):
    """With reconciliation off, an unknown row stays unknown and the lists are never asked."""
    switch = Switch({A: ["reset-before"]})
    session, transport = run_against(tmp_path, switch, [A, B], reconcile=False)
    assert await session.run() == exitcodes.NEEDS_ATTENTION
    assert transport.api_requests == [] and states(tmp_path) == {A: o.UNKNOWN, B: o.PLACED}
    assert not [ln for ln in results(tmp_path) if ln["event"] == Event.CHECKED]
