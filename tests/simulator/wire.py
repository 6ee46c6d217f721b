"""Helpers of the simulator's tests (no fixtures here: they are in conftest.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from yarl import URL

AUTH = {"auth_username": "demo", "auth_password": "demo-secret"}
VIEWER = {"auth_username": "viewer", "auth_password": "viewer-secret"}
CALL = {"snumber": "2125550001", "cnumber": "2125551234"}


async def post(session: aiohttp.ClientSession, url: str, auth: dict | None = None, **params: str):
    """POST a form (the demo account's password unless ``auth`` is given): (HTTP status, JSON body)."""
    async with session.post(url, data={**(AUTH if auth is None else auth), **params}) as response:
        return response.status, await response.json()


def raw_get_url(url: str, query: str) -> URL:
    # encoded=True: the query goes out byte for byte, ';' included.
    return URL(f"{url}?{query}", encoded=True)


async def until(condition: Callable[[], bool], timeout: float = 4.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def first(body: dict[str, Any]) -> dict[str, Any]:
    return body["responses"][0]


async def login(session: aiohttp.ClientSession, login_url: str, auth: dict | None = None) -> dict[str, Any]:
    """A token login that must succeed: its ``data``."""
    status, body = await post(session, login_url, auth, token="1")
    assert status == 200 and first(body)["code"] == "200", body
    return body["data"]
