"""Requests in flight (dialer/run/in_flight.py): the auto concurrency formula, the open-file limit it is
raised to and capped by, and what a run records."""

from __future__ import annotations

import asyncio
import io
import resource
from pathlib import Path

import orjson
import pandas as pd
import pytest

from dialer.calllist import load_call_list
from dialer.campaign.credentials import Credentials
from dialer.campaign.file import load_campaign
from dialer.campaign.settings import Pacing
from dialer.commands.console import console
from dialer.core import exitcodes
from dialer.run import in_flight as inflight
from dialer.run.in_flight import (
    SPARE_DESCRIPTORS,
    auto_concurrency,
    capped_for_open_files,
    longest_seconds,
    plan_in_flight,
    raise_open_files_limit,
    resolve_concurrency,
)
from dialer.run.session import RunOptions, Session
from dialer.switch.mock import MockTransport
from dialer.switch.transport import RawReply
from tests.helpers.files import numbered_list, read_lines, write_csv
from tests.helpers.processes import run_dialer
from tests.helpers.switch_side import placed_per_number
from tests.helpers.terminal import json_events

NOFILE = resource.RLIMIT_NOFILE


# -- the formula -----------------------------------------------------------------------------------


def test_no_rate_runs_with_aiohttps_default_pool():
    """Without a rate, auto is 100 whatever the wait and delay: what a plain aiohttp script runs with."""
    assert auto_concurrency(None, 1.0, 0, 0, False) == 100
    assert auto_concurrency(None, 1.0, 30, 10, False) == 100


def test_rate_with_wait_is_the_rate_times_how_long_each_request_is_held():
    """--rate 50 --wait 5: 50/s held 5 s + 2 s of switch latency is 350 in flight."""
    assert auto_concurrency(50, 1.0, 5, 0, False) == 350
    assert auto_concurrency(1000, 1.0, 5, 0, False) == 7000


def test_rate_without_wait_allows_for_the_switch_latency_alone():
    """No wait: 2 s of switch latency at the rate (--rate 100: 200)."""
    assert auto_concurrency(100, 1.0, 0, 0, False) == 200


def test_a_slow_rate_gets_the_floor():
    """A few requests a second (or a minute) still get 20 in flight."""
    assert auto_concurrency(5, 1.0, 0, 0, False) == 20
    assert auto_concurrency(60, 60.0, 5, 0, False) == 20


def test_the_delay_column_is_held_too():
    """The longest delay a row sends is added to the longest wait: 50 * (5 + 3 + 2) = 500."""
    assert auto_concurrency(50, 1.0, 5, 3, False) == 500


def test_stagger_delay_adds_a_period_for_the_delay_and_one_for_the_raised_wait():
    """--stagger delay: two periods more; 50/s wait 5 is 450, 60 a minute wait 5 is ceil(127)."""
    assert auto_concurrency(50, 1.0, 5, 0, True) == 450
    assert auto_concurrency(60, 60.0, 5, 0, True) == 127
    assert auto_concurrency(60, 60.0, 5, 0, False) == 20


def test_fractional_rates_and_periods_round_up_but_not_past_float_noise():
    """10 per 3 s held 7 s is 23.3 -> 24; 7 per 0.3 s held 9 s is 210 (not 211 from 210.00000000000003)."""
    assert auto_concurrency(10, 3.0, 5, 0, False) == 24
    assert auto_concurrency(7, 0.3, 7, 0, False) == 210
    assert auto_concurrency(12.5, 0.3, 7, 0, False) == 375
    assert auto_concurrency(2.5, 0.5, 1, 0, False) == 20  # 15, under the floor
    assert auto_concurrency(0.5, 1.0, 600, 0, False) == 301


def test_longest_seconds_is_the_largest_whole_number_in_the_column():
    """Unset ("") is skipped, "12" beats "5" as a number, not as text; no column or no value is 0."""
    table = pd.DataFrame({"wait": ["5", "", "12", "3", "5"], "delay": ["", "", "", "", ""]})
    assert longest_seconds(table, "wait") == 12
    assert longest_seconds(table, "delay") == 0
    assert longest_seconds(table, "absent") == 0
    assert longest_seconds(table.iloc[0:0], "wait") == 0


# -- from a real list ------------------------------------------------------------------------------


def list_with_wait_and_delay(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "list.csv",
        ["snumber", "cnumber", "wait", "delay"],
        [["2125550001", "100", "", ""], ["2125550002", "100", "7", ""], ["2125550003", "100", "", "4"]],
    )


def in_flight_for(source: Path, overrides: dict, open_files: int | None = None) -> inflight.InFlight:
    campaign = load_campaign(source, overrides)
    table = load_call_list(campaign.list_path, campaign.list).table
    return plan_in_flight(campaign.pacing, table, open_files)


def test_auto_reads_the_lists_longest_wait_and_delay_with_wait_applied(tmp_path):
    """--rate 50 --wait 5 on a list with a row waiting 7 and one delaying 4: 50 * (7 + 4 + 2) = 650."""
    source = list_with_wait_and_delay(tmp_path)
    planned = in_flight_for(source, {"rate": 50, "wait": 5})
    assert (planned.used, planned.asked, planned.auto, planned.capped) == (650, 650, True, False)
    assert planned.setting == "auto" and planned.describe() == "650 (auto)"


def test_campaign_default_wait_counts_when_no_row_sets_one(tmp_path):
    """[defaults] wait = 9 on a list without a wait column: rate 10 held 11 s is 110."""
    numbered_list(tmp_path / "list.csv", 3)
    toml = tmp_path / "c.toml"
    toml.write_text('[campaign]\nlist = "list.csv"\n[pacing]\nrate = 10\n[defaults]\nwait = 9\n')
    assert in_flight_for(toml, {}).used == 110


def test_an_explicit_number_always_wins(tmp_path):
    """--concurrency 8 with a rate and long waits: 8, recorded as set."""
    source = list_with_wait_and_delay(tmp_path)
    planned = in_flight_for(source, {"rate": 50, "wait": 30, "concurrency": "8"})
    assert (planned.used, planned.auto, planned.setting) == (8, False, 8)
    assert planned.describe() == "8 (set)"


# -- the open-file limit ---------------------------------------------------------------------------


def test_the_cap_leaves_spare_descriptors_and_never_goes_below_one():
    """A 1024 limit allows 924 sockets; no limit allows anything; a tiny limit still allows one."""
    assert capped_for_open_files(350, 1024) == 350
    assert capped_for_open_files(5000, 1024) == 1024 - SPARE_DESCRIPTORS == 924
    assert capped_for_open_files(5000, None) == 5000
    assert capped_for_open_files(50, 64) == 1


def test_auto_and_set_numbers_are_both_capped_by_the_limit(tmp_path):
    """Auto 650 under a 400-descriptor limit runs 300; a set 5000 runs 300 too; both say so."""
    source = list_with_wait_and_delay(tmp_path)
    auto = in_flight_for(source, {"rate": 50, "wait": 5}, open_files=400)
    assert (auto.used, auto.asked, auto.capped) == (300, 650, True)
    assert auto.describe() == "300 (auto 650, capped by the open-file limit 400)"
    set_ = in_flight_for(source, {"concurrency": 5000}, open_files=400)
    assert (set_.used, set_.asked, set_.setting, set_.capped) == (300, 5000, 5000, True)


class FakeLimits:
    """getrlimit/setrlimit for RLIMIT_NOFILE, recording what was asked."""

    def __init__(self, soft: int, hard: int, refuse: Exception | None = None) -> None:
        self.limits = (soft, hard)
        self.refuse = refuse
        self.set_calls: list[tuple[int, tuple[int, int]]] = []

    def getrlimit(self, which: int) -> tuple[int, int]:
        assert which == NOFILE
        return self.limits

    def setrlimit(self, which: int, limits: tuple[int, int]) -> None:
        self.set_calls.append((which, limits))
        if self.refuse:
            raise self.refuse
        self.limits = limits


def test_the_soft_limit_is_raised_to_the_hard_one():
    """systemd's 1024 soft under a 524288 hard: raised to 524288, which is what the cap then uses."""
    fake = FakeLimits(1024, 524288)
    assert raise_open_files_limit(fake.getrlimit, fake.setrlimit) == 524288
    assert fake.set_calls == [(NOFILE, (524288, 524288))]


def test_a_soft_limit_already_at_the_hard_one_is_left_alone():
    """Soft equal to hard: nothing to set, that limit is reported."""
    fake = FakeLimits(4096, 4096)
    assert raise_open_files_limit(fake.getrlimit, fake.setrlimit) == 4096
    assert fake.set_calls == []


@pytest.mark.parametrize("refusal", [ValueError("not allowed"), OSError(1, "Operation not permitted")])
def test_a_refused_raise_keeps_the_soft_limit(refusal):
    """An unlimited hard limit the kernel will not grant (macOS, nr_open): the soft limit stays in force."""
    fake = FakeLimits(1024, resource.RLIM_INFINITY, refuse=refusal)
    assert raise_open_files_limit(fake.getrlimit, fake.setrlimit) == 1024
    assert len(fake.set_calls) == 1


def test_no_limit_at_all_is_none():
    """Soft and hard both unlimited: None, so nothing is capped."""
    fake = FakeLimits(resource.RLIM_INFINITY, resource.RLIM_INFINITY)
    assert raise_open_files_limit(fake.getrlimit, fake.setrlimit) is None


def test_the_real_limit_can_be_raised_and_read():
    """On this machine: the soft limit afterwards is the hard one (or both unlimited)."""
    limit = raise_open_files_limit()
    soft, hard = resource.getrlimit(NOFILE)
    assert soft == hard or hard == resource.RLIM_INFINITY
    assert limit == (None if soft == resource.RLIM_INFINITY else soft)


def test_a_cap_is_one_warning_saying_what_was_asked_what_is_used_and_why():
    """Auto 350 under a 300-descriptor limit: one warning line naming 350, 200 and the limit."""
    out = io.StringIO()
    table = pd.DataFrame({"snumber": ["2125550001"], "cnumber": ["100"], "wait": ["5"]})
    used = resolve_concurrency(Pacing(rate=50), table, console(out), open_files_limit=lambda: 300)
    assert used.used == 200
    (line,) = json_events(out.getvalue())
    assert line["level"] == "warning" and "open-file limit" in line["event"]
    assert (line["asked"], line["used"], line["open_files_limit"]) == ("350 (auto)", 200, 300)
    quiet = io.StringIO()
    assert (
        resolve_concurrency(Pacing(rate=50), table, console(quiet), open_files_limit=lambda: 4096).used == 350
    )
    assert quiet.getvalue() == ""


# -- a run -----------------------------------------------------------------------------------------


def run_started(results: Path) -> dict:
    (line,) = [r for r in read_lines(results) if r["event"] == "run_started"]
    return line


async def test_the_capped_number_reaches_the_runner(tmp_path, monkeypatch):
    """A 105-descriptor limit caps auto at 5: at most 5 requests reach the switch at once, and the
    run_started line records 5 and "auto"."""
    monkeypatch.setattr(inflight, "raise_open_files_limit", lambda: SPARE_DESCRIPTORS + 5)
    source = numbered_list(tmp_path / "list.csv", 30)
    in_flight, most = 0, 0

    async def switch(form):
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return RawReply(200, {}, orjson.dumps({"responses": [{"code": "204", "message": "m"}]}))

    campaign = load_campaign(source, {"reconcile": False})
    log = io.StringIO()
    session = Session(campaign, Credentials("demo", "x"), RunOptions(), console(log), MockTransport(switch))
    assert await session.run() == exitcodes.OK
    assert most == 5
    settings = run_started(tmp_path / "list.results.jsonl")["settings"]
    assert (settings["concurrency"], settings["concurrency_setting"]) == (5, "auto")
    assert "capped by the open-file limit" in log.getvalue()


def test_an_auto_run_records_its_concurrency_and_completes(tmp_path, simulator):
    """`dialer run --rate 20 --wait 1` against the simulator: auto is 20 * (1 + 2) = 60, recorded in
    run_started and said in the "run started" line; every row placed once, exit 0."""
    sim = simulator()
    source = numbered_list(tmp_path / "list.csv", 30)
    done = run_dialer("run", str(source), "--url", sim.url, "--rate", "20", "--wait", "1")
    assert done.returncode == exitcodes.OK, done.stderr
    settings = run_started(tmp_path / "list.results.jsonl")["settings"]
    assert (settings["concurrency"], settings["concurrency_setting"]) == (60, "auto")
    (started,) = [line for line in json_events(done.stderr) if line["event"] == "run started"]
    assert started["concurrency"] == "60 (auto)"
    assert len(sim.placed()) == 30 and set(placed_per_number(sim.placed()).values()) == {1}
