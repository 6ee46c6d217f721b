"""Reconciliation while a run goes (dialer/run/reconciler.py), the switch mocked: asking its call lists about
attempts whose outcome is unknown, and about the rows earlier runs left unknown, and what each answer does."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

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
from dialer.planning.earlier_unknown import (
    unix_time,
)
from dialer.run.session import RunOptions, Session
from dialer.switch.login import LOGIN_PATH
from dialer.switch.mock import MockTransport
from tests.helpers.earlier_run import dial, result, stamp
from tests.helpers.files import write_csv
from tests.helpers.mock_switch import CREDS, Switch, results, run_against

pytestmark = pytest.mark.timeout(30)

A, B, C = "2000000001", "2000000002", "2000000003"


# -- this run's unknown attempts -------------------------------------------------------------------


def lines_of(tmp_path, snumber: str) -> list[tuple]:
    return [
        (ln["event"], ln["attempt"], ln.get("verdict"), ln["outcome"])
        for ln in results(tmp_path)
        if ln.get("snumber") == snumber and ln["event"] in (Event.DIAL, Event.RESULT, Event.CHECKED)
    ]


def lookups(transport: MockTransport) -> list[str]:
    """The functions the run asked the switch, its login aside."""
    return [path for path, _ in transport.api_requests if path != LOGIN_PATH]


def states(tmp_path) -> dict[str, str]:
    return {r.snumber: r.state for r in read_results(tmp_path / "list.results.jsonl").records.records()}


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
    session, transport = run_against(tmp_path, switch, [B, A], concurrency=1)
    assert await session.run() == exitcodes.OK
    assert lines_of(tmp_path, A) == [
        (Event.DIAL, 1, None, o.SENDING),
        (Event.RESULT, 1, None, o.UNKNOWN),
        (Event.CHECKED, 1, ABSENT, o.RETRY),
        (Event.DIAL, 2, None, o.SENDING),
        (Event.RESULT, 2, None, o.PLACED),
    ]
    assert switch.placed.count(A) == 1 and states(tmp_path)[A] == o.PLACED
    # A's two lists, then the control: row B's call, placed just before A's, which the switch did place.
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
    session, _ = run_against(tmp_path, switch, [B, A], attempts=2, concurrency=1)
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
    campaign = load_campaign(source, {"reconcile_settle": 0.3, "outcomes": False})
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
    assert lookups(transport) == [] and states(tmp_path) == {A: o.UNKNOWN, B: o.PLACED}
    assert not [ln for ln in results(tmp_path) if ln["event"] == Event.CHECKED]


# -- rows an earlier run left unknown, asked about when the run starts -----------------------------


def earlier_run(tmp_path: Path, seconds_ago: float = 60.0) -> None:
    """An earlier run placed row 2 (A) and was killed with row 3 (B) in flight."""
    ts = stamp(seconds_ago)
    lines = [dial(2, A, ts), result(2, A, ts, o.PLACED, "204"), dial(3, B, ts)]
    (tmp_path / "list.results.jsonl").write_bytes(b"".join(lines))


def resumed(tmp_path: Path, switch: Switch, **overrides):
    return run_against(tmp_path, switch, [A, B], **overrides)


def lines_about(tmp_path: Path, snumber: str) -> list[tuple]:
    return [
        (ln["event"], ln["attempt"], ln.get("verdict"), ln["outcome"], ln["code"])
        for ln in results(tmp_path)
        if ln.get("snumber") == snumber and ln["event"] in (Event.DIAL, Event.RESULT, Event.CHECKED)
    ]


async def test_an_interrupted_row_the_lists_do_not_show_is_dialed_once(tmp_path):
    """The lists show row 2's call (placed by the earlier run: the control) and none for row 3: row 3
    gets a checked absent line and one new attempt, placed; row 2 is not dialed."""
    earlier_run(tmp_path)
    switch = Switch()
    switch.placed.append(A)  # the earlier run's call
    session, transport = resumed(tmp_path, switch)
    assert await session.run() == exitcodes.OK
    assert lines_about(tmp_path, B) == [
        (Event.DIAL, 1, None, o.SENDING, None),
        (Event.RESULT, 1, None, o.UNKNOWN, "interrupted"),
        (Event.CHECKED, 1, ABSENT, o.RETRY, ABSENT),
        (Event.DIAL, 1, None, o.SENDING, None),  # this run's attempt 1
        (Event.RESULT, 1, None, o.PLACED, "204"),
    ]
    assert [dict(form)["snumber"] for form in transport.requests] == [B]
    assert switch.placed == [A, B]
    # B's two lists, then the control: row 2's call, from the earlier run.
    assert [(path, p["snumber"]) for _, path, p in switch.lookups] == [
        (ACTIVE_PATH, B),
        (CDRS_PATH, B),
        (ACTIVE_PATH, A),
    ]
    check = next(ln for ln in results(tmp_path) if ln["event"] == Event.CHECKED)
    assert "row 2's call" in check["reason"]
    # The CDR window opens at the row's first line, less the clock slack.
    first_line = unix_time(results(tmp_path)[2]["ts"], 0.0)
    assert check["asked"]["start"] == int(first_line) - 300
    assert {r.row: r.state for r in read_results(tmp_path / "list.results.jsonl").records.records()} == {
        2: o.PLACED,
        3: o.PLACED,
    }
    assert results(tmp_path)[-1]["counts"][o.PLACED] == 2


async def test_an_interrupted_row_the_lists_show_is_placed_without_a_request(tmp_path):
    earlier_run(tmp_path)
    switch = Switch()
    switch.placed += [A, B]  # the switch placed both before the earlier run died
    session, transport = resumed(tmp_path, switch)
    assert await session.run() == exitcodes.OK
    assert transport.requests == []
    assert lines_about(tmp_path, B)[-1] == (Event.CHECKED, 1, FOUND, o.PLACED, FOUND)
    check = next(ln for ln in results(tmp_path) if ln["event"] == Event.CHECKED)
    assert check["callid"] == f"c-{B}"
    assert [p["snumber"] for _, _, p in switch.lookups] == [B]  # found: no control needed


async def test_lists_not_offered_leave_the_row_unknown(tmp_path):
    earlier_run(tmp_path)
    switch = Switch(lists="missing")
    session, transport = resumed(tmp_path, switch)
    assert await session.run() == exitcodes.NEEDS_ATTENTION
    assert transport.requests == []
    assert lines_about(tmp_path, B)[-1] == (Event.CHECKED, 1, UNASKED, o.UNKNOWN, UNASKED)
    assert states(tmp_path)[B] == o.UNKNOWN


async def test_a_control_the_lists_do_not_show_decides_nothing(tmp_path):
    """Lists that show nothing, not even the earlier run's placed call: the row stays unknown."""
    earlier_run(tmp_path)
    switch = Switch(lists="blind")
    session, transport = resumed(tmp_path, switch)
    assert await session.run() == exitcodes.NEEDS_ATTENTION
    assert transport.requests == []
    check = [ln for ln in results(tmp_path) if ln["event"] == Event.CHECKED]
    assert [(c["row"], c["verdict"]) for c in check] == [(3, UNASKED)]
    assert "another form" in check[0]["reason"]


async def test_no_placed_row_to_prove_the_lists_decides_nothing(tmp_path):
    """No row placed by any run, none to place in this one: an empty answer is not believed."""
    (tmp_path / "list.results.jsonl").write_bytes(dial(2, B, stamp(60)))
    switch = Switch()
    session, transport = run_against(tmp_path, switch, [B])
    assert await session.run() == exitcodes.NEEDS_ATTENTION
    assert transport.requests == []
    assert lines_about(tmp_path, B)[-1][:4] == (Event.CHECKED, 1, UNASKED, o.UNKNOWN)


async def test_the_check_waits_until_the_row_has_settled(tmp_path):
    """A row killed a moment ago is asked about only once its last line plus settle has passed."""
    earlier_run(tmp_path, seconds_ago=0.0)
    switch = Switch()
    switch.placed += [A, B]
    # Due 1.0 s (settle) + 0.2 s (the earlier attempt's wait 0 + timeout_margin) after its last line.
    session, _ = resumed(tmp_path, switch, reconcile_settle=1.0, timeout_margin=0.2)
    started = time.monotonic()
    assert await session.run() == exitcodes.OK
    assert switch.lookups and 0.8 <= switch.lookups[0][0] - started < 5.0


async def test_reconcile_off_asks_nothing_about_an_earlier_runs_unknown_row(tmp_path):
    """With reconciliation off, the row an earlier run left in flight is neither asked about nor dialed."""
    earlier_run(tmp_path)
    switch = Switch()
    session, transport = resumed(tmp_path, switch, reconcile=False)
    assert await session.run() == exitcodes.NEEDS_ATTENTION
    assert lookups(transport) == [] and transport.requests == []
