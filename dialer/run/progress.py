"""Progress while a run goes: a live bar on a terminal, a plain line every so often otherwise."""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from dialer.core import outcomes as o

BAR_EVERY = 0.1  # seconds between updates of the bar's counts


@dataclass
class Tally:
    """What this run's attempts came to, as the progress display counts them."""

    placed: int = 0
    rejected: int = 0
    failed: int = 0
    unknown: int = 0
    retries: int = 0
    sent: int = 0

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


class Progress:
    def __init__(
        self,
        total: int,
        *,
        bar: bool,
        quiet: bool = False,
        log: Any = None,
        every: float = 10.0,
        clock: Any = time.monotonic,
    ) -> None:
        self.total = total
        self.quiet = quiet
        self.log = log
        self.every = every
        self.clock = clock
        self.started = clock()
        self._last_line = self.started
        self._bar = (
            # A terminal that reports a 0x0 size (some ptys, `script`, a fresh tmux pane) makes
            # tqdm hide its bar: give it a usable size.
            tqdm(total=total, unit="row", file=sys.stderr, smoothing=0.1, **_terminal_size())
            if bar and not quiet
            else None
        )
        self._shown = 0
        self._next_bar = self.started

    @staticmethod
    def done(t: Tally) -> int:
        return t.placed + t.rejected + t.failed + t.unknown

    def update(self, t: Tally, force: bool = False) -> None:
        if self._bar is not None:
            # Called once per request: the bar's counts are brought up to date a few times a second,
            # not thousands (tqdm formats its postfix on every call).
            now = self.clock()
            if not force and now < self._next_bar:
                return
            self._next_bar = now + BAR_EVERY
            done = self.done(t)
            self._bar.update(done - self._shown)
            self._shown = done
            self._bar.set_postfix(
                placed=t.placed, failed=t.failed, unknown=t.unknown, rejected=t.rejected, refresh=False
            )
            return
        now = self.clock()
        if self.quiet or self.log is None or (not force and now - self._last_line < self.every):
            return
        self._last_line = now
        done = self.done(t)
        elapsed = max(now - self.started, 1e-9)
        rate = t.sent / elapsed
        left = self.total - done
        self.log.info(
            "progress",
            done=done,
            total=self.total,
            placed=t.placed,
            rejected=t.rejected,
            failed=t.failed,
            unknown=t.unknown,
            retries=t.retries,
            rate=f"{rate:.1f}/s",
            eta=f"{left / rate:.0f}s" if rate > 0 else "-",
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _terminal_size() -> dict[str, int]:
    size = shutil.get_terminal_size((100, 24))
    return {"ncols": size.columns or 100, "nrows": size.lines or 24}
