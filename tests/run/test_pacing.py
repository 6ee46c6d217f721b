"""Pacing (dialer/run/pacing.py): the Pacer's schedule on a fake clock (pure logic), and what arrives at the
simulator.

Correctness only, never speed: the simulator tests count requests per window at the switch and look
at their spacing; nothing here asserts a throughput."""

from __future__ import annotations

import asyncio
import math
import time
import types

import aiohttp
import asyncio_throttle.throttler
import pytest

from dialer.campaign.credentials import Credentials
from dialer.campaign.file import load_campaign
from dialer.commands.console import console
from dialer.core import exitcodes
from dialer.run.pacing import CATCH_UP_SHARE, CATCH_UP_SLOTS, Pacer, guard_limits
from dialer.run.session import RunOptions, Session
from tests.helpers.fake_time import FakeTime
from tests.helpers.files import numbered_list
from tests.helpers.processes import PASSWORD, USERNAME, run_dialer
from tests.helpers.switch_side import most_in_window

pytestmark = pytest.mark.timeout(60)


def pacer(fake: FakeTime, rate: float, period: float = 1.0, **kw: object) -> Pacer:
    return Pacer(rate, period, clock=fake.monotonic, sleep=fake.sleep, **kw)


async def take(p: Pacer, fake: FakeTime, count: int) -> list[tuple[float, int]]:
    """(send time, delay) of the next ``count`` slots."""
    out = []
    for _ in range(count):
        delay = await p.slot()
        out.append((fake.now, delay))
    return out


# -- guard_limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "period", "expected"),
    [
        (50, 1.0, (50, 1.0)),
        (1000, 1.0, (1000, 1.0)),
        (200.0, 60.0, (200, 60.0)),
        (0.5, 1.0, (1, 2.0)),  # half a request a second: one every two seconds
        (2.5, 1.0, (5, 2.0)),
        (1.25, 4.0, (5, 16.0)),
    ],
)
def test_guard_limits_are_whole_requests_per_window(rate, period, expected):
    """asyncio-throttle counts whole admissions: a fractional rate becomes a longer window."""
    count, window = guard_limits(rate, period)
    assert (count, window) == (expected[0], pytest.approx(expected[1]))
    assert count / window == pytest.approx(rate / period)


# -- the schedule on a fake clock ------------------------------------------------------------------


@pytest.mark.parametrize("rate", [50, 200, 1000])
async def test_slots_are_spread_over_the_period_never_a_burst(fake_time, rate):
    """From the very first request, slots follow an even schedule (no burst at the top of a
    period): none goes out before its time or more than a tick after it; slots closer than a tick
    go out in small groups; at most the limit in any window; at least 98% of it over a long run."""
    p = pacer(fake_time, rate)
    start = fake_time.now
    times = [t for t, _ in await take(p, fake_time, 3 * rate)]
    for k, t in enumerate(times):
        due = start + k * p.spacing
        assert due - 1e-9 <= t <= due + p.tick + 1e-9
    group = math.ceil(p.tick / p.spacing) + 1
    assert max(times.count(t) for t in set(times)) <= group
    # The dispatcher wakes for a slot, or for a tick's group of them. Where a group sent a tick late
    # would leave less than the guard's window between it and the one a period later, the guard
    # holds that one a moment: its polls (every retry_interval) are the only shorter gaps.
    wakes = sorted(set(times))
    assert min(b - a for a, b in zip(wakes, wakes[1:], strict=False)) >= p.guard.retry_interval - 1e-9
    assert len(wakes) <= 1.1 * len(times) * min(1.0, p.spacing / p.tick) + 2
    assert times[9] - times[0] >= 9 * (1.0 / rate) * 0.9
    assert most_in_window(times, 1.0) <= rate
    assert (len(times) - 1) / (times[-1] - times[0]) >= 0.98 * rate


async def test_a_short_stall_is_caught_up_a_long_one_is_not_burst(fake_time):
    """Slots missed in a stall are sent back to back (8, or up to 5% of a period's requests),
    so little rate is lost; after a longer stall the schedule restarts instead of sending a burst."""
    p = pacer(fake_time, 50)
    assert p.catch_up == CATCH_UP_SLOTS and pacer(fake_time, 1000).catch_up == 1000 * CATCH_UP_SHARE
    await take(p, fake_time, 100)
    fake_time.stall(3.5 * p.spacing)  # within the allowance: every missed slot is still sent
    before = fake_time.now
    after_short = [t for t, _ in await take(p, fake_time, 20)]
    assert sum(1 for t in after_short if t == before) == 3
    fake_time.stall(0.5)  # half a second: 25 slots missed, far beyond the allowance
    before = fake_time.now
    after_long = [t for t, _ in await take(p, fake_time, 20)]
    assert sum(1 for t in after_long if t == before) == 1
    gaps = [b - a for a, b in zip(after_long, after_long[1:], strict=False)]
    assert min(gaps) == pytest.approx(p.spacing) and max(gaps) == pytest.approx(p.spacing)


async def test_the_guard_holds_the_limit_even_if_the_schedule_runs_too_fast(fake_time):
    """asyncio-throttle is the strict layer: a schedule three times too fast still gets at most
    the limit into any window of the period."""
    p = pacer(fake_time, 100)
    p.spacing /= 3
    times = [t for t, _ in await take(p, fake_time, 500)]
    assert most_in_window(times, 1.0) <= 100
    assert p.guard.retry_interval < 1.0 / 100  # polls finer than the spacing it guards


async def test_writes_wait_in_line_and_only_one_polls_the_throttle(fake_time, monkeypatch):
    """120 requests ready to be written at once at --rate 50: never more than 50 in a window, and
    the guard lets each through as soon as the window allows, which it could not if all 120 polled
    asyncio-throttle (each poll moves this clock on by a retry interval)."""
    polls: list[float] = []

    async def yielding_sleep(seconds: float) -> None:  # a sleep that lets other tasks run, as a real one does
        polls.append(seconds)
        fake_time.now += seconds
        await asyncio.sleep(0)

    monkeypatch.setattr(asyncio_throttle.throttler, "asyncio", types.SimpleNamespace(sleep=yielding_sleep))
    p = pacer(fake_time, 50)
    start, window, interval = fake_time.now, p.write_guard.period, p.write_guard.retry_interval
    written: list[float] = []

    async def write() -> None:
        await p.admit()
        written.append(fake_time.now)

    await asyncio.gather(*(write() for _ in range(120)))
    assert len(written) == 120 and most_in_window(written, 1.0) <= 50
    assert written[49] == start and written[50] >= start + window
    assert written[-1] <= start + 2 * window + 2 * interval  # no waiting beyond what the limit asks
    assert len(polls) <= 2 * window / interval + 5


async def test_a_request_written_late_is_counted_when_it_is_written(fake_time):
    """A stall between a request passing the guard and its bytes going out moves its entry to when
    it was written: the next window is counted from there, so the late request and those after the
    stall never make one window hold more than the limit."""
    p = pacer(fake_time, 10)
    start = fake_time.now
    await p.admit()  # counted now...
    fake_time.stall(0.3)  # ...then the loop stalls before the request is written
    await asyncio.sleep(0)  # the next pass: written
    written = [fake_time.now]
    for _ in range(9):
        await p.admit()
        written.append(fake_time.now)
    await p.admit()  # the eleventh waits for a window counted from the first one's write
    written.append(fake_time.now)
    assert written[-1] >= start + 0.3 + p.write_guard.period
    assert most_in_window(written, 1.0) <= 10


async def test_stagger_sends_early_with_the_delay_that_places_each_call_at_its_slot(fake_time):
    """--stagger delay: a request goes out up to a period early carrying its delay; the calls are
    placed one spacing apart (to the second: delay is whole seconds), the requests never exceed
    the limit in a window, and no request is sent more than a period before its slot."""
    rate, period = 6, 6.0
    p = pacer(fake_time, rate, period, stagger=True)
    start = fake_time.now
    sent = await take(p, fake_time, 4 * rate)
    slots = [start + k * p.spacing for k in range(len(sent))]
    placements = [t + delay for t, delay in sent]
    for (t, delay), slot, placed in zip(sent, slots, placements, strict=True):
        assert delay >= 0 and slot - t <= period + 1e-9
        assert abs(placed - slot) <= 0.5 + 1e-9
    assert any(delay > 0 for _, delay in sent)
    assert most_in_window([t for t, _ in sent], period) <= rate
    assert most_in_window(placements, period) <= rate + 1
    gaps = [b - a for a, b in zip(placements, placements[1:], strict=False)]
    assert min(gaps) >= p.spacing - 1.0 and max(gaps) <= p.spacing + 1.0


# -- at the switch ---------------------------------------------------------------------------------


def test_arrivals_at_the_switch_keep_the_limit_and_are_spaced(tmp_path, simulator):
    """--rate 40: no one-second window at the switch holds more than 40 (+1 tolerated), and the
    first requests are spread out, not sent together at the top of the period."""
    sim = simulator()
    source = numbered_list(tmp_path / "list.csv", 120)
    done = run_dialer("run", str(source), "--url", sim.url, "--rate", "40", "--concurrency", "20")
    assert done.returncode == 0, done.stderr
    arrivals = sorted(a["mono"] for a in sim.arrivals())
    assert len(arrivals) == 120
    assert most_in_window(arrivals, 1.0) <= 40 + 1
    assert arrivals[9] - arrivals[0] >= 9 * (1.0 / 40) * 0.9
    # mean over the run: the schedule runs 1.5% under the limit (a loose bound: no timing goal here)
    assert (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) <= 40


def test_stagger_places_calls_at_their_slots_with_delay_and_a_longer_wait(tmp_path, simulator):
    """--stagger delay --rate 3 --period 3 --wait 2: requests go out early, each carrying the delay
    that places its call at its slot; the simulator places the calls about a second apart and
    every request that carried a delay carried a longer wait."""
    sim = simulator()
    source = numbered_list(tmp_path / "list.csv", 4)
    done = run_dialer(
        "run", str(source), "--url", sim.url, "--rate", "3", "--period", "3", "--wait", "2",
        "--stagger", "delay", "--concurrency", "10",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    placed = sorted(sim.placed(), key=lambda p: p["mono"])
    assert len(placed) == 4
    delays = [int(p["params"].get("delay", "0")) for p in placed]
    assert delays[:3] == [0, 1, 2]  # sent together, placed a second apart by their delays
    for p, delay in zip(placed, delays, strict=True):
        assert int(p["params"]["wait"]) == 2 + delay > delay
    times = [p["mono"] for p in placed]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(0.8 <= gap <= 1.3 for gap in gaps), gaps
    assert most_in_window(times, 3.0) <= 3 + 1
    arrivals = sorted(a["mono"] for a in sim.arrivals())
    assert most_in_window(arrivals, 3.0) <= 3 + 1
    assert arrivals[2] - arrivals[0] < 0.5  # the first three went out early, together


async def test_connections_slow_to_open_do_not_bunch_requests_at_the_switch(tmp_path, simulator, monkeypatch):
    """--rate 50, wait 2 (requests held 1 s, so the first second opens a connection for each) and the
    connections opened in the first 0.4 s each taking 0.4 s to open: the requests they delayed
    reach the switch held back by the guard at the write, not on top of the ones sent after them.
    Counted at the switch: at most 50 in any one-second window (+1 tolerated)."""
    sim = simulator("--place-latency", "1.0")
    create_connection = aiohttp.TCPConnector._create_connection
    first: list[float] = []

    async def slow_at_first(self, req, traces, timeout):  # aiohttp's own, delayed while the run starts
        now = time.monotonic()
        first.append(first[0] if first else now)
        if now - first[0] < 0.4:
            await asyncio.sleep(0.4)
        return await create_connection(self, req, traces, timeout)

    monkeypatch.setattr(aiohttp.TCPConnector, "_create_connection", slow_at_first)
    source = numbered_list(tmp_path / "list.csv", 150)
    campaign = load_campaign(source, {"url": sim.url, "rate": 50, "wait": 2, "reconcile": False})
    session = Session(campaign, Credentials(USERNAME, PASSWORD), RunOptions(quiet=True), console(quiet=True))
    assert await session.run() == exitcodes.OK
    arrivals = sorted(a["mono"] for a in sim.arrivals())
    assert len(arrivals) == 150 and len(sim.placed()) == 150
    assert len(first) >= 20  # the slow start was real: many connections were opened in it
    assert most_in_window(arrivals, 1.0) <= 50 + 1
