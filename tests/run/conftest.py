"""Fixtures of the run tests: a fake clock for the pacer and asyncio-throttle."""

from __future__ import annotations

import types

import asyncio_throttle.throttler
import pytest

from tests.helpers.fake_time import FakeTime


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """A clock that moves only when someone sleeps, read by asyncio-throttle as well as by the test."""
    fake = FakeTime()
    # asyncio-throttle reads time.monotonic and sleeps with asyncio.sleep from its own module.
    monkeypatch.setattr(asyncio_throttle.throttler, "time", types.SimpleNamespace(monotonic=fake.monotonic))
    monkeypatch.setattr(asyncio_throttle.throttler, "asyncio", types.SimpleNamespace(sleep=fake.sleep))
    return fake
