"""Reading a campaign file, and the flags over it (dialer/campaign/file.py): each setting checked, with an
error naming the file and the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.campaign.file import CampaignError, load_campaign
from tests.helpers.files import numbered_list, write_csv

A = "2000000001"


# -- the time limit's margin -----------------------------------------------------------------------


@pytest.mark.parametrize("margin", ["0", "-1"])
def test_a_campaign_without_a_time_margin_is_refused(tmp_path, margin):
    """A request's time limit is wait + timeout_margin: a margin of 0 would give up every request
    sent without wait at once, so the campaign file is refused with a message naming it."""
    (tmp_path / "list.csv").write_text("snumber,cnumber\n2125550000,100\n", encoding="utf-8")
    toml = tmp_path / "c.toml"
    toml.write_text(f'[campaign]\nlist = "list.csv"\ntimeout_margin = {margin}\n', encoding="utf-8")
    with pytest.raises(
        CampaignError, match=rf"c\.toml: \[campaign\] timeout_margin = {margin} is out of range"
    ):
        load_campaign(toml)
    toml.write_text('[campaign]\nlist = "list.csv"\ntimeout_margin = 0.5\n', encoding="utf-8")
    assert load_campaign(toml).timeout_margin == 0.5


# -- [reconcile] -----------------------------------------------------------------------------------


def test_campaign_reconcile_table_and_its_checks(tmp_path):
    """[reconcile] enabled and settle are read; a non-boolean or negative value is refused."""
    write_csv(tmp_path / "list.csv", ["snumber", "cnumber"], [[A, "100"]])
    toml = tmp_path / "c.toml"
    toml.write_text('[campaign]\nlist = "list.csv"\n[reconcile]\nenabled = false\nsettle = 2.5\n')
    c = load_campaign(toml)
    assert (c.reconcile.enabled, c.reconcile.settle) == (False, 2.5)
    assert load_campaign(toml, {"reconcile": True}).reconcile.enabled is True
    assert load_campaign(tmp_path / "list.csv").reconcile.enabled is True  # on by default
    for bad in ('enabled = "yes"', "settle = -1"):
        toml.write_text(f'[campaign]\nlist = "list.csv"\n[reconcile]\n{bad}\n')
        with pytest.raises(CampaignError, match="reconcile"):
            load_campaign(toml)


# -- [pacing] concurrency and --concurrency --------------------------------------------------------


def campaign_file(tmp_path: Path, pacing: str) -> Path:
    numbered_list(tmp_path / "list.csv", 1)
    toml = tmp_path / "c.toml"
    toml.write_text(f'[campaign]\nlist = "list.csv"\n[pacing]\nrate = 10\n{pacing}\n')
    return toml


@pytest.mark.parametrize(
    ("line", "expected"),
    [("", None), ('concurrency = "auto"', None), ('concurrency = "AUTO"', None), ("concurrency = 8", 8)],
)
def test_the_file_takes_auto_or_a_number(tmp_path, line, expected):
    """Absent or "auto" is auto (None); a number is that number."""
    assert load_campaign(campaign_file(tmp_path, line)).pacing.concurrency == expected


@pytest.mark.parametrize(
    "value",
    ["0", "-3", '"many"', "2.5", "true", '""', "[8]"],
    ids=["0", "neg", "word", "frac", "bool", "empty", "list"],
)
def test_a_bad_value_in_the_file_names_the_file_and_setting(tmp_path, value):
    """0, negatives, words, fractions, booleans: a CampaignError naming the file and [pacing] concurrency."""
    toml = campaign_file(tmp_path, f"concurrency = {value}")
    with pytest.raises(
        CampaignError, match=r"c\.toml: \[pacing\] concurrency (must be|= .* is out of range)"
    ):
        load_campaign(toml)


def test_the_flag_overrides_the_file_either_way(tmp_path):
    """--concurrency auto undoes the file's 8; --concurrency 12 replaces it; absent keeps it."""
    toml = campaign_file(tmp_path, "concurrency = 8")
    assert load_campaign(toml, {"concurrency": "auto"}).pacing.concurrency is None
    assert load_campaign(toml, {"concurrency": "12"}).pacing.concurrency == 12
    assert load_campaign(toml, {"concurrency": None}).pacing.concurrency == 8


@pytest.mark.parametrize("value", ["0", "-1", "lots", "1.5", ""])
def test_a_bad_flag_value_names_the_flag(tmp_path, value):
    """--concurrency 0 (or a word, a fraction): a CampaignError naming --concurrency."""
    with pytest.raises(CampaignError, match=r"^--concurrency (must be|.* is out of range)"):
        load_campaign(campaign_file(tmp_path, ""), {"concurrency": value})


# -- what a campaign file may say, and where -------------------------------------------------------


def campaign_text(tmp_path: Path, text: str) -> Path:
    numbered_list(tmp_path / "list.csv", 1)
    toml = tmp_path / "c.toml"
    head = '[campaign]\nlist = "list.csv"\n'
    # A key before any [section] line: TOML reads it as in none (the mistake this is about).
    toml.write_text(f"{head}{text}\n" if text.startswith("[") else f"{text}\n{head}", encoding="utf-8")
    return toml


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[pacing]\nrate = 0", r"\[pacing\] rate = 0 would send nothing: .* or leave rate out for no limit"),
        ("[pacing]\nrate = false", r"\[pacing\] rate = False is not a number"),
        ("[pacing]\nrate = 5\nperiod = inf", r"\[pacing\] period = inf is not a number"),
        ("[pacing]\nrte = 5", r"\[pacing\] has 'rte', which is not a setting \(did you mean 'rate'\?\)"),
        ("rate = 5", r"'rate' is outside any section: it belongs under \[pacing\]"),
        (
            "[retry]\nrate = 5",
            r"\[retry\] has 'rate', which is not a setting \(it belongs under \[pacing\]\)",
        ),
        ("[pacing]\nwait = 5", r"\[pacing\] has 'wait', .* \(it belongs under \[defaults\]\)"),
        ("[defaults]\nwait = 301", r"\[defaults\] wait = 301: wait is more than 300, the most dialer sends"),
        ("[defaults]\ndelay = 86401", r"\[defaults\] delay = 86401: delay is more than 86,400"),
        ("[defaults]\ndelay = -1", r"\[defaults\] delay = -1: delay must be a whole number, 0 or more"),
        ("[defaults]\nwait = nan", r"\[defaults\] wait = nan: wait must be a whole number"),
        ("[defaults]\nwait = 2.5", r"\[defaults\] wait = 2.5: wait must be a whole number"),
        ("[defaults]\nwait = true", r"\[defaults\] wait = true is not a value of wait"),
        (
            '[defaults]\ncdialplan = "e164"',
            r"\[defaults\] cdialplan = 'e164': cdialplan must be \"auto\" or empty",
        ),
        ('[defaults]\ncnumber = "*#"', r"\[defaults\] cnumber = '\*#': cnumber is not a telephone number"),
        ("[defaults]\ncnumber = [1, 2]", r"\[defaults\] cnumber = \[1, 2\]: give one value"),
    ],
    ids=lambda x: x if len(x) < 30 else None,
)
def test_a_setting_that_is_wrong_or_misplaced_is_refused_naming_file_and_key(tmp_path, text, says):
    with pytest.raises(CampaignError, match=rf"^{tmp_path}/c\.toml: (\[campaign\] )?.*{says}"):
        load_campaign(campaign_text(tmp_path, text))


def test_good_defaults_are_taken(tmp_path):
    toml = campaign_text(
        tmp_path, '[defaults]\nwait = 300\ndelay = 86400\ncdialplan = "auto"\nanswer1 = true'
    )
    assert load_campaign(toml).list.defaults == {
        "wait": "300",
        "delay": "86400",
        "cdialplan": "auto",
        "answer1": "1",
    }
