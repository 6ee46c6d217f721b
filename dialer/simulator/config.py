"""What a simulated switch is told to be: its accounts, its rate plan and how it misbehaves."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

RESET_BEFORE = "reset-before"  # connection dropped, nothing placed, nothing answered
RESET_AFTER = "reset-after"  # call placed, then the connection dropped without an answer
UNAVAILABLE = "503"  # nothing placed; HTTP 503 with Retry-After
TOO_MANY = "429"  # nothing placed; HTTP 429 with Retry-After
SERVER_ERROR = "500"  # call placed, then HTTP 500 with an HTML body
HANG = "hang"  # call placed, then no answer for hang_seconds
NON_JSON = "non-json"  # call placed, then HTTP 200 with an HTML body
FAULT_KINDS: tuple[str, ...] = (
    RESET_BEFORE,
    RESET_AFTER,
    UNAVAILABLE,
    TOO_MANY,
    SERVER_ERROR,
    HANG,
    NON_JSON,
)
NO_FAULT = "ok"  # in a script: this request is answered normally

# Whether calls/active/list and cdrs/list answer: a switch may not offer them, or the account may lack
# the privilege; a client must then leave what it could not check alone.
LOOKUPS_OFFERED = "offered"
LOOKUPS_MISSING = "missing"  # HTTP 404: a switch without the functions
LOOKUPS_FORBIDDEN = "forbidden"  # code 403: an account without the privilege
LOOKUP_MODES: tuple[str, ...] = (LOOKUPS_OFFERED, LOOKUPS_MISSING, LOOKUPS_FORBIDDEN)


@dataclass(frozen=True)
class User:
    password: str = field(repr=False)  # kept out of reprs so it never lands in a log or a traceback
    can_dial: bool = True


def _default_users() -> dict[str, User]:
    return {"demo": User("demo-secret"), "viewer": User("viewer-secret", can_dial=False)}


@dataclass
class SimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 0
    users: dict[str, User] = field(default_factory=_default_users)
    refused_prefixes: tuple[str, ...] = ("900",)
    faults: dict[str, float] = field(default_factory=dict)  # kind -> probability per request
    seed: int | None = None
    scripted: dict[str, list[str]] = field(default_factory=dict)  # snumber -> kinds of its requests
    place_latency: float = 0.0
    hang_seconds: float = 3600.0
    retry_after: float = 1.0
    code_as_number: bool = False
    placed_log: Path | None = None
    arrivals_log: Path | None = None  # calls/make requests only: what pacing is measured on
    call_seconds: float = 3.0  # a placed call is active this long, then a finished call (a CDR)
    lookups: str = LOOKUPS_OFFERED
    lookups_log: Path | None = None  # calls/active/list and cdrs/list requests

    def __post_init__(self) -> None:
        # A typo in a fault name would otherwise silently mean "no fault" and a test that proves nothing.
        for kind, probability in self.faults.items():
            _check_kind(kind)
            if not 0.0 <= probability <= 1.0:
                raise ValueError(f"fault {kind!r}: probability {probability} is not within 0..1")
        if sum(self.faults.values()) > 1.0 + 1e-9:
            raise ValueError("fault probabilities add up to more than 1")
        for kinds in self.scripted.values():
            for kind in kinds:
                if kind != NO_FAULT:
                    _check_kind(kind)
        if min(self.place_latency, self.hang_seconds, self.retry_after, self.call_seconds) < 0:
            raise ValueError("place_latency, hang_seconds, retry_after and call_seconds must not be negative")
        if self.lookups not in LOOKUP_MODES:
            raise ValueError(f"lookups must be one of {', '.join(LOOKUP_MODES)}, not {self.lookups!r}")


def _check_kind(kind: str) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
