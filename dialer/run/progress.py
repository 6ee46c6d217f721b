"""Progress while a run goes: a live bar and a line saying what the run is doing on a terminal; a
progress event now and then otherwise (cron, systemd, ``--log-format json``).

The display counts the campaign's rows, not this run's requests: it starts where earlier runs left
the campaign and ends on the very numbers of the "run ended" line. Its numbers always add up:
placed + failed + rejected + unknown = done, and done + left = the rows there are to dial (the
list's rows less the suppressed ones), given in that order everywhere. A row being dialed, waiting
for a retry, a recycle or its calling window is "left"; so is a row a check found was never placed.

When the run waits it says for what: the switch's answers, the rate limit, a retry's backoff, the
calling window, the next person to call again ([recycle]), the checks of unknown rows, the outcomes
of the calls at the end of the run.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tqdm import tqdm

from dialer.core import outcomes as o
from dialer.core.call_outcome import ANSWERED, BUSY, NO_ANSWER
from dialer.core.call_outcome import FAILED as CALL_FAILED

BAR_EVERY = 0.1  # seconds between updates of the bar's counts
TICK = 1.0  # seconds between redraws while nothing else happens (a wait's countdown)
RECENT = 10.0  # seconds of dialing the rate and the time left are measured over
ORDER = ("placed", "failed", "rejected", "unknown", "left")  # the order the counts are given in
CALL_STATUSES = (ANSWERED, NO_ANSWER, BUSY, CALL_FAILED)  # a call's outcome, when the switch knows it

# What the run is doing, as the display says it. {count}: how many; {until}/{next}: when it ends.
DIALING = "dialing"
ANSWERS = "answers"
RATE = "rate"
RETRY = "retry"
WINDOW = "window"
RECYCLE = "recycle"
CHECKS = "checks"
OUTCOMES = "outcomes"
FINISHED = "finished"
WORDS = {
    FINISHED: "finished",
    ANSWERS: "waiting for the switch's answers ({count} requests in flight)",
    RATE: "waiting for the rate limit{next}",
    RETRY: "waiting to retry rows the switch turned away{next}",
    WINDOW: "waiting for the calling window to open{next}",
    RECYCLE: "waiting to call people again ([recycle]){next}",
    CHECKS: "checking unknown rows with the switch's call lists",
    OUTCOMES: "waiting for call outcomes: {count} calls still going{until}",
}
LONG_WAITS = frozenset({WINDOW, RECYCLE, CHECKS, OUTCOMES})  # said at once under cron


@dataclass
class Tally:
    """What this run's attempts came to, as the progress display counts them."""

    placed: int = 0
    rejected: int = 0
    failed: int = 0
    unknown: int = 0
    retries: int = 0
    sent: int = 0
    recycled: int = 0  # placed rows called again in this run: left again until that call ends
    calls: Counter = field(default_factory=Counter)  # what became of the calls placed, by call status

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

    def call_ended(self, call_status: str) -> None:
        """The switch told what became of a placed call (answered, no-answer, busy, failed)."""
        self.calls[call_status] += 1


@dataclass(frozen=True)
class Start:
    """Where the campaign stands as a run begins, as the display counts it: the rows this run dials
    are left, whatever an earlier run made of them (failed, or unknown and redialed, or placed and
    called again)."""

    placed: int = 0
    failed: int = 0
    rejected: int = 0
    unknown: int = 0
    left: int = 0
    to_check: int = 0  # unknown rows earlier runs left, which the run counts as it starts asking

    @property
    def total(self) -> int:
        return self.placed + self.failed + self.rejected + self.unknown + self.left + self.to_check

    @property
    def done(self) -> int:
        return self.total - self.left - self.to_check


def starting_point(
    counts: Mapping[str, int],
    *,
    to_dial: int,
    redial_unknown: int = 0,
    recycle_now: int = 0,
    to_check: int = 0,
) -> Start:
    """The display's first numbers, from the plan's counts of the campaign's rows.

    The plan counts each row it dials as it stands (failed, not yet dialed, unknown when redialed,
    placed when called again); the display counts them all as left. Rows earlier runs left unknown
    that the switch is asked about are left out here: the run counts them unknown as it starts
    asking (Tally.unknown)."""
    failed_dialed_again = to_dial - recycle_now - redial_unknown - counts.get(o.NOT_DIALED, 0)
    return Start(
        placed=counts.get(o.PLACED, 0) - recycle_now,
        failed=counts.get(o.FAILED, 0) - max(0, failed_dialed_again),
        rejected=counts.get(o.REJECTED, 0),
        unknown=counts.get(o.UNKNOWN, 0) - redial_unknown - to_check,
        left=to_dial,
        to_check=to_check,
    )


def ended_at(counts: Mapping[str, int]) -> dict[str, int]:
    """The display's numbers for a campaign's counts as the "run ended" line gives them."""
    return {
        "placed": counts.get(o.PLACED, 0),
        "failed": counts.get(o.FAILED, 0),
        "rejected": counts.get(o.REJECTED, 0),
        "unknown": counts.get(o.UNKNOWN, 0),
        "left": counts.get(o.NOT_DIALED, 0),
    }


class Progress:
    def __init__(
        self,
        start: Start | int,
        *,
        bar: bool,
        quiet: bool = False,
        log: Any = None,
        every: float = 10.0,
        rate_limit: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        """``start``: where the campaign stands (a number: that many rows, none done yet); ``bar``: a
        live bar on the terminal, else a progress event at most every ``every`` seconds when
        something changed; ``rate_limit``: the pacing, as said while dialing ("10 per 1 s")."""
        self.start = start if isinstance(start, Start) else Start(left=start)
        self.quiet = quiet
        self.log = log
        self.every = every
        self.rate_limit = rate_limit
        self.clock = clock
        self.wall = wall
        self.started = clock()
        self._tally = Tally()
        self._recent: deque[tuple[float, int, int]] = deque([(self.started, 0, self.start.done)])
        self._final: dict[str, int] | None = None
        self._doing = DIALING
        self._until: float | None = None  # wall time the wait ends, when known
        self._count: Callable[[], int] | None = None
        self._last_line = self.started
        self._said: tuple | None = None  # what the last progress line said (a line only on a change)
        self._next_bar = self.started
        self._bar = self._status = None
        if bar and not quiet:
            size = _terminal_size()
            s = self.start
            # A terminal that reports a 0x0 size (some ptys, `script`, a fresh tmux pane) makes tqdm
            # hide its bar: give it a usable size.
            self._bar = tqdm(
                total=s.total,
                initial=s.done,
                file=sys.stderr,
                bar_format="{n}/{total} rows |{bar}| {desc}",
                **size,
            )
            self._status = tqdm(
                total=0, file=sys.stderr, position=1, leave=False, bar_format="{desc}", **size
            )
            self._draw(self._tally)

    # -- the numbers -------------------------------------------------------------------------------

    def counts(self, t: Tally | None = None) -> dict[str, int]:
        """placed, failed, rejected, unknown and left, in that order; they add up to the total."""
        if self._final is not None:
            return dict(self._final)
        t = t or self._tally
        s = self.start
        out = {
            "placed": s.placed + t.placed - t.recycled,
            "failed": s.failed + t.failed,
            "rejected": s.rejected + t.rejected,
            "unknown": s.unknown + t.unknown,
        }
        out["left"] = max(0, s.total - sum(out.values()))
        return out

    @staticmethod
    def done(t: Tally) -> int:
        """This run's attempts that came to an end (placed, rejected, failed or unknown)."""
        return t.placed + t.rejected + t.failed + t.unknown

    # -- what the run is doing ---------------------------------------------------------------------

    def dialing(self) -> None:
        self.waiting(DIALING)

    def waiting(
        self, what: str, seconds: float | None = None, count: Callable[[], int] | int | None = None
    ) -> None:
        """The run waits for ``what`` (one of WORDS), ``seconds`` at most when known; ``count``:
        how many of it (a number, or a function asked at each redraw)."""
        if what == self._doing and seconds is None:
            return  # called at every claim of a busy run: nothing new to say
        if what in LONG_WAITS:
            self._recent.clear()  # the rate is the dialing's, not the wait's
        self._doing = what
        self._until = None if seconds is None else self.wall() + seconds
        self._count = (lambda: count) if isinstance(count, int) else count
        self.update(self._tally)

    def doing(self) -> str:
        """What the run is doing, in words."""
        if self._doing == DIALING:
            return self._dialing_words()
        count = self._count() if self._count is not None else ""
        return WORDS[self._doing].format(count=count, next=self._next_words(), until=self._until_words())

    def _dialing_words(self) -> str:
        """The rate and the time left, over the last RECENT seconds of dialing."""
        now, sent, done = self._sample()
        then, sent_then, done_then = self._recent[0]
        elapsed = now - then
        words = "dialing" if elapsed < 1.0 else f"dialing, {(sent - sent_then) / elapsed:.1f} requests/s"
        if self.rate_limit:
            words += f" (limit {self.rate_limit})"
        left = self.counts()["left"]
        if elapsed >= 1.0 and done > done_then and left > 0:
            words += f", about {_duration(left * elapsed / (done - done_then))} left"
        return words

    def _sample(self) -> tuple[float, int, int]:
        """Now, requests sent and rows done; kept once a second for RECENT seconds."""
        counts = self.counts()
        now = (self.clock(), self._tally.sent, sum(counts.values()) - counts["left"])
        if not self._recent or now[0] - self._recent[-1][0] >= 1.0:
            self._recent.append(now)
        while now[0] - self._recent[0][0] > RECENT:
            self._recent.popleft()
        return now

    def _next_words(self) -> str:
        if self._until is None:
            return ""
        return f": next at {_clock_time(self._until)} (in {_duration(self._until - self.wall())})"

    def _until_words(self) -> str:
        return "" if self._until is None else f", until {_clock_time(self._until)} at most"

    # -- showing it --------------------------------------------------------------------------------

    def update(self, t: Tally, force: bool = False) -> None:
        self._tally = t
        if self.quiet:
            return
        now = self.clock()
        if self._bar is not None:
            # Called once per request: the bar is brought up to date a few times a second, not
            # thousands (tqdm formats its line on every call).
            if force or now >= self._next_bar:
                self._next_bar = now + BAR_EVERY
                self._draw(t)
            return
        self._line(t, now)

    def _draw(self, t: Tally) -> None:
        assert self._bar is not None and self._status is not None
        counts = self.counts(t)
        total = sum(counts.values())
        self._bar.total = total
        self._bar.n = total - counts["left"]
        self._bar.set_description_str("  ".join(f"{k} {counts[k]}" for k in ORDER), refresh=False)
        self._bar.refresh()
        self._status.set_description_str(_capitalised(self.doing()) + ".", refresh=True)

    def _line(self, t: Tally, now: float, *, last: bool = False) -> None:
        """A progress event when something changed: at once when the run starts a long wait, else at
        most every ``every`` seconds (and the last one when the run ends: ``finish``)."""
        if self.log is None:
            return
        counts = self.counts(t)
        said = (tuple(counts.values()), self._doing)
        if said == self._said:
            return
        started_waiting = self._doing in LONG_WAITS and (self._said is None or self._said[1] != self._doing)
        if not (last or started_waiting or now - self._last_line >= self.every):
            return
        self._said, self._last_line = said, now
        total = sum(counts.values())
        self.log.info(
            "progress",
            done=total - counts["left"],
            total=total,
            **counts,
            retries=t.retries,
            requests=t.sent,
            doing=self.doing(),
        )

    async def keep_fresh(self) -> None:
        """Redraw every TICK while the run goes (a wait's countdown; a line under cron when what
        the run does changed with no answer coming). Cancelled when the run ends."""
        while True:
            await asyncio.sleep(TICK)
            self.update(self._tally, force=self._bar is not None)

    def say_calls(self, learned: int) -> None:
        """What became of this run's calls, and how many people were called again: one line at the
        end of a run. ``learned``: outcomes written, not-known ones included."""
        t = self._tally
        if self.log is None or not learned:
            return
        known = {status: t.calls.get(status, 0) for status in CALL_STATUSES}
        reached = sum(known.values())
        rate = f"{known[ANSWERED] / reached:.0%}" if reached else "none known"
        self.log.info(
            "calls this run",
            outcomes=learned,
            **{status.replace("-", "_"): n for status, n in known.items()},
            not_known=learned - reached,
            answer_rate=rate,
            called_again=t.recycled,
        )

    def finish(self, counts: Mapping[str, int]) -> None:
        """The run ended: the display shows the campaign's counts as the "run ended" line gives them
        (rows an earlier run left failed, and not reached this time, are failed again, not left)."""
        self._final = ended_at(counts)
        self._doing = FINISHED
        if self._bar is not None:
            self._draw(self._tally)
            self._status.set_description_str("", refresh=True)
        elif not self.quiet:
            self._line(self._tally, self.clock(), last=True)

    def close(self) -> None:
        if self._status is not None:
            self._status.close()
            self._status = None
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _terminal_size() -> dict[str, int]:
    size = shutil.get_terminal_size((100, 24))
    return {"ncols": size.columns or 100, "nrows": size.lines or 24}


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _clock_time(unix: float) -> str:
    return datetime.fromtimestamp(unix).strftime("%H:%M:%S")


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
