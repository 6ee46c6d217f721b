"""The results file's times as Unix time (pure)."""

from __future__ import annotations

from datetime import datetime


def unix_time(ts: str | None, default: float) -> float:
    """A results line's ``ts`` (UTC ISO 8601, ``Z``) as Unix time; ``default`` when absent or unreadable."""
    if not ts:
        return default
    try:
        return datetime.fromisoformat(ts).timestamp()
    except ValueError:
        return default
