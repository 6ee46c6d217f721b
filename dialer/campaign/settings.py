"""A campaign's settings: which list, which switch, how fast, how to retry, when. Plain data.

Read from a campaign file or built for a bare list by ``dialer.campaign.file``; flags override them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialer.calllist.model import ListOptions

DEFAULT_URL = "http://127.0.0.1:8089/api/json/calls/make/"


@dataclass(frozen=True)
class Pacing:
    rate: float | None = None  # requests per period; None: no limit
    period: float = 1.0  # seconds
    concurrency: int | None = None  # requests in flight at most; None: auto (see dialer.inflight)
    stagger: str = "none"  # "none" or "delay": spread placements with calls/make's delay


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # attempts per row per run for refusals that placed nothing
    backoff: float = 1.0  # first backoff, seconds; doubles each attempt, with jitter
    max_backoff: float = 60.0


@dataclass(frozen=True)
class Reconcile:
    """Asking the switch's call lists about rows whose outcome is unknown (see dialer.reconcile)."""

    enabled: bool = True
    settle: float = 10.0  # seconds added to the delay and wait sent before the switch is asked


@dataclass(frozen=True)
class Outcomes:
    """Learning what became of each placed call from the switch's records (see dialer.run.call_outcomes)."""

    enabled: bool = True
    first_look: float = 120.0  # seconds after a call was placed when it is first looked up
    give_up: float = 3_600.0  # seconds after which a call the switch has no record of is not-known
    wait: float = 600.0  # seconds a run that has nothing more to dial waits for its calls to end


@dataclass(frozen=True)
class Recycle:
    """Calling a person again on purpose after no answer or busy (see dialer.planning.recycle)."""

    enabled: bool = False
    statuses: tuple[str, ...] = ("no-answer", "busy")
    after: float = 3_600.0  # seconds, the least between two calls to one person
    attempts: int = 3  # calls placed to one person in the campaign, in all
    per_24h: int = 3  # calls placed to one person in any 24 hours


@dataclass(frozen=True)
class Campaign:
    name: str
    source: Path  # the file given on the command line
    list_path: Path
    results: Path
    url: str = DEFAULT_URL
    list: ListOptions = field(default_factory=ListOptions)
    pacing: Pacing = field(default_factory=Pacing)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    reconcile: Reconcile = field(default_factory=Reconcile)
    outcomes: Outcomes = field(default_factory=Outcomes)
    recycle: Recycle = field(default_factory=Recycle)
    timeout_margin: float = 10.0  # seconds added to wait for the HTTP timeout
    username_env: str = "ENSWITCH_USERNAME"
    password_env: str = "ENSWITCH_PASSWORD"
    password_file: Path | None = None
    window: dict[str, Any] = field(default_factory=dict)  # raw [window] table, see dialer.windows
