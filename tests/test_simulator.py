"""The Enswitch simulator, judged over real HTTP on 127.0.0.1 as a client sees it."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from click.testing import CliRunner
from yarl import URL

from dialer.simulator import SimulatorConfig, SimulatorProcess, running_simulator
from dialer.simulator.cli import simulate
from dialer.simulator.logs import read_json_lines

pytestmark = pytest.mark.timeout(10)

AUTH = {"auth_username": "demo", "auth_password": "demo-secret"}
CALL = {"snumber": "2125550001", "cnumber": "2125551234"}


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as client:
        yield client


@pytest.fixture
async def sim():
    async with running_simulator(SimulatorConfig()) as running:
        yield running


async def post(session: aiohttp.ClientSession, url: str, **params: str) -> tuple[int, Any]:
    async with session.post(url, data={**AUTH, **params}) as response:
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


def scripted(kind: str, **extra: Any) -> SimulatorConfig:
    return SimulatorConfig(scripted={CALL["snumber"]: [kind]}, **extra)


@pytest.mark.parametrize(("kind", "places"), [("reset-before", False), ("reset-after", True)])
async def test_reset_faults_drop_the_connection(session, kind, places):
    """Reset faults end in a disconnect, not a response; reset-after has placed the call."""
    async with running_simulator(scripted(kind)) as sim:
        with pytest.raises(aiohttp.ClientConnectionError):
            await post(session, sim.url, **CALL)
        assert len(sim.placed) == int(places)
        assert sim.arrivals[0]["fault"] == kind
        assert sim.arrivals[0]["code"] is None


@pytest.mark.parametrize("kind", ["503", "429"])
async def test_busy_faults_carry_retry_after_and_place_nothing(session, kind):
    """503 and 429 are an HTTP status with Retry-After, and no call is placed."""
    async with running_simulator(scripted(kind, retry_after=2.5)) as sim:
        async with session.post(sim.url, data={**AUTH, **CALL}) as response:
            assert response.status == int(kind)
            assert response.headers["Retry-After"] == "2.5"
        assert sim.placed == []
        assert sim.arrivals[0]["code"] == int(kind)


@pytest.mark.parametrize(("kind", "status"), [("500", 500), ("non-json", 200)])
async def test_html_faults_place_the_call(session, kind, status):
    """500 and non-json answer with an HTML body that is not JSON, after placing the call."""
    async with running_simulator(scripted(kind)) as sim:
        async with session.post(sim.url, data={**AUTH, **CALL}) as response:
            assert response.status == status
            assert response.content_type == "text/html"
            with pytest.raises(aiohttp.ContentTypeError):
                await response.json()
        assert len(sim.placed) == 1
        assert sim.placed[0]["fault"] == kind


async def test_hang_places_and_never_answers(session, tmp_path):
    """A hang places the call, answers nothing before the client gives up, and does not stall shutdown."""
    log = tmp_path / "arrivals.jsonl"
    async with running_simulator(scripted("hang", arrivals_log=log)) as sim:
        with pytest.raises(asyncio.TimeoutError):
            async with session.post(
                sim.url, data={**AUTH, **CALL}, timeout=aiohttp.ClientTimeout(total=0.5)
            ) as response:
                await response.read()
        assert len(sim.placed) == 1
        # Logged while still hanging, not an hour later.
        assert read_json_lines(log)[0]["fault"] == "hang"
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 3


async def test_scripted_faults_apply_in_order_then_stop(session):
    """A number's script decides its successive requests ('ok' = normal); other numbers are untouched."""
    config = SimulatorConfig(scripted={CALL["snumber"]: ["503", "ok", "429"]})
    async with running_simulator(config) as sim:
        statuses = []
        for _ in range(4):
            async with session.post(sim.url, data={**AUTH, **CALL}) as response:
                statuses.append(response.status)
        other, _ = await post(session, sim.url, snumber="2125550002", cnumber="1")
    assert statuses == [503, 200, 429, 200]
    assert other == 200
    assert len(sim.placed) == 3


async def test_scripted_faults_skip_requests_that_fail_validation(session):
    """A request refused by validation is answered normally and does not use up the script."""
    async with running_simulator(scripted("503")) as sim:
        status, body = await post(session, sim.url, snumber=CALL["snumber"])
        assert (status, first(body)["key"]) == (400, "cnumber")
        async with session.post(sim.url, data={**AUTH, **CALL}) as response:
            assert response.status == 503


async def fault_sequence(session: aiohttp.ClientSession, seed: int) -> list[int]:
    async with running_simulator(SimulatorConfig(faults={"503": 0.3, "429": 0.2}, seed=seed)) as sim:
        statuses = []
        for n in range(60):
            async with session.post(sim.url, data={**AUTH, "snumber": str(n), "cnumber": "1"}) as response:
                statuses.append(response.status)
        assert len(sim.placed) == statuses.count(200)
        return statuses


async def test_random_faults_are_seeded(session):
    """Random faults follow their probabilities and repeat exactly for the same seed."""
    statuses = await fault_sequence(session, seed=7)
    assert statuses == await fault_sequence(session, seed=7)
    assert set(statuses) == {200, 429, 503}
    assert 10 <= statuses.count(503) <= 30


def test_config_rejects_unknown_fault_kinds():
    """A misspelt fault kind is an error, not a silently fault-free run."""
    with pytest.raises(ValueError, match="unknown fault kind"):
        SimulatorConfig(faults={"timeout": 0.1})
    with pytest.raises(ValueError, match="unknown fault kind"):
        SimulatorConfig(scripted={"1": ["ok", "reset"]})
    with pytest.raises(ValueError, match="more than 1"):
        SimulatorConfig(faults={"503": 0.7, "429": 0.7})


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


def test_read_json_lines_tolerates_a_torn_last_line(tmp_path):
    """A log read while being written loses only its torn last line; a torn middle line is an error."""
    log = tmp_path / "log.jsonl"
    log.write_bytes(b'{"a":1}\n{"a":2}\n{"a":')
    assert read_json_lines(log) == [{"a": 1}, {"a": 2}]
    log.write_bytes(b'{"a":1}\n{"a"\n{"a":3}\n')
    with pytest.raises(orjson.JSONDecodeError):
        read_json_lines(log)
    assert read_json_lines(tmp_path / "missing.jsonl") == []


async def test_get_on_a_reused_connection_is_resent_by_aiohttp(session):
    """Why the runner POSTs: aiohttp resends a GET whose reused connection dropped, dialing twice."""
    async with running_simulator(scripted("reset-after")) as sim:
        await post(session, sim.url, snumber="1", cnumber="2")  # opens the keep-alive connection
        async with session.get(sim.url, params={**AUTH, **CALL}) as response:
            assert response.status == 200
        assert [p["snumber"] for p in sim.placed] == ["1", CALL["snumber"], CALL["snumber"]]


def test_cli_rejects_a_bad_fault(tmp_path):
    """A fault option that names no known kind is a usage error before anything listens."""
    result = CliRunner().invoke(simulate, ["--port", "0", "--fault", "timeout=0.5"])
    assert result.exit_code == 2
    assert "KIND=PROBABILITY" in result.output


def test_cli_rejects_an_unknown_event_loop():
    """The simulator goes on the same event loop as `dialer run`; a misspelt choice is a usage error."""
    result = CliRunner().invoke(simulate, ["--port", "0"], env={"DIALER_EVENT_LOOP": "tokio"})
    assert result.exit_code == 2
    assert "DIALER_EVENT_LOOP='tokio'" in result.output


async def test_subprocess_simulator(tmp_path: Path, session):
    """python -m dialer.simulator serves, logs to JSONL, keeps the password out of its output, exits 0."""
    args = ["--user", "alice:s3cret-pw", "--script", "2125550009=503,ok", "--retry-after", "3"]
    with SimulatorProcess.start(args, tmp_path) as proc:
        assert proc.banner == f"listening on {proc.url}"
        assert proc.url.startswith("http://127.0.0.1:") and proc.url.endswith("/api/json/calls/make/")
        login = {"auth_username": "alice", "auth_password": "s3cret-pw"}
        async with session.post(
            proc.url, data={**login, "snumber": "2125550009", "cnumber": "1"}
        ) as response:
            assert response.status == 503
            assert response.headers["Retry-After"] == "3"
        async with session.post(
            proc.url, data={**login, "snumber": "2125550009", "cnumber": "1"}
        ) as response:
            assert first(await response.json())["code"] == "204"
        async with session.post(proc.url, data={**AUTH, **CALL}) as response:
            assert response.status == 401  # --user replaced the default dialing account
        assert [p["snumber"] for p in proc.placed()] == ["2125550009"]
        assert [a["code"] for a in proc.arrivals()] == [503, 204, 401]
        assert proc.stop() == 0
    for path in (proc.placed_log, proc.arrivals_log, proc.stderr_path):
        assert "s3cret" not in path.read_text()
    assert "s3cret" not in proc.banner


def test_subprocess_exits_cleanly_on_sigint(tmp_path: Path):
    """SIGINT (Ctrl-C) stops the simulator process with exit status 0, like SIGTERM."""
    proc = SimulatorProcess.start([], tmp_path)
    proc.process.send_signal(signal.SIGINT)
    assert proc.process.wait(5) == 0
    assert proc.stop() == 0


def api_url(sim_url: str, name: str) -> str:
    return sim_url.replace("calls/make/", f"{name}/")


async def test_lookups_show_a_call_active_then_as_a_cdr(session):
    """A placed call is listed by calls/active/list for call_seconds, then by cdrs/list with its start."""
    async with running_simulator(SimulatorConfig(call_seconds=0.5)) as sim:
        await post(session, sim.url, **CALL)
        other = {"snumber": "2125550002", "cnumber": CALL["cnumber"]}
        await post(session, sim.url, **other)
        callid, start = sim.placed[0]["callid"], int(sim.placed[0]["t"])
        active_url, cdrs_url = api_url(sim.url, "calls/active/list"), api_url(sim.url, "cdrs/list")
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
    async with session.post(api_url(sim.url, "cdrs/list"), data=params) as response:
        assert response.status == status
        body = await response.json()
    assert first(body)["code"] == str(status) and first(body)["key"] == key and "data" not in body


@pytest.mark.parametrize(("mode", "status"), [("missing", 404), ("forbidden", 403)])
async def test_lookups_not_offered(session, mode, status):
    """A switch without the functions answers 404 (an HTML page); an account without the privilege, 403."""
    async with running_simulator(SimulatorConfig(lookups=mode)) as sim:
        for name in ("calls/active/list", "cdrs/list"):
            async with session.post(api_url(sim.url, name), data={**AUTH, **CALL}) as response:
                assert response.status == status
                assert (response.content_type == "application/json") == (status == 403)
        assert [lk["code"] for lk in sim.lookups] == [status, status]


async def test_subprocess_logs_lookups_apart(tmp_path: Path, session):
    """The process writes lookups to their own log; its arrivals log holds calls/make requests only."""
    with SimulatorProcess.start(["--call-seconds", "0"], tmp_path) as proc:
        await post(session, proc.url, **CALL)
        status, body = await post(session, api_url(proc.url, "cdrs/list"), **CALL)
        assert status == 200 and len(body["data"]) == 1
        assert proc.stop() == 0
    assert [a["snumber"] for a in proc.arrivals()] == [CALL["snumber"]]
    assert [(lk["path"], lk["entries"]) for lk in proc.lookups()] == [("cdrs/list", 1)]
    assert "secret" not in proc.lookups_log.read_text()
