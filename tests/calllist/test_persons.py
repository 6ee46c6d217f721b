"""Who a row calls (dialer/calllist/persons.py): the person a campaign calls at most once, by default the
number stype says is outside the switch, in the canonical form do-not-call matching uses; duplicates
matched by person; and a list where one "person" holds many rows with other numbers refused, naming
the setting to change, by `validate` and `run` alike."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dialer.calllist import ListError
from dialer.calllist.donotcall import load_do_not_call
from dialer.calllist.numbers import canonical_numbers
from dialer.calllist.persons import (
    AUTO,
    Crowding,
    crowding,
    crowding_message,
    other_numbers,
    person_keys,
    person_leg,
)
from dialer.core import exitcodes, outcomes
from tests.helpers.call_lists import load
from tests.helpers.files import write_csv
from tests.helpers.processes import run_dialer

pytestmark = pytest.mark.timeout(60)

S = pd.Series(["+12125550001", "+12125550002", "+12125550003"], index=[2, 3, 4], dtype="str")
C = pd.Series(["100", "+13125550009", "101"], index=[2, 3, 4], dtype="str")
PHONE = np.array([False, True, False])


# -- the person of a row --------------------------------------------------------------------------------


def test_by_default_the_person_is_snumber_when_stype_is_empty_and_cnumber_when_it_is_phone():
    """stype empty: the switch calls snumber first, the person; stype phone: snumber is a line of the
    switch, and cnumber the person. The other number is the one that is not the person."""
    assert person_keys(S, C, PHONE, AUTO).tolist() == ["+12125550001", "+13125550009", "+12125550003"]
    assert other_numbers(S, C, PHONE, AUTO).tolist() == ["100", "+12125550002", "101"]
    assert person_keys(S, C, False, AUTO).tolist() == S.tolist()  # no stype column: every row's snumber
    assert person_keys(S, C, True, AUTO).tolist() == C.tolist()  # stype = "phone" in [defaults]
    assert person_keys(S, C, PHONE, AUTO).index.tolist() == [2, 3, 4]
    assert (person_leg(False, AUTO), person_leg(True, AUTO)) == ("snumber", "cnumber")


def test_a_campaign_names_the_person_whatever_stype_says():
    """person = "snumber" | "cnumber" | "pair": the named number, or both together (a number called once
    for each number it is bridged to, so nothing is the other number)."""
    assert person_keys(S, C, PHONE, "snumber").tolist() == S.tolist()
    assert other_numbers(S, C, PHONE, "snumber").tolist() == C.tolist()
    assert person_keys(S, C, PHONE, "cnumber").tolist() == C.tolist()
    assert other_numbers(S, C, PHONE, "cnumber").tolist() == S.tolist()
    assert person_keys(S, C, PHONE, "pair").tolist() == [
        "+12125550001|100",
        "+12125550002|+13125550009",
        "+12125550003|101",
    ]
    assert other_numbers(S, C, PHONE, "pair").tolist() == ["", "", ""]
    for phone in (False, True):
        assert [person_leg(phone, name) for name in ("snumber", "cnumber", "pair")] == [
            "snumber",
            "cnumber",
            "pair",
        ]


def test_the_loader_gives_each_row_to_dial_its_person(tmp_path):
    """A stype column decides row by row; a campaign's stype default decides for rows that leave it empty."""
    rows = [
        ["stype", "snumber", "cnumber"],
        ["phone", "1001", "(312) 555-0009"],
        ["", "212.555.0001", "100"],
    ]
    assert load(tmp_path, rows).persons.to_dict() == {2: "+13125550009", 3: "+12125550001"}
    both = load(tmp_path, rows, defaults={"stype": "phone"})
    assert both.persons.to_dict() == {2: "+13125550009", 3: "100"}
    assert load(tmp_path, rows, person="snumber").persons.to_dict() == {2: "1001", 3: "+12125550001"}
    assert load(tmp_path, rows, person="pair").persons.to_dict() == {
        2: "1001|+13125550009",
        3: "+12125550001|100",
    }


# -- canonical form: the same as do-not-call matching's ---------------------------------------------------

SPELLINGS = {
    "US": ["(212) 555-1234", "212.555.1234", "+1 212 555 1234", "1-212-555-1234", "2125551234"],
    "GB": ["07700 900123", "+44 7700 900123", "+447700900123", "0044 7700 900123"],
}


@pytest.mark.parametrize("region", sorted(SPELLINGS))
def test_a_person_is_the_number_do_not_call_matching_would_match(tmp_path, region):
    """However a number is spelled, the person is the one canonical form the do-not-call list holds for
    it, so a person is one person in the list, across lists, and against do-not-call files."""
    spellings = SPELLINGS[region]
    rows = [["snumber", "cnumber"]] + [[s, f"10{i}"] for i, s in enumerate(spellings)]
    calls = load(tmp_path, rows, default_region=region, person="pair")
    persons = {p.split("|")[0] for p in calls.persons}
    dnc = tmp_path / "dnc.txt"
    dnc.write_text("\n".join(spellings) + "\n")
    assert persons == set(load_do_not_call((dnc,), region).index) and len(persons) == 1
    # ... and a row so spelled is suppressed by a do-not-call entry spelled any other way
    dnc.write_text(spellings[-1] + "\n")
    listed = load(tmp_path, rows[:-1], default_region=region, person="pair", do_not_call=(dnc,))
    assert listed.table.empty and {p.code for p in listed.problems} == {"do-not-call"}


def test_duplicates_inside_one_list_are_matched_by_person(tmp_path):
    """The same person spelled three ways, whatever the other number, is dialed once (the first row);
    with stype phone the agent's line differs and the customer is the same: a duplicate too; a
    feature code (no telephone number) is matched as written."""
    rows = [
        ["stype", "snumber", "cnumber"],
        ["", "2125551234", "100"],
        ["", "+1 (212) 555-1234", "101"],
        ["phone", "1001", "212-555-1234"],  # the same customer, called through an agent's line
        ["phone", "1002", "212-555-1234"],
        ["", "*97", "100"],
        ["", "*97", "101"],
        *[["", f"212555999{i}", "100"] for i in range(4)],
    ]
    calls = load(tmp_path, rows)
    assert calls.table.index.tolist() == [2, 6, 8, 9, 10, 11]
    assert [(p.row, p.code, p.duplicate_of) for p in calls.problems] == [
        (3, "duplicate", 2),
        (4, "duplicate", 2),
        (5, "duplicate", 2),
        (7, "duplicate", 6),
    ]
    assert calls.problems[2].reason == "the same person (cnumber 2125551234) as row 2, which is dialed once"
    assert calls.problems[0].person == "+12125551234"
    # With person = "pair", only the same two numbers (in canonical form) are a duplicate.
    pairs = load(tmp_path, rows + [["", "212 555 1234", "100"]], person="pair")
    assert [(p.row, p.duplicate_of) for p in pairs.problems] == [(12, 2)]
    assert pairs.problems[0].reason == "the same snumber and cnumber as row 2, which is dialed once"


# -- one person on many rows, each with another number ---------------------------------------------------


def crowded_rows(count: int, person: str = "2125550100") -> list[list[str]]:
    """``count`` rows whose snumber is one number (an agent's mobile, say) and whose cnumbers differ."""
    return [["snumber", "cnumber"]] + [[person, f"31255501{i:02d}"] for i in range(count)]


def test_one_person_on_most_rows_with_other_numbers_is_crowding_whatever_the_size_of_the_list(tmp_path):
    """More than ten rows (and 5% of the list), or most of a small list with as many other numbers (at
    least three): a list of people never shares one number so; a few copies of a customer are
    duplicates."""
    assert crowding_of(tmp_path, crowded_rows(30)) == Crowding("+12125550100", 30, 30, 30, "snumber")
    assert crowding_of(tmp_path, crowded_rows(6)) == Crowding("+12125550100", 6, 6, 6, "snumber")
    assert crowding_of(tmp_path, crowded_rows(3)) is not None
    assert crowding_of(tmp_path, crowded_rows(2)) is None  # two rows, one person: a duplicate
    # a customer on four of five rows, bridged to two queues: copies of one person, not crowding
    copies = crowded_rows(2) + crowded_rows(2)[1:] + [["2125550200", "100"]]
    assert crowding_of(tmp_path, copies) is None
    # one customer on three of seven rows, with three agents: duplicates, not a wrong person
    rows = crowded_rows(3) + [[f"21255502{i:02d}", "100"] for i in range(4)]
    assert crowding_of(tmp_path, rows) is None
    # eleven of 200 rows is more than ten, and more than 5% of the list
    many = crowded_rows(11) + [[f"2125553{i:03d}", "100"] for i in range(189)]
    assert crowding_of(tmp_path, many).rows == 11
    # ten of 1,000 rows is neither
    few = crowded_rows(10) + [[f"2125553{i:03d}", "100"] for i in range(990)]
    assert crowding_of(tmp_path, few) is None
    # the same other number on every row: plain copies of one row, which duplicates are
    assert crowding_of(tmp_path, [["snumber", "cnumber"]] + [["2125550100", "100"]] * 30) is None


def crowding_of(tmp_path, rows: list[list[str]], setting: str = AUTO) -> Crowding | None:
    s = pd.Series([r[0] for r in rows[1:]], dtype="str")
    c = pd.Series([r[1] for r in rows[1:]], dtype="str")
    s, c = canonical_numbers(s, "US"), canonical_numbers(c, "US")
    return crowding(person_keys(s, c, False, setting), other_numbers(s, c, False, setting), False, setting)


def test_crowding_names_the_number_and_how_to_choose_the_person(tmp_path):
    """The message says which number is taken for the person and why (stype, or the setting), how many
    rows it holds, and what to set instead."""
    path = tmp_path / "list.csv"
    by_stype = crowding_message(path, Crowding("+12125550100", 30, 29, 40, "snumber"), AUTO)
    assert by_stype == (
        f"{path}: snumber +12125550100 is on 30 of 40 rows, with 29 different cnumbers: dialer calls a "
        "person once, so all but one of those rows would be suppressed; with stype empty the person is "
        'snumber (the number called first). If it is an agent\'s line, set stype = "phone" (in [defaults] '
        'or a stype column) so that cnumber is the person, or choose the person with person = "cnumber" '
        'or "pair" under [campaign].'
    )
    phone = crowding_message(path, Crowding("+12125550100", 12, 12, 12, "cnumber"), AUTO)
    assert 'with stype "phone" the person is cnumber' in phone
    assert 'choose the person with person = "snumber" or "pair" under [campaign]' in phone
    named = crowding_message(path, Crowding("100", 12, 12, 12, "cnumber"), "cnumber")
    assert "with person = 'cnumber' the person is cnumber" in named and "12 different snumbers" in named


def test_no_crowding_when_each_pair_is_the_person_or_nothing_is_left():
    empty = pd.Series([], dtype="str")
    assert crowding(empty, empty, False, AUTO) is None
    same = pd.Series(["+12125550100"] * 30, dtype="str")
    others = pd.Series([f"+1312555{i:04d}" for i in range(30)], dtype="str")
    assert crowding(same + "|" + others, pd.Series([""] * 30, dtype="str"), False, "pair") is None


def test_the_loader_refuses_a_crowded_list_and_counts_only_rows_left_to_dial(tmp_path):
    """Refused with the message naming the setting; rows already set aside (invalid, do-not-call) do
    not count, and person = "pair" accepts the same list."""
    with pytest.raises(ListError, match=r'snumber \+12125550100 is on 6 of 6 rows.*stype = "phone"'):
        load(tmp_path, crowded_rows(6))
    assert len(load(tmp_path, crowded_rows(6), person="pair").table) == 6
    assert len(load(tmp_path, crowded_rows(6), defaults={"stype": "phone"}).table) == 6
    dnc = tmp_path / "dnc.txt"
    dnc.write_text("".join(f"31255501{i:02d}\n" for i in range(4)))
    kept = load(tmp_path, crowded_rows(6), do_not_call=(dnc,))  # two rows left: a duplicate
    assert [(p.row, p.code) for p in kept.problems if p.code == "duplicate"] == [(7, "duplicate")]
    assert [p.outcome for p in kept.problems] == [outcomes.SUPPRESSED] * 5


def test_validate_and_run_refuse_a_crowded_list_naming_the_setting_and_dial_nothing(tmp_path, simulator):
    """What an operator sees: `validate` one line, `run` its bad-input line, both exit 2; nothing sent,
    nothing recorded; with the setting changed as the message says, the list is dialed."""
    sim = simulator()
    source = write_csv(tmp_path / "list.csv", *_split(crowded_rows(6)))
    results = tmp_path / "list.results.jsonl"
    checked = run_dialer("validate", str(source))
    assert checked.returncode == exitcodes.BAD_INPUT
    (line,) = checked.stderr.splitlines()
    assert line.startswith(f"dialer validate: {source}: snumber +12125550100 is on 6 of 6 rows")
    assert 'set stype = "phone"' in line and 'person = "cnumber" or "pair" under [campaign]' in line
    ran = run_dialer("run", str(source), "--url", sim.url)
    assert ran.returncode == exitcodes.BAD_INPUT
    assert "bad input" in ran.stderr and "is on 6 of 6 rows" in ran.stderr and "person = " in ran.stderr
    assert sim.arrivals() == [] and (not results.exists() or results.stat().st_size == 0)
    fixed = run_dialer("run", str(source), "--url", sim.url, "--person", "pair")
    assert fixed.returncode == exitcodes.OK, fixed.stderr
    assert len(sim.placed()) == 6


def _split(rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    return rows[0], rows[1:]
