"""[outcomes] and [recycle] in a campaign file (dialer/campaign/file.py), and --no-outcomes over them:
each value read or refused with a message naming the file and the setting."""

from __future__ import annotations

import pytest

from dialer.campaign.file import CampaignError, load_campaign
from dialer.campaign.settings import Outcomes, Recycle
from tests.helpers.files import write_csv


def campaign(tmp_path, tables: str):
    write_csv(tmp_path / "list.csv", ["snumber", "cnumber"], [["2000000001", "100"]])
    toml = tmp_path / "c.toml"
    toml.write_text(f'[campaign]\nlist = "list.csv"\n{tables}', encoding="utf-8")
    return toml


def test_without_the_sections_outcomes_are_learned_and_nobody_is_called_again(tmp_path):
    c = load_campaign(campaign(tmp_path, ""))
    assert c.outcomes == Outcomes() and c.outcomes.enabled
    assert c.recycle == Recycle() and not c.recycle.enabled


def test_an_empty_recycle_section_turns_recycling_on_with_its_defaults(tmp_path):
    """The documented way to ask for the defaults: the section alone."""
    c = load_campaign(campaign(tmp_path, "[recycle]\n"))
    assert c.recycle == Recycle(enabled=True)
    assert (c.recycle.statuses, c.recycle.after, c.recycle.attempts, c.recycle.per_24h) == (
        ("no-answer", "busy"),
        3_600.0,
        3,
        3,
    )


def test_recycle_values_are_read_durations_included(tmp_path):
    tables = '[recycle]\nstatuses = ["busy"]\nafter = "1h30m"\nattempts = 5\nper_24h = 2\n'
    c = load_campaign(campaign(tmp_path, tables))
    assert c.recycle == Recycle(enabled=True, statuses=("busy",), after=5_400, attempts=5, per_24h=2)
    assert load_campaign(campaign(tmp_path, "[recycle]\nafter = 2\n")).recycle.after == 2.0


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ('[recycle]\nstatuses = ["answered"]\n', r"\[recycle\] statuses"),
        ('[recycle]\nstatuses = ["not-known"]\n', r"\[recycle\] statuses"),
        ("[recycle]\nstatuses = []\n", r"\[recycle\] statuses"),
        ('[recycle]\nstatuses = "busy"\n', r"\[recycle\] statuses"),
        ("[recycle]\nafter = 0\n", r"\[recycle\] after = 0 is out of range"),
        ('[recycle]\nafter = "soon"\n', r"\[recycle\] after = 'soon' is not a duration"),
        ("[recycle]\nattempts = 0\n", r"\[recycle\] attempts = 0 is out of range"),
        ("[recycle]\nattempts = 2.5\n", r"\[recycle\] attempts = 2.5 is out of range"),
        ("[recycle]\nper_24h = 0\n", r"\[recycle\] per_24h = 0 is out of range"),
        ("[recycle]\nevery = 3\n", r"\[recycle\] has 'every', which is not a setting"),
        ("[outcomes]\nenabled = 1\n", r"\[outcomes\] enabled = 1 is not true or false"),
        ("[outcomes]\ngive_up = 0\n", r"\[outcomes\] give_up = 0 is out of range"),
        ("[outcomes]\nfirst_look = -1\n", r"\[outcomes\] first_look = -1 is out of range"),
        ("[outcomes]\nwaitt = 3\n", r"did you mean 'wait'"),
    ],
)
def test_a_value_that_is_not_what_it_should_be_is_refused_naming_it(tmp_path, tables, message):
    with pytest.raises(CampaignError, match=message):
        load_campaign(campaign(tmp_path, tables))


def test_outcomes_values_and_no_outcomes_turning_recycling_off(tmp_path):
    toml = campaign(tmp_path, '[outcomes]\nfirst_look = "2m"\ngive_up = "2h"\nwait = 90\n[recycle]\n')
    c = load_campaign(toml)
    assert c.outcomes == Outcomes(enabled=True, first_look=120, give_up=7_200, wait=90)
    off = load_campaign(toml, {"outcomes": False})
    assert not off.outcomes.enabled and not off.recycle.enabled  # nothing to recycle on
