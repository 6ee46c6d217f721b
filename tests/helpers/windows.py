"""Calling windows for the windows tests: UTC instants and windows built from a [window] table."""

from __future__ import annotations

from datetime import UTC, datetime

from dialer.windows import CallingWindow

LONDON = {"timezone": "Europe/London", "hours": "09:00-17:00"}
NEW_YORK = {"timezone": "America/New_York", "hours": "09:00-17:00"}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def window(**table: object) -> CallingWindow:
    built = CallingWindow.from_config(table)
    assert built is not None
    return built
