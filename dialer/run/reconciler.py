"""Reconciliation while a run goes: asking the switch's call lists about attempts whose outcome is
unknown, and writing down what they say.

An attempt that ended unknown without a callid is asked about once any call it made has had time to
show (``settle_seconds``); rows earlier runs left unknown are asked about when the run starts
(``dialer.planning.earlier_unknown`` chooses them), counted from their last results line. One task
per row sleeps until the row is due, then asks (``dialer.switch.call_lists``), at most ``CONCURRENT``
rows at a time and outside the calls/make pacing: lookups place nothing. A call found makes the
attempt placed; none found sends it back through the retry path; an answer that cannot be trusted
leaves it unknown. What the answers mean is ``dialer.core.lookup``'s to say.

An empty answer is believed only when a control says the lists cover the time of the unknown call:
a call placed before it (by this run, or an earlier one for the rows a run starts with), at most
``CONTROL_HORIZON`` before it, still shows in the same lists when asked after the empty answer came.
A call placed after it proves nothing about an earlier time (a switch that lost its records when it
restarted lists the calls made since). If the control does not show either, the lists cannot be
believed for this campaign (numbers kept in another form, records lost) and asking stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dialer.calllist.row_access import ListRows
from dialer.campaign.settings import Campaign
from dialer.core import outcomes as o
from dialer.core.lookup import ABSENT, FOUND, UNASKED, Judgement, Question, question_for, settle_seconds
from dialer.core.policy import Verdict
from dialer.core.request import read_timeout, request_params
from dialer.journal import lines
from dialer.journal.lines import record_fields
from dialer.journal.records import PersonRecord
from dialer.journal.results_file import Journal, JournalError
from dialer.planning.earlier_unknown import carried, cdr_window_opens, dialed_at, seconds_until_settled
from dialer.run.attempts import Attempt, Retries
from dialer.run.progress import Progress, Tally
from dialer.switch.call_lists import CallLists

CONCURRENT = 2  # rows asked about at once
CONTROLS_KEPT = 64  # this run's latest placed calls, the controls of unknown ones still to come
CONTROL_HORIZON = 900.0  # seconds: a control placed longer before an unknown call proves nothing of it


@dataclass(frozen=True)
class RowCheck:
    """A call to ask about: the attempt that ended unknown (or, as a control, placed)."""

    attempt: Attempt  # what a retry dials: the list row that holds the person now
    fields: dict  # the row fields of its lines: the row and numbers the attempt was sent with
    sent_at: float  # Unix time the request left: the CDR window opens before it
    due: float  # clock() value after which any call the attempt started shows in the lists
    # For a row an earlier run left unknown: that attempt's number as the results file holds it (the
    # line about it says so); ``attempt`` is then this run's attempt 0, whose retry is attempt 1.
    earlier_attempt: int | None = None

    @property
    def snumber(self) -> str:
        return self.fields["snumber"]

    @property
    def cnumber(self) -> str:
        return self.fields["cnumber"]


@dataclass
class _Control:
    check: RowCheck
    shown_at: float | None = None  # clock() when the lists last showed it


class Reconciler:
    def __init__(
        self,
        lists: CallLists,
        campaign: Campaign,
        *,
        journal: Journal,
        rows: ListRows,
        retries: Retries,
        tally: Tally,
        progress: Progress | None = None,
        log: Any = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        on_change: Callable[[], None] = lambda: None,
        on_found: Callable[[RowCheck, str | None], None] = lambda check, callid: None,
        concurrent: int = CONCURRENT,
    ) -> None:
        """``wall``: Unix time, to read the results file's timestamps against; ``on_change``: called
        when a check ends (the dispatcher may have something new to do); ``on_found``: called with a
        check the lists showed placed, and the callid they gave (its outcome is to be learned)."""
        self._lists = lists
        self._campaign = campaign
        self._journal = journal
        self._rows = rows
        self._retries = retries
        self._tally = tally
        self._progress = progress
        self._log = log
        self._clock = clock
        self._wall = wall
        self._on_change = on_change
        self._on_found = on_found
        self._asking = asyncio.Semaphore(concurrent)
        self._tasks: set[asyncio.Task] = set()
        self._stopped = asyncio.Event()
        self._recent: deque[_Control] = deque(maxlen=CONTROLS_KEPT)  # this run's, in order
        self._earlier: list[_Control] = []  # earlier runs', in order of when they were sent
        # Each check waiting to be asked, with the latest control placed before it: chosen when the
        # check is made and bettered as calls sent before it are placed, since by the time it is
        # asked the run may have placed many more calls than it keeps.
        self._controls: dict[int, tuple[RowCheck, _Control | None]] = {}
        self._shown: deque[_Control] = deque(maxlen=CONTROLS_KEPT)  # the lists showed them, lately
        self.given_up: str | None = None  # why the switch is not asked again in this run

    # -- what is asked about ------------------------------------------------------------------------

    def start(
        self, earlier_unknown: Iterable[tuple[int, PersonRecord]], controls: Iterable[PersonRecord]
    ) -> None:
        """Ask about the persons earlier runs left unknown (each with the list row that holds them now),
        each once it has settled counted from its last results line, with calls earlier runs placed
        as the controls (none is placed in this run yet)."""
        now, wall = self._clock(), self._wall()
        for rec in controls:
            fields = record_fields(rec)
            check = RowCheck(Attempt(rec.row, rec.attempts), fields, dialed_at(rec), now)
            self._earlier.append(_Control(check))
        c = self._campaign
        stagger_period = c.pacing.period if c.pacing.stagger == "delay" else 0.0
        for row, rec in earlier_unknown:
            # The delay and wait that request carried, or the row sends now, whichever is longer.
            params = carried(rec, request_params(self._rows.params(row), 0), stagger_period)
            # The record's last line may be its intent (a crash): the request may have reached the
            # switch as late as the moment that run would have given up on it, wait + timeout_margin
            # later.
            settle = c.reconcile.settle + read_timeout(params, c.timeout_margin)
            wait = seconds_until_settled(rec, params, settle, wall)
            # Attempts are counted per run (a row a later run dials starts at attempt 1, and the
            # replay keeps the highest number seen): the earlier run's unknown attempt is this run's
            # attempt 0, so that "absent" gives the row a first attempt here, with all of --attempts
            # ahead of it, as a failed row gets. The checked line carries the earlier attempt's
            # number, which is the one the replay holds.
            check = RowCheck(
                Attempt(row, 0), record_fields(rec), cdr_window_opens(rec), now + wait, rec.attempts
            )
            self._check(check)
            self._tally.unknown += 1  # as this run's own unknown attempts are: a check resolves it

    def after_attempt(
        self,
        attempt: Attempt,
        fields: dict,
        verdict: Verdict,
        callid: str | None,
        params: Mapping[str, str],
        sent_at: float,
    ) -> None:
        """Have an unknown attempt checked once it has settled; keep placed ones as controls.
        ``fields``: its lines' row fields; ``params``: what was sent (a staggered delay included)."""
        if not self.asking:
            return
        if verdict.outcome == o.UNKNOWN and not callid:
            self._check(self._row_check(attempt, fields, params, sent_at))
        elif verdict.outcome == o.PLACED:
            control = _Control(self._row_check(attempt, fields, params, sent_at))
            self._recent.append(control)
            for key, (check, best) in self._controls.items():
                if _better(control, best, check.sent_at):
                    self._controls[key] = (check, control)

    def _row_check(
        self, attempt: Attempt, fields: dict, params: Mapping[str, str], sent_at: float
    ) -> RowCheck:
        due = self._clock() + settle_seconds(params, self._campaign.reconcile.settle)
        # The numbers exactly as sent, which the lists hold.
        sent = {**fields, "snumber": params["snumber"], "cnumber": params["cnumber"]}
        return RowCheck(attempt, sent, sent_at, due)

    # -- the run's control ---------------------------------------------------------------------------

    @property
    def pending(self) -> bool:
        return bool(self._tasks)

    @property
    def asking(self) -> bool:
        return not self._stopped.is_set() and self.given_up is None

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

    # -- asking ------------------------------------------------------------------------------------

    def _check(self, check: RowCheck) -> None:
        if not self.asking:
            return
        self._controls[id(check)] = (check, self._control_before(check.sent_at))
        task = asyncio.create_task(self._ask_when_due(check))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        self._on_change()

    async def _ask_when_due(self, check: RowCheck) -> None:
        try:
            await self._ask_and_record(check)
        finally:
            self._controls.pop(id(check), None)

    async def _ask_and_record(self, check: RowCheck) -> None:
        if not await self._until(check.due):
            return
        async with self._asking:
            if not self.asking:
                return
            question, answers, judgement = await self._ask(check)
            if judgement.verdict == ABSENT:
                judgement = await self._confirmed(judgement, check, answered_at=self._clock())
        if judgement.stop_asking:
            self._give_up(judgement.reason)
        self._record(check, judgement, question, answers)

    async def _until(self, due: float) -> bool:
        """Sleep until ``due``; False if the run stopped asking meanwhile."""
        delay = due - self._clock()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), delay)
        return self.asking

    async def _ask(self, check: RowCheck) -> tuple[Question, list, Judgement]:
        question = question_for(check.snumber, check.cnumber, check.sent_at, self._wall())
        answers, judgement = await self._lists.ask(question)
        return question, answers, judgement

    async def _confirmed(self, absent: Judgement, check: RowCheck, answered_at: float) -> Judgement:
        """``absent`` if a call placed shortly before the unknown one still shows in the same lists,
        asked after the empty answers came; otherwise nothing is decided."""
        _, control = self._controls.get(id(check), (check, None))
        # A call the lists showed after this answer, sent before this call, already proves they
        # cover its time (they lost nothing since it was sent): no need to ask again.
        proof = next(
            (c for c in self._shown if c.shown_at >= answered_at and _better(c, None, check.sent_at)), None
        )
        control = proof or control
        if control is None:
            return Judgement(
                UNASKED,
                f"no call placed before it (within {CONTROL_HORIZON / 60:g} minutes) shows that the lists "
                "cover its time",
            )
        row = control.check.attempt.row
        if control.shown_at is None or control.shown_at < answered_at:
            if not await self._until(control.check.due):
                return Judgement(UNASKED, "stopping before the lists could be confirmed")
            _, _, seen = await self._ask(control.check)
            if seen.verdict == ABSENT:
                return Judgement(
                    UNASKED,
                    f"the lists do not show row {row}'s call, which the switch accepted before this one: "
                    "they may hold numbers in another form, or have lost records, so an empty answer "
                    "proves nothing",
                    stop_asking=True,
                )
            if seen.verdict != FOUND:
                why = f"could not confirm the lists on row {row}: {seen.reason}"
                return Judgement(UNASKED, why, stop_asking=seen.stop_asking)
            control.shown_at = self._clock()
            self._shown.append(control)
        return Judgement(ABSENT, f"{absent.reason} (they list row {row}'s call, placed before it)")

    def _control_before(self, sent_at: float) -> _Control | None:
        """The control sent most recently at or before ``sent_at``, within the horizon."""
        best = None
        for control in (*self._earlier, *self._recent):
            if _better(control, best, sent_at):
                best = control
        return best

    def _give_up(self, reason: str) -> None:
        if self.given_up is None:
            self.given_up = reason
            if self._log is not None:
                self._log.warning(
                    "the switch cannot be asked about unknown rows: they stay unknown; see `dialer status`",
                    reason=reason,
                )

    # -- what the answers make of the attempt ----------------------------------------------------

    def _record(self, check: RowCheck, judgement: Judgement, question: Question, answers: list) -> None:
        """The check's results line, written only now that the switch has answered."""
        verdict = self._outcome(check.attempt, judgement)
        attempt = check.attempt.number if check.earlier_attempt is None else check.earlier_attempt
        line = lines.checked(check.fields, attempt, judgement, verdict, question, answers)
        try:
            self._journal.write(line)
        except JournalError:
            self.cancel()  # the journal stays broken: the run stops at its next line
            return
        if verdict.outcome != o.UNKNOWN:
            self._tally.resolve(verdict.outcome)
            if self._progress:
                self._progress.update(self._tally)
        if verdict.outcome == o.PLACED:
            self._on_found(check, judgement.callid)

    def _outcome(self, attempt: Attempt, judgement: Judgement) -> Verdict:
        if judgement.verdict == FOUND:
            return Verdict(o.PLACED, FOUND, judgement.reason)
        if judgement.verdict == ABSENT:
            # Nothing was placed: the row goes the way of any refusal that placed nothing, its next
            # attempt (if any is left) scheduled before this line is written and its intent after.
            return self._retries.settle(
                attempt, Verdict(o.RETRY, ABSENT, f"{judgement.reason}: no call was placed")
            )
        return Verdict(o.UNKNOWN, judgement.verdict, judgement.reason)


def _better(control: _Control, best: _Control | None, sent_at: float) -> bool:
    """Whether ``control`` proves more than ``best`` about a call sent at ``sent_at``: sent at or
    before it, within the horizon, and later than ``best``."""
    at = control.check.sent_at
    return at <= sent_at and sent_at - at <= CONTROL_HORIZON and (best is None or at >= best.check.sent_at)
