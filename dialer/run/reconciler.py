"""Reconciliation, the effects: ask the switch's call lists about rows whose outcome is unknown.

One task per row to check sleeps until the row's settle time has passed, then asks calls/active/list
and, if that lists nothing, cdrs/list (in that order: a call that ends between the two questions is
still seen by one of them, which asking the other way round would miss). At most ``concurrent`` rows
are asked at a time, outside the calls/make pacing: lookups place nothing.

Before the first "absent" is believed, the same questions are asked about a row seen placed (in this
run, or by an earlier one when a run starts with rows earlier runs left unknown): if the lists do not
show that call either, they cannot see this campaign's calls (numbers kept in another form, a filter
the switch ignores) and an empty answer proves nothing, so asking stops.
The judgements themselves are dialer.reconcile's pure functions.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from dialer.calllist.row_access import Item
from dialer.campaign.file import Credentials
from dialer.core.lookup import (
    ABSENT,
    ACTIVE_PATH,
    CDRS_PATH,
    FOUND,
    UNASKED,
    Answer,
    Judgement,
    Question,
    judge,
    no_answer,
    question_for,
    read_answer,
)
from dialer.switch.transport import LookupTransport, TransportFailure

CONCURRENT = 2  # rows asked about at once
CONTROLS_KEPT = 4  # placed rows remembered until one has shown the lists can be believed


@dataclass(frozen=True)
class RowCheck:
    """A row to ask about: the attempt that ended unknown (or, as a control, placed)."""

    item: Item
    snumber: str
    cnumber: str
    sent_at: float  # Unix time the request left: the CDR window opens before it
    due: float  # clock() value after which any call the attempt started shows in the lists
    # For a row an earlier run left unknown: that attempt's number as the results file holds it (the
    # line about it says so); ``item`` is then this run's attempt 0, whose retry is attempt 1.
    earlier_attempt: int | None = None


Checked = Callable[[RowCheck, Judgement, Question, list[Answer]], None]


class Checker:
    def __init__(
        self,
        transport: LookupTransport,
        credentials: Credentials,
        *,
        read_timeout: float,
        on_checked: Checked,
        on_done: Callable[[], None],
        warn: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        concurrent: int = CONCURRENT,
    ) -> None:
        self._transport = transport
        self._credentials = credentials
        self._read_timeout = read_timeout
        self._on_checked = on_checked
        self._on_done = on_done
        self._warn = warn
        self._clock = clock
        self._asking = asyncio.Semaphore(concurrent)
        self._tasks: set[asyncio.Task] = set()
        self._stopped = asyncio.Event()
        self._controls: list[RowCheck] = []
        self._trusted = False  # a control showed the lists hold this campaign's calls
        self.given_up: str | None = None  # why the switch is not asked again in this run

    @property
    def pending(self) -> bool:
        return bool(self._tasks)

    @property
    def asking(self) -> bool:
        return not self._stopped.is_set() and self.given_up is None

    def check(self, row: RowCheck) -> None:
        """Ask about ``row`` once it is due (unless the run stops first: it then stays unknown)."""
        if not self.asking:
            return
        task = asyncio.create_task(self._check(row))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    @property
    def wants_controls(self) -> bool:
        return not self._trusted and len(self._controls) < CONTROLS_KEPT

    def note_placed(self, row: RowCheck) -> None:
        """A placed row (this run's, or an earlier run's): a control that the lists show this
        campaign's calls. The first noted is the one asked about."""
        if self.wants_controls:
            self._controls.append(row)

    def stop(self) -> None:
        """Ask nothing new; questions already out finish."""
        self._stopped.set()

    def cancel(self) -> None:
        """Stop now: questions out are abandoned, their rows stay unknown."""
        self._stopped.set()
        for task in list(self._tasks):
            task.cancel()

    async def wait(self) -> None:
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _finished(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        self._on_done()

    async def _check(self, row: RowCheck) -> None:
        if not await self._until(row.due):
            return
        async with self._asking:
            if not self.asking:
                return
            question, answers, judgement = await self._ask(row)
            if judgement.verdict == ABSENT and not self._trusted:
                judgement = await self._confirmed(judgement)
        if judgement.stop_asking:
            self._give_up(judgement.reason)
        self._on_checked(row, judgement, question, answers)

    async def _until(self, due: float) -> bool:
        """Sleep until ``due``; False if the run stopped asking meanwhile."""
        delay = due - self._clock()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), delay)
        return self.asking

    async def _ask(self, row: RowCheck) -> tuple[Question, list[Answer], Judgement]:
        question = question_for(row.snumber, row.cnumber, row.sent_at, time.time())
        active = await self._lookup(ACTIVE_PATH, question.active_filters())
        if active.usable and not active.entries:
            cdrs = await self._lookup(CDRS_PATH, question.cdrs_filters())
        else:  # already decided: found, or nothing can be
            cdrs = no_answer(CDRS_PATH, "not asked")
        answers = [active] if cdrs.error == "not asked" else [active, cdrs]
        return question, answers, judge(active, cdrs)

    async def _lookup(self, path: str, filters: list[tuple[str, str]]) -> Answer:
        form = [
            ("auth_username", self._credentials.username),
            ("auth_password", self._credentials.password),
            *filters,
        ]
        try:
            raw = await self._transport.post_api(path, form, self._read_timeout)
        except TransportFailure as failure:
            return no_answer(path, failure.error)
        return read_answer(path, raw.status, raw.body)

    async def _confirmed(self, absent: Judgement) -> Judgement:
        """``absent`` if a call this run placed shows in the same lists; otherwise nothing decided."""
        if not self._controls:
            return Judgement(UNASKED, "no call placed in this run yet shows the lists can be believed")
        control = self._controls[0]
        if not await self._until(control.due):
            return Judgement(UNASKED, "stopping before the lists could be confirmed")
        _, _, seen = await self._ask(control)
        if seen.verdict == FOUND:
            self._trusted = True
            self._controls.clear()
            return Judgement(ABSENT, f"{absent.reason} (they list row {control.item.row}'s call)")
        if seen.verdict == ABSENT:
            return Judgement(
                UNASKED,
                f"the lists do not show row {control.item.row}'s call, which the switch accepted: "
                "they may hold numbers in another form, so an empty answer proves nothing",
                stop_asking=True,
            )
        why = f"could not confirm the lists on row {control.item.row}: {seen.reason}"
        return Judgement(UNASKED, why, stop_asking=seen.stop_asking)

    def _give_up(self, reason: str) -> None:
        if self.given_up is None:
            self.given_up = reason
            self._warn(reason)
