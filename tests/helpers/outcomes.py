"""Call outcomes and recycling, for their tests: campaign files with [outcomes] and [recycle], a switch
in this process that lists the calls it placed with their outcomes, and what the results file and
the simulator's logs say of each call."""

from __future__ import annotations

import asyncio
import io
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import orjson

from dialer.campaign.file import load_campaign
from dialer.commands.console import console
from dialer.core.call_outcome import call_status
from dialer.run.session import RunOptions, Session
from dialer.switch.login import LOGIN_PATH
from dialer.switch.mock import MockTransport
from dialer.switch.transport import RawReply

from .files import read_lines, write_csv
from .mock_switch import CREDS, answer, listing


def outcomes_campaign(
    directory: Path,
    list_path: Path,
    url: str,
    *,
    outcomes: dict | None = None,
    recycle: dict | None = None,
    extra: str = "",
) -> Path:
    """camp.toml beside the list: a short timeout margin and settle, [outcomes] as given (a first
    look after one second, a give up after a minute, a wait of half a minute unless said), and
    [recycle] when given."""
    looks = {"first_look": 1, "give_up": 60, "wait": 30, **(outcomes or {})}
    text = (
        f'[campaign]\nlist = "{list_path.name}"\nurl = "{url}"\ntimeout_margin = 2\n'
        "[reconcile]\nsettle = 1\n"
        f"[outcomes]\n{_table(looks)}"
    )
    if recycle is not None:
        text += f"[recycle]\n{_table(recycle)}"
    path = directory / "camp.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def _table(values: dict) -> str:
    return "".join(f"{key} = {orjson.dumps(value).decode()}\n" for key, value in values.items())


def call_ended_lines(results: Sequence[dict]) -> list[dict]:
    return [line for line in results if line.get("event") == "call_ended"]


def placed_attempts(results: Sequence[dict]) -> list[dict]:
    """Every attempt the results file says was placed (a result line with outcome placed)."""
    return [line for line in results if line.get("event") == "result" and line.get("outcome") == "placed"]


def attempt_key(line: dict) -> tuple:
    """A placed attempt: the run that placed it, the person, the attempt number (from a result line,
    or a call_ended line's placed_run). A person called again in the same run has the same key
    twice: compare these as multisets, or tell calls apart by callid or placed_at."""
    run = line.get("placed_run", line.get("run"))
    return (run, line.get("person"), line.get("attempt"))


def switch_statuses(placed: Sequence[dict]) -> Counter:
    """The simulator's placed calls counted by the call status dialer should read from their CDRs."""
    return Counter(call_status(p["status"]) if p.get("cdr", True) else "not-known" for p in placed)


def placed_times_by_number(placed: Sequence[dict]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for p in placed:
        out.setdefault(p["snumber"], []).append(p["t"])
    return {number: sorted(times) for number, times in out.items()}


class ListingSwitch:
    """A switch in this process (a MockTransport's handlers) that places every call it is asked to,
    gives it a callid and, once ``lasts`` seconds have passed, a CDR with the next status its number's
    script gives (``answer`` when the script is used up). No user/login: the password each request."""

    def __init__(self, scripts: dict[str, list[str]], lasts: float = 0.0) -> None:
        self.scripts = {number: list(statuses) for number, statuses in scripts.items()}
        self.lasts = lasts
        self.calls: list[dict] = []
        self.lookups: list[str] = []

    async def make(self, form) -> RawReply:
        params = dict(form)
        number = params["snumber"]
        script = self.scripts.get(number)
        status = script.pop(0) if script else "answer"
        now = time.time()
        callid = f"{int(now)}.{len(self.calls) + 1}"
        self.calls.append(
            {"callid": callid, "snumber": number, "cnumber": params["cnumber"], "t": now, "status": status}
        )
        return answer("200", callid=callid)

    async def api(self, path: str, form) -> RawReply:
        if path == LOGIN_PATH:
            return RawReply(404, {}, b"<html>Not Found</html>")
        self.lookups.append(path)
        params, now = dict(form), time.time()
        if path == "calls/active/list":
            going = [c for c in self.calls if now < c["t"] + self.lasts]
            return RawReply(200, {}, listing(data=[_entry(c) for c in going]))
        low, high = float(params["start"]), float(params["end"])
        ended = [
            c
            for c in self.calls
            if c["t"] + self.lasts <= now
            and low <= int(c["t"]) <= high
            and params.get("callid", c["callid"]) == c["callid"]
        ]
        page = ended[int(params["offset"]) :][: int(params["limit"])]
        return RawReply(200, {}, listing(data=[{**_entry(c), "status": c["status"]} for c in page]))

    def times_of(self, number: str) -> list[float]:
        return [c["t"] for c in self.calls if c["snumber"] == number]


def _entry(call: dict) -> dict:
    return {
        "callid": call["callid"],
        "uniqueid": f"{call['callid']}-1",
        "snumber": call["snumber"],
        "cnumber": call["cnumber"],
        "start": int(call["t"]),
    }


NUMBERS = ["2125550001", "2125550002", "2125550003"]


def recycling_run(
    tmp_path: Path, switch: ListingSwitch, recycle: dict, extra: str = "", **options
) -> tuple[int, list[dict]]:
    source = write_csv(tmp_path / "list.csv", ["snumber", "cnumber"], [[n, "100"] for n in NUMBERS])
    camp = outcomes_campaign(tmp_path, source, "http://127.0.0.1:9/", recycle=recycle, extra=extra)
    campaign = load_campaign(camp)
    campaign = replace(campaign, retry=replace(campaign.retry, backoff=0.01))
    transport = MockTransport(switch.make)
    transport.api_handler = switch.api
    session = Session(
        campaign, CREDS, RunOptions(quiet=True, **options), console(io.StringIO()), transport=transport
    )
    return asyncio.run(session.run()), read_lines(campaign.results)
