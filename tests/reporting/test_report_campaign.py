"""The hand-made finished campaign the status and report tests share (tests/helpers/report_campaign.py):
the loader reads it as the tests assume, and its results file replays to the states they rely on."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from dialer.calllist import load_call_list
from dialer.campaign.file import load_campaign
from dialer.core import outcomes as o
from tests.helpers.report_campaign import ORIGINAL, XSS, make_call_list, replay_of, write_campaign


def test_real_loader_agrees_with_the_hand_made_call_list(tmp_path: Path):
    """The loader reads the written campaign into the same rows, problems and original cells."""
    files = write_campaign(tmp_path)
    campaign = load_campaign(files.toml)
    loaded = load_call_list(campaign.list_path, replace(campaign.list, keep_original=True))
    made = make_call_list()
    assert loaded.table.index.tolist() == made.table.index.tolist()
    assert [(p.row, p.outcome, p.code) for p in loaded.problems] == [
        (p.row, p.outcome, p.code) for p in made.problems
    ]
    assert loaded.original.loc[4, "callerid1"] == XSS


def test_fixture_replays_to_the_expected_row_states():
    """The hand-made results file replays to the states the tests below rely on."""
    replay = replay_of()
    states = {row: rec.state for row, rec in ((r.row, r) for r in replay.records.records())}
    assert states == {
        2: o.PLACED,
        3: o.PLACED,
        4: o.REJECTED,
        5: o.FAILED,
        6: o.UNKNOWN,
        7: o.UNKNOWN,
        8: o.PLACED,
        9: o.PLACED,
        10: o.PLACED,
        11: o.REJECTED,
        12: o.SUPPRESSED,
        13: o.SUPPRESSED,
    }
    assert replay.records.record_of("+15550100007").in_flight


def test_fixture_call_list_keeps_problem_rows_out_of_the_table():
    """Rows with a problem are in `original` and `problems` but not in `table`."""
    cl = make_call_list()
    assert set(cl.table.index).isdisjoint({11, 12, 13})
    assert sorted(cl.original.index) == sorted(ORIGINAL)
