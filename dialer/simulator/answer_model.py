"""What happens to a placed call: answered, rang out, busy, failed or cancelled, and for how long.

Each placed call gets a status (Enswitch's raw CDR values: answer, noanswer, busy, congestion, cancel),
a ring time and a talk time, decided when it is placed:

- its number's outcome script first (``SNUMBER=noanswer,busy,answer``: that number's successive placed
  calls), then a seeded draw against the configured probabilities; what they leave to 1 is answered;
- ring and talk seconds drawn uniformly from their ranges (a fixed number when low == high).

Every call takes three draws (status, ring, talk) whatever it becomes, so a given seed gives the same
outcomes to the same sequence of placed calls, scripted or not. A call's life: placed at t0, rings
``ring`` seconds; an answered call then talks ``talk`` seconds; noanswer and cancel end when the ringing
stops; busy and congestion end ``fail_seconds`` after placement and never ring. With no model configured
every call is answered at once and talks ``call_seconds``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from dialer.simulator.config import ANSWER, BUSY, CONGESTION, STATUSES, SimulatorConfig

_DIGITS = 3  # drawn seconds are rounded to the millisecond, in the log and in the call's life alike


@dataclass(frozen=True)
class Outcome:
    status: str
    ring: float  # seconds ringing before the answer or the end (0 for busy and congestion)
    talk: float  # seconds answered (0 unless answered)
    length: float  # seconds from placement to the end of the call

    @property
    def answered_after(self) -> float | None:
        """Seconds from placement to the answer; None if never answered."""
        return self.ring if self.status == ANSWER else None


def outcome_of(status: str, ring: float, talk: float, fail_seconds: float) -> Outcome:
    """A call's life from its status and the drawn ring and talk seconds."""
    if status == ANSWER:
        return Outcome(status, ring, talk, ring + talk)
    if status in (BUSY, CONGESTION):
        return Outcome(status, 0.0, 0.0, fail_seconds)
    return Outcome(status, ring, 0.0, ring)  # noanswer, cancel


class AnswerModel:
    def __init__(self, config: SimulatorConfig) -> None:
        # A stream apart from the fault draw's: switching a model on does not move the faults.
        self._random = random.Random(None if config.seed is None else f"answers-{config.seed}")
        self._scripts = {number: list(statuses) for number, statuses in config.outcome_scripts.items()}
        self._placed: dict[str, int] = {}
        self._bounds: list[tuple[float, str]] = []
        total = 0.0
        for status, probability in config.answer.items():
            if probability > 0:
                total += probability
                self._bounds.append((total, status))
        self._ring = config.ring_seconds
        talk = config.talk_seconds
        self._talk = talk if talk is not None else (config.call_seconds, config.call_seconds)
        self._fail_seconds = config.fail_seconds

    def decide(self, snumber: str) -> Outcome:
        """The outcome of the next call placed to ``snumber``."""
        drawn = self._random.random()
        ring = _within(self._ring, self._random.random())
        talk = _within(self._talk, self._random.random())
        status = self._scripted(snumber) or self._status(drawn)
        return outcome_of(status, ring, talk, self._fail_seconds)

    def _scripted(self, snumber: str) -> str | None:
        script = self._scripts.get(snumber)
        if script is None:
            return None
        index = self._placed.get(snumber, 0)
        if index >= len(script):
            return None
        self._placed[snumber] = index + 1
        return script[index]

    def _status(self, drawn: float) -> str:
        for bound, status in self._bounds:
            if drawn < bound:
                return status
        return ANSWER


def _within(bounds: tuple[float, float], fraction: float) -> float:
    low, high = bounds
    return round(low + (high - low) * fraction, _DIGITS)


def parse_probabilities(text: str) -> dict[str, float]:
    """``answer=0.6,noanswer=0.25,busy=0.1,congestion=0.05`` -> {status: probability}."""
    out: dict[str, float] = {}
    for part in text.split(","):
        status, sep, value = part.strip().partition("=")
        if not sep or status not in STATUSES:
            raise ValueError(f"expected STATUS=PROBABILITY[,...] with STATUS one of {', '.join(STATUSES)}")
        if status in out:
            raise ValueError(f"status {status!r} given twice")
        try:
            probability = float(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a probability") from None
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"{status}: probability {value} is not within 0..1")
        out[status] = probability
    if sum(out.values()) > 1.0 + 1e-9:
        raise ValueError("probabilities add up to more than 1")
    return out


def parse_range(text: str) -> tuple[float, float]:
    """``2-8`` -> (2.0, 8.0); ``3`` -> (3.0, 3.0): seconds, uniform in the range."""
    low_text, sep, high_text = text.strip().partition("-")
    try:
        low = float(low_text)
        high = float(high_text) if sep else low
    except ValueError:
        raise ValueError(f"expected SECONDS or LOW-HIGH, not {text!r}") from None
    if not 0.0 <= low <= high:
        raise ValueError(f"{text!r} is not a range of seconds (0 <= LOW <= HIGH)")
    return low, high


def parse_outcome_script(text: str) -> tuple[str, list[str]]:
    """``SNUMBER=noanswer,busy,answer`` -> (snumber, statuses of its successive placed calls)."""
    number, sep, statuses = text.partition("=")
    steps = statuses.split(",")
    if not sep or not number or any(s not in STATUSES for s in steps):
        raise ValueError(f"expected SNUMBER=STATUS[,STATUS...] with STATUS one of {', '.join(STATUSES)}")
    return number, steps
