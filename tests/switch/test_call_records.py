"""The switch's records of calls in bulk (dialer/switch/call_records.py), against answers mocked at
aiohttp's level: a window of cdrs/list paged with limit and offset until a short page, a switch that
caps its pages below the limit asked, one callid's records, the calls in progress, and answers that
cannot be read."""

from __future__ import annotations

import pytest
from aioresponses import aioresponses

from dialer.campaign.credentials import Credentials
from dialer.core.secrets import Secrets
from dialer.switch import call_records
from dialer.switch.call_records import CallRecords
from dialer.switch.login import Login
from dialer.switch.transport import AiohttpTransport
from tests.helpers.mocked_api import ACTIVE_URL, CDRS_URL, LOGIN_URL, MAKE_URL, envelope, forms, token_answer

pytestmark = pytest.mark.timeout(30)

T0 = 1_800_000_000


def cdrs(first: int, count: int) -> list[dict]:
    return [
        {"uniqueid": f"{T0}.{i}-1", "callid": f"{T0}.{i}", "start": T0 + i, "status": "answer"}
        for i in range(first, first + count)
    ]


def page(first: int, count: int) -> bytes:
    return envelope("200", cdrs(first, count))


@pytest.fixture
async def records_of():
    """CallRecords over a real transport logged in with a token, pages of ``page`` records."""
    transports = []

    async def make(page_size: int = call_records.PAGE) -> CallRecords:
        transport = AiohttpTransport(MAKE_URL, max_connections=4)
        transports.append(transport)
        login = Login(transport, Credentials("demo", "demo-secret"), Secrets(), read_timeout=5)
        await login.start()
        return CallRecords(transport, login, read_timeout=5, page=page_size)

    yield make
    for transport in transports:
        await transport.close()


def asked(m, url=CDRS_URL) -> list[tuple[str, str, str, str]]:
    return [(f["start"], f["end"], f["limit"], f["offset"]) for f in forms(m, url)]


async def test_a_window_is_read_page_by_page_until_a_short_page(records_of):
    with aioresponses() as m:
        m.post(LOGIN_URL, body=token_answer("tok-1234"))
        for first, count in ((0, 3), (3, 3), (6, 1)):
            m.post(CDRS_URL, body=page(first, count))
        records = await records_of(page_size=3)
        fetched = await records.finished(T0 - 30, T0 + 30.5)
        questions = asked(m)
    # The first short page is believed only once the switch showed its pages can be as long as 3.
    assert questions == [
        (str(T0 - 30), str(T0 + 31), "3", "0"),
        (str(T0 - 30), str(T0 + 31), "3", "3"),
        (str(T0 - 30), str(T0 + 31), "3", "6"),
    ]
    assert [r.callid for r in fetched.records] == [f"{T0}.{i}" for i in range(7)]
    assert fetched.failure is None and fetched.requests == records.requests == 3


async def test_a_switch_that_caps_its_pages_below_the_limit_is_read_to_the_end(records_of):
    """Pages of at most 2 whatever the limit: a page of 2 is not the end; after seeing pages of 2,
    a page of 1 is."""
    with aioresponses() as m:
        m.post(LOGIN_URL, body=token_answer("tok-1234"))
        for first, count in ((0, 2), (2, 2), (4, 2), (6, 0), (0, 2), (2, 1)):
            m.post(CDRS_URL, body=page(first, count))
        records = await records_of()
        first_window = await records.finished(T0, T0 + 60)
        second_window = await records.finished(T0 + 60, T0 + 120)
        offsets = [q[3] for q in asked(m)]
    assert len(first_window.records) == 6 and len(second_window.records) == 3
    assert offsets == ["0", "2", "4", "6", "0", "2"]


async def test_a_short_first_page_is_confirmed_by_an_empty_one_until_a_longer_page_was_seen(records_of):
    with aioresponses() as m:
        m.post(LOGIN_URL, body=token_answer("tok-1234"))
        m.post(CDRS_URL, body=page(0, 5))
        m.post(CDRS_URL, body=page(0, 0))
        m.post(CDRS_URL, body=page(0, 4))
        records = await records_of()
        assert len((await records.finished(T0, T0 + 60)).records) == 5
        assert len((await records.finished(T0, T0 + 60)).records) == 4
        assert len(forms(m, CDRS_URL)) == 3


async def test_no_content_without_a_data_list_is_an_empty_window(records_of):
    with aioresponses() as m:
        m.post(LOGIN_URL, body=token_answer("tok-1234"))
        m.post(CDRS_URL, body=envelope("204", None, message="No Content"))
        m.post(CDRS_URL, status=204, body=b"")
        records = await records_of()
        for _ in range(2):
            fetched = await records.finished(T0, T0 + 60)
            assert (fetched.records, fetched.failure) == ([], None)


async def test_records_of_one_call_are_asked_by_its_callid_within_its_window(records_of):
    with aioresponses() as m:
        m.post(LOGIN_URL, body=token_answer("tok-1234"))
        m.post(CDRS_URL, body=page(7, 1))
        records = await records_of()
        fetched = await records.finished(T0 - 30, T0 + 30, callid=f"{T0}.7")
        (form,) = forms(m, CDRS_URL)
    assert form["callid"] == f"{T0}.7" and (form["start"], form["end"]) == (str(T0 - 30), str(T0 + 31))
    assert [r.callid for r in fetched.records] == [f"{T0}.7"]


@pytest.mark.parametrize(
    ("status", "body", "failure", "not_offered"),
    [
        (404, b"<html>Not Found</html>", "cdrs/list answered 404", True),
        (200, envelope("403", message="Your role does not allow this."), "cdrs/list answered 403", True),
        (500, b"<html>error</html>", "cdrs/list answered 500", False),
        (200, b"not json", "cdrs/list: HTTP 200 without a list", False),
        (200, envelope("200", {"cdrs": []}), "cdrs/list: HTTP 200 without a list", False),
    ],
)
async def test_an_answer_that_is_not_a_list_decides_nothing_and_says_why(
    records_of, status, body, failure, not_offered
):
    """What was read before it is kept; a refusal that means the switch will not tell says so."""
    with aioresponses() as m:
        m.post(LOGIN_URL, body=token_answer("tok-1234"))
        m.post(CDRS_URL, body=page(0, 3))
        m.post(CDRS_URL, status=status, body=body, content_type="text/html")
        records = await records_of(page_size=3)
        fetched = await records.finished(T0, T0 + 60)
    assert len(fetched.records) == 3 and fetched.requests == 2
    assert (fetched.failure, fetched.not_offered) == (failure, not_offered)


async def test_a_switch_that_never_stops_paging_is_not_believed(records_of, monkeypatch):
    monkeypatch.setattr(call_records, "MAX_PAGES", 4)
    with aioresponses() as m:
        m.post(LOGIN_URL, body=token_answer("tok-1234"))
        m.post(CDRS_URL, body=page(0, 2), repeat=True)
        records = await records_of(page_size=2)
        fetched = await records.finished(T0, T0 + 60)
    assert fetched.requests == 4 and fetched.failure == "more than 4 pages for one window"


async def test_the_calls_in_progress_are_one_question(records_of):
    with aioresponses() as m:
        m.post(LOGIN_URL, body=token_answer("tok-1234"))
        legs = [{"uniqueid": "1.1-1", "callid": "1.1", "snumber": "2125550000", "cnumber": "100"}]
        m.post(ACTIVE_URL, body=envelope("200", legs))
        m.post(ACTIVE_URL, status=404, body=b"Not Found", content_type="text/html")
        records = await records_of()
        going = await records.active()
        refused = await records.active()
        (form, _) = forms(m, ACTIVE_URL)
    assert [r.callid for r in going.records] == ["1.1"] and going.failure is None
    assert refused.not_offered and refused.failure == "calls/active/list answered 404"
    assert form == {"auth_token": "tok-1234"}  # no filter: every call in progress
