"""The run: claim rows, make each intent durable, pace, send, record, retry what placed nothing.

One dispatcher task decides what is sent and when; one task per request in flight waits for the
switch. An attempt that ends unknown is handed to the checker (dialer.checker), which asks the
switch's call lists once any call has had time to show: a call found makes the row placed, none
found sends it back through the retry path. Rows earlier runs left unknown are handed to the checker
when the run starts (dialer.resume_checks chooses them). Decisions (what a reply means, what the lists say,
which rows remain) are pure functions elsewhere; this module only wires them to the clock, the
journal and the transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import heapq
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dialer.calllist.model import CallList
from dialer.calllist.row_access import Item, RowAccess
from dialer.campaign.file import Campaign, Credentials
from dialer.core import exitcodes
from dialer.core import outcomes as o
from dialer.core.lookup import ABSENT, FOUND, Answer, Judgement, Question, settle_seconds
from dialer.core.policy import Verdict, classify_failure, classify_reply
from dialer.core.response import SwitchReply, parse_reply, reply_line_fields
from dialer.journal.replay import RowRecord
from dialer.journal.results_file import Journal, JournalError
from dialer.planning.earlier_unknown import cdr_window_opens, seconds_until_settled
from dialer.run.pacing import Pacer
from dialer.run.progress import Progress
from dialer.run.reconciler import Checker, RowCheck
from dialer.run.row_windows import RowWindows
from dialer.switch.transport import RawReply, Transport, TransportFailure

MAX_BATCH = 256  # intents made durable by one fsync at most
JUDGED_KEPT = 64  # distinct answers whose verdict is kept (a run without wait sees one or two)
YOUNG_COLLECTION = 10_000  # new objects between the collector's young collections while dialing


@dataclass
class Tally:
    placed: int = 0
    rejected: int = 0
    failed: int = 0
    unknown: int = 0
    retries: int = 0
    sent: int = 0
    first_sent: float | None = None

    def add(self, outcome: str) -> None:
        if outcome == o.PLACED:
            self.placed += 1
        elif outcome == o.RETRY:
            self.retries += 1
        elif outcome == o.UNKNOWN:
            self.unknown += 1
        elif outcome == o.FAILED:
            self.failed += 1
        elif outcome == o.REJECTED:
            self.rejected += 1

    def resolve(self, outcome: str) -> None:
        """An unknown attempt the switch's lists decided."""
        self.unknown -= 1
        self.add(outcome)


@dataclass
class RunLimits:
    deadline: float | None = None  # clock() value after which no row is claimed
    deadline_reason: str = ""


@dataclass
class Runner:
    campaign: Campaign
    call_list: CallList
    to_dial: list[int]
    journal: Journal
    transport: Transport
    credentials: Credentials
    windows: RowWindows | None = None
    progress: Progress | None = None
    limits: RunLimits = field(default_factory=RunLimits)
    redial_unknown: frozenset[int] = frozenset()
    earlier_unknown: list[RowRecord] = field(default_factory=list)  # left unknown by earlier runs: checked
    earlier_placed: list[RowRecord] = field(default_factory=list)  # placed by earlier runs: the controls
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time  # Unix time, to read the results file's timestamps against
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        p = self.campaign.pacing
        self.pacer = Pacer(p.rate, p.period, stagger=p.stagger == "delay") if p.rate else None
        # The pacer's second guard, run by the transport just before each request is written.
        self._before_write = self.pacer.admit if self.pacer else None
        self._queue: deque[int] = deque(self.to_dial)
        self._retries: list[tuple[float, Item]] = []
        self._concurrency = p.concurrency
        self._busy = 0  # rows claimed and not yet done with (sending, in flight): at most _concurrency
        self._in_flight: set[asyncio.Task] = set()
        self._changed = asyncio.Event()
        self.stop_status: int | None = None
        self.stop_reason = ""
        self.tally = Tally()
        self._hard_stop = False
        self.rows = RowAccess(self.call_list)
        self._judged: dict[tuple[int, bytes], tuple[SwitchReply, Verdict, dict]] = {}
        self.checker = self._make_checker()

    def _make_checker(self) -> Checker | None:
        if not self.campaign.reconcile.enabled or not hasattr(self.transport, "post_api"):
            return None
        return Checker(
            self.transport,  # has post_api: a LookupTransport
            self.credentials,
            read_timeout=self.campaign.timeout_margin,
            on_checked=self._record_check,
            on_done=self._changed.set,
            warn=self._warn_unasked,
            clock=self.clock,
        )

    # -- stopping ---------------------------------------------------------------------------------

    def request_stop(self, status: int = exitcodes.STOPPED, reason: str = "stop requested") -> None:
        """First call: claim no new rows, let requests in flight finish. Second: stop now."""
        if self.stop_status is not None and status == exitcodes.STOPPED:
            self._hard_stop = True
            for task in list(self._in_flight):
                task.cancel()
            if self.checker is not None:
                self.checker.cancel()
        if self.stop_status is None or status in (exitcodes.ACCOUNT_REFUSED, exitcodes.RESULTS_UNWRITABLE):
            self.stop_status, self.stop_reason = status, reason
        if self.checker is not None:
            self.checker.stop()  # checks out finish; rows not yet asked about stay unknown
        self._changed.set()

    # -- the run ----------------------------------------------------------------------------------

    async def run(self) -> int | None:
        """Dial every row given; returns a stop status, or None when every row ran its course."""
        with quiet_collector():
            if self.checker is not None:
                self._check_earlier_unknown(self.checker)
            try:
                await self._dispatch()
            except JournalError as exc:
                self.request_stop(exitcodes.RESULTS_UNWRITABLE, str(exc))
            if self._in_flight and not self._hard_stop:
                await asyncio.gather(*self._in_flight, return_exceptions=True)
            if self.checker is not None and not self._hard_stop:
                await self.checker.wait()
        if self.progress:
            self.progress.update(self.tally, force=True)
        return self.stop_status

    async def _dispatch(self) -> None:
        while True:
            batch = await self._claim()
            if not batch:
                return
            lines = [self._record_intent(item) for item in batch]
            await self.journal.commit()
            for index, item in enumerate(batch):
                if self.stop_status is not None:
                    self._withdraw(batch[index:])
                    return
                delay = await self.pacer.slot() if self.pacer else 0
                if self.stop_status is not None:
                    self._withdraw(batch[index:])
                    return
                task = asyncio.create_task(self._attempt(item, lines[index], delay))
                self._in_flight.add(task)
                task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task) -> None:
        self._in_flight.discard(task)
        self._busy -= 1
        self._changed.set()

    async def _claim(self) -> list[Item]:
        """Up to one batch of items ready to send now, as many as requests in flight may be added."""
        while self._busy >= self._concurrency:
            if self.stop_status is not None:
                return []
            self._changed.clear()
            await self._changed.wait()  # set when a request finishes, or by a stop
        items = await self._ready_items(min(self._batch_limit(), self._concurrency - self._busy))
        self._busy += len(items)
        return items

    def _batch_limit(self) -> int:
        if self.pacer is None:
            return MAX_BATCH
        # Intents are durable before their slot comes: keep at most ~50 ms of them waiting, so a
        # crash leaves few rows "unknown" that were never actually sent.
        return max(1, min(MAX_BATCH, int(0.05 / self.pacer.spacing)))

    async def _ready_items(self, limit: int) -> list[Item]:
        while True:
            if self.stop_status is not None:
                return []
            if self.limits.deadline is not None and self.clock() >= self.limits.deadline:
                self.request_stop(exitcodes.TIME_LIMIT, self.limits.deadline_reason)
                return []
            items = self._take(limit)
            if items:
                return items
            wake_in = self._next_wake()
            if wake_in is None:
                return []
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=wake_in)

    def _take(self, limit: int) -> list[Item]:
        now = self.clock()
        items: list[Item] = []
        while self._retries and self._retries[0][0] <= now and len(items) < limit:
            item = heapq.heappop(self._retries)[1]
            if item.attempt == 1 and self.windows is not None:
                # This run's first attempt at a row an earlier run left unknown, which the switch's
                # lists showed was not placed: a fresh row here, dialed only when its window is open.
                self._queue.appendleft(item.row)
            else:
                items.append(item)
        if self.windows is not None:
            items.extend(self.windows.take_open(self._queue, limit - len(items)))
        else:
            while self._queue and len(items) < limit:
                items.append(Item(self._queue.popleft()))
        return items

    def _next_wake(self) -> float | None:
        """Seconds until something may become ready; None when nothing ever will."""
        candidates: list[float] = []
        if self._retries:
            candidates.append(max(0.0, self._retries[0][0] - self.clock()))
        if self.windows is not None and (self.windows.waiting or self._queue):
            wait = self.windows.seconds_until_next(len(self._in_flight))
            if wait is None:
                self.request_stop(exitcodes.WINDOW_CLOSED, self.windows.closed_reason)
                return None
            candidates.append(wait)
        if self._in_flight or (self.checker is not None and self.checker.pending):
            candidates.append(60.0)  # woken by _changed when a request or a check finishes
        if not candidates:
            return None
        return min(candidates)

    def _requeue(self, item: Item) -> None:
        if item.attempt == 1:
            self._queue.appendleft(item.row)
        else:
            heapq.heappush(self._retries, (self.clock(), item))

    # -- one attempt ------------------------------------------------------------------------------

    def _record_intent(self, item: Item) -> dict:
        """Record that the row is about to be dialed; returns what every line about it carries."""
        fields = self.rows.line_fields(item.row)
        if item.row in self.redial_unknown and item.attempt == 1:
            self.journal.record(o.EV_REDIAL_UNKNOWN, **fields, reason="--redial-unknown")
        self.journal.record_fields(
            o.EV_DIAL,
            {**fields, "attempt": item.attempt, "outcome": o.SENDING, "code": None, "callid": None},
        )
        return fields

    def _withdraw(self, items: list[Item]) -> None:
        for item in items:
            self._busy -= 1
            self.journal.record(
                o.EV_WITHDRAWN,
                **self.rows.line_fields(item.row),
                attempt=item.attempt,
                outcome=o.WITHDRAWN,
                code=None,
                callid=None,
                reason=f"not sent: {self.stop_reason}",
            )

    def request_params(self, row: int, delay: int) -> dict[str, str]:
        """What calls/make is sent for a row: the list's values, with wait kept above any delay."""
        params = self.rows.params(row)
        if not delay and "delay" not in params:
            return params
        if delay:
            params["delay"] = str(delay + int(params.get("delay", "0") or 0))
        total_delay = int(params.get("delay", "0") or 0)
        wait = int(params.get("wait", "0") or 0)
        if wait and total_delay:
            # The API page: "If both delay and wait are used, wait should be greater than the
            # delay." Adding the delay keeps the tracking time the campaign asked for.
            params["wait"] = str(wait + total_delay)
        return params

    def read_timeout(self, params: dict[str, str]) -> float:
        return int(params.get("wait", "0") or 0) + self.campaign.timeout_margin

    async def _attempt(self, item: Item, fields: dict, delay: int) -> None:
        """``fields``: what every line about the row carries (from its intent line)."""
        params = self.request_params(item.row, delay)
        form = [
            ("auth_username", self.credentials.username),
            ("auth_password", self.credentials.password),
            *params.items(),
        ]
        started = self.clock()
        sent_at = time.time()
        self.tally.sent += 1
        if self.tally.first_sent is None:
            self.tally.first_sent = started
        reply: SwitchReply | None = None
        try:
            raw = await self.transport.post_form(form, self.read_timeout(params), self._before_write)
            reply, verdict, answered = self._judge(raw)
        except TransportFailure as failure:
            verdict = classify_failure(failure.kind, failure.error)
            answered = {"error": failure.detail} if failure.detail else {}
        verdict = self._settle(item, verdict)
        self._record_result(item, fields, verdict, reply, answered, params, started)
        if verdict.stop_run:
            self.request_stop(exitcodes.ACCOUNT_REFUSED, verdict.reason)
        if self.checker is not None:
            self._follow_up(self.checker, item, verdict, reply, params, sent_at)

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

    def _settle(self, item: Item, verdict: Verdict) -> Verdict:
        """Schedule a retry when one is allowed; otherwise a retry verdict becomes a failure."""
        if verdict.outcome != o.RETRY:
            return verdict
        if item.attempt >= self.campaign.retry.attempts:
            reason = f"{verdict.reason} (gave up after {item.attempt} attempts)"
            return Verdict(o.FAILED, verdict.code, reason)
        if self.stop_status is None:
            r = self.campaign.retry
            backoff = min(r.max_backoff, r.backoff * 2 ** (item.attempt - 1)) * self.rng.uniform(0.5, 1.5)
            backoff = max(backoff, verdict.retry_after or 0.0)
            heapq.heappush(self._retries, (self.clock() + backoff, Item(item.row, item.attempt + 1)))
            self._changed.set()
        return verdict

    def _record_result(
        self,
        item: Item,
        fields: dict,
        verdict: Verdict,
        reply: SwitchReply | None,
        answered: dict,
        params: dict[str, str],
        started: float,
    ) -> None:
        """``answered``: what the line says of the answer (reply_line_fields), or of its absence."""
        line = {
            **fields,
            "attempt": item.attempt,
            "outcome": verdict.outcome,
            "code": verdict.code,
            "callid": reply.callid if reply else None,
            "reason": verdict.reason,
            "elapsed_ms": round((self.clock() - started) * 1000, 1),
            **answered,
        }
        if "delay" in params:
            line["delay"] = params["delay"]
        if "wait" in params:
            line["wait"] = params["wait"]
        try:
            self.journal.record_fields(o.EV_RESULT, line)
        except JournalError as exc:
            self.request_stop(exitcodes.RESULTS_UNWRITABLE, str(exc))
            return
        self.tally.add(verdict.outcome)
        if self.progress:
            self.progress.update(self.tally)

    # -- reconciliation ---------------------------------------------------------------------------

    def _follow_up(
        self,
        checker: Checker,
        item: Item,
        verdict: Verdict,
        reply: SwitchReply | None,
        params: dict[str, str],
        sent_at: float,
    ) -> None:
        """Have an unknown attempt checked once it has settled; offer placed rows as controls."""
        if not checker.asking or self.stop_status is not None:
            return
        if verdict.outcome == o.UNKNOWN and not (reply and reply.callid):
            checker.check(self._row_check(item, params, sent_at))
        elif verdict.outcome == o.PLACED and checker.wants_controls:
            checker.note_placed(self._row_check(item, params, sent_at))

    def _check_earlier_unknown(self, checker: Checker) -> None:
        """Hand the checker the rows earlier runs left unknown, each due once it has settled counted
        from its last results line, with rows earlier runs placed as the controls (none is placed in
        this run yet)."""
        if not self.earlier_unknown:
            return
        now, wall = self.clock(), self.wall()
        for rec in self.earlier_placed:
            control = Item(rec.row, rec.attempts)
            checker.note_placed(RowCheck(control, rec.snumber, rec.cnumber, cdr_window_opens(rec), now))
        p = self.campaign.pacing
        stagger_period = p.period if p.stagger == "delay" else 0.0
        for rec in self.earlier_unknown:
            params = self.request_params(rec.row, 0)  # the delay and wait the row sends
            # The row's last line may be its intent (a crash): the request may have reached the switch
            # as late as the moment that run would have given up on it, wait + timeout_margin later.
            settle = self.campaign.reconcile.settle + self.read_timeout(params)
            wait = seconds_until_settled(rec, params, settle, stagger_period, wall)
            # Attempts are counted per run (a row a later run dials starts at attempt 1, and the
            # replay keeps the highest number seen): the earlier run's unknown attempt is this run's
            # attempt 0, so that "absent" gives the row a first attempt here, with all of --attempts
            # ahead of it, as a failed row gets. The checked line carries the earlier attempt's
            # number, which is the one the replay holds for the row.
            item = Item(rec.row, 0)
            opens = cdr_window_opens(rec)
            checker.check(
                RowCheck(item, rec.snumber, rec.cnumber, opens, now + wait, earlier_attempt=rec.attempts)
            )
            self.tally.unknown += 1  # as this run's own unknown attempts are: a check resolves it

    def _row_check(self, item: Item, params: dict[str, str], sent_at: float) -> RowCheck:
        # The numbers exactly as sent, and the delay and wait sent (a staggered delay included).
        due = self.clock() + settle_seconds(params, self.campaign.reconcile.settle)
        return RowCheck(item, params["snumber"], params["cnumber"], sent_at, due)

    def _record_check(
        self, row: RowCheck, judgement: Judgement, question: Question, answers: list[Answer]
    ) -> None:
        """The check's results line, written only now that the switch has answered."""
        verdict = self._checked_verdict(row.item, judgement)
        line = self.rows.line_fields(row.item.row)
        line["attempt"] = row.item.attempt if row.earlier_attempt is None else row.earlier_attempt
        line["verdict"] = judgement.verdict
        line["outcome"] = verdict.outcome
        line["code"] = verdict.code
        line["callid"] = judgement.callid
        line["reason"] = verdict.reason
        line["asked"] = question.fields()
        line["answers"] = [answer.fields() for answer in answers]
        try:
            self.journal.record(o.EV_CHECKED, **line)
        except JournalError as exc:
            self.request_stop(exitcodes.RESULTS_UNWRITABLE, str(exc))
            return
        if verdict.outcome != o.UNKNOWN:
            self.tally.resolve(verdict.outcome)
            if self.progress:
                self.progress.update(self.tally)

    def _checked_verdict(self, item: Item, judgement: Judgement) -> Verdict:
        if judgement.verdict == FOUND:
            return Verdict(o.PLACED, FOUND, judgement.reason)
        if judgement.verdict == ABSENT:
            # Nothing was placed: the row goes the way of any refusal that placed nothing, its next
            # attempt (if any is left) scheduled before this line is written and its intent after.
            return self._settle(item, Verdict(o.RETRY, ABSENT, f"{judgement.reason}: no call was placed"))
        return Verdict(o.UNKNOWN, judgement.verdict, judgement.reason)

    def _warn_unasked(self, reason: str) -> None:
        log = self.progress.log if self.progress else None
        if log is not None:
            log.warning(
                "the switch cannot be asked about unknown rows: they stay unknown; see `dialer status`",
                reason=reason,
            )


def utc_now() -> datetime:
    return datetime.now(UTC)


@contextlib.contextmanager
def quiet_collector() -> Iterator[None]:
    """Keep the cyclic garbage collector from pausing the event loop during a run.

    Everything alive when the run starts (modules, the list, the replayed results file: a million
    objects when a long campaign resumes) is frozen out of its sight, and full collections, which
    re-scan every object still alive (thousands of requests in flight), are made ten times rarer:
    measured at 1,000/s with 3,000 calls in flight, each found nothing and stalled the loop for
    50 to 200 ms, and the dispatcher lost 5% of its slots.

    Young collections come every 10,000 new objects instead of 700: a request makes hundreds (aiohttp's
    request and response, the results lines), nearly all freed as soon as it is answered, and at 700
    the collector ran every few requests to scan objects about to go anyway: 9% of the instructions
    of a request at full speed (564k -> 512k at 7,000, 505k at 20,000). Each one still takes about a
    millisecond, well inside the pacing's margin.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], YOUNG_COLLECTION), thresholds[1], max(thresholds[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
