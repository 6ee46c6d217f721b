"""Judging a run from the switch's side: the simulator's logs say what the switch saw (arrivals) and
did (placed calls); these helpers hold them to what the run must never do."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence

from dialer.journal.lines import Event


def most_in_window(times: Sequence[float], window: float) -> int:
    """The most events inside any half-open window [t, t + window)."""
    t = sorted(times)
    return max((bisect.bisect_left(t, x + window) - i for i, x in enumerate(t)), default=0)


def placed_per_number(placed: Sequence[dict]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for p in placed:
        key = (p["snumber"], p["cnumber"])
        counts[key] = counts.get(key, 0) + 1
    return counts


def assert_placed_at_most_once(placed: Sequence[dict]) -> None:
    twice = {k: n for k, n in placed_per_number(placed).items() if n > 1}
    assert not twice, f"placed more than once at the switch: {twice}"


def assert_every_arrival_had_an_intent(arrivals: Sequence[dict], results: Sequence[dict]) -> None:
    """Each request the switch received was preceded by a complete `dial` line for that number."""
    arrived = Counter(a["snumber"] for a in arrivals if a.get("snumber"))
    intents = Counter(line["snumber"] for line in results if line.get("event") == Event.DIAL)
    missing = {s: (n, intents[s]) for s, n in arrived.items() if n > intents[s]}
    assert not missing, f"requests that arrived without a durable intent (arrivals, intents): {missing}"
