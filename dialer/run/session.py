"""One `dialer run`, start to finish: lock, load, replay, plan, dial, record, and an exit status."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from dialer import __version__
from dialer.calllist import ListError
from dialer.calllist.model import CallList, RowProblem
from dialer.calllist.row_access import RowAccess
from dialer.campaign.file import Campaign, Credentials
from dialer.core import exitcodes
from dialer.core import outcomes as o
from dialer.journal.checkpoint import History, fold, replay_history, save_checkpoint
from dialer.journal.list_cache import list_cache_path, load_checked_list
from dialer.journal.lock import AlreadyRunning, CampaignLock
from dialer.journal.replay import ResultsFileError, RowRecord
from dialer.journal.results_file import Journal, JournalError
from dialer.planning.earlier_unknown import list_numbers_of, recent_placed, unknown_to_check
from dialer.planning.planner import plan
from dialer.run.collector_policy import collector_paused
from dialer.run.in_flight import InFlight, resolve_concurrency
from dialer.run.progress import Progress
from dialer.run.reconciler import CONTROLS_KEPT
from dialer.run.row_windows import RowWindows
from dialer.run.runner import RunLimits, Runner, utc_now
from dialer.switch.transport import AiohttpTransport, Transport
from dialer.windows import CallingWindow, WindowError, ZoneResolver


@dataclass(frozen=True)
class RunOptions:
    redial_unknown: bool = False
    wait_for_window: bool = False
    until: datetime | None = None  # an aware instant after which no row is claimed
    max_duration: float | None = None  # seconds
    progress_bar: bool = False
    quiet: bool = False


class Session:
    def __init__(
        self,
        campaign: Campaign,
        credentials: Credentials,
        options: RunOptions,
        log: Any,
        transport: Transport | None = None,
    ) -> None:
        self.campaign = campaign
        self.credentials = credentials
        self.options = options
        self.log = log
        self._transport = transport
        self.run_id = f"{datetime.now().strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self._runner: Runner | None = None
        self._signalled: str | None = None  # a signal that came before there was a runner to tell

    async def run(self) -> int:
        lock = CampaignLock(self.campaign.lock_path)
        try:
            lock.acquire()
        except AlreadyRunning as exc:
            self.log.error("already running", detail=str(exc))
            return exitcodes.ALREADY_RUNNING
        except OSError as exc:
            self.log.error("cannot lock the campaign", path=str(self.campaign.lock_path), error=exc.strerror)
            return exitcodes.RESULTS_UNWRITABLE
        # Handlers from the start, so a signal while a large list loads still ends in exit 6.
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal, sig)
        try:
            return await self._locked_run()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            lock.release()
            gc.unfreeze()  # what _load froze, when no runner did it

    async def _locked_run(self) -> int:
        c = self.campaign
        try:
            window = CallingWindow.from_config(c.window)
            call_list, history = await self._load()
            replay = history.replay
        except (ListError, WindowError) as exc:
            self.log.error("bad input", detail=str(exc))
            return exitcodes.BAD_INPUT
        except ResultsFileError as exc:
            self.log.error("results file unreadable", detail=str(exc))
            return exitcodes.RESULTS_UNWRITABLE
        if self._signalled:
            self.log.warning("stopped before dialing", signal=self._signalled)
            return exitcodes.STOPPED
        in_flight = resolve_concurrency(c.pacing, call_list.table, self.log)
        # The runner and the connection pool size themselves from the campaign: they get the number.
        self.campaign = c = replace(c, pacing=replace(c.pacing, concurrency=in_flight.used))
        the_plan = plan(call_list, replay, redial_unknown=self.options.redial_unknown)
        to_check = unknown_to_check(the_plan, replay) if c.reconcile.enabled else []
        # Controls only when there is something to check: finding them looks at every placed row.
        controls = recent_placed(replay, list_numbers_of(call_list), CONTROLS_KEPT) if to_check else []
        self._warn(replay, the_plan, len(to_check))
        journal = Journal(c.results, self.run_id, fsync_on_loop=c.pacing.rate is None)
        try:
            journal.open()
            self._record_start(journal, call_list, the_plan, in_flight)
            record_interrupted(journal, replay)
            await journal.commit()
            if len(call_list.table) == 0:
                self.log.error("nothing to dial: no valid row in the list", list=str(c.list_path))
                self._record_end(journal, exitcodes.BAD_INPUT, "no valid row in the list", the_plan.counts)
                return exitcodes.BAD_INPUT
            status, reason = await self._dial(journal, call_list, the_plan, window, (to_check, controls))
            journal.flush()  # this pass's lines, before the file is read back
            # Only this run's lines are read back, folded on top of the replay it started from.
            history = fold(c.results, history, since=journal.opened_size)
            counts = plan(call_list, history.replay).counts
            if status is None:
                status, reason = finished_status(counts), "finished"
            self._record_end(journal, status, reason, counts)
            journal.close()  # on disk before a checkpoint says what the file holds
            await asyncio.to_thread(self._save_checkpoint, history)
            return status
        except JournalError as exc:
            self.log.error("results file unwritable: no further call placed", detail=str(exc))
            return exitcodes.RESULTS_UNWRITABLE
        except ResultsFileError as exc:
            self.log.error("results file unreadable", detail=str(exc))
            return exitcodes.RESULTS_UNWRITABLE
        finally:
            journal.close()

    async def _load(self) -> tuple[CallList, History]:
        """The checked list (from its cache when it is this very list) and the replayed results file
        (the last run's checkpoint and the lines after it, or the whole file when in doubt).

        A long campaign's list and replay are a million long-lived objects and no reference cycles:
        the cyclic collector is paused while they are built, then they are frozen out of its sight,
        so that the collections before the first request do not rescan them all (0.3 s at 1M rows).
        """
        c = self.campaign
        with collector_paused():
            cache_file = list_cache_path(c.results)
            call_list = await asyncio.to_thread(load_checked_list, c.list_path, c.list, cache_file, self.log)
            history = await asyncio.to_thread(replay_history, c.results, self.log)
            gc.freeze()
        return call_list, history

    async def _dial(
        self,
        journal: Journal,
        call_list: CallList,
        the_plan: Any,
        window: CallingWindow | None,
        earlier: tuple[list[RowRecord], list[RowRecord]],
    ) -> tuple[int | None, str]:
        """``earlier``: the rows earlier runs left unknown that are checked, and the placed controls."""
        c = self.campaign
        to_check, controls = earlier
        paced = c.pacing.rate is not None
        transport = self._transport or AiohttpTransport(
            c.url, max_connections=c.pacing.concurrency, write_hooks=paced
        )
        progress = Progress(
            len(the_plan.to_dial) + len(to_check),
            bar=self.options.progress_bar,
            quiet=self.options.quiet,
            log=self.log,
        )
        runner = Runner(
            campaign=c,
            call_list=call_list,
            to_dial=the_plan.to_dial,
            journal=journal,
            transport=transport,
            credentials=self.credentials,
            progress=progress,
            limits=self._limits(),
            redial_unknown=frozenset(the_plan.redial_unknown),
            earlier_unknown=to_check,
            earlier_placed=controls,
        )
        if window is not None:
            runner.windows = RowWindows(
                window,
                ZoneResolver(c.list.default_region),
                runner.rows,
                utc_now,
                reject=lambda row, why: self._reject_row(journal, runner.rows, row, why),
                wait_for_window=self.options.wait_for_window,
            )
        self._runner = runner
        if self._signalled:
            runner.request_stop(exitcodes.STOPPED, f"{self._signalled} received")
        try:
            status = await runner.run()
        finally:
            progress.close()
            if self._transport is None:
                await transport.close()
        if status is not None:
            self.log.warning("run stopped", status=status, reason=runner.stop_reason)
        return status, runner.stop_reason

    def _save_checkpoint(self, history: History) -> None:
        """The replayed state for the next run. A checkpoint that cannot be saved costs the next run a
        full replay, never this run its status."""
        results = self.campaign.results
        try:
            if history.exact:  # the run_ended line too: the next run reads nothing it need not
                history = fold(results, history, since=history.offset)
            with collector_paused():
                saved = save_checkpoint(results, history)
            if not saved:
                self.log.info(
                    "no checkpoint saved: the replay is not one of whole lines of the results file "
                    "(a line without its newline); the next run replays the whole file"
                )
        except Exception as exc:  # noqa: BLE001 - derived state: its failure must not fail the run
            self.log.warning("could not save the checkpoint", path=str(results), error=str(exc))

    def _on_signal(self, sig: signal.Signals) -> None:
        runner = self._runner
        if runner is None:
            self._signalled = sig.name
            self.log.warning("signal: stopping before any row is dialed", signal=sig.name)
            return
        first = runner.stop_status is None
        self.log.warning(
            "signal: finishing requests in flight, claiming no new rows" if first else "signal: stopping now",
            signal=sig.name,
        )
        runner.request_stop(exitcodes.STOPPED, f"{sig.name} received")

    def _limits(self) -> RunLimits:
        bounds: list[tuple[float, str]] = []
        now = time.monotonic()
        if self.options.max_duration is not None:
            bounds.append((now + self.options.max_duration, f"--max-duration {self.options.max_duration:g}s"))
        if self.options.until is not None:
            seconds = (self.options.until - utc_now()).total_seconds()
            bounds.append((now + seconds, f"--until {self.options.until:%H:%M %Z}"))
        if not bounds:
            return RunLimits()
        deadline, reason = min(bounds)
        return RunLimits(deadline=deadline, deadline_reason=f"{reason} reached")

    def _warn(self, replay: Any, the_plan: Any, to_check: int) -> None:
        if replay.torn_tail:
            self.log.warning("results file ended in a torn line (a crash); it was ignored")
        if the_plan.changed_rows:
            shown = ", ".join(map(str, the_plan.changed_rows[:10]))
            self.log.warning(
                "the list changed since the last run: rows now hold other numbers; "
                "numbers already dialed are not dialed again",
                rows=shown,
                count=len(the_plan.changed_rows),
            )
        unknown = the_plan.counts[o.UNKNOWN]
        if to_check:
            self.log.info(
                "rows earlier runs left unknown: asking the switch's call lists about them once settled",
                unknown=to_check,
            )
        if unknown > to_check and not self.options.redial_unknown:
            self.log.warning(
                "rows with unknown outcome are not redialed; see `dialer status`", unknown=unknown - to_check
            )

    def _record_start(
        self, journal: Journal, call_list: CallList, the_plan: Any, in_flight: InFlight
    ) -> None:
        c = self.campaign
        journal.record(
            o.EV_RUN_STARTED,
            source=str(c.source),
            list=str(c.list_path),
            results=str(c.results),
            url=c.url,
            version=__version__,
            host=socket.gethostname(),
            pid=os.getpid(),
            rows=call_list.total_rows,
            valid=len(call_list.table),
            to_dial=len(the_plan.to_dial),
            redial_unknown=len(the_plan.redial_unknown),
            settings={
                "rate": c.pacing.rate,
                "period": c.pacing.period,
                "concurrency": c.pacing.concurrency,
                "concurrency_setting": in_flight.setting,  # "auto", or the number the campaign set
                "stagger": c.pacing.stagger,
                "attempts": c.retry.attempts,
                "reconcile": {"enabled": c.reconcile.enabled, "settle": c.reconcile.settle},
                "defaults": c.list.defaults,
                "window": c.window,
            },
        )
        for problem in the_plan.problems_to_record:
            record_problem(journal, problem)
        self.log.info(
            "run started",
            campaign=c.name,
            results=str(c.results),
            rows=call_list.total_rows,
            to_dial=len(the_plan.to_dial),
            concurrency=in_flight.describe(),
            already=the_plan.counts,
        )

    def _reject_row(self, journal: Journal, rows: RowAccess, row: int, why: str) -> None:
        journal.record(
            o.EV_ROW_REJECTED,
            **rows.line_fields(row),
            attempt=0,
            outcome=o.REJECTED,
            code="invalid",
            callid=None,
            reason=why,
        )

    def _record_end(self, journal: Journal, status: int, reason: str, counts: dict[str, int]) -> None:
        journal.record(o.EV_RUN_ENDED, status=status, reason=reason, counts=counts)
        self.log.info("run ended", status=status, meaning=exitcodes.DESCRIPTIONS[status], **counts)


def finished_status(counts: dict[str, int]) -> int:
    """0 only when every row was placed (or deliberately suppressed)."""
    settled = counts[o.PLACED] + counts[o.SUPPRESSED]
    return exitcodes.OK if settled == sum(counts.values()) else exitcodes.NEEDS_ATTENTION


def record_interrupted(journal: Journal, replay: Any) -> None:
    """Give each request an earlier run left without an answer (kill -9, a second signal, a full disk)
    its outcome line: unknown, so the file says so to anyone reading it, not only to a replay."""
    for rec in replay.in_flight_records():
        journal.record(
            o.EV_RESULT,
            row=rec.row,
            snumber=rec.snumber,
            cnumber=rec.cnumber,
            attempt=rec.attempts,
            outcome=o.UNKNOWN,
            code="interrupted",
            callid=None,
            reason="the run ended before the switch answered: the call may have been placed",
        )


def record_problem(journal: Journal, problem: RowProblem) -> None:
    event = o.EV_ROW_REJECTED if problem.outcome == o.REJECTED else o.EV_ROW_SUPPRESSED
    fields: dict[str, Any] = {
        "row": problem.row,
        "snumber": problem.snumber,
        "cnumber": problem.cnumber,
        "attempt": 0,
        "outcome": problem.outcome,
        "code": problem.code,
        "callid": None,
        "reason": problem.reason,
    }
    if problem.column:
        fields["column"] = problem.column
    if problem.duplicate_of is not None:
        fields["duplicate_of"] = problem.duplicate_of
    journal.record(event, **fields)
