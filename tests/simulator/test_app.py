"""calls/make (dialer.simulator.app), judged over real HTTP on 127.0.0.1 as a client sees it."""

from __future__ import annotations

import time

import aiohttp
import orjson
import pytest

from dialer.simulator import SimulatorConfig, running_simulator
from dialer.simulator.logs import read_json_lines
from tests.simulator.wire import AUTH, CALL, first, post, raw_get_url, until

pytestmark = pytest.mark.timeout(10)


async def test_get_with_semicolons_as_on_the_api_page(sim, session):
    """A GET separated by ';' like the API page's examples is parsed into separate parameters."""
    query = "auth_username=demo;auth_password=demo-secret;stype=phone;snumber=1234567;cnumber=2125551234"
    async with session.get(raw_get_url(sim.url, query)) as response:
        assert response.status == 200
        assert await response.json() == {"responses": [{"code": "204", "key": "", "message": "OK"}]}
    assert [p["params"] for p in sim.placed] == [
        {"stype": "phone", "snumber": "1234567", "cnumber": "2125551234"}
    ]


async def test_get_with_ampersands_and_encoded_separators(sim, session):
    """'&' separates too, and a percent-encoded ';' or '&' stays inside its value; '+' is a space."""
    query = (
        "auth_username=demo&auth_password=demo-secret&stype=&snumber=2125551234&cnumber=100"
        "&callerid1=O%27Brien+%26+Sons%3B%20Sales"
    )
    async with session.get(raw_get_url(sim.url.rstrip("/"), query)) as response:
        assert response.status == 200
        assert first(await response.json())["code"] == "204"
    assert sim.placed[0]["params"]["callerid1"] == "O'Brien & Sons; Sales"
    assert sim.placed[0]["params"]["stype"] == ""


async def test_post_form_and_query_combine(sim, session):
    """A POST form body is read, together with any parameters in the query string."""
    async with session.post(sim.url + "?answer1=1", data={**AUTH, **CALL, "callerid2": "a;b&c"}) as response:
        assert response.status == 200
        assert first(await response.json()) == {"code": "204", "key": "", "message": "OK"}
    assert sim.placed[0]["params"] == {**CALL, "answer1": "1", "callerid2": "a;b&c"}
    assert sim.arrivals[0]["method"] == "POST"
    assert sim.arrivals[0]["code"] == 204


@pytest.mark.parametrize(
    ("auth", "status"),
    [
        ({"auth_username": "demo", "auth_password": "wrong"}, 401),
        ({"auth_password": "demo-secret"}, 401),
        ({"auth_username": "nobody", "auth_password": "demo-secret"}, 401),
        ({"auth_username": "viewer", "auth_password": "viewer-secret"}, 402),
    ],
)
async def test_auth_and_role_refusals(sim, session, auth, status):
    """Bad or missing credentials give 401, a role that cannot dial 402, and nothing is placed."""
    async with session.post(sim.url, data={**auth, **CALL}) as response:
        assert response.status == status
        assert first(await response.json())["code"] == str(status)
    assert sim.placed == []


async def test_auth_is_checked_before_parameters(sim, session):
    """A wrong password with an unknown parameter is still a 401, not a 400."""
    async with session.post(sim.url, data={**CALL, "auth_username": "demo", "bogus": "1"}) as response:
        assert response.status == 401


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"snumber": "2125550001"}, "cnumber"),
        ({"snumber": "", "cnumber": "2125551234"}, "snumber"),
        ({**CALL, "answer1": "2"}, "answer1"),
        ({**CALL, "delay": "1s"}, "delay"),
        ({**CALL, "delay": ""}, "delay"),
        ({**CALL, "stype": "line"}, "stype"),
        ({**CALL, "cnumber": "212-555"}, "cnumber"),
        ({**CALL, "bogus": "1"}, "bogus"),
    ],
)
async def test_invalid_parameters_name_their_key(sim, session, params, key):
    """Each kind of invalid input is a 400 whose key names the parameter; nothing is placed."""
    status, body = await post(session, sim.url, **params)
    assert status == 400
    assert first(body)["code"] == "400"
    assert first(body)["key"] == key
    assert sim.placed == []
    assert sim.arrivals[0]["code"] == 400


async def test_repeated_parameter_is_400(sim, session):
    """A parameter given twice (here once in the query, once in the body) is a 400 naming it."""
    async with session.post(sim.url + "?cnumber=1", data={**AUTH, **CALL}) as response:
        assert response.status == 400
        assert first(await response.json())["key"] == "cnumber"
    query = "auth_username=demo;auth_password=demo-secret;snumber=1;snumber=2;cnumber=3"
    async with session.get(raw_get_url(sim.url, query)) as response:
        assert first(await response.json())["key"] == "snumber"
    assert sim.placed == []


@pytest.mark.parametrize(
    "params", [{"snumber": "9001234", "cnumber": "1"}, {"snumber": "1", "cnumber": "+9005"}]
)
async def test_refused_prefix_is_403(sim, session, params):
    """The rate plan refuses a call to or from a refused prefix with 403 and places nothing."""
    status, body = await post(session, sim.url, **params)
    assert status == 403
    assert first(body)["code"] == "403"
    assert sim.placed == []


async def test_wait_covering_delay_returns_callid(sim, session):
    """With wait >= delay the answer is 200 with machine, server and the placed call's callid."""
    started = time.monotonic()
    status, body = await post(session, sim.url, **CALL, delay="1", wait="2")
    elapsed = time.monotonic() - started
    assert status == 200
    assert first(body)["code"] == "200"
    assert body["data"]["machine"] == 1
    assert body["data"]["server"] == "sim01"
    assert body["data"]["callid"] == sim.placed[0]["callid"]
    assert 0.9 <= elapsed < 1.9


async def test_wait_shorter_than_delay_is_204_and_places_later(sim, session):
    """With wait < delay the answer is 204 when wait runs out; the call is placed after the delay."""
    started = time.monotonic()
    status, body = await post(session, sim.url, **CALL, delay="2", wait="1")
    assert 0.9 <= time.monotonic() - started < 1.9
    assert status == 200
    assert body == {"responses": [{"code": "204", "key": "", "message": "OK"}]}
    assert sim.placed == []
    await until(lambda: len(sim.placed) == 1)
    assert time.monotonic() - started >= 1.9


async def test_delay_without_wait_answers_at_once(sim, session):
    """With a delay and no wait the 204 comes at once and the call is placed a delay later."""
    started = time.monotonic()
    status, body = await post(session, sim.url, **CALL, delay="1")
    assert time.monotonic() - started < 0.5
    assert first(body)["code"] == "204"
    assert sim.placed == []
    await until(lambda: len(sim.placed) == 1)
    assert sim.placed[0]["mono"] - sim.arrivals[0]["mono"] >= 0.95


async def test_place_latency_is_added_to_delay(session):
    """place_latency pushes placement past a wait that would otherwise cover it."""
    async with running_simulator(SimulatorConfig(place_latency=1.2)) as sim:
        status, body = await post(session, sim.url, **CALL, wait="1")
        assert first(body)["code"] == "204"
        assert "data" not in body
        await until(lambda: len(sim.placed) == 1)


async def test_code_as_number(session):
    """code_as_number sends "code" as a JSON number, like a public fixture does."""
    async with running_simulator(SimulatorConfig(code_as_number=True)) as sim:
        status, body = await post(session, sim.url, **CALL)
        bad, refusal = await post(session, sim.url, snumber="1")
    assert first(body)["code"] == 204
    assert first(refusal)["code"] == 400


async def test_logs_match_memory_and_never_hold_the_password(session, tmp_path):
    """The JSONL logs mirror the in-memory lists, and the password appears in neither."""
    placed_log, arrivals_log = tmp_path / "placed.jsonl", tmp_path / "arrivals.jsonl"
    config = SimulatorConfig(
        placed_log=placed_log, arrivals_log=arrivals_log, scripted={"5": ["500", "reset-after"]}
    )
    async with running_simulator(config) as sim:
        await post(session, sim.url, **CALL, callerid1="x")
        await post(session, sim.url, snumber="1")
        async with session.post(sim.url, data={**AUTH, "snumber": "5", "cnumber": "1"}) as response:
            assert response.status == 500
        with pytest.raises(aiohttp.ClientConnectionError):
            await post(session, sim.url, snumber="5", cnumber="1")
        async with session.get(sim.url, params={**AUTH, **CALL}) as response:
            assert response.status == 200
        await post(session, sim.url, auth_password="wrong-demo-secret", **CALL)
        placed, arrivals = list(sim.placed), list(sim.arrivals)
    assert len(placed) == 4
    assert len(arrivals) == 6
    assert read_json_lines(placed_log) == orjson.loads(orjson.dumps(placed))
    assert sorted(r["mono"] for r in read_json_lines(arrivals_log)) == [r["mono"] for r in arrivals]
    assert placed[0]["params"] == {**CALL, "callerid1": "x"}
    for text in (placed_log.read_text(), arrivals_log.read_text(), repr(placed), repr(arrivals)):
        assert "secret" not in text
        assert "auth_" not in text


async def test_placed_log_line_records_the_default_outcome(sim, session):
    """With no answer model each placed call is logged answered at once, talking call_seconds."""
    await post(session, sim.url, **CALL)
    (placed,) = sim.placed
    assert (placed["status"], placed["ring_s"], placed["talk_s"]) == ("answer", 0.0, 3.0)
    assert placed["end"] == pytest.approx(placed["t"] + 3.0)


async def test_placed_log_counts_what_the_switch_did(session, tmp_path):
    """Each placed call's log line holds its status, ring and talk seconds and end: enough to count
    the outcomes of a run from the log."""
    log = tmp_path / "placed.jsonl"
    config = SimulatorConfig(
        placed_log=log,
        seed=5,
        answer={"noanswer": 0.3, "busy": 0.2},
        ring_seconds=(1.0, 2.0),
        talk_seconds=(5.0, 6.0),
        fail_seconds=0.5,
    )
    async with running_simulator(config) as sim:
        for n in range(40):
            await post(session, sim.url, snumber=f"21255500{n:02d}", cnumber="100")
    lines = read_json_lines(log)
    assert len(lines) == 40
    assert {line["status"] for line in lines} == {"answer", "noanswer", "busy"}
    for line in lines:
        length = {"answer": line["ring_s"] + line["talk_s"], "noanswer": line["ring_s"], "busy": 0.5}
        assert line["end"] == pytest.approx(line["t"] + length[line["status"]])
        assert 1.0 <= line["ring_s"] <= 2.0 or line["status"] == "busy"
