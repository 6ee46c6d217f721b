"""Token login (dialer.simulator.login): user/login, and auth_token on every function."""

from __future__ import annotations

import asyncio
import time

import pytest

from dialer.simulator import SimulatorConfig, running_simulator
from tests.simulator.wire import AUTH, CALL, VIEWER, first, login, post, raw_get_url

pytestmark = pytest.mark.timeout(10)

LOGIN = "user/login"


async def test_login_answers_a_token_and_its_lifetime(sim, session):
    """user/login with token=1 answers code 200 with auth_token, auth_token_expiry (seconds) and
    auth_token_expires (Unix time); each login gets its own token."""
    before = time.time()
    status, body = await post(session, sim.api_url(LOGIN), token="1")
    assert status == 200
    assert body["responses"] == [{"code": "200", "key": "", "message": "OK"}]
    data = body["data"]
    assert set(data) == {"auth_token", "auth_token_expiry", "auth_token_expires"}
    assert data["auth_token_expiry"] == 3600 and isinstance(data["auth_token_expiry"], int)
    assert int(before) + 3600 <= data["auth_token_expires"] <= time.time() + 3600
    assert isinstance(data["auth_token"], str) and len(data["auth_token"]) >= 32
    assert (await login(session, sim.api_url(LOGIN)))["auth_token"] != data["auth_token"]


async def test_login_by_get_with_semicolons(sim, session):
    """user/login takes GET as well, ';'-separated like the API page's examples."""
    query = "auth_username=demo;auth_password=demo-secret;token=1"
    async with session.get(raw_get_url(sim.api_url(LOGIN), query)) as response:
        assert response.status == 200
        assert "auth_token" in (await response.json())["data"]


async def test_a_token_replaces_the_password_everywhere(sim, session):
    """auth_token instead of a name and password is accepted by calls/make and both lookups."""
    token = {"auth_token": (await login(session, sim.api_url(LOGIN)))["auth_token"]}
    status, body = await post(session, sim.url, token, **CALL)
    assert (status, first(body)["code"]) == (200, "204")
    assert len(sim.placed) == 1 and "auth_token" not in sim.placed[0]["params"]
    assert sim.arrivals[0]["auth"] == "token"
    for name in ("calls/active/list", "cdrs/list"):
        status, body = await post(session, sim.api_url(name), token, **CALL)
        assert (status, first(body)["code"]) == (200, "200")
    assert [lk["auth"] for lk in sim.lookups] == ["token", "token"]


@pytest.mark.parametrize(
    "auth",
    [
        {"auth_username": "demo", "auth_password": "wrong"},
        {"auth_username": "nobody", "auth_password": "demo-secret"},
        {"auth_password": "demo-secret"},
    ],
)
async def test_login_with_wrong_credentials_is_401(sim, session, auth):
    """Wrong or missing credentials: code 401 and HTTP 401, no data, as calls/make answers them."""
    status, body = await post(session, sim.api_url(LOGIN), auth, token="1")
    assert (status, first(body)["code"]) == (401, "401")
    assert "data" not in body
    assert [lg["code"] for lg in sim.logins] == [401]


@pytest.mark.parametrize(
    ("params", "key"), [({}, "token"), ({"token": "0"}, "token"), ({"token": "1", "bogus": "1"}, "bogus")]
)
async def test_login_without_token_1_is_400(sim, session, params, key):
    """Only token logins are simulated: no token=1, or an unknown parameter, is a 400 naming it."""
    status, body = await post(session, sim.api_url(LOGIN), **params)
    assert (status, first(body)["key"]) == (400, key)
    assert "data" not in body


@pytest.mark.parametrize("name", ["calls/make", "calls/active/list", "cdrs/list"])
async def test_an_unknown_token_is_401(sim, session, name):
    """A token the switch never gave out is code 401, HTTP 401, whatever the function."""
    status, body = await post(session, sim.api_url(name), {"auth_token": "forged"}, **CALL)
    assert (status, first(body)["code"]) == (401, "401")
    assert sim.placed == []


async def test_an_expired_token_is_401_and_a_new_login_works(session):
    """Once its lifetime is over a token is answered 401; logging in again gives one that works."""
    async with running_simulator(SimulatorConfig(token_seconds=0.3)) as sim:
        data = await login(session, sim.api_url(LOGIN))
        assert data["auth_token_expiry"] == 0.3
        token = {"auth_token": data["auth_token"]}
        assert (await post(session, sim.url, token, **CALL))[0] == 200
        await asyncio.sleep(0.35)
        status, body = await post(session, sim.url, token, **CALL)
        assert (status, first(body)["code"]) == (401, "401")
        assert (await post(session, sim.api_url("cdrs/list"), token))[0] == 401
        fresh = {"auth_token": (await login(session, sim.api_url(LOGIN)))["auth_token"]}
        assert (await post(session, sim.url, fresh, **CALL))[0] == 200
        assert len(sim.placed) == 2


async def test_a_viewers_token_may_not_dial(sim, session):
    """A token is its user's: a viewer may log in, and calls/make answers the viewer's token 402."""
    token = {"auth_token": (await login(session, sim.api_url(LOGIN), VIEWER))["auth_token"]}
    status, body = await post(session, sim.url, token, **CALL)
    assert (status, first(body)["code"]) == (402, "402")
    assert sim.placed == []


async def test_no_login_is_404(session):
    """A switch without user/login answers it HTTP 404 with an HTML page; the attempt is logged."""
    async with running_simulator(SimulatorConfig(login=False)) as sim:
        async with session.post(sim.api_url(LOGIN), data={**AUTH, "token": "1"}) as response:
            assert response.status == 404
            assert response.content_type == "text/html"
        assert [lg["code"] for lg in sim.logins] == [404]


async def test_logins_are_logged_apart(session, tmp_path):
    """Logins go to their own log, never among the calls/make arrivals or the lookups, and the log
    holds neither the password nor the token."""
    log = tmp_path / "logins.jsonl"
    async with running_simulator(SimulatorConfig(logins_log=log)) as sim:
        data = await login(session, sim.api_url(LOGIN))
        await post(session, sim.api_url(LOGIN), {**AUTH, "auth_password": "wrong-secret"}, token="1")
        assert sim.arrivals == [] and sim.lookups == []
    text = log.read_text()
    assert [(lg["path"], lg["code"]) for lg in sim.logins] == [("user/login", 200), ("user/login", 401)]
    assert sim.logins[0]["expires"] == data["auth_token_expires"]
    assert len(text.splitlines()) == 2
    assert data["auth_token"] not in text and "secret" not in text
