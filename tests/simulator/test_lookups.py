"""calls/active/list and cdrs/list (dialer.simulator.lookups), over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

import pytest

from dialer.simulator import SimulatorConfig, running_simulator
from tests.simulator.wire import AUTH, CALL, first, post, until

pytestmark = pytest.mark.timeout(10)

ACTIVE, CDRS = "calls/active/list", "cdrs/list"
CDR_FIELDS = {
    "uniqueid",
    "callid",
    "start",
    "end",
    "talktime",
    "totaltime",
    "snumber",
    "cnumber",
    "dnumber",
    "direction",
    "status",
}


async def test_lookups_show_a_call_active_then_as_a_cdr(session):
    """A placed call is listed by calls/active/list for call_seconds, then by cdrs/list with its start."""
    async with running_simulator(SimulatorConfig(call_seconds=0.5)) as sim:
        await post(session, sim.url, **CALL)
        other = {"snumber": "2125550002", "cnumber": CALL["cnumber"]}
        await post(session, sim.url, **other)
        callid, start = sim.placed[0]["callid"], int(sim.placed[0]["t"])
        active_url, cdrs_url = sim.api_url(ACTIVE), sim.api_url(CDRS)
        status, body = await post(session, active_url, **CALL)
        assert status == 200 and first(body)["code"] == "200"
        assert body["data"] == [
            {
                "uniqueid": f"{callid}-1",
                "callid": callid,
                **CALL,
                "start": start,
                "answered": start,
            }
        ]
        assert (await post(session, cdrs_url, **CALL))[1]["data"] == []
        await asyncio.sleep(0.6)
        assert (await post(session, active_url, **CALL))[1]["data"] == []
        window = {"start": str(start - 5), "end": str(start + 5)}
        status, body = await post(session, cdrs_url, **CALL, **window)
        assert status == 200 and [(e["callid"], e["start"]) for e in body["data"]] == [(callid, start)]
        # Exact filters and the start window leave other calls and other times out.
        assert (await post(session, cdrs_url, **CALL, start=str(start + 1)))[1]["data"] == []
        assert (await post(session, cdrs_url, snumber="212555000", cnumber=CALL["cnumber"]))[1]["data"] == []
        assert len((await post(session, cdrs_url))[1]["data"]) == 2
        assert [e["snumber"] for e in (await post(session, cdrs_url, callid=callid))[1]["data"]] == [
            CALL["snumber"]
        ]
        async with session.get(cdrs_url, params={**AUTH, **CALL}) as response:
            assert len((await response.json())["data"]) == 1
        # Lookups are not calls/make requests: logged apart, never among the arrivals.
        assert len(sim.arrivals) == 2
        assert [lk["path"] for lk in sim.lookups][:2] == ["calls/active/list", "cdrs/list"]
        assert sim.lookups[0]["entries"] == 1 and sim.lookups[0]["code"] == 200


@pytest.mark.parametrize(
    ("params", "status", "key"),
    [
        ({"auth_username": "demo", "auth_password": "wrong"}, 401, ""),
        ({"auth_username": "viewer", "auth_password": "viewer-secret"}, 402, ""),
        ({**AUTH, "bogus": "1"}, 400, "bogus"),
        ({**AUTH, "start": "yesterday"}, 400, "start"),
    ],
)
async def test_lookups_check_auth_and_parameters(sim, session, params, status, key):
    """The lookups refuse as calls/make does: 401, 402, and 400 naming the key."""
    async with session.post(sim.api_url(CDRS), data=params) as response:
        assert response.status == status
        body = await response.json()
    assert first(body)["code"] == str(status) and first(body)["key"] == key and "data" not in body


@pytest.mark.parametrize(("mode", "status"), [("missing", 404), ("forbidden", 403)])
async def test_lookups_not_offered(session, mode, status):
    """A switch without the functions answers 404 (an HTML page); an account without the privilege, 403."""
    async with running_simulator(SimulatorConfig(lookups=mode)) as sim:
        for name in ("calls/active/list", "cdrs/list"):
            async with session.post(sim.api_url(name), data={**AUTH, **CALL}) as response:
                assert response.status == status
                assert (response.content_type == "application/json") == (status == 403)
        assert [lk["code"] for lk in sim.lookups] == [status, status]


async def test_answered_is_zero_while_ringing(session):
    """An answered call is listed from its placement with answered 0 until it is picked up, then with
    the Unix second it was; it is gone from the list when it ends."""
    config = SimulatorConfig(ring_seconds=(0.6, 0.6), talk_seconds=(0.6, 0.6))
    async with running_simulator(config) as sim:
        await post(session, sim.url, **CALL)
        placed = sim.placed[0]
        status, body = await post(session, sim.api_url(ACTIVE), **CALL)
        assert status == 200 and [e["answered"] for e in body["data"]] == [0]
        await until(lambda: time.time() >= placed["t"] + 0.65)
        body = (await post(session, sim.api_url(ACTIVE), **CALL))[1]
        assert [e["answered"] for e in body["data"]] == [int(placed["t"] + 0.6)]
        await until(lambda: time.time() >= placed["end"] + 0.05)
        assert (await post(session, sim.api_url(ACTIVE), **CALL))[1]["data"] == []
        cdrs = (await post(session, sim.api_url(CDRS), **CALL))[1]["data"]
        assert [(c["callid"], c["status"]) for c in cdrs] == [(placed["callid"], "answer")]


@pytest.mark.parametrize(
    ("status", "lasts"), [("noanswer", 0.6), ("cancel", 0.6), ("busy", 0.4), ("congestion", 0.4)]
)
async def test_unanswered_calls_end_with_their_raw_status(session, status, lasts):
    """A call that rang out or was cancelled ends after its ring, a busy or failed one after
    fail_seconds; each is listed active with answered 0, then as a CDR with its raw status, no talk."""
    config = SimulatorConfig(
        ring_seconds=(0.6, 0.6), fail_seconds=0.4, outcome_scripts={CALL["snumber"]: [status]}
    )
    async with running_simulator(config) as sim:
        await post(session, sim.url, **CALL)
        placed = sim.placed[0]
        assert (placed["status"], round(placed["end"] - placed["t"], 3)) == (status, lasts)
        active = (await post(session, sim.api_url(ACTIVE), **CALL))[1]["data"]
        assert [e["answered"] for e in active] == [0]
        await asyncio.sleep(lasts + 0.05)
        assert (await post(session, sim.api_url(ACTIVE), **CALL))[1]["data"] == []
        (record,) = (await post(session, sim.api_url(CDRS), **CALL))[1]["data"]
    assert record["status"] == status
    assert record["talktime"] == 0
    assert record["totaltime"] == record["end"] - record["start"] == int(placed["end"]) - int(placed["t"])


async def test_cdr_has_the_enswitch_fields(session):
    """A CDR carries uniqueid, callid, start, end, talktime, totaltime, snumber, cnumber, dnumber (the
    number dialed first), direction "out" and status, consistent with the call the switch placed."""
    async with running_simulator(SimulatorConfig(ring_seconds=(0.1, 0.1), call_seconds=0.2)) as sim:
        await post(session, sim.url, **CALL)
        placed = sim.placed[0]
        await asyncio.sleep(0.35)
        (record,) = (await post(session, sim.api_url(CDRS), **CALL))[1]["data"]
    start, end, answered = int(placed["t"]), int(placed["end"]), int(placed["t"] + 0.1)
    assert set(record) == CDR_FIELDS
    assert record == {
        "uniqueid": f"{placed['callid']}-1",
        "callid": placed["callid"],
        "start": start,
        "end": end,
        "talktime": end - answered,
        "totaltime": end - start,
        **CALL,
        "dnumber": CALL["snumber"],
        "direction": "out",
        "status": "answer",
    }


async def test_count_answers_just_a_count(sim, session):
    """calls/active/list with count=1 answers {"count": n} for the matching calls, not the list; count
    is 0 or 1."""
    await post(session, sim.url, **CALL)
    await post(session, sim.url, snumber="2125550002", cnumber="100")
    status, body = await post(session, sim.api_url(ACTIVE), count="1")
    assert status == 200 and body["data"] == {"count": 2}
    assert (await post(session, sim.api_url(ACTIVE), count="1", **CALL))[1]["data"] == {"count": 1}
    assert len((await post(session, sim.api_url(ACTIVE), count="0"))[1]["data"]) == 2
    status, body = await post(session, sim.api_url(ACTIVE), count="2")
    assert (status, first(body)["key"]) == (400, "count")


async def test_cdr_page_cap_forces_paging(session):
    """No limit, or a limit above cdr_page_max, gets at most cdr_page_max CDRs; paging with offset
    gives every CDR exactly once, sorted by start then uniqueid."""
    async with running_simulator(SimulatorConfig(call_seconds=0, cdr_page_max=3)) as sim:
        for n in range(8):
            await post(session, sim.url, snumber=f"21255500{n:02d}", cnumber="100")
        await asyncio.sleep(0.01)
        url = sim.api_url(CDRS)
        assert len((await post(session, url))[1]["data"]) == 3
        assert len((await post(session, url, limit="100"))[1]["data"]) == 3
        assert len((await post(session, url, limit="2"))[1]["data"]) == 2
        pages = [(await post(session, url, limit="100", offset=str(at)))[1]["data"] for at in (0, 3, 6, 9)]
        callids = {p["callid"] for p in sim.placed}
    assert [len(page) for page in pages] == [3, 3, 2, 0]
    listed = [record for page in pages for record in page]
    assert len(listed) == len({r["uniqueid"] for r in listed}) == 8
    assert {r["callid"] for r in listed} == callids
    assert listed == sorted(listed, key=lambda r: (r["start"], r["uniqueid"]))


async def test_cdrs_filter_by_status(session):
    """cdrs/list's status filter is exact on the raw status."""
    config = SimulatorConfig(
        call_seconds=0, fail_seconds=0, outcome_scripts={CALL["snumber"]: ["busy", "answer"]}
    )
    async with running_simulator(config) as sim:
        for _ in range(2):
            await post(session, sim.url, **CALL)
        await asyncio.sleep(0.01)
        busy = (await post(session, sim.api_url(CDRS), status="busy"))[1]["data"]
        answered = (await post(session, sim.api_url(CDRS), status="answer"))[1]["data"]
        none = (await post(session, sim.api_url(CDRS), status="noanswer"))[1]["data"]
    assert [r["callid"] for r in busy] == [sim.placed[0]["callid"]]
    assert [r["callid"] for r in answered] == [sim.placed[1]["callid"]]
    assert none == []


async def test_cdr_window_is_inclusive(session):
    """start and end bound the call's start, both included."""
    async with running_simulator(SimulatorConfig(call_seconds=0)) as sim:
        await post(session, sim.url, **CALL)
        await asyncio.sleep(0.01)
        start = str(int(sim.placed[0]["t"]))
        url = sim.api_url(CDRS)
        assert len((await post(session, url, start=start, end=start))[1]["data"]) == 1
        assert (await post(session, url, end=str(int(start) - 1)))[1]["data"] == []


async def test_cdr_delay_holds_back_a_finished_call(session):
    """With cdr_delay a finished call is in neither list until its CDR is written, delay seconds later."""
    async with running_simulator(SimulatorConfig(call_seconds=0, cdr_delay=0.5)) as sim:
        await post(session, sim.url, **CALL)
        assert (await post(session, sim.api_url(ACTIVE), **CALL))[1]["data"] == []
        assert (await post(session, sim.api_url(CDRS), **CALL))[1]["data"] == []
        await asyncio.sleep(0.55)
        assert len((await post(session, sim.api_url(CDRS), **CALL))[1]["data"]) == 1
