"""One `dialer run`, start to finish: lock, load, replay, plan, dial, record, and an exit status."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from dialer import __version__
from dialer.calllist import ListError
from dialer.calllist.model import CallList, RowProblem
from dialer.calllist.row_access import ListRows
from dialer.campaign.credentials import Credentials
from dialer.campaign.settings import Campaign
from dialer.core import exitcodes
from dialer.core import outcomes as o
from dialer.core.secrets import Secrets
from dialer.journal import lines
from dialer.journal.checkpoint import FileReplay, fold, replay_with_checkpoint, save_checkpoint
from dialer.journal.lines import record_fields
from dialer.journal.list_cache import load_checked_list
from dialer.journal.lock import AlreadyRunning, ResultsLock
from dialer.journal.replay import Replay, ResultsFileError
from dialer.journal.results_file import Journal, JournalError
from dialer.journal.results_marks import list_cache_path, mark_now, refuse_if_went_backwards
from dialer.planning.earlier_unknown import controls_before, unknown_to_check
from dialer.planning.planner import Plan, plan
from dialer.planning.times import unix_time
from dialer.run import collector_policy
from dialer.run.in_flight import InFlight, resolve_concurrency
from dialer.run.progress import Progress, starting_point
from dialer.run.reconciler import CONTROL_HORIZON
from dialer.run.recycling import RecycleQueue
from dialer.run.results_watch import Change, describe, look, remember, remember_cut_short, save_removed
from dialer.run.row_windows import RowWindows
from dialer.run.runner import RunLimits, Runner
from dialer.switch.login import Login, LoginRefused
from dialer.switch.transport import AiohttpTransport, Transport
from dialer.windows import CallingWindow, WindowError, ZoneResolver


@dataclass(frozen=True)
class RunOptions:
    redial_unknown: bool = False
    wait_for_window: bool = False
    wait_for_recycle: bool = False
    until: datetime | None = None  # an aware instant after which no row is claimed
    max_duration: float | None = None  # seconds
    progress_bar: bool = False
    quiet: bool = False


@dataclass
class _Loaded:
    """What a run starts from: the checked list, the replayed results file, and what is left to do."""

    call_list: CallList
    replayed: FileReplay
    plan: Plan
    in_flight: InFlight
    to_check: list  # (row, record) of persons earlier runs left unknown, asked about now
    controls: list  # calls earlier runs placed, that show whether the lists cover those times


class Session:
    def __init__(
        self,
        campaign: Campaign,
        credentials: Credentials,
        options: RunOptions,
        log: Any,
        transport: Transport | None = None,
        secrets: Secrets | None = None,
    ) -> None:
        """``secrets``: what is never written (the terminal's too); the password at least."""
        self.campaign = campaign
        self.credentials = credentials
        self.options = options
        self.log = log
        self._transport = transport
        self.run_id = f"{datetime.now().strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self.secrets = secrets if secrets is not None else Secrets(credentials.password)
        self._runner: Runner | None = None
        self._progress: Progress | None = None
        self._signalled: str | None = None  # a signal that came before there was a runner to tell
        self._locked: tuple[int, int] | None = None  # (device, inode) of the results file locked

    async def run(self) -> int:
        try:
            # Before the lock makes a results file that is missing: what is missing is said so.
            refuse_if_went_backwards(self.campaign.results)
        except ResultsFileError as exc:
            self.log.error("results file went backwards", detail=str(exc))
            return exitcodes.RESULTS_UNWRITABLE
        lock = ResultsLock(self.campaign.results)
        try:
            self._locked = lock.acquire()
        except AlreadyRunning as exc:
            self.log.error("already running", detail=str(exc))
            return exitcodes.ALREADY_RUNNING
        except OSError as exc:
            self.log.error(
                "cannot open the results file", path=str(self.campaign.results), error=exc.strerror
            )
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

    async def _locked_run(self) -> int:
        try:
            window = CallingWindow.from_config(self.campaign.window)
            with collector_policy.bulk_work():
                loaded = await self._load()
        except (ListError, WindowError) as exc:
            self.log.error("bad input", detail=str(exc))
            return exitcodes.BAD_INPUT
        except ResultsFileError as exc:
            self.log.error("results file unreadable", detail=str(exc))
            return exitcodes.RESULTS_UNWRITABLE
        if self._signalled:
            self.log.warning("stopped before dialing", signal=self._signalled)
            return exitcodes.STOPPED
        # The runner and the connection pool size themselves from the campaign: they get the number.
        c = self.campaign = replace(
            self.campaign, pacing=replace(self.campaign.pacing, concurrency=loaded.in_flight.used)
        )
        self._warn(loaded.replayed.replay, loaded.plan, len(loaded.to_check), len(loaded.call_list.table))
        journal = Journal(c.results, self.run_id, fsync_on_loop=c.pacing.rate is None, secrets=self.secrets)
        try:
            journal.open()
            if self._locked is not None and journal.identity != self._locked:
                # Moved or replaced while the list loaded: the file opened is not the one locked.
                self.log.error(
                    "results file changed before dialing",
                    detail=f"{c.results} is not the file this run locked when it started (it was moved, "
                    "removed or replaced meanwhile); nothing was dialed. Put the campaign's results "
                    "file back at that path and run again",
                )
                return exitcodes.RESULTS_UNWRITABLE
            self._record_start(journal, loaded)
            await journal.commit()
            if len(loaded.call_list.table) == 0:
                self.log.error(
                    "nothing to dial: no valid row in the list",
                    list=str(c.list_path),
                    **_first_problems(loaded.call_list.problems),
                )
                self._record_end(journal, exitcodes.BAD_INPUT, "no valid row in the list", loaded.plan.counts)
                return exitcodes.BAD_INPUT
            with collector_policy.dialing():
                status, reason = await self._dial(journal, loaded, window)
            change = self._results_change(journal)
            if change is not None:
                return self._results_lost(journal, change)
            journal.flush()  # this pass's lines, before the file is read back
            with collector_policy.bulk_work():
                # Only this run's lines are read back, folded on top of the replay it started from.
                replayed = fold(c.results, loaded.replayed, since=journal.opened_size)
                counts = plan(loaded.call_list, replayed.replay).counts
            if status is None:
                status, reason = finished_status(counts), "finished"
            self._end_progress(counts)
            self._record_end(journal, status, reason, counts)
            journal.sync()  # on disk before a mark vouches for it
            remember(c.results, journal)
            journal.close()  # on disk before a checkpoint says what the file holds
            await asyncio.to_thread(self._save_checkpoint, replayed)
            return status
        except JournalError as exc:
            self.log.error("results file unwritable: no further call placed", detail=str(exc))
            return exitcodes.RESULTS_UNWRITABLE
        except ResultsFileError as exc:
            self.log.error("results file unreadable", detail=str(exc))
            return exitcodes.RESULTS_UNWRITABLE
        finally:
            self._end_progress()
            journal.close()

    def _end_progress(self, counts: dict[str, int] | None = None) -> None:
        """The progress display closed, its last numbers the run ended line's (``counts``)."""
        if self._progress is not None:
            if counts is not None:
                self._progress.finish(counts)
            self._progress.close()

    async def _load(self) -> _Loaded:
        """The checked list (from its cache when it is this very list), the replayed results file (the
        last run's checkpoint and the lines after it, or the whole file when in doubt), and the plan.
        Nothing is loaded from a results file that went backwards (WentBackwards)."""
        c = self.campaign
        refuse_if_went_backwards(c.results)
        cache_file = list_cache_path(c.results)
        mark = mark_now(c.results, run=self.run_id, ts=_utc_now().isoformat(timespec="seconds"))
        call_list = await asyncio.to_thread(
            load_checked_list, c.list_path, c.list, cache_file, self.log, results_mark=mark
        )
        replayed = await asyncio.to_thread(replay_with_checkpoint, c.results, self.log)
        replay = replayed.replay
        _check_person_setting(replay, c)
        in_flight = resolve_concurrency(c.pacing, call_list.table, self.log)
        now = time.time()
        the_plan = plan(
            call_list,
            replay,
            redial_unknown=self.options.redial_unknown,
            recycle=c.recycle,
            now=now,
            outcomes_since=_iso(now - c.outcomes.give_up) if c.outcomes.enabled else None,
        )
        to_check = unknown_to_check(the_plan, replay) if c.reconcile.enabled else []
        # Controls only when there is something to check: finding them looks at every placed call.
        controls = controls_before(replay, [rec for _, rec in to_check], CONTROL_HORIZON)
        return _Loaded(call_list, replayed, the_plan, in_flight, to_check, controls)

    async def _dial(
        self, journal: Journal, loaded: _Loaded, window: CallingWindow | None
    ) -> tuple[int | None, str]:
        c = self.campaign
        paced = c.pacing.rate is not None
        transport = self._transport or AiohttpTransport(
            c.url, max_connections=c.pacing.concurrency, write_hooks=paced
        )
        try:
            return await self._dial_with(transport, journal, loaded, window)
        finally:
            if self._transport is None:
                await transport.close()

    async def _dial_with(
        self, transport: Transport, journal: Journal, loaded: _Loaded, window: CallingWindow | None
    ) -> tuple[int | None, str]:
        c = self.campaign
        login = Login(transport, self.credentials, self.secrets, read_timeout=c.timeout_margin)
        try:
            await login.start()
        except LoginRefused as exc:
            journal.write(lines.run_error("account refused", str(exc)))
            self.log.error(
                "account refused: no call placed; check the user name and password", detail=str(exc)
            )
            return exitcodes.ACCOUNT_REFUSED, str(exc)
        if login.offered is False:
            self.log.info(
                "the switch offers no login token: every request carries the user name and password"
            )
        the_plan = loaded.plan
        progress = self._progress = Progress(
            starting_point(
                the_plan.counts,
                to_dial=len(the_plan.to_dial),
                redial_unknown=len(the_plan.redial_unknown),
                recycle_now=len(the_plan.recycle_now),
                to_check=len(loaded.to_check),
            ),
            bar=self.options.progress_bar,
            quiet=self.options.quiet,
            log=self.log,
            rate_limit=f"{c.pacing.rate:g} per {c.pacing.period:g} s" if c.pacing.rate else None,
        )
        rows = ListRows(loaded.call_list)
        windows = None
        if window is not None:
            resolver = ZoneResolver(c.list.default_region)
            windows = RowWindows(
                window, resolver, rows, _utc_now, wait_for_window=self.options.wait_for_window
            )
        recycle = None
        if c.recycle.enabled:
            recycle = RecycleQueue(c.recycle, the_plan.placed_times, the_plan.recycle_later)
            recycle.reasons.update(the_plan.recycle_now)
        runner = self._runner = Runner(
            c,
            rows,
            the_plan.to_dial,
            journal,
            transport,
            login,
            windows=windows,
            progress=progress,
            log=self.log,
            limits=self._limits(),
            redial_unknown=frozenset(the_plan.redial_unknown),
            recycle=recycle,
            wait_for_recycle=self.options.wait_for_recycle,
        )
        if self._signalled:
            runner.request_stop(exitcodes.STOPPED, f"{self._signalled} received")
        pending = _outcomes_pending(loaded.replayed.replay, the_plan)
        status = await runner.run(loaded.to_check, loaded.controls, pending)
        if status is not None:
            self.log.warning("run stopped", status=status, reason=runner.stop_reason)
        return status, runner.stop_reason

    def _save_checkpoint(self, replayed: FileReplay) -> None:
        """The replayed state for the next run. A checkpoint that cannot be saved costs the next run a
        full replay, never this run its status."""
        results = self.campaign.results
        try:
            with collector_policy.bulk_work():
                if replayed.exact:  # the run_ended line too: the next run reads nothing it need not
                    replayed = fold(results, replayed, since=replayed.offset)
                about = {"run": self.run_id, "ts": _utc_now().isoformat(timespec="seconds")}
                saved = save_checkpoint(results, replayed, **about)
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
            self.log.warning("stopping before any row is dialed", signal=sig.name)
            return
        first = runner.stop_status is None
        self.log.warning(
            "stopping: finishing the requests in flight, claiming no new rows (a second Ctrl-C stops at once)"
            if first
            else "stopping now: the requests in flight are left unknown",
            signal=sig.name,
        )
        runner.request_stop(exitcodes.STOPPED, f"{sig.name} received")

    def _limits(self) -> RunLimits:
        bounds: list[tuple[float, str]] = []
        now = time.monotonic()
        if self.options.max_duration is not None:
            bounds.append((now + self.options.max_duration, f"--max-duration {self.options.max_duration:g}s"))
        if self.options.until is not None:
            seconds = (self.options.until - _utc_now()).total_seconds()
            bounds.append((now + seconds, f"--until {self.options.until:%H:%M %Z}"))
        if not bounds:
            return RunLimits()
        deadline, reason = min(bounds)
        return RunLimits(deadline=deadline, deadline_reason=f"{reason} reached")

    def _warn(self, replay: Replay, the_plan: Plan, to_check: int, valid: int) -> None:
        invalid = [p for p in the_plan.problems_to_record if p.outcome == o.REJECTED]
        if invalid and valid:  # with no valid row, the error that ends the run names them
            self.log.warning(
                "invalid rows of the list are not dialed (rejected); `dialer validate` lists them all",
                list=str(self.campaign.list_path),
                count=len(invalid),
                **_first_problems(invalid),
            )
        if replay.torn_tail:
            self.log.warning("results file ended in a torn line (a crash); it was ignored")
        if the_plan.already_called:
            shown = ", ".join(map(str, the_plan.already_called[:10]))
            self.log.warning(
                "rows whose person was already called with other numbers are not dialed (suppressed); "
                "see `dialer status`",
                rows=shown,
                count=len(the_plan.already_called),
            )
        if the_plan.moved:
            self.log.info(
                "the list moved rows since the last run: each keeps its person's outcome",
                count=len(the_plan.moved),
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

    def _record_start(self, journal: Journal, loaded: _Loaded) -> None:
        c = self.campaign
        call_list, the_plan, in_flight = loaded.call_list, loaded.plan, loaded.in_flight
        journal.write(
            lines.run_started(
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
                    "person": c.list.person,
                    "default_region": c.list.default_region.upper(),
                    "stagger": c.pacing.stagger,
                    "attempts": c.retry.attempts,
                    "reconcile": {"enabled": c.reconcile.enabled, "settle": c.reconcile.settle},
                    "outcomes": asdict(c.outcomes),
                    "recycle": asdict(c.recycle),
                    "defaults": c.list.defaults,
                    "window": c.window,
                },
            )
        )
        for problem in the_plan.problems_to_record:
            journal.write(lines.list_problem(problem))
        # Each request an earlier run left without an answer gets its outcome line now.
        for rec in loaded.replayed.replay.in_flight_records():
            journal.write(lines.interrupted(rec))
        self.log.info(
            "run started",
            campaign=c.name,
            results=str(c.results),
            rows=call_list.total_rows,
            to_dial=len(the_plan.to_dial),
            concurrency=in_flight.describe(),
            already=the_plan.counts,
        )

    def _record_end(self, journal: Journal, status: int, reason: str, counts: dict[str, int]) -> None:
        journal.write(lines.run_ended(status, reason, counts))
        self.log.info("run ended", status=status, meaning=exitcodes.DESCRIPTIONS[status], **counts)

    def _results_change(self, journal: Journal) -> Change | None:
        """What the watch saw happen to the results file during the dialing; else one more look, so
        that a change after its last look does not end in a checkpoint of whatever file is there."""
        change = self._runner.results_change if self._runner is not None else None
        if change is None:
            with contextlib.suppress(OSError):
                change = look(self.campaign.results, journal)
        return change

    def _results_lost(self, journal: Journal, change: Change) -> int:
        """The run ends on a results file that is not at its path any more, or not whole: what is
        left is written to the file it holds open, kept when nothing else would keep it, and the
        operator told what happened and what to do. No checkpoint: it would describe another file."""
        saved, path = None, self.campaign.results
        with contextlib.suppress(JournalError):
            reason = f"the results file was {change.what}"
            journal.write(lines.run_ended(exitcodes.RESULTS_UNWRITABLE, reason, {}))
            journal.sync()
        if change.what == "cut short":
            remember_cut_short(path, journal)  # the next run refuses what is left
        else:
            remember(path, journal)  # the campaign's file, wherever it is now: put back, it is accepted
        with contextlib.suppress(OSError):
            saved = save_removed(journal, path)
        self.log.error("results file changed during the run", detail=describe(change, path, saved))
        return exitcodes.RESULTS_UNWRITABLE


def _first_problems(problems: list[RowProblem], shown: int = 3) -> dict[str, str]:
    """The first invalid rows, each with its column and reason, as the terminal shows them."""
    found = [p for p in problems if p.outcome == o.REJECTED][:shown]
    if not found:
        return {}
    return {
        "rows": "; ".join(
            f"row {p.row}" + (f", column {p.column}" if p.column else "") + f": {p.reason}" for p in found
        )
    }


def _check_person_setting(replay: Replay, c: Campaign) -> None:
    """Who the person is cannot change within a campaign: the records are kept by the person an
    earlier run chose, and by numbers read in its default region (a national number read in another
    region is another number); another choice would not find them, and call people again."""
    for started in reversed(replay.runs):
        settings = started.get("settings") or {}
        earlier = settings.get("person")
        if earlier is not None:
            if earlier != c.list.person:
                raise ListError(
                    f"{c.source}: person = {c.list.person!r}, but earlier runs of this campaign kept its "
                    f"records by person = {earlier!r}: set it back, or start another campaign (another "
                    "results file) to count people another way"
                )
            region = settings.get("default_region")
            if region is not None and region != c.list.default_region.upper():
                raise ListError(
                    f"{c.source}: default_region = {c.list.default_region!r}, but earlier runs of this "
                    f"campaign read its numbers in {region!r}, and know people by the numbers read so: "
                    "set it back, or start another campaign (another results file) to read them otherwise"
                )
            return


def finished_status(counts: dict[str, int]) -> int:
    """0 only when every row was placed (or deliberately suppressed)."""
    settled = counts[o.PLACED] + counts[o.SUPPRESSED]
    return exitcodes.OK if settled == sum(counts.values()) else exitcodes.NEEDS_ATTENTION


def _outcomes_pending(
    replay: Replay, the_plan: Plan
) -> list[tuple[int, dict, str | None, int, float, str | None]]:
    """Calls earlier runs placed whose outcome is still to learn: (record key, row now, the call's
    row fields, its run, its attempt, when it was sent, its callid)."""
    out = []
    for row, key in the_plan.outcomes_pending:
        rec = replay.records.record_of(key)
        if rec is not None:
            sent = unix_time(rec.dialed_ts, 0.0)
            out.append((key, row, record_fields(rec), rec.run, rec.dial_attempt, sent, rec.callid))
    return out


def _iso(unix: float) -> str:
    """Unix time in the results file's own form (times in that form sort as text)."""
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _utc_now() -> datetime:
    return datetime.now(UTC)
