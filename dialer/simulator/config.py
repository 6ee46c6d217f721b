"""What a simulated switch is told to be: its accounts, its rate plan, how it misbehaves, and what the
people it calls do."""

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
# Nothing placed; 401 whose message quotes the request as received, its login included (a switch or
# proxy that echoes what it refused): what a client must keep out of everything it writes.
ECHO = "echo"
FAULT_KINDS: tuple[str, ...] = (
    RESET_BEFORE,
    RESET_AFTER,
    UNAVAILABLE,
    TOO_MANY,
    SERVER_ERROR,
    HANG,
    NON_JSON,
    ECHO,
)
NO_FAULT = "ok"  # in a script: this request is answered normally

# What became of a placed call: Enswitch's raw CDR status values, kept raw.
ANSWER = "answer"  # the person answered; the call talks, then ends
NOANSWER = "noanswer"  # rang out
CANCEL = "cancel"  # given up while ringing
BUSY = "busy"  # ends about fail_seconds after placement, never rang
CONGESTION = "congestion"  # failed: ends about fail_seconds after placement, never rang
STATUSES: tuple[str, ...] = (ANSWER, NOANSWER, BUSY, CONGESTION, CANCEL)

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
    seed: int | None = None  # seeds the fault draw and (apart) the answer model
    scripted: dict[str, list[str]] = field(default_factory=dict)  # snumber -> kinds of its requests
    place_latency: float = 0.0
    hang_seconds: float = 3600.0
    retry_after: float = 1.0
    code_as_number: bool = False
    placed_log: Path | None = None
    arrivals_log: Path | None = None  # calls/make requests only: what pacing is measured on
    # The talk time of an answered call when talk_seconds is None: with the default answer model
    # (every call answered at once) a placed call is active this long, then a finished call (a CDR).
    call_seconds: float = 3.0
    lookups: str = LOOKUPS_OFFERED
    lookups_log: Path | None = None  # calls/active/list and cdrs/list requests
    # The answer model. answer: status -> probability of a placed call; what the listed ones leave
    # to 1 is answered (empty: every call is answered).
    answer: dict[str, float] = field(default_factory=dict)
    ring_seconds: tuple[float, float] = (0.0, 0.0)  # uniform in [low, high]; low == high is fixed
    talk_seconds: tuple[float, float] | None = None  # None: call_seconds, fixed
    fail_seconds: float = 1.0  # busy and congestion calls end this long after placement
    outcome_scripts: dict[str, list[str]] = field(default_factory=dict)  # snumber -> statuses of its calls
    cdr_page_max: int = 500  # cdrs/list returns at most this many records a request
    cdr_delay: float = 0.0  # a CDR is listed only this long after its call ended
    no_cdr: tuple[str, ...] = ()  # snumbers whose calls never get a CDR (a switch that lost them)
    login: bool = True  # user/login offered (else HTTP 404)
    token_seconds: float = 3600.0  # lifetime of a user/login token
    token_prefix: str = ""  # every token starts with it: tests look for it where no token may be
    logins_log: Path | None = None  # user/login requests

    def __post_init__(self) -> None:
        _check_faults(self.faults, self.scripted)
        _check_answer_model(self.answer, self.ring_seconds, self.talk_seconds, self.outcome_scripts)
        durations = (self.place_latency, self.hang_seconds, self.retry_after, self.call_seconds)
        if min(*durations, self.fail_seconds, self.cdr_delay) < 0:
            raise ValueError(
                "place_latency, hang_seconds, retry_after, call_seconds, fail_seconds and cdr_delay"
                " must not be negative"
            )
        if self.lookups not in LOOKUP_MODES:
            raise ValueError(f"lookups must be one of {', '.join(LOOKUP_MODES)}, not {self.lookups!r}")
        if self.cdr_page_max < 1:
            raise ValueError("cdr_page_max must be at least 1")
        if self.token_seconds <= 0:
            raise ValueError("token_seconds must be more than 0")
        if not self.users:
            raise ValueError("the switch needs at least one account")


def _check_faults(faults: dict[str, float], scripted: dict[str, list[str]]) -> None:
    # A typo in a fault name would otherwise silently mean "no fault" and a test that proves nothing.
    for kind, probability in faults.items():
        _check_kind(kind)
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"fault {kind!r}: probability {probability} is not within 0..1")
    if sum(faults.values()) > 1.0 + 1e-9:
        raise ValueError("fault probabilities add up to more than 1")
    for kinds in scripted.values():
        for kind in kinds:
            if kind != NO_FAULT:
                _check_kind(kind)


def _check_kind(kind: str) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")


def _check_answer_model(
    answer: dict[str, float],
    ring: tuple[float, float],
    talk: tuple[float, float] | None,
    scripts: dict[str, list[str]],
) -> None:
    for status, probability in answer.items():
        _check_status(status)
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"status {status!r}: probability {probability} is not within 0..1")
    if sum(answer.values()) > 1.0 + 1e-9:
        raise ValueError("answer probabilities add up to more than 1")
    for name, bounds in (("ring_seconds", ring), ("talk_seconds", talk)):
        if bounds is not None and not 0.0 <= bounds[0] <= bounds[1]:
            raise ValueError(f"{name}: {bounds[0]}-{bounds[1]} is not a range of seconds (low <= high)")
    for statuses in scripts.values():
        for status in statuses:
            _check_status(status)


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown call status {status!r}; known: {', '.join(STATUSES)}")
