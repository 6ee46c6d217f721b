"""What calls/make is sent for a row, and how long its answer is waited for (pure)."""

from __future__ import annotations

from collections.abc import Mapping


def request_params(row_params: Mapping[str, str], stagger_delay: int) -> dict[str, str]:
    """The row's parameters as the list sets them, with a staggered ``delay`` added to any the row
    sends, and ``wait`` raised by the whole delay: the API page asks that wait be greater than delay
    when both are used, and adding the delay keeps the tracking time the campaign asked for."""
    params = dict(row_params)
    if not stagger_delay and "delay" not in params:
        return params
    if stagger_delay:
        params["delay"] = str(stagger_delay + _whole(params.get("delay")))
    total_delay = _whole(params.get("delay"))
    wait = _whole(params.get("wait"))
    if wait and total_delay:
        params["wait"] = str(wait + total_delay)
    return params


def read_timeout(params: Mapping[str, str], margin: float) -> float:
    """Seconds from sending until an answer is given up on: the ``wait`` sent plus a margin."""
    return _whole(params.get("wait")) + margin


def _whole(value: str | None) -> int:
    return int(value or "0")
