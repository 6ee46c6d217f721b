"""The transport to calls/make (dialer/switch/transport.py): the form body byte for byte, and the hook each
call passes once its connection is ready and before its bytes go out, judged from the simulator's side;
requests, answers and failures mocked at aiohttp's level (aioresponses)."""

from __future__ import annotations

import asyncio
import random
import string
import time
from urllib.parse import quote, urlencode

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey
from aioresponses import aioresponses

from dialer.core.policy import DROPPED, NOT_CONNECTED, TIMEOUT
from dialer.switch.transport import BODY_NOT_WRITTEN, AiohttpTransport, TransportFailure, api_url, encode_form
from tests.helpers.mocked_api import ACTIVE_URL, CDRS_URL, MAKE_URL, envelope, forms, requested_urls
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


# -- requests and answers, mocked at aiohttp's level ------------------------------------------------

SECRETS = (PASSWORD, "a-login-token-never-written")


@pytest.fixture
async def mocked_transport():
    transport = AiohttpTransport(MAKE_URL, max_connections=4)
    with aioresponses() as mock:
        yield transport, mock
    await transport.close()


async def test_calls_make_and_the_lists_are_posted_as_forms_with_the_login_in_the_body_only(mocked_transport):
    """The password and a token travel in the POST body: no URL the client asks for holds them, so
    none can reach a proxy's or the switch's access log."""
    transport, m = mocked_transport
    m.post(MAKE_URL, body=envelope("200", {"callid": "1.1"}))
    m.post(CDRS_URL, body=envelope("200", []))
    await transport.post_form([*AUTH, ("snumber", "2125550000"), ("cnumber", "100")], 5)
    await transport.post_api("cdrs/list", [("auth_token", SECRETS[1]), ("start", "1"), ("end", "2")], 5)
    assert requested_urls(m) == [MAKE_URL, CDRS_URL]
    assert all("?" not in url and not any(s in url for s in SECRETS) for url in requested_urls(m))
    assert forms(m, MAKE_URL) == [{**dict(AUTH), "snumber": "2125550000", "cnumber": "100"}]
    assert forms(m, CDRS_URL) == [{"auth_token": SECRETS[1], "start": "1", "end": "2"}]
    assert all(call.kwargs["allow_redirects"] is False for calls in m.requests.values() for call in calls)


async def test_an_answer_comes_back_raw_with_its_headers_whatever_its_status(mocked_transport):
    transport, m = mocked_transport
    m.post(MAKE_URL, status=503, body=b"busy", headers={"Retry-After": "7"}, content_type="text/plain")
    reply = await transport.post_form(AUTH, 5)
    assert (reply.status, reply.body, reply.headers.get("retry-after")) == (503, b"busy", "7")


@pytest.mark.parametrize(
    ("exception", "kind"),
    [
        (
            aiohttp.ClientConnectorError(
                ConnectionKey("pbx.test", 80, False, True, None, None, None), OSError(111, "refused")
            ),
            NOT_CONNECTED,
        ),
        (aiohttp.ConnectionTimeoutError("connect timed out"), NOT_CONNECTED),
        (aiohttp.ServerDisconnectedError(), DROPPED),
        (aiohttp.ClientOSError(104, "Connection reset by peer"), DROPPED),
        (aiohttp.ClientOSError(32, f"{BODY_NOT_WRITTEN}: broken pipe"), NOT_CONNECTED),
        (aiohttp.SocketTimeoutError("read timed out"), TIMEOUT),
        (TimeoutError(), TIMEOUT),
    ],
)
async def test_what_went_wrong_says_whether_the_switch_can_have_placed_the_call(
    mocked_transport, exception, kind
):
    """Not connected (never sent: safe to retry), dropped or timed out (may have been placed), and
    the failure's words hold neither the password nor a token."""
    transport, m = mocked_transport
    m.post(MAKE_URL, exception=exception)
    with pytest.raises(TransportFailure) as failure:
        await transport.post_form([*AUTH, ("auth_token", SECRETS[1])], 5)
    assert failure.value.kind == kind
    assert not any(s in str(failure.value) for s in SECRETS)


async def test_a_lookup_that_fails_is_a_transport_failure_holding_no_secret(mocked_transport):
    transport, m = mocked_transport
    m.post(ACTIVE_URL, exception=aiohttp.ServerDisconnectedError())
    m.post(CDRS_URL, exception=TimeoutError())
    with pytest.raises(TransportFailure) as dropped:
        await transport.post_api("calls/active/list", [("auth_token", SECRETS[1])], 5)
    with pytest.raises(TransportFailure) as timed_out:
        await transport.post_api("cdrs/list", [*AUTH], 5)
    assert (dropped.value.kind, timed_out.value.kind) == (DROPPED, TIMEOUT)
    assert not any(s in str(f.value) for f in (dropped, timed_out) for s in SECRETS)


def test_other_functions_are_addressed_beside_calls_make():
    assert api_url("https://pbx.example.com/api/json/calls/make/", "cdrs/list") == (
        "https://pbx.example.com/api/json/cdrs/list/"
    )
    assert api_url("http://h:8080/sub/api/json/calls/make/", "/user/login/") == (
        "http://h:8080/sub/api/json/user/login/"
    )
