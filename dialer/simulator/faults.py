"""Which fault, if any, a request gets: its number's script first, else a seeded draw."""

from __future__ import annotations

import random

from dialer.simulator.config import NO_FAULT, SimulatorConfig


class FaultPicker:
    def __init__(self, config: SimulatorConfig) -> None:
        self._scripts = {number: list(kinds) for number, kinds in config.scripted.items()}
        self._served: dict[str, int] = {}
        self._random = random.Random(config.seed)
        # One draw per request against cumulative bounds: at most one fault, each with its own probability.
        self._bounds: list[tuple[float, str]] = []
        total = 0.0
        for kind, probability in config.faults.items():
            if probability > 0:
                total += probability
                self._bounds.append((total, kind))

    def pick(self, snumber: str) -> str | None:
        script = self._scripts.get(snumber)
        if script is not None:
            index = self._served.get(snumber, 0)
            if index < len(script):
                self._served[snumber] = index + 1
                kind = script[index]
                return None if kind == NO_FAULT else kind
        if not self._bounds:
            return None
        draw = self._random.random()
        for bound, kind in self._bounds:
            if draw < bound:
                return kind
        return None
