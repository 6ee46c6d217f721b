"""A call list edited between runs (rows inserted at the top, shuffled, deleted, a cnumber changed, a second
list on the same results file), also after kill -9 and against a switch without call lists: judged from
the simulator's placed log, nobody is placed twice; every row of the list as it is now has a truthful
outcome in `dialer status --json` and `dialer report`, and no callid is on another person's row; rows
left unknown stay with their person, so reconciliation and --redial-unknown still find them."""

from __future__ import annotations

import random
import signal

import pytest

from dialer.core import exitcodes
from dialer.core import outcomes as o
from dialer.core.lookup import ABSENT, FOUND, UNASKED
from dialer.journal.lines import Event
from tests.helpers.files import write_csv
from tests.helpers.list_edits import (
    HEADER,
    EditedCampaign,
    Row,
    assert_nobody_placed_twice,
    assert_rows_truthful,
    customers,
    events_about,
    person,
    persons_in_flight,
    requests_per_person,
    row_of,
)
from tests.helpers.processes import finish, wait_for

pytestmark = pytest.mark.timeout(120)

BASE = customers(8)
NEW = customers(2, start=50)  # people the first run never saw
PLACED_UNANSWERED = BASE[2].snumber  # the switch places the call and drops the connection: unknown
NEVER_PLACED = BASE[5].snumber  # the switch drops the connection before placing: unknown


def first_run(tmp_path, simulator, *sim_args: str) -> tuple:
    """Eight customers dialed one at a time; two left unknown (one placed at the switch, one not),
    since this run does not ask the switch's lists about them."""
    sim = simulator(
        "--script", f"{PLACED_UNANSWERED}=reset-after", "--script", f"{NEVER_PLACED}=reset-before", *sim_args
    )
    campaign = EditedCampaign(tmp_path, sim.url)
    campaign.write(BASE)
    done = campaign.run("--no-reconcile", "--concurrency", "1")
    assert done.returncode == exitcodes.NEEDS_ATTENTION, done.stderr
    assert len(sim.placed()) == 7 and campaign.status()["counts"][o.UNKNOWN] == 2
    return sim, campaign


def insert_two_at_the_top(rows: list[Row]) -> list[Row]:
    return [*NEW, *rows]


def shuffle(rows: list[Row]) -> list[Row]:
    shuffled = list(rows)
    random.Random(16).shuffle(shuffled)
    assert shuffled != rows
    return shuffled


def delete_three(rows: list[Row]) -> list[Row]:
    """A placed customer, the unknown one never placed, and another placed one go."""
    return [r for r in rows if r.snumber not in (BASE[1].snumber, NEVER_PLACED, BASE[6].snumber)]


def change_cnumbers(rows: list[Row]) -> list[Row]:
    """A placed customer, and both unknown ones, are bridged to another queue now."""
    moved = {BASE[0].snumber, PLACED_UNANSWERED, NEVER_PLACED}
    return [r.bridged_to("200") if r.snumber in moved else r for r in rows]


def copy_bridged_elsewhere_first(rows: list[Row]) -> list[Row]:
    """A placed customer copied to the top, bridged to another queue: the copy is the first row of the
    person, and the row with the numbers of the call a duplicate of it."""
    return [BASE[0].bridged_to("200"), *rows]


EDITS = {
    "insert two at the top": insert_two_at_the_top,
    "shuffle": shuffle,
    "delete": delete_three,
    "change cnumbers": change_cnumbers,
    "copy bridged elsewhere first": copy_bridged_elsewhere_first,
    "all at once": lambda rows: shuffle(insert_two_at_the_top(change_cnumbers(delete_three(rows)))),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edited_list_calls_nobody_twice_and_keeps_each_persons_outcome(tmp_path, simulator, edit):
    """The next run dials only the people it never placed; the unknown ones are asked about at the row
    that holds them now, with the numbers they were sent with: the placed one found, the other dialed
    once; every row's outcome and callid are its person's; a run after that sends nothing."""
    sim, campaign = first_run(tmp_path, simulator)
    edited = EDITS[edit](BASE)
    campaign.write(edited)
    before = len(sim.arrivals())
    done = campaign.run()
    assert done.returncode == exitcodes.OK, done.stderr
    placed = sim.placed()
    assert_nobody_placed_twice(placed)
    in_list = {person(r.snumber) for r in edited}
    assert in_list <= {person(p["snumber"]) for p in placed}, "someone in the list was never called"
    # This run sent one request to each new person and to the one the lists showed never placed.
    sent = requests_per_person(sim.arrivals()[before:])
    assert sent == dict.fromkeys(in_list & {person(r.snumber) for r in [*NEW, BASE[5]]}, 1)
    lines = campaign.lines()
    checks = {ln["snumber"]: ln["verdict"] for ln in lines if ln.get("event") == Event.CHECKED}
    assert checks[PLACED_UNANSWERED] == FOUND
    assert checks.get(NEVER_PLACED) == (ABSENT if person(NEVER_PLACED) in in_list else None)
    report = assert_rows_truthful(campaign, placed)
    found = report[row_of(edited, PLACED_UNANSWERED)]
    bridged = edited[row_of(edited, PLACED_UNANSWERED) - 2].cnumber != "100"
    assert (found["outcome"], found["code"]) == (
        (o.SUPPRESSED, "already-called") if bridged else (o.PLACED, FOUND)
    )
    if edit == "copy bridged elsewhere first":
        # the call is shown on the row holding its numbers, the copy says the person was called
        assert report[2]["code"] == "already-called" and report[3]["callid"] == placed[0]["callid"]
    if edit == "change cnumbers":
        assert report[row_of(edited, BASE[0].snumber)]["code"] == "already-called"
        # the person never placed is dialed with the numbers the list holds now
        (redial,) = [
            ln for ln in events_about(lines, NEVER_PLACED, Event.DIAL) if ln["run"] != lines[0]["run"]
        ]
        assert (redial["row"], redial["cnumber"]) == (row_of(edited, NEVER_PLACED), "200")
    arrivals = len(sim.arrivals())
    again = campaign.run()
    assert again.returncode == exitcodes.OK, again.stderr
    assert len(sim.arrivals()) == arrivals, "a run after everything was settled sent a request"
    assert without_call_outcomes(campaign.report()) == without_call_outcomes(report)


# What became of a placed call may be learned by any later run: the rows' outcomes and callids may not change.
CALL_OUTCOME_COLUMNS = ("call_status", "talk_s", "calls", "next_call")


def without_call_outcomes(report: dict[int, dict[str, str]]) -> dict[int, dict[str, str]]:
    return {
        row: {k: v for k, v in line.items() if k not in CALL_OUTCOME_COLUMNS} for row, line in report.items()
    }


def test_a_second_list_on_the_same_results_file_calls_nobody_the_first_called(tmp_path, simulator):
    """Another list (other spellings, another order, new people) pointed at the results file: the people
    the first list placed are placed or suppressed in it, its unknown people are asked about, and the
    first list, run again, shows what the second did for its people."""
    sim, campaign = first_run(tmp_path, simulator)
    second = [
        NEW[0],
        Row(BASE[3].snumber.replace("212555", "(212) 555-"), "100", "customer 3, spelled otherwise"),
        Row(PLACED_UNANSWERED, "100", "customer 2"),
        Row("+1 " + BASE[4].snumber, "100", "customer 4 with +1"),  # sent differently: not the same call
        Row(NEVER_PLACED, "100", "customer 5"),
        NEW[1],
        Row(BASE[0].snumber, "300", "customer 0, another queue"),
    ]
    campaign.write(second, name="other", by_flag=True)  # other.toml with --results campaign.results.jsonl
    done = campaign.run(name="other")
    assert done.returncode == exitcodes.OK, done.stderr
    placed = sim.placed()
    assert_nobody_placed_twice(placed)
    assert len(placed) == 7 + 3  # the two new people, and the one the lists showed never placed
    report = assert_rows_truthful(campaign, placed, name="other")
    assert [report[n]["outcome"] for n in range(2, 9)] == [o.PLACED] * 3 + [o.SUPPRESSED] + [o.PLACED] * 2 + [
        o.SUPPRESSED
    ]
    assert "as row 6 (2125550004 to 100)" in report[5]["message"]
    # The first list again: nothing to do; its customer 5 is placed, with the call the second list made.
    arrivals = len(sim.arrivals())
    first_again = campaign.run(name="list")
    assert first_again.returncode == exitcodes.OK, first_again.stderr
    assert len(sim.arrivals()) == arrivals
    first = assert_rows_truthful(campaign, placed, name="list")
    assert first[row_of(BASE, NEVER_PLACED)]["callid"] == report[6]["callid"] != ""


def test_kill9_then_an_edited_list_calls_nobody_twice(tmp_path, simulator):
    """kill -9 with two calls placed and four placed but held unanswered by the switch; the list then
    edited around them (some deleted, some bridged elsewhere, two new at the top, shuffled): the resume
    asks about the ones in flight that are still listed, as they were sent, and places nobody twice."""
    base = customers(16)
    held = [r.snumber for r in base[2:6]]
    sim = simulator(*[a for s in held for a in ("--script", f"{s}=hang")])
    campaign = EditedCampaign(tmp_path, sim.url)
    campaign.write(base)
    killed = campaign.start("--concurrency", "4", "--wait", "5")
    # The first two answered, the next four placed and held: nothing else can go.
    wait_for(lambda: len(sim.arrivals()) == 6, 30, "two calls answered and four held")
    killed.send_signal(signal.SIGKILL)
    assert finish(killed)[0] == -signal.SIGKILL
    flight, placed_before = persons_in_flight(campaign.lines())
    assert (flight, placed_before) == (set(held), {base[0].snumber, base[1].snumber})
    deleted = {base[1].snumber, held[0]}
    elsewhere = {base[0].snumber, held[1]}
    edited = [r.bridged_to("200") if r.snumber in elsewhere else r for r in base if r.snumber not in deleted]
    edited = shuffle(insert_two_at_the_top(edited))
    campaign.write(edited)
    resumed = campaign.run(timeout=60)
    assert resumed.returncode == exitcodes.OK, resumed.stderr
    placed = sim.placed()
    assert_nobody_placed_twice(placed)
    lines = campaign.lines()
    interrupted = {ln["snumber"] for ln in lines if ln.get("code") == "interrupted"}
    assert interrupted == flight
    checked = {ln["snumber"]: ln for ln in lines if ln.get("event") == Event.CHECKED}
    # Asked about as sent (the old cnumber), for each in-flight person still in the list; found.
    assert set(checked) == flight - deleted
    assert {(ln["cnumber"], ln["verdict"]) for ln in checked.values()} == {("100", FOUND)}
    report = assert_rows_truthful(campaign, placed)
    for snumber in elsewhere:
        assert report[row_of(edited, snumber)]["code"] == "already-called"
    assert {person(p["snumber"]) for p in placed} == {person(r.snumber) for r in [*base, *NEW]}


def test_without_call_lists_unknown_people_stay_unknown_after_an_edit_until_redialed_on_purpose(
    tmp_path, simulator
):
    """A switch that cannot list calls (404): the unknown people stay unknown at the rows that hold them
    after the list is edited, nobody is dialed on a guess; --redial-unknown then dials exactly them,
    once, at their rows now, with the numbers the list holds now, and says so in the results file."""
    never_placed = (BASE[2].snumber, NEVER_PLACED)
    sim = simulator(
        "--lookups", "missing", *[a for s in never_placed for a in ("--script", f"{s}=reset-before")]
    )
    campaign = EditedCampaign(tmp_path, sim.url)
    campaign.write(BASE)
    first = campaign.run("--concurrency", "1")
    assert first.returncode == exitcodes.NEEDS_ATTENTION, first.stderr
    assert "cannot be asked about unknown rows" in first.stderr
    edited = shuffle(
        insert_two_at_the_top([r.bridged_to("200") if r.snumber == BASE[2].snumber else r for r in BASE])
    )
    campaign.write(edited)
    second = campaign.run()
    assert second.returncode == exitcodes.NEEDS_ATTENTION, second.stderr
    placed = sim.placed()
    assert_nobody_placed_twice(placed)
    assert requests_per_person(sim.arrivals())[person(NEVER_PLACED)] == 1
    unknown_rows = {row_of(edited, s) for s in never_placed}
    report = assert_rows_truthful(campaign, placed, allowed=(o.PLACED, o.UNKNOWN), callids_learned=False)
    assert {n for n, line in report.items() if line["outcome"] == o.UNKNOWN} == unknown_rows
    checks = [ln for ln in campaign.lines() if ln.get("event") == Event.CHECKED]
    assert {ln["verdict"] for ln in checks} == {UNASKED}

    redialed = campaign.run("--redial-unknown")
    assert redialed.returncode == exitcodes.OK, redialed.stderr
    lines = campaign.lines()
    chosen = [ln for ln in lines if ln.get("event") == Event.REDIAL_UNKNOWN]
    assert sorted((ln["row"], ln["snumber"], ln["cnumber"]) for ln in chosen) == sorted(
        (row_of(edited, s), s, edited[row_of(edited, s) - 2].cnumber) for s in never_placed
    )
    assert {ln["person"] for ln in chosen} == {person(s) for s in never_placed}
    placed = sim.placed()
    assert_nobody_placed_twice(placed)
    assert_rows_truthful(campaign, placed, callids_learned=False)
    arrivals = len(sim.arrivals())
    assert campaign.run().returncode == exitcodes.OK and len(sim.arrivals()) == arrivals


def test_without_call_lists_kill9_then_an_edit_leaves_the_calls_in_flight_unknown(tmp_path, simulator):
    """kill -9 with calls placed and held unanswered by a switch that cannot list them: after an edit
    those people are unknown at the rows that hold them now (redialing would ring them twice), and
    the rest are dialed once."""
    base = customers(10)
    held = [r.snumber for r in base[:3]]
    sim = simulator("--lookups", "missing", *[a for s in held for a in ("--script", f"{s}=hang")])
    campaign = EditedCampaign(tmp_path, sim.url)
    campaign.write(base)
    # The switch places the first three calls and holds their requests; nothing else can go.
    killed = campaign.start("--concurrency", "3", "--wait", "5")
    wait_for(lambda: len(sim.arrivals()) == 3, 30, "three calls placed and held by the switch")
    killed.send_signal(signal.SIGKILL)
    assert finish(killed)[0] == -signal.SIGKILL
    assert persons_in_flight(campaign.lines())[0] == set(held)
    edited = shuffle(insert_two_at_the_top(base))
    campaign.write(edited)
    resumed = campaign.run()
    assert resumed.returncode == exitcodes.NEEDS_ATTENTION, resumed.stderr
    wait_for(lambda: len(sim.placed()) == 12, 10, "every call the resume asked for placed")
    placed = sim.placed()
    assert_nobody_placed_twice(placed)
    report = assert_rows_truthful(campaign, placed, allowed=(o.PLACED, o.UNKNOWN), callids_learned=False)
    assert {n for n, line in report.items() if line["outcome"] == o.UNKNOWN} == {
        row_of(edited, s) for s in held
    }


@pytest.mark.parametrize("lost", ["answer dropped", "kill -9"])
def test_a_delay_taken_out_of_the_list_does_not_hurry_the_check_of_a_delayed_call(tmp_path, simulator, lost):
    """A row sent with a delay, its answer lost (the connection dropped, or the run killed): the switch
    places the call only when the delay is up. The list then loses its delay column: the next run
    still waits for the delay that request carried (its result line, or its intent, says so) before
    it asks the switch's lists, so it finds the call and does not ring the person a second time."""
    delayed = BASE[3].snumber
    sim = simulator("--script", f"{delayed}={'reset-after' if lost == 'answer dropped' else 'hang'}")
    campaign = EditedCampaign(tmp_path, sim.url)
    campaign.write(BASE)
    rows = [[r.snumber, r.cnumber, r.name, "6" if r.snumber == delayed else ""] for r in BASE]
    write_csv(tmp_path / "list.csv", [*HEADER, "delay"], rows)
    if lost == "kill -9":
        killed = campaign.start("--concurrency", "1", "--wait", "0")
        wait_for(lambda: len(sim.arrivals()) == 4, 30, "the delayed request held by the switch")
        killed.send_signal(signal.SIGKILL)
        assert finish(killed)[0] == -signal.SIGKILL
    else:
        first = campaign.run("--no-reconcile", "--concurrency", "1")
        assert first.returncode == exitcodes.NEEDS_ATTENTION, first.stderr
    (intent,) = events_about(campaign.lines(), delayed, Event.DIAL)
    assert intent["delay"] == "6"
    assert delayed not in {p["snumber"] for p in sim.placed()}  # not placed before its delay
    campaign.write(BASE)  # the delay column is gone
    second = campaign.run()
    assert second.returncode == exitcodes.OK, second.stderr
    wait_for(lambda: any(p["params"].get("delay") for p in sim.placed()), 15, "the delayed call placed")
    assert_nobody_placed_twice(sim.placed())
    (check,) = events_about(campaign.lines(), delayed, Event.CHECKED)
    assert check["verdict"] == FOUND
    assert requests_per_person(sim.arrivals())[person(delayed)] == 1


@pytest.mark.parametrize(
    ("flag", "first", "then", "named"),
    [
        ("--person", "auto", "pair", "person = 'pair'"),
        ("--default-region", "US", "GB", "default_region = 'GB'"),
    ],
)
def test_who_a_person_is_cannot_change_within_a_campaign(tmp_path, simulator, flag, first, then, named):
    """People are known by their canonical numbers, chosen by `person` and read in `default_region`:
    another choice between runs would not find them (a national number read in another region is
    another number) and call them again, so the run is refused before anything is sent."""
    sim = simulator()
    campaign = EditedCampaign(tmp_path, sim.url)
    uk = [Row(f"07700 9001{i:02d}", "100", f"customer {i}") for i in range(4)]
    campaign.write(uk)
    region = f'[list]\ndefault_region = "{first if flag == "--default-region" else "GB"}"\n'
    toml = tmp_path / "list.toml"
    toml.write_text(toml.read_text() + region)
    person = ["--person", first] if flag == "--person" else []
    done = campaign.run(*person)
    assert done.returncode == exitcodes.OK, done.stderr
    arrivals = len(sim.arrivals())
    if flag == "--default-region":
        toml.write_text(toml.read_text().replace(f'"{first}"', f'"{then}"'))
        again = campaign.run()
    else:
        again = campaign.run("--person", then)
    assert again.returncode == exitcodes.BAD_INPUT, again.stderr
    assert named in again.stderr and f"'{first}'" in again.stderr
    assert len(sim.arrivals()) == arrivals
    assert_nobody_placed_twice(sim.placed())
