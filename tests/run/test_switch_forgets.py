"""A switch that forgets its calls (restarted, its call records lost) between an unknown attempt and its
check: its empty lists prove nothing about the time before the restart, and the calls placed after it
prove nothing either, so the row stays unknown and is never redialed; judged from the simulator's
placed log, which outlives the restart."""

from __future__ import annotations

import time

import pytest

from dialer.core import exitcodes
from dialer.core import outcomes as o
from dialer.core.lookup import UNASKED
from dialer.journal.lines import Event
from tests.helpers.list_edits import (
    EditedCampaign,
    assert_nobody_placed_twice,
    customers,
    events_about,
    person,
    requests_per_person,
    row_of,
)
from tests.helpers.processes import finish, wait_for

pytestmark = pytest.mark.timeout(120)

BASE = customers(6)
LOST = BASE[3].snumber  # placed by the switch, the connection dropped before its answer: unknown


def test_a_restart_between_runs_leaves_the_unknown_row_unknown(tmp_path, simulator):
    """The first run leaves one row unknown (the switch placed its call); the switch restarts and forgets
    every call; the next run places new rows on it (listed) and then asks about the unknown one: the
    lists are empty, and so they are for the call placed just before it: nothing is decided."""
    sim = simulator("--script", f"{LOST}=reset-after")
    campaign = EditedCampaign(tmp_path, sim.url)
    campaign.write(BASE)
    first = campaign.run("--no-reconcile", "--concurrency", "1")
    assert first.returncode == exitcodes.NEEDS_ATTENTION, first.stderr
    assert requests_per_person(sim.placed()) == {person(r.snumber): 1 for r in BASE}
    sim.restart()
    last_line = time.time()
    new = customers(3, start=50)
    edited = [*new, *BASE]
    # The check falls due a few seconds into the run (settle counts from the unknown row's last line),
    # after the new rows are placed on the restarted switch.
    campaign.settle = time.time() - last_line + 8  # room for a loaded machine to start the run
    campaign.write(edited)
    second = campaign.run("--no-outcomes", "--concurrency", "1")
    assert second.returncode == exitcodes.NEEDS_ATTENTION, second.stderr
    placed = sim.placed()
    assert_nobody_placed_twice(placed)
    assert requests_per_person(sim.arrivals())[person(LOST)] == 1, "the unknown row was dialed again"
    lines = campaign.lines()
    (check,) = events_about(lines, LOST, Event.CHECKED)
    assert (check["verdict"], check["outcome"]) == (UNASKED, o.UNKNOWN)
    assert (
        "have lost records" in check["reason"]
        and f"row {row_of(BASE, BASE[2].snumber)}'s call" in check["reason"]
    )
    # The new rows were placed, and listed, before the check: they were there to be (mis)taken as proof.
    placed_new = [
        ln for ln in lines if ln.get("event") == Event.RESULT and ln["snumber"] in {r.snumber for r in new}
    ]
    assert [ln["outcome"] for ln in placed_new] == [o.PLACED] * 3
    assert max(ln["ts"] for ln in placed_new) < check["ts"]
    status = campaign.status()
    assert [(u["row"], u["snumber"]) for u in status["unknown"]] == [(row_of(edited, LOST), LOST)]
    assert status["counts"][o.UNKNOWN] == 1 and status["counts"][o.PLACED] == len(edited) - 1
    # and a run after it sends nothing: the row stays unknown until an operator decides
    arrivals = len(sim.arrivals())
    third = campaign.run("--no-outcomes")
    assert third.returncode == exitcodes.NEEDS_ATTENTION and len(sim.arrivals()) == arrivals


def test_a_restart_during_the_run_leaves_the_unknown_row_unknown(tmp_path, simulator):
    """Within one run: rows placed, one left unknown, the switch restarted while that row waits for its
    check, more rows placed on the new switch; the check finds nothing, and neither does the call placed
    before it (forgotten): unknown, and asking stops. The calls placed after the restart are listed,
    but they prove nothing about the time before it."""
    sim = simulator("--script", f"{BASE[2].snumber}=reset-after")
    campaign = EditedCampaign(tmp_path, sim.url, settle=6.0)
    rows = customers(8)
    campaign.write(rows)
    # One request every 1.5 s, one at a time; a refused connection while the switch restarts is retried.
    process = campaign.start(
        "--no-outcomes", "--rate", "2", "--period", "3", "--concurrency", "1", "--attempts", "10"
    )
    unknown = BASE[2].snumber

    def left_unknown() -> bool:
        return any(ln.get("event") == Event.RESULT and ln["snumber"] == unknown for ln in campaign.lines())

    wait_for(lambda: left_unknown() or process.poll() is not None, 30, "the row left unknown")
    sim.restart()
    status, stderr = finish(process, timeout=90)
    assert status == exitcodes.NEEDS_ATTENTION, stderr
    placed = sim.placed()
    assert_nobody_placed_twice(placed)
    assert requests_per_person(sim.arrivals())[person(unknown)] == 1, "the unknown row was dialed again"
    lines = campaign.lines()
    (check,) = events_about(lines, unknown, Event.CHECKED)
    assert (check["verdict"], check["outcome"]) == (UNASKED, o.UNKNOWN)
    assert "have lost records" in check["reason"] and "row 3's call" in check["reason"]
    after_restart = [
        ln
        for ln in lines
        if ln.get("event") == Event.RESULT and ln["outcome"] == o.PLACED and ln["ts"] < check["ts"]
    ]
    assert any(ln["row"] > 4 for ln in after_restart), "no call was placed on the new switch before the check"
    states = {u["row"]: u["snumber"] for u in campaign.status()["unknown"]}
    assert states.get(row_of(rows, unknown)) == unknown
