"""Calling a person again on purpose: who is due for another call, and when. Pure.

A campaign with ``[recycle]`` calls again the people whose last call ended in one of ``statuses``
(no answer or busy, by default), no sooner than ``after`` since that call, while they have had fewer
than ``attempts`` calls placed in all and fewer than ``per_24h`` in any 24 hours. Someone who
answered is never called again, and neither is someone whose last call's outcome is not known, or
whose last attempt may have rung without an answer coming back (unknown).
"""

from __future__ import annotations

from collections.abc import Sequence

from dialer.campaign.settings import Recycle as RecyclePolicy

DAY = 86_400.0


def next_call_at(policy: RecyclePolicy, call_status: str | None, placed: Sequence[float]) -> float | None:
    """When (Unix time) the person may be called again, given the outcome of their last call and the
    times their calls were placed; None when never."""
    if not policy.enabled or call_status not in policy.statuses or not placed:
        return None
    if len(placed) >= policy.attempts:
        return None
    times = sorted(placed)
    at = times[-1] + policy.after
    if len(times) >= policy.per_24h:
        # The oldest of the last per_24h calls must have left the 24 hours before the next one.
        at = max(at, times[-policy.per_24h] + DAY)
    return at


def why(call_status: str, placed: Sequence[float], policy: RecyclePolicy) -> str:
    """The reason a recycled call is made, for its results line."""
    return (
        f"the last call ended {call_status}; call {len(placed) + 1} of at most {policy.attempts}, "
        f"at least {policy.after:g} s after the last"
    )
