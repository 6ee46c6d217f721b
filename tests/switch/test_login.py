"""The login every request carries (dialer/switch/login.py), against answers mocked at aiohttp's level:
a user/login token got once and sent instead of the password, renewed before it expires and once on
a 401, the password where the switch offers no token, and the token kept secret."""

from __future__ import annotations

import asyncio

import pytest
from aioresponses import aioresponses

from dialer.campaign.credentials import Credentials
from dialer.core.secrets import HIDDEN, Secrets
from dialer.switch import login as login_module
from dialer.switch.call_records import CallRecords
from dialer.switch.login import Login, LoginRefused
from dialer.switch.transport import AiohttpTransport, RawReply, TransportFailure
from tests.helpers.mocked_api import (
    ACTIVE_URL,
    CDRS_URL,
    LOGIN_URL,
    MAKE_URL,
    envelope,
    forms,
    token_answer,
)

pytestmark = pytest.mark.timeout(30)

CREDS = Credentials("demo", "demo-secret")
PASSWORD_FIELDS = {"auth_username": "demo", "auth_password": "demo-secret"}
TOKEN_1 = "eyJhbGciOiJIUzI1NiJ9.first-token.x"
TOKEN_2 = "eyJhbGciOiJIUzI1NiJ9.second-token.y"
EMPTY_LIST = envelope("200", [])
REFUSED = envelope("401", None, message="The authentication token is invalid or has expired.")
T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def client():
    """A real transport and a login over it, on a clock the test moves; closed at the end."""
    transport = AiohttpTransport(MAKE_URL, max_connections=4)
    clock = Clock()
    secrets = Secrets(CREDS.password)
    login = Login(transport, CREDS, secrets, read_timeout=5, clock=clock)
    records = CallRecords(transport, login, read_timeout=5)
    yield login, records, clock, secrets
    await transport.close()


def auth_of(form: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in form.items() if k.startswith("auth_")}


async def test_a_token_is_got_once_and_sent_instead_of_the_password(client):
    login, records, _, secrets = client
    with aioresponses() as m:
        m.post(LOGIN_URL, body=token_answer(TOKEN_1))
        m.post(CDRS_URL, body=EMPTY_LIST, repeat=True)
        m.post(ACTIVE_URL, body=EMPTY_LIST, repeat=True)
        await login.start()
        await records.finished(T0 - 60, T0)
        await records.active()
        await records.finished(T0, T0 + 60)
        assert forms(m, LOGIN_URL) == [{**PASSWORD_FIELDS, "token": "1"}]
        sent = forms(m, CDRS_URL) + forms(m, ACTIVE_URL)
    assert login.offered is True and login.uses_token and login.logins == 1
    assert sent and all(auth_of(form) == {"auth_token": TOKEN_1} for form in sent)
    assert secrets.scrub_text(f"token {TOKEN_1} in a message") == f"token {HIDDEN} in a message"


async def test_the_token_is_renewed_a_minute_before_it_expires(client):
    login, records, clock, _ = client
    with aioresponses() as m:
        m.post(LOGIN_URL, body=token_answer(TOKEN_1, expiry=600))
        m.post(LOGIN_URL, body=token_answer(TOKEN_2, expiry=600))
        m.post(CDRS_URL, body=EMPTY_LIST, repeat=True)
        await login.start()
        clock.now = T0 + 539
        await records.finished(T0, T0 + 1)
        clock.now = T0 + 540
        await records.finished(T0, T0 + 1)
        tokens = [form["auth_token"] for form in forms(m, CDRS_URL)]
        assert len(forms(m, LOGIN_URL)) == 2
    assert tokens == [TOKEN_1, TOKEN_2]  # an empty page: the window's only question


@pytest.mark.parametrize(
    ("answer", "renew_after"),
    [
        (token_answer(TOKEN_1, expiry=8), 6.0),  # a short life: renewed a quarter of it early
        (token_answer(TOKEN_1, expiry="3600"), 3_540.0),  # seconds as text
        (token_answer(TOKEN_1, expiry=None, expires=int(T0) + 1_200), 1_140.0),  # Unix time only
        # The switch's clock two hours behind ours: its Unix time is in our past; the life counts.
        (token_answer(TOKEN_1, expiry=3_600, expires=int(T0) - 3_600), 3_540.0),
        (token_answer(TOKEN_1, expiry=None), 240.0),  # no expiry given: five minutes
        (token_answer(TOKEN_1, expiry=-5, expires="soon"), 240.0),
    ],
)
async def test_when_a_token_is_renewed_follows_what_the_switch_says_of_its_life(client, answer, renew_after):
    login, _, clock, _ = client
    with aioresponses() as m:
        m.post(LOGIN_URL, body=answer)
        m.post(LOGIN_URL, body=token_answer(TOKEN_2))
        await login.start()
        clock.now = T0 + renew_after - 0.5
        await login.fresh()
        assert login.fields() == [("auth_token", TOKEN_1)]
        clock.now = T0 + renew_after
        await login.fresh()
        assert login.fields() == [("auth_token", TOKEN_2)]


async def test_a_401_to_the_token_logs_in_again_once_and_a_401_to_the_new_one_refuses_the_account(client):
    login, records, _, _ = client
    with aioresponses() as m:
        m.post(LOGIN_URL, body=token_answer(TOKEN_1))
        m.post(LOGIN_URL, body=token_answer(TOKEN_2))
        m.post(CDRS_URL, status=401, body=REFUSED, repeat=True)
        await login.start()
        fetched = await records.finished(T0, T0 + 1)
        assert [form["auth_token"] for form in forms(m, CDRS_URL)] == [TOKEN_1, TOKEN_2]
        assert len(forms(m, LOGIN_URL)) == 2
    assert fetched.failure == "cdrs/list answered 401" and fetched.not_offered
    assert await login.refused([("auth_token", TOKEN_2)]) is False  # and calls/make stops too


async def test_a_renewed_token_the_switch_accepted_may_be_renewed_again_on_a_later_401(client):
    """A switch restarted twice in a run: each time the token it forgot is renewed, since the one
    got after the first 401 was accepted before the second."""
    login, records, _, _ = client
    with aioresponses() as m:
        for token in (TOKEN_1, TOKEN_2, "third-token-zz"):
            m.post(LOGIN_URL, body=token_answer(token))
        for answer in ((401, REFUSED), (200, EMPTY_LIST), (401, REFUSED), (200, EMPTY_LIST)):
            m.post(CDRS_URL, status=answer[0], body=answer[1])
        m.post(CDRS_URL, body=EMPTY_LIST, repeat=True)
        await login.start()
        first = await records.finished(T0, T0 + 1)
        second = await records.finished(T0, T0 + 1)
        tokens = [form["auth_token"] for form in forms(m, CDRS_URL)]
    assert first.failure is None and second.failure is None
    assert tokens[:4] == [TOKEN_1, TOKEN_2, TOKEN_2, "third-token-zz"]


async def test_a_switch_without_user_login_is_sent_the_password_every_time_and_never_asked_again(client):
    login, records, clock, _ = client
    with aioresponses() as m:
        m.post(LOGIN_URL, status=404, body=b"<html>Not Found</html>", content_type="text/html")
        m.post(CDRS_URL, body=EMPTY_LIST, repeat=True)
        m.post(ACTIVE_URL, body=EMPTY_LIST, repeat=True)
        await login.start()
        for minutes in range(5):
            clock.now = T0 + 600 * minutes
            await records.finished(T0, T0 + 1)
            await records.active()
        sent = forms(m, CDRS_URL) + forms(m, ACTIVE_URL)
        assert len(forms(m, LOGIN_URL)) == 1
    assert login.offered is False and not login.uses_token
    assert len(sent) == 10 and all(auth_of(form) == PASSWORD_FIELDS for form in sent)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, envelope("400", key="token", message="Unknown parameter.")),  # a switch before 4.4
        (200, envelope("200", {"user": "demo"})),  # an answer without a token
        (501, b"Not Implemented"),
    ],
)
async def test_an_answer_without_a_token_means_the_password(client, status, body):
    login, _, clock, _ = client
    with aioresponses() as m:
        m.post(LOGIN_URL, status=status, body=body, repeat=True)
        await login.start()
        clock.now = T0 + 3_600
        await login.fresh()
        assert len(forms(m, LOGIN_URL)) == 1
    assert login.offered is False and login.fields() == list(PASSWORD_FIELDS.items())


@pytest.mark.parametrize("failure", ["no answer", "500"])
async def test_a_user_login_that_could_not_be_reached_is_asked_again_a_minute_later(client, failure):
    login, _, clock, _ = client
    with aioresponses() as m:
        if failure == "500":
            m.post(LOGIN_URL, status=500, body=b"<html>error</html>", content_type="text/html")
        else:
            m.post(LOGIN_URL, exception=TimeoutError())
        m.post(LOGIN_URL, body=token_answer(TOKEN_1))
        await login.start()
        assert login.offered is None and login.fields() == list(PASSWORD_FIELDS.items())
        clock.now = T0 + login_module.RETRY_UNREACHED - 1
        await login.fresh()
        assert len(forms(m, LOGIN_URL)) == 1
        clock.now = T0 + login_module.RETRY_UNREACHED
        await login.fresh()
        assert len(forms(m, LOGIN_URL)) == 2
    assert login.fields() == [("auth_token", TOKEN_1)]


async def test_a_password_refused_at_login_refuses_the_account(client):
    login, _, _, _ = client
    with aioresponses() as m:
        m.post(LOGIN_URL, status=401, body=envelope("401", message="invalid"))
        with pytest.raises(LoginRefused, match="user/login answered 401"):
            await login.start()
    assert await login.refused(list(PASSWORD_FIELDS.items())) is False


async def test_a_password_changed_during_the_run_ends_in_a_refusal_not_an_exception(client):
    """The renewal is refused: nothing raises in the request that needed it; the password is sent,
    and its 401 refuses the account as it would have without tokens."""
    login, records, clock, _ = client
    with aioresponses() as m:
        m.post(LOGIN_URL, body=token_answer(TOKEN_1, expiry=600))
        m.post(LOGIN_URL, status=401, body=envelope("401", message="invalid"))
        m.post(CDRS_URL, status=401, body=envelope("401"), repeat=True)
        await login.start()
        clock.now = T0 + 600
        fetched = await records.finished(T0, T0 + 1)
        assert auth_of(forms(m, CDRS_URL)[0]) == PASSWORD_FIELDS
        assert len(forms(m, CDRS_URL)) == 1
    assert fetched.failure == "cdrs/list answered 401"
    assert login.refused_by is not None and "401" in login.refused_by


# -- many requests refused at once --------------------------------------------------------------------


class SlowLoginSwitch:
    """A switch (a transport's post_api) whose user/login takes a while, and which refuses the
    first token."""

    def __init__(self) -> None:
        self.logins = 0

    async def post_api(self, path, form, read_timeout) -> RawReply:
        if path == "user/login":
            self.logins += 1
            await asyncio.sleep(0.05)
            return RawReply(200, {}, token_answer(f"token-number-{self.logins}"))
        raise TransportFailure("dropped", "unexpected")


async def test_requests_refused_while_a_new_token_is_being_got_are_all_sent_again_with_it():
    """A hundred requests in flight with a token the switch forgot: one logs in again, the others
    wait for that login and are sent again; none refuses the account."""
    switch = SlowLoginSwitch()
    login = Login(switch, CREDS, Secrets(), read_timeout=5)
    await login.start()
    sent = [login.fields()] * 100
    again = await asyncio.gather(*(login.refused(form) for form in sent))
    assert again == [True] * 100
    assert switch.logins == 2 and login.fields() == [("auth_token", "token-number-2")]
