"""The transport to calls/make (dialer/switch/transport.py): the form body byte for byte, and the hook each
call passes once its connection is ready and before its bytes go out, judged from the simulator's side."""

from __future__ import annotations

import asyncio
import random
import string
import time
from urllib.parse import quote, urlencode

import pytest

from dialer.core.policy import NOT_CONNECTED
from dialer.switch.transport import AiohttpTransport, TransportFailure, encode_form
from tests.helpers.processes import PASSWORD, USERNAME

pytestmark = pytest.mark.timeout(60)


ALPHABET = string.ascii_letters + string.digits + "_.~-" + " &=;+%/?#'\"<>é€ß\t"


def test_encode_form_is_urlencode_with_every_reserved_byte_escaped():
    """The fast path for plain pairs and the quoting path agree with urlencode on awkward forms."""
    rng = random.Random(20261126)
    for _ in range(5000):
        form = [
            (
                "".join(rng.choices(ALPHABET, k=rng.randint(0, 6))),
                "".join(rng.choices(ALPHABET, k=rng.randint(0, 9))),
            )
            for _ in range(rng.randint(1, 4))
        ]
        assert encode_form(form) == urlencode(form, quote_via=quote, safe="").encode("ascii"), form


def test_a_value_holding_the_separators_never_splits_the_form():
    body = encode_form([("snumber", "2125551234"), ("callerid2", "a=b&c=d"), ("x=y", "z")])
    assert body == b"snumber=2125551234&callerid2=a%3Db%26c%3Dd&x%3Dy=z"


# -- the hook at the write -------------------------------------------------------------------------


AUTH = [("auth_username", USERNAME), ("auth_password", PASSWORD)]


def call_form(snumber: str) -> list[tuple[str, str]]:
    return [*AUTH, ("snumber", snumber), ("cnumber", "100")]


async def test_each_call_passes_its_hook_once_before_the_switch_sees_it_and_lookups_never(simulator):
    """Twenty calls at once, each hook holding its request 50 ms: every hook runs exactly once, every
    request reaches the switch only after its hook let it go, and a lookup runs no hook."""
    sim = simulator()
    transport = AiohttpTransport(sim.url, max_connections=10, write_hooks=True)
    released: dict[str, list[float]] = {}

    def hook_for(snumber: str):
        async def hold_then_release() -> None:
            await asyncio.sleep(0.05)
            released.setdefault(snumber, []).append(time.monotonic())

        return hold_then_release

    numbers = [f"21255500{i:02d}" for i in range(20)]
    try:
        replies = await asyncio.gather(*(transport.post_form(call_form(n), 5, hook_for(n)) for n in numbers))
        lookup = await transport.post_api("calls/active/list", AUTH, 5)
    finally:
        await transport.close()
    assert [r.status for r in replies] == [200] * 20 and lookup.status == 200
    assert {n: len(times) for n, times in released.items()} == dict.fromkeys(numbers, 1)
    arrived = {a["snumber"]: a["mono"] for a in sim.arrivals()}
    assert set(arrived) == set(numbers)
    assert all(arrived[n] >= released[n][0] for n in numbers)
    assert len(sim.lookups()) == 1


@pytest.mark.parametrize("connection", ["new", "reused"])
async def test_a_request_held_past_its_time_limit_was_never_sent(simulator, connection):
    """A request its hook holds beyond its time limit fails as not connected (nothing was written,
    so it is safe to retry), on a new connection (aiohttp's connect timeout) as on one reused from
    the pool (the time limit), and the switch never saw it."""
    sim = simulator()
    transport = AiohttpTransport(sim.url, max_connections=2, write_hooks=True)

    async def release() -> None:
        return None

    async def never() -> None:
        await asyncio.sleep(30)

    try:
        if connection == "reused":
            await transport.post_form(call_form("2125550001"), 5, release)
        with pytest.raises(TransportFailure) as failure:
            await transport.post_form(call_form("2125550100"), 0.3, never)
    finally:
        await transport.close()
    assert failure.value.kind == NOT_CONNECTED
    if connection == "reused":
        assert "not yet written" in failure.value.detail
    assert [a["snumber"] for a in sim.arrivals()] == (["2125550001"] if connection == "reused" else [])
