"""How many requests a run keeps in flight: with `concurrency = "auto"`, enough that concurrency never
holds back the rate while the switch answers normally, and never more than the open-file limit allows.

With `wait`, the switch holds each request until the call is set up, so the requests in flight are the
rate times how long each is held (Little's law): at 50/s and wait 5, about 350. Each one is a socket,
so the process's open-file limit is raised as far as it may go and the number capped below it.

Everything here is pure except ``raise_open_files_limit`` (its rlimit calls can be replaced by tests)
and ``resolve_concurrency``, which calls it and warns.
"""

from __future__ import annotations

import math
import resource
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dialer.campaign.settings import Pacing

# Without a rate the switch's own pace is the limit: run what a plain aiohttp script runs with
# (aiohttp's default connection pool), so dialer is never the slower of the two.
NO_RATE_CONCURRENCY = 100
# A rate of a few calls a minute still gets room for retries and a slow answer or two.
LEAST_AUTO_CONCURRENCY = 20
# Seconds the switch may take to answer beyond the `wait` and `delay` it was sent: its own latency.
SWITCH_LATENCY_ALLOWANCE = 2.0
# Descriptors kept free of sockets: the results file, the lock, logs, the list and its caches, lookups.
SPARE_DESCRIPTORS = 100


@dataclass(frozen=True)
class InFlight:
    """The concurrency a run uses, and where it came from."""

    used: int  # requests in flight at most, this run
    asked: int  # what the campaign set, or what auto worked out
    auto: bool  # the campaign left it to auto
    open_files: int | None  # the run's open-file limit after raising it; None: unlimited or unknown

    @property
    def capped(self) -> bool:
        return self.used < self.asked

    @property
    def setting(self) -> str | int:
        """As the campaign gave it: "auto" or the number set."""
        return "auto" if self.auto else self.asked

    @property
    def origin(self) -> str:
        """Whether auto worked the number out ("auto") or the campaign gave it ("set")."""
        return "auto" if self.auto else "set"

    def describe(self) -> str:
        """For the console: "350 (auto)", "8 (set)", "924 (set 5000, capped by the open-file limit)"."""
        how = self.origin
        if self.capped:
            return f"{self.used} ({how} {self.asked}, capped by the open-file limit {self.open_files})"
        return f"{self.used} ({how})"


def auto_concurrency(
    rate: float | None, period: float, longest_wait: int, longest_delay: int, staggered: bool
) -> int:
    """Requests in flight that let RATE per PERIOD through when each is held for the longest wait and
    delay a row sends, plus the switch's own latency (Little's law), and never fewer than a floor.

    ``staggered`` (``--stagger delay``): each request carries up to one period more delay and its wait
    is raised by that delay too, so two periods are added.
    """
    if rate is None:
        return NO_RATE_CONCURRENCY
    held = longest_wait + longest_delay + SWITCH_LATENCY_ALLOWANCE
    if staggered:
        held += 2 * period
    # Rounded before the ceiling: 0.1-style periods must not turn 350.00000000000006 into 351.
    needed = math.ceil(round(rate / period * held, 6))
    return max(LEAST_AUTO_CONCURRENCY, needed)


def longest_seconds(table: pd.DataFrame, column: str) -> int:
    """The largest whole number in a call list column of strings ("" where unset); 0 when there is none."""
    if column not in table.columns:
        return 0
    values = table[column].unique()
    return max((int(v) for v in values if isinstance(v, str) and v.isascii() and v.isdigit()), default=0)


def capped_for_open_files(asked: int, open_files: int | None) -> int:
    """At most one socket per descriptor the limit leaves after the spare ones; at least one."""
    if open_files is None:
        return asked
    return max(1, min(asked, open_files - SPARE_DESCRIPTORS))


def plan_in_flight(pacing: Pacing, table: pd.DataFrame, open_files: int | None) -> InFlight:
    """The concurrency for a run of TABLE (the checked list, campaign defaults applied) at PACING."""
    if pacing.concurrency is None:
        asked = auto_concurrency(
            pacing.rate,
            pacing.period,
            longest_seconds(table, "wait"),
            longest_seconds(table, "delay"),
            pacing.stagger == "delay",
        )
    else:
        asked = pacing.concurrency
    used = capped_for_open_files(asked, open_files)
    return InFlight(used=used, asked=asked, auto=pacing.concurrency is None, open_files=open_files)


def raise_open_files_limit(
    getrlimit: Callable[[int], tuple[int, int]] | None = None,
    setrlimit: Callable[[int, tuple[int, int]], None] | None = None,
) -> int | None:
    """Raise the soft RLIMIT_NOFILE to the hard limit (systemd starts services at 1024 soft).

    Returns the soft limit in effect afterwards, or None when there is none.
    """
    getrlimit = getrlimit or resource.getrlimit
    setrlimit = setrlimit or resource.setrlimit
    soft, hard = getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (OSError, ValueError):
            # An unlimited hard limit is not granted as a soft one (Linux: above nr_open; macOS: above
            # OPEN_MAX): the soft limit stays, and the cap respects it.
            pass
    return None if soft == resource.RLIM_INFINITY else soft


def resolve_concurrency(
    pacing: Pacing,
    table: pd.DataFrame,
    log: Any,
    open_files_limit: Callable[[], int | None] | None = None,
) -> InFlight:
    """Raise the open-file limit, work out the run's concurrency, and warn once if the limit cut it.

    ``open_files_limit``: what raises and reports the limit; ``raise_open_files_limit`` unless a test
    gives another.
    """
    in_flight = plan_in_flight(pacing, table, (open_files_limit or raise_open_files_limit)())
    if in_flight.capped:
        log.warning(
            "concurrency lowered to fit the open-file limit: each request in flight is a socket",
            asked=f"{in_flight.asked} ({in_flight.origin})",
            used=in_flight.used,
            open_files_limit=in_flight.open_files,
            kept_spare=SPARE_DESCRIPTORS,
            remedy="raise the hard limit (ulimit -Hn, systemd LimitNOFILE=) to run more",
        )
    return in_flight
