"""One watch for many requests' time limits (dialer/switch/deadlines.py): late by at most one check, never
mistaken for a stop."""

from __future__ import annotations

import asyncio
import time

import pytest

from dialer.switch.deadlines import Deadlines, TimedOut

pytestmark = pytest.mark.timeout(30)


EVERY = 0.02


async def test_a_block_past_its_limit_is_cut_short_at_most_one_check_late():
    deadlines = Deadlines(every=EVERY)
    started = time.monotonic()
    with pytest.raises(TimedOut, match="no answer within 0.1 s"), deadlines.watch(0.1):
        await asyncio.sleep(5)
    took = time.monotonic() - started
    assert 0.1 <= took < 0.1 + EVERY + 0.2
    assert deadlines.watched == 0


async def test_blocks_that_finish_in_time_leave_nothing_behind():
    deadlines = Deadlines(every=EVERY)

    async def quick(i: int) -> int:
        with deadlines.watch(1.0):
            await asyncio.sleep(0.001 * (i % 5))
        return i

    assert await asyncio.gather(*(quick(i) for i in range(200))) == list(range(200))
    assert deadlines.watched == 0
    await asyncio.sleep(3 * EVERY)
    assert deadlines._check is None  # no timer left running once nothing is watched


async def test_a_shorter_limit_started_later_expires_first():
    deadlines = Deadlines(every=EVERY)
    ended: list[str] = []

    async def wait(name: str, limit: float, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            with deadlines.watch(limit):
                await asyncio.sleep(5)
        except TimedOut:
            ended.append(name)

    await asyncio.gather(wait("long", 0.4, 0.0), wait("short", 0.1, 0.05), wait("middle", 0.25, 0.0))
    assert ended == ["short", "middle", "long"]


async def test_a_stop_is_a_cancellation_not_a_timeout_even_when_both_come_at_once():
    deadlines = Deadlines(every=EVERY)

    async def request() -> None:
        with deadlines.watch(0.05):
            await asyncio.sleep(5)

    stopped = asyncio.create_task(request())
    await asyncio.sleep(0.01)
    stopped.cancel()  # a second signal: stop now
    with pytest.raises(asyncio.CancelledError):
        await stopped

    async def overdue() -> None:
        with deadlines.watch(0.0):
            await asyncio.sleep(5)

    both = asyncio.create_task(overdue())
    await asyncio.sleep(0)  # inside the watch, its deadline already passed
    deadlines._cancel_expired(asyncio.get_running_loop())  # the watch's check cancels it...
    both.cancel()  # ...and a stop comes in the same pass, before the task runs again
    with pytest.raises(asyncio.CancelledError):
        await both


async def test_other_work_in_the_task_is_not_disturbed_after_a_timeout():
    deadlines = Deadlines(every=EVERY)
    with pytest.raises(TimedOut), deadlines.watch(0.05):
        await asyncio.sleep(5)
    current = asyncio.current_task()
    assert current is not None and current.cancelling() == 0
    await asyncio.sleep(0.01)  # no cancellation left pending for this task
