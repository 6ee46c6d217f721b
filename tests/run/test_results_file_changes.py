"""The results file is known by what it is, end to end (real `dialer run` processes, the simulator):

- removed, renamed by log rotation, replaced or cut short while a run goes: the run claims no further
  row, no request reaches the switch after the change is seen, it exits with the results file's status
  and says what happened and what to do; doing what it says, the next run finishes the list and
  nobody is placed twice (a file cut short is refused instead: its lost lines cannot be vouched for);
- a second run reaching the same file through a symlink or a hard link exits 5 at once, sending nothing;
- a file that went backwards between runs (cut short, its first bytes changed, emptied, removed) is
  refused: nothing dialed, a message saying what was expected, what was found and how to restore it;
  restored, the campaign carries on without calling anyone again.

The moment of a change is taken in this process just before it is made; the simulator stamps each
request with the same clock when it arrives. The run promises to see a change within a second
(``DETECTION``); ``LOAD_SLACK`` allows for this machine being shared by several test runs at once.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from dialer.core import exitcodes
from dialer.core import outcomes as o
from dialer.journal.lines import Event
from dialer.journal.results_file import read_results
from dialer.journal.results_marks import checkpoint_path, list_cache_path, mark_path
from tests.helpers.files import numbered_list, read_lines, snumber_of
from tests.helpers.processes import finish, run_dialer, start_dialer, wait_for
from tests.helpers.results_side import count_events
from tests.helpers.switch_side import assert_placed_at_most_once

pytestmark = pytest.mark.timeout(180)

ROWS = 60
SLOW_RATE = "10"  # requests a second while the file is changed: 5 s of rows still to dial after it
DETECTION = 1.0  # seconds: a run sees a change to its results file within this
LOAD_SLACK = 1.0  # seconds: a loop held up on a machine shared by several test runs


def run_args(list_path: Path, url: str, *extra: str) -> list[str]:
    return ["run", str(list_path), "--url", url, "--no-outcomes", *extra]


def start_slow_run(tmp_path: Path, url: str):
    list_path = numbered_list(tmp_path / "list.csv", ROWS)
    results = tmp_path / "list.results.jsonl"
    first = start_dialer(*run_args(list_path, url, "--rate", SLOW_RATE))
    wait_for(lambda: count_events(results, Event.DIAL) >= 5, 30, "the first run to dial five rows")
    return list_path, results, first


def assert_nothing_arrived_after(arrivals: list[dict], changed_at: float) -> None:
    late = [a for a in arrivals if a["t"] > changed_at + DETECTION + LOAD_SLACK]
    assert not late, (
        f"{len(late)} requests reached the switch more than {DETECTION + LOAD_SLACK} s after the results "
        f"file changed, the first {late[0]['t'] - changed_at:.2f} s after"
    )


def assert_every_request_sent_has_its_outcome(held: Path) -> None:
    """What the run wrote to the file it held: no row left in flight (requests in flight finished and
    were recorded), and a run_ended line saying why it stopped."""
    replay = read_results(held)
    in_flight = [rec.row for rec in replay.in_flight_records()]
    assert in_flight == [], f"rows left in flight in {held.name}: {in_flight}"
    ended = [ln for ln in read_lines(held) if ln["event"] == Event.RUN_ENDED]
    assert ended and ended[-1]["status"] == exitcodes.RESULTS_UNWRITABLE
    assert ended[-1]["reason"].startswith("the results file was ")


def assert_refused_and_nothing_sent(list_path: Path, url: str, sim, says: str) -> None:
    before = len(sim.arrivals())
    refused = run_dialer(*run_args(list_path, url, "--rate", "100"), timeout=60)
    assert refused.returncode == exitcodes.RESULTS_UNWRITABLE, refused.stderr
    assert "results file went backwards" in refused.stderr and says in refused.stderr
    assert "nothing was dialed" in refused.stderr
    assert len(sim.arrivals()) == before


def assert_the_list_finishes_without_calling_anyone_twice(list_path: Path, url: str, sim) -> None:
    done = run_dialer(*run_args(list_path, url, "--rate", "100"), timeout=90)
    assert done.returncode == exitcodes.OK, done.stderr
    placed = sim.placed()
    assert_placed_at_most_once(placed)
    assert sorted(p["snumber"] for p in placed) == [snumber_of(i) for i in range(ROWS)]


# -- changed while the run goes ---------------------------------------------------------------------


def remove(results: Path) -> None:
    results.unlink()


def rotate(results: Path) -> None:
    """logrotate with `create`: renamed to .1, a new empty file made at the path."""
    results.rename(results.with_name(results.name + ".1"))
    results.touch()


def replace(results: Path) -> None:
    """Another file moved over it (an operator's `mv`)."""
    other = results.with_name("other.jsonl")
    other.write_bytes(b"")
    other.rename(results)


def cut_short(results: Path) -> None:
    """Emptied in place (`: > file`, or logrotate's copytruncate)."""
    os.truncate(results, 0)


def put_back_saved(results: Path, stderr: str) -> Path:
    (saved,) = results.parent.glob(results.name + ".saved-*")
    assert f"its lines are saved in {saved}: move that to {results}, then run again" in stderr
    return saved


def restore_removed(results: Path, stderr: str) -> None:
    put_back_saved(results, stderr).rename(results)


def restore_rotated(results: Path, stderr: str) -> None:
    rotated = results.with_name(results.name + ".1")
    assert f"the campaign's results file is now {rotated}: move it back to {results}" in stderr
    rotated.replace(results)


def restore_replaced(results: Path, stderr: str) -> None:
    assert f"another file is at {results} now: move it aside" in stderr
    saved = put_back_saved(results, stderr)
    results.rename(results.with_name("other.jsonl"))
    saved.rename(results)


CHANGES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # name: (change, what the run says happened, what a run refusing it before it is put back says)
    "removed": (remove, "was removed while this run was going", "it is missing"),
    "renamed": (rotate, "was replaced while this run was going", "it holds 0 bytes"),
    "replaced": (replace, "was replaced while this run was going", "it holds 0 bytes"),
    "cut short": (cut_short, "was cut short while this run was going", "it was cut short while a run"),
}
RESTORE = {"removed": restore_removed, "renamed": restore_rotated, "replaced": restore_replaced}
HELD = {  # where the file the run held is, after the change
    "removed": lambda results: next(results.parent.glob(results.name + ".saved-*")),
    "renamed": lambda results: results.with_name(results.name + ".1"),
    "replaced": lambda results: next(results.parent.glob(results.name + ".saved-*")),
}


@pytest.mark.parametrize("kind", list(CHANGES))
def test_a_results_file_changed_mid_run_stops_the_dialing(tmp_path, simulator, kind):
    """The change is seen, no request arrives after it (beyond the detection bound), requests in
    flight are recorded in the file the run holds, exit 8 with what happened and what to do; a run
    before the file is put back is refused and sends nothing; put back as told, the next run
    finishes the list and nobody is placed twice. A file cut short stays refused."""
    change, said, refused_as = CHANGES[kind]
    sim = simulator()
    list_path, results, first = start_slow_run(tmp_path, sim.url)
    changed_at = time.time()
    change(results)
    status, err = finish(first, timeout=60)

    assert status == exitcodes.RESULTS_UNWRITABLE, err
    assert f"{results} {said}; no further call was placed" in err
    assert "then run again" in err or "move its .checkpoint, .list-cache and .mark aside" in err
    arrivals = sim.arrivals()
    assert arrivals and min(a["t"] for a in arrivals) < changed_at, "the run had not dialed before the change"
    assert_nothing_arrived_after(arrivals, changed_at)
    assert len(arrivals) < ROWS - 10, "the run dialed on as if nothing had happened"
    if kind != "cut short":  # a file cut short lost the lines it held; the test below checks the rest
        assert_every_request_sent_has_its_outcome(HELD[kind](results))

    assert_refused_and_nothing_sent(list_path, sim.url, sim, refused_as)
    if kind == "cut short":
        return
    RESTORE[kind](results, err)
    assert_the_list_finishes_without_calling_anyone_twice(list_path, sim.url, sim)


def test_a_file_cut_short_mid_run_keeps_what_the_run_wrote_after_the_cut(tmp_path, simulator):
    """Cut short, the run still records its requests in flight and its end (appended after the cut):
    what it could write is in the file, and no row is left in flight in it."""
    sim = simulator()
    _, results, first = start_slow_run(tmp_path, sim.url)
    cut_short(results)
    status, err = finish(first, timeout=60)
    assert status == exitcodes.RESULTS_UNWRITABLE, err
    lines = read_lines(results)
    assert lines[-1]["event"] == Event.RUN_ENDED and lines[-1]["reason"] == "the results file was cut short"
    dials = {ln["row"] for ln in lines if ln["event"] == Event.DIAL}
    answered = {ln["row"] for ln in lines if ln["event"] in (Event.RESULT, Event.WITHDRAWN)}
    assert dials <= answered


# -- a second run through another name --------------------------------------------------------------


def symlink_to(results: Path, tmp_path: Path) -> Path:
    link = tmp_path / "elsewhere" / "via-symlink.jsonl"
    link.parent.mkdir()
    link.symlink_to(results)
    return link


def hard_link_to(results: Path, tmp_path: Path) -> Path:
    link = tmp_path / "elsewhere" / "via-hard-link.jsonl"
    link.parent.mkdir()
    os.link(results, link)
    return link


@pytest.mark.parametrize("other_name", [symlink_to, hard_link_to], ids=["symlink", "hard-link"])
def test_a_second_run_through_another_name_exits_5_at_once_and_sends_nothing(tmp_path, simulator, other_name):
    """The second run is pointed at a switch of its own, so that anything it sent would show there."""
    sim, second_sim = simulator(), simulator()
    list_path, results, first = start_slow_run(tmp_path, sim.url)
    link = other_name(results, tmp_path)
    second = run_dialer(*run_args(list_path, second_sim.url, "--results", str(link)), timeout=60)
    assert first.poll() is None, "the second run waited for the first to end"
    assert second.returncode == exitcodes.ALREADY_RUNNING, second.stderr
    assert f"another run (pid {first.pid}) is working on this results file" in second.stderr
    assert "nothing was dialed" in second.stderr
    assert second_sim.arrivals() == []
    first.terminate()  # SIGTERM: the first run finishes what is in flight and exits 6
    status, err = finish(first, timeout=60)
    assert status == exitcodes.STOPPED, err
    assert count_events(results, Event.RUN_STARTED) == 1
    assert_placed_at_most_once(sim.placed())


# -- went backwards between runs --------------------------------------------------------------------


def a_finished_campaign(tmp_path: Path, sim, rows: int = 20) -> tuple[Path, Path]:
    list_path = numbered_list(tmp_path / "list.csv", rows)
    results = tmp_path / "list.results.jsonl"
    done = run_dialer(*run_args(list_path, sim.url, "--rate", "100"), timeout=90)
    assert done.returncode == exitcodes.OK, done.stderr
    assert len(sim.placed()) == rows
    return list_path, results


DERIVED = {"checkpoint": checkpoint_path, "list cache": list_cache_path, "mark": mark_path}


@pytest.mark.parametrize("kept", list(DERIVED))
def test_a_file_cut_short_between_runs_is_refused_by_each_derived_file(tmp_path, simulator, kept):
    """Only one of the checkpoint, the list cache and the mark left beside the file: it alone is
    enough to refuse a file shorter than it remembers. Put back whole, the campaign carries on and
    nobody is called again.

    The checkpoint and the mark remember the file as the last run left it; the list cache as it was
    when the list was last loaded afresh: here, by a run after the first, which had nothing left to
    dial (the cache removed before it, so that it is written again)."""
    sim = simulator()
    list_path, results = a_finished_campaign(tmp_path, sim)
    list_cache_path(results).unlink()
    nothing_left = run_dialer(*run_args(list_path, sim.url), timeout=60)
    assert nothing_left.returncode == exitcodes.OK and len(sim.arrivals()) == 20, nothing_left.stderr
    for name, path_of in DERIVED.items():
        if name != kept:
            path_of(results).unlink()
    whole = results.read_bytes()
    cut = whole[: whole.index(b"\n", len(whole) // 2) + 1]  # a restored backup: whole lines, fewer of them
    results.write_bytes(cut)
    before = len(sim.arrivals())

    refused = run_dialer(*run_args(list_path, sim.url), timeout=60)
    assert refused.returncode == exitcodes.RESULTS_UNWRITABLE, refused.stderr
    err = refused.stderr
    assert f"{results}: it holds {len(cut):,} bytes, but at " in err
    held = re.search(rf"it held ([0-9,]+) \({re.escape(DERIVED[kept](results).name)} says so\)", err)
    assert held and len(cut) < int(held[1].replace(",", "")) <= len(whole), err
    assert f"put it back at {results} and run again" in err and "nothing was dialed" in err
    assert len(sim.arrivals()) == before
    assert results.read_bytes() == cut  # refused, not repaired or written to

    results.write_bytes(whole)
    again = run_dialer(*run_args(list_path, sim.url), timeout=60)
    assert again.returncode == exitcodes.OK, again.stderr
    assert len(sim.arrivals()) == before and len(sim.placed()) == 20


def change_first_bytes(results: Path) -> str:
    data = bytearray(results.read_bytes())
    at = data.index(b'"run":"') + len(b'"run":"')
    data[at] = ord("0") if data[at] != ord("0") else ord("1")  # the first line's run id, one digit
    results.write_bytes(bytes(data))
    return "it does not begin as it did at "


def empty(results: Path) -> str:
    results.write_bytes(b"")
    return "it holds 0 bytes, but at "


def missing(results: Path) -> str:
    results.unlink()
    return "it is missing, but at "


def another_campaigns_file(results: Path) -> str:
    other = results.with_name("other.jsonl")
    shutil.copy(results, other)
    lines = other.read_bytes().splitlines(keepends=True)
    results.write_bytes(lines[0].replace(b'"rows":20', b'"rows":21') + b"".join(lines[1:]) + lines[-1])
    return "it does not begin as it did at "


@pytest.mark.parametrize(
    "damage", [change_first_bytes, empty, missing, another_campaigns_file], ids=lambda f: f.__name__
)
def test_a_file_not_the_one_the_campaign_wrote_is_refused(tmp_path, simulator, damage):
    """Its first bytes changed, emptied (log rotation between runs), removed, or another file as long
    or longer: the run dials nothing, never a fresh start, and says how to restore."""
    sim = simulator()
    list_path, results = a_finished_campaign(tmp_path, sim)
    says = damage(results)
    before = len(sim.arrivals())
    refused = run_dialer(*run_args(list_path, sim.url), timeout=60)
    assert refused.returncode == exitcodes.RESULTS_UNWRITABLE, refused.stderr
    assert f"{results}: {says}" in refused.stderr
    assert "Replaying it would forget calls that were made" in refused.stderr
    assert f"put it back at {results}" in refused.stderr
    assert len(sim.arrivals()) == before
    assert not any(ln.get("outcome") == o.UNKNOWN for ln in read_lines(results))
