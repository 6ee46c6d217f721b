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
    arrivals_log: Path | None = None

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
        if self.place_latency < 0 or self.hang_seconds < 0 or self.retry_after < 0:
            raise ValueError("place_latency, hang_seconds and retry_after must not be negative")


def _check_kind(kind: str) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
