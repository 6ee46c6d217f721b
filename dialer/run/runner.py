"""The dialing: claim rows, make each intent durable, pace, send, record, retry what placed nothing.

One dispatcher task decides what is sent and when; one task per request in flight waits for the
switch. What an answer means, which rows remain and when a row's window is open are decided by pure
functions elsewhere; an attempt that ended unknown is handed to the reconciler. This module only
wires them to the clock, the journal and the transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dialer.calllist.row_access import ListRows
from dialer.campaign.settings import Campaign
from dialer.core import exitcodes
from dialer.core import outcomes as o
from dialer.core.call_outcome import Outcome
from dialer.core.lookup import settle_seconds
from dialer.core.policy import NOT_CONNECTED, Verdict, classify_failure, classify_reply
from dialer.core.request import read_timeout, request_params
from dialer.core.response import SwitchReply, parse_reply, reply_line_fields
from dialer.journal import lines
from dialer.journal.records import PersonRecord
from dialer.journal.results_file import Journal, JournalError
from dialer.run.attempts import Attempt, Retries
from dialer.run.call_outcomes import CallOutcomes
from dialer.run.pacing import Pacer
from dialer.run.progress import ANSWERS, CHECKS, OUTCOMES, RATE, RECYCLE, RETRY, WINDOW, Progress, Tally
from dialer.run.reconciler import Reconciler, RowCheck
from dialer.run.recycling import RecycleQueue
from dialer.run.results_watch import Change, watch
from dialer.run.row_windows import RowWindows
from dialer.run.switch_reach import SwitchReach
from dialer.switch.call_lists import CallLists
from dialer.switch.call_records import CallRecords
from dialer.switch.login import Login
from dialer.switch.transport import HeldBack, RawReply, Transport, TransportFailure

MAX_BATCH = 256  # intents made durable by one fsync at most
JUDGED_KEPT = 64  # distinct answers whose verdict is kept (a run without wait sees one or two)


@dataclass(frozen=True)
class RunLimits:
    deadline: float | None = None  # clock() value after which no row is claimed
    deadline_reason: str = ""


class Runner:
    def __init__(
        self,
        campaign: Campaign,
        rows: ListRows,
        to_dial: Iterable[int],
        journal: Journal,
        transport: Transport,
        login: Login,
        *,
        windows: RowWindows | None = None,
        progress: Progress | None = None,
        log: Any = None,
        limits: RunLimits | None = None,
        redial_unknown: frozenset[int] = frozenset(),
        recycle: RecycleQueue | None = None,
        wait_for_recycle: bool = False,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        """``windows``: the calling windows applied to rows (None: dial at any time); ``recycle``:
        the people called again ([recycle]), and ``wait_for_recycle``: sleep until the next is due
        rather than stop when nothing else is left."""
        self.campaign = campaign
        self.rows = rows
        self.journal = journal
        self.transport = transport
        self.login = login
        self.windows = windows
        self.recycle = recycle
        self.wait_for_recycle = wait_for_recycle
        self.progress = progress
        self.limits = limits or RunLimits()
        self.redial_unknown = redial_unknown
        self.clock = clock
        p = campaign.pacing
        self.pacer = Pacer(p.rate, p.period, stagger=p.stagger == "delay") if p.rate else None
        self._stagger = p.period if self.pacer is not None and p.stagger == "delay" else 0.0  # most added
        # The pacer's second guard, run by the transport just before each request is written.
        self._before_write = self._admit if self.pacer else None
        self._held = False  # no request may leave any more: the results file cannot be trusted
        self.results_change: Change | None = None
        self._queue: deque[int] = deque(to_dial)
        self._concurrency = p.concurrency
        self._busy = 0  # rows claimed and not yet done with (sending, in flight): at most _concurrency
        self._in_flight: set[asyncio.Task] = set()
        self._changed = asyncio.Event()
        self.stop_status: int | None = None
        self.stop_reason = ""
        self._hard_stop = False
        self.tally = Tally()
        self.retries = Retries(campaign.retry, clock, rng or random.Random(), self._changed.set)
        self._judged: dict[tuple[int, bytes], tuple[SwitchReply, Verdict, dict]] = {}
        self.reconciler = self._reconciler(log)
        self.outcomes = self._outcomes(log)
        self.reach = SwitchReach(campaign.url, log)

    def _outcomes(self, log: Any) -> CallOutcomes | None:
        if not self.campaign.outcomes.enabled or not hasattr(self.transport, "post_api"):
            return None
        records = CallRecords(self.transport, self.login, read_timeout=self.campaign.timeout_margin)  # type: ignore[arg-type]
        return CallOutcomes(records, self.campaign.outcomes, self.journal, on_learned=self._learned, log=log)

    def _learned(self, row: int, person: str, outcome: Outcome) -> None:
        self.tally.call_ended(outcome.call_status)
        if self.recycle is not None and self.recycle.learned(row, person, outcome):
            self._changed.set()

    def _reconciler(self, log: Any) -> Reconciler | None:
        if not self.campaign.reconcile.enabled or not hasattr(self.transport, "post_api"):
            return None
        lists = CallLists(self.transport, self.login, read_timeout=self.campaign.timeout_margin)  # type: ignore[arg-type]
        return Reconciler(
            lists,
            self.campaign,
            journal=self.journal,
            rows=self.rows,
            retries=self.retries,
            tally=self.tally,
            progress=self.progress,
            log=log,
            clock=self.clock,
            on_change=self._changed.set,
            on_found=self._found_placed,
        )

    # -- stopping ---------------------------------------------------------------------------------

    def request_stop(self, status: int = exitcodes.STOPPED, reason: str = "stop requested") -> None:
        """First call: claim no new rows, let requests in flight finish. Second: stop now."""
        if self.stop_status is not None and status == exitcodes.STOPPED:
            self._hard_stop = True
            for task in list(self._in_flight):
                task.cancel()
            if self.reconciler is not None:
                self.reconciler.cancel()
        if self.stop_status is None or status in (exitcodes.ACCOUNT_REFUSED, exitcodes.RESULTS_UNWRITABLE):
            self.stop_status, self.stop_reason = status, reason
        self.retries.closed = True
        if self.reconciler is not None:
            self.reconciler.stop()  # checks out finish; rows not yet asked about stay unknown
        if self.outcomes is not None and status != exitcodes.RECYCLE_LATER:
            self.outcomes.stop()  # a later run learns what this one could not
        self._changed.set()

    def _results_changed(self, change: Change) -> None:
        """The results file is not the one this run writes any more: nothing more leaves."""
        self.results_change = change
        self._held = True
        self.request_stop(exitcodes.RESULTS_UNWRITABLE, f"the results file was {change.what}")

    async def _admit(self) -> None:
        assert self.pacer is not None
        await self.pacer.admit()
        if self._held:
            raise HeldBack

    # -- the run ----------------------------------------------------------------------------------

    async def run(
        self,
        earlier_unknown: Iterable[tuple[int, PersonRecord]] = (),
        controls: Iterable[PersonRecord] = (),
        outcomes_pending: Iterable[tuple[int, dict, str | None, int, float, str | None]] = (),
    ) -> int | None:
        """Dial every row given; returns a stop status, or None when every row ran its course.

        ``earlier_unknown``: persons earlier runs left unknown (with the row that holds each now), to
        ask the switch's lists about; ``controls``: calls earlier runs placed, which show whether
        those lists cover the time of the unknown ones; ``outcomes_pending``: calls earlier runs
        placed whose outcome is still to learn.
        """
        if self.reconciler is not None:
            self.reconciler.start(earlier_unknown, controls)
        background = [asyncio.create_task(watch(self.campaign.results, self.journal, self._results_changed))]
        if self.progress:
            background.append(asyncio.create_task(self.progress.keep_fresh()))
        if self.outcomes is not None:
            self.outcomes.resume(outcomes_pending)
            background.append(asyncio.create_task(self.outcomes.run()))
        try:
            await self._until_done()
        finally:
            for task in background:
                task.cancel()
        if self.journal.broken is not None:  # a check's or an outcome's line could not be written
            self.request_stop(exitcodes.RESULTS_UNWRITABLE, str(self.journal.broken))
        self.reach.at_end()
        if self.progress and self.outcomes is not None:
            self.progress.say_calls(self.outcomes.learned)
        if self.progress:
            self.progress.update(self.tally, force=True)
        return self.stop_status

    async def _until_done(self) -> None:
        """Dial what is due; then learn what became of the calls, which may make people due again
        before the run must stop; then once more, until nothing is left but what comes later."""
        while True:
            try:
                await self._dispatch()
            except JournalError as exc:
                self.request_stop(exitcodes.RESULTS_UNWRITABLE, str(exc))
            if self._in_flight and not self._hard_stop:
                self._waiting(ANSWERS, count=lambda: len(self._in_flight))
                await asyncio.gather(*self._in_flight, return_exceptions=True)
            if self.reconciler is not None and not self._hard_stop:
                if self.reconciler.pending:
                    self._waiting(CHECKS)
                await self.reconciler.wait()
            if self.stop_status is not None:
                return
            if self.outcomes is not None:
                deadline = self._wall_deadline(self.campaign.outcomes.wait)
                if self.outcomes.pending:
                    self._waiting(OUTCOMES, deadline - time.time(), self._outcomes_pending)
                await self.outcomes.finish(deadline)
            if not self._recycle_due_before_stop():
                self._stop_for_later()
                return

    def _wall_deadline(self, wait: float) -> float:
        """Unix time at most ``wait`` seconds from now, and no later than the run may go."""
        end = time.time() + wait
        if self.limits.deadline is not None:
            end = min(end, time.time() + max(0.0, self.limits.deadline - self.clock()))
        return end

    def _recycle_due_before_stop(self) -> bool:
        """Whether the next person to call again comes due before the run must stop (``--until``,
        ``--max-duration``, the campaign's calling window closing); with none of these, only when
        ``--wait-for-recycle`` lets it sleep until then (which also waits past the window)."""
        at = self.recycle.next_at() if self.recycle is not None else None
        if at is None:
            return False
        stops = []
        if self.limits.deadline is not None:
            stops.append(time.time() + self.limits.deadline - self.clock())
        if self.windows is not None and not self.wait_for_recycle:
            closes = self.windows.window.campaign_closes_at(datetime.now(UTC))
            stops.append(closes.timestamp() if closes is not None else 0.0)
        return at <= min(stops) if stops else self.wait_for_recycle

    def _stop_for_later(self) -> None:
        at = self.recycle.next_at() if self.recycle is not None else None
        if at is not None:
            when = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            self.request_stop(exitcodes.RECYCLE_LATER, f"the next call to make again is due at {when}")

    async def _dispatch(self) -> None:
        while True:
            batch = await self._claim()
            if not batch:
                return
            fields = [self._record_intent(attempt) for attempt in batch]
            await self.journal.commit()
            for index, attempt in enumerate(batch):
                if self.stop_status is not None:
                    self._withdraw(batch[index:])
                    return
                if self.pacer and self.pacer.spacing >= 1.0:
                    self._waiting(RATE, self.pacer.spacing)
                delay = await self.pacer.slot() if self.pacer else 0
                if self.stop_status is not None:
                    self._withdraw(batch[index:])
                    return
                task = asyncio.create_task(self._attempt(attempt, fields[index], delay))
                self._in_flight.add(task)
                task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task) -> None:
        self._in_flight.discard(task)
        self._busy -= 1
        self._changed.set()

    async def _claim(self) -> list[Attempt]:
        """Up to one batch of attempts ready now, as many as requests in flight may be added."""
        while self._busy >= self._concurrency:
            if self.stop_status is not None:
                return []
            self._waiting(ANSWERS, count=lambda: len(self._in_flight))
            self._changed.clear()
            await self._changed.wait()  # set when a request finishes, or by a stop
        batch = await self._ready(min(self._batch_limit(), self._concurrency - self._busy))
        self._busy += len(batch)
        return batch

    def _batch_limit(self) -> int:
        if self.pacer is None:
            return MAX_BATCH
        # Intents are durable before their slot comes: keep at most ~50 ms of them waiting, so a
        # crash leaves few rows "unknown" that were never actually sent.
        return max(1, min(MAX_BATCH, int(0.05 / self.pacer.spacing)))

    async def _ready(self, limit: int) -> list[Attempt]:
        while True:
            if self.stop_status is not None:
                return []
            if self.journal.broken is not None:
                raise self.journal.broken
            if self.limits.deadline is not None and self.clock() >= self.limits.deadline:
                self.request_stop(exitcodes.TIME_LIMIT, self.limits.deadline_reason)
                return []
            batch = self._take(limit)
            if batch:
                if self.progress:
                    self.progress.dialing()
                return batch
            wake_in = self._next_wake()
            if wake_in is None:
                return []
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=wake_in)

    def _take(self, limit: int) -> list[Attempt]:
        batch: list[Attempt] = []
        if self.recycle is not None:
            for row in self.recycle.take_due():
                self._queue.append(row)
                self.tally.recycled += 1  # placed, and left again until this call ends
        for attempt in self.retries.take_due(limit):
            if attempt.number == 1 and self.windows is not None:
                # This run's first attempt at a row an earlier run left unknown, which the switch's
                # lists showed was not placed: a fresh row here, dialed only when its window is open.
                self._queue.appendleft(attempt.row)
            else:
                batch.append(attempt)
        if self.windows is not None:
            open_rows, rejected = self.windows.take_open(self._queue, limit - len(batch))
            for row, why in rejected:
                self.journal.write(lines.row_rejected(self.rows.line_fields(row), why))
                self.tally.add(o.REJECTED)
            batch += map(Attempt, open_rows)
        else:
            while self._queue and len(batch) < limit:
                batch.append(Attempt(self._queue.popleft()))
        return batch

    def _next_wake(self) -> float | None:
        """Seconds until something may become ready; None when nothing ever will."""
        candidates: list[tuple[float, str]] = []  # (seconds, what the run waits for)
        retry_in = self.retries.seconds_until_next()
        if retry_in is not None:
            candidates.append((retry_in, RETRY))
        if self.windows is not None and (self.windows.waiting or self._queue):
            wait = self.windows.seconds_until_next()
            if wait is None:
                self.request_stop(exitcodes.WINDOW_CLOSED, self.windows.closed_reason)
                return None
            candidates.append((wait, WINDOW))
        if self._in_flight or (self.reconciler is not None and self.reconciler.pending):
            # woken by _changed when a request or a check finishes
            candidates.append((60.0, ANSWERS if self._in_flight else CHECKS))
        if self._recycle_due_before_stop() and self.recycle is not None:
            candidates.append((max(0.0, (self.recycle.next_at() or 0.0) - time.time()), RECYCLE))
        if not candidates:
            return None
        wait, what = min(candidates)
        if what == ANSWERS:
            self._waiting(ANSWERS, count=lambda: len(self._in_flight))
        else:
            self._waiting(what, None if what == CHECKS else wait)
        return wait

    def _waiting(
        self, what: str, seconds: float | None = None, count: Callable[[], int] | None = None
    ) -> None:
        if self.progress:
            self.progress.waiting(what, seconds, count)

    def _outcomes_pending(self) -> int:
        return self.outcomes.pending if self.outcomes is not None else 0

    # -- one attempt ------------------------------------------------------------------------------

    def _record_intent(self, attempt: Attempt) -> dict:
        """Record that the row is about to be dialed; returns what every line about it carries."""
        fields = self.rows.line_fields(attempt.row)
        if attempt.row in self.redial_unknown and attempt.number == 1:
            self.journal.write(lines.redial_unknown(fields))
        reason = self.recycle.reasons.pop(attempt.row, None) if self.recycle is not None else None
        if reason is not None and attempt.number == 1:
            self.journal.write(lines.recycled(fields, reason))
        self.journal.write(lines.dial(fields, attempt.number, self.rows.timing(attempt.row), self._stagger))
        return fields

    def _withdraw(self, batch: list[Attempt]) -> None:
        for attempt in batch:
            self._busy -= 1
            fields = self.rows.line_fields(attempt.row)
            self.journal.write(lines.withdrawn(fields, attempt.number, self.stop_reason))

    async def _attempt(self, attempt: Attempt, fields: dict, stagger_delay: int) -> None:
        """``fields``: what every line about the row carries (from its intent line)."""
        params = request_params(self.rows.params(attempt.row), stagger_delay)
        await self.login.fresh()
        form = [*self.login.fields(), *params.items()]
        if self._held:
            self._record(lines.withdrawn(fields, attempt.number, self.stop_reason))
            return
        started = self.clock()
        sent_at = time.time()
        self.tally.sent += 1
        reply: SwitchReply | None = None
        status = None
        try:
            timeout = read_timeout(params, self.campaign.timeout_margin)
            raw = await self.transport.post_form(form, timeout, self._before_write)
            self.reach.answered()
            reply, verdict, answered = self._judge(raw)
            status = raw.status
        except TransportFailure as failure:
            if self._held and failure.kind == NOT_CONNECTED:  # held back at the write: never sent
                self._record(lines.withdrawn(fields, attempt.number, self.stop_reason))
                return
            self.reach.failed(failure)
            verdict = classify_failure(failure.kind, failure.error)
            answered = {"error": failure.detail} if failure.detail else {}
        verdict = self.retries.settle(attempt, await self._login_verdict(form, status, verdict))
        callid = reply.callid if reply else None
        elapsed_ms = round((self.clock() - started) * 1000, 1)
        line = lines.result(fields, attempt.number, verdict, callid, elapsed_ms, answered, params)
        if not self._record(line):
            return
        self.tally.add(verdict.outcome)
        if self.progress:
            self.progress.update(self.tally)
        if verdict.stop_run and self.stop_status != exitcodes.ACCOUNT_REFUSED:
            self._record(lines.run_error("account refused", verdict.reason))
            self.request_stop(exitcodes.ACCOUNT_REFUSED, verdict.reason)
        if self.reconciler is not None and self.stop_status is None:
            self.reconciler.after_attempt(attempt, fields, verdict, callid, params, sent_at)
        if verdict.outcome == o.PLACED:
            self._placed(attempt, fields, params, sent_at, callid)

    async def _login_verdict(self, form: list, status: int | None, verdict: Verdict) -> Verdict:
        """The login's part of an answer: a 401 to a token that could be renewed placed nothing and
        is retried; any other answer from the API shows the switch accepted the login."""
        if verdict.code != "401":
            if status is not None and status < 500:
                self.login.accepted(form)
            return verdict
        if verdict.stop_run and await self.login.refused(form):
            # The switch refused the login token: nothing was placed; the next attempt logs in anew.
            return Verdict(o.RETRY, verdict.code, "the switch refused the login token: logged in again")
        return verdict

    def _placed(
        self, attempt: Attempt, fields: dict, params: dict, sent_at: float, callid: str | None
    ) -> None:
        """A call placed: its outcome is to be learned, and it counts against the person's calls."""
        if self.recycle is not None:
            # Counted from the answer, which came once the switch had placed the call: the next call
            # to the person is never less than ``after`` from this one, at the switch.
            self.recycle.placed(str(fields.get("person")), time.time())
        if self.outcomes is not None:
            held = float(settle_seconds(params, 0.0))
            self.outcomes.placed(
                row=attempt.row,
                fields=fields,
                run=self.journal.run_id,
                attempt=attempt.number,
                sent_at=sent_at,
                held=held,
                callid=callid,
            )

    def _found_placed(self, check: RowCheck, callid: str | None) -> None:
        """An unknown attempt of this run the switch's lists showed placed: its call counts, and its
        outcome is learned, as a call placed on the first answer is (an earlier run's call is the
        next run's to learn, as every call that run left)."""
        if check.earlier_attempt is None:
            params = request_params(self.rows.params(check.attempt.row), 0)
            self._placed(check.attempt, check.fields, params, check.sent_at, callid)

    def _judge(self, raw: RawReply) -> tuple[SwitchReply, Verdict, dict]:
        """What an answer says, and what its results line says of it. All three steps are pure, so
        an answer seen before (every "204 OK" of a run without wait) is judged once; one with
        Retry-After is not kept (an HTTP date in it is read against the clock)."""
        if raw.headers.get("Retry-After") is not None:
            reply = parse_reply(raw.status, raw.headers, raw.body)
            return reply, classify_reply(reply), reply_line_fields(reply)
        key = (raw.status, raw.body)
        judged = self._judged.get(key)
        if judged is None:
            reply = parse_reply(raw.status, raw.headers, raw.body)
            judged = (reply, classify_reply(reply), reply_line_fields(reply))
            if len(self._judged) >= JUDGED_KEPT:
                self._judged.clear()
            self._judged[key] = judged
        return judged

    def _record(self, line: lines.Line) -> bool:
        """Write a line; False (and the run stopping) when it could not be written."""
        try:
            self.journal.write(line)
        except JournalError as exc:
            self.request_stop(exitcodes.RESULTS_UNWRITABLE, str(exc))
            return False
        return True
