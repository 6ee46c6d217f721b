"""The switch's memory: calls it placed (and what became of them), requests it saw, the tokens it
handed out, and placements still to come. All of it in memory: a new process remembers nothing."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from dialer.simulator.answer_model import AnswerModel
from dialer.simulator.checks import SECRET_FIELDS
from dialer.simulator.config import SimulatorConfig
from dialer.simulator.faults import FaultPicker
from dialer.simulator.logs import JsonLines
from dialer.simulator.tokens import Tokens

MACHINE = 1
SERVER = "sim01"


class SimState:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.placed: list[dict[str, Any]] = []
        self.arrivals: list[dict[str, Any]] = []
        self.faults = FaultPicker(config)
        self.answer_model = AnswerModel(config)
        self.tokens = Tokens(config.token_seconds, prefix=config.token_prefix)
        self.lookups: list[dict[str, Any]] = []  # calls/active/list and cdrs/list requests
        self.logins: list[dict[str, Any]] = []  # user/login requests
        self._by_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}  # placed calls, for lookups
        self._placed_log = JsonLines(None)
        self._arrivals_log = JsonLines(None)
        self._lookups_log = JsonLines(None)
        self._logins_log = JsonLines(None)
        self._sequence = 0
        self._pending: set[asyncio.Task[None]] = set()
        self._stopping: asyncio.Event | None = None

    def open_logs(self) -> None:
        self._placed_log = JsonLines(self.config.placed_log)
        self._arrivals_log = JsonLines(self.config.arrivals_log)
        self._lookups_log = JsonLines(self.config.lookups_log)
        self._logins_log = JsonLines(self.config.logins_log)
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Wake hanging and waiting requests and drop placements not yet made: the switch is going down."""
        if self._stopping is not None:
            self._stopping.set()
        for task in self._pending:
            task.cancel()

    def close_logs(self) -> None:
        self._placed_log.close()
        self._arrivals_log.close()
        self._lookups_log.close()
        self._logins_log.close()

    def log_arrival(self, record: dict[str, Any]) -> None:
        self._arrivals_log.write(record)

    def log_lookup(self, record: dict[str, Any]) -> None:
        self.lookups.append(record)
        self._lookups_log.write(record)

    def log_login(self, record: dict[str, Any]) -> None:
        self.logins.append(record)
        self._logins_log.write(record)

    def calls_for(self, snumber: str | None, cnumber: str | None) -> list[dict[str, Any]]:
        """Placed calls, narrowed to one (snumber, cnumber) pair when both are given."""
        if snumber is not None and cnumber is not None:
            return self._by_pair.get((snumber, cnumber), [])
        return self.placed

    def place(self, params: dict[str, str], fault: str | None) -> str:
        now = time.time()
        self._sequence += 1
        callid = f"{int(now)}.{self._sequence}"
        outcome = self.answer_model.decide(params["snumber"])
        record = {
            "t": now,
            "mono": time.monotonic(),
            "callid": callid,
            "snumber": params["snumber"],
            "cnumber": params["cnumber"],
            # The password and a token must never be written anywhere, and the username is not part
            # of the call.
            "params": {name: value for name, value in params.items() if name not in SECRET_FIELDS},
            "fault": fault,
            "status": outcome.status,
            "ring_s": outcome.ring,
            "talk_s": outcome.talk,
            "end": now + outcome.length,
            "cdr": params["snumber"] not in self.config.no_cdr,  # False: cdrs/list never lists it
        }
        self.placed.append(record)
        self._by_pair.setdefault((record["snumber"], record["cnumber"]), []).append(record)
        self._placed_log.write(record)
        return callid

    async def accept(self, params: dict[str, str], fault: str | None) -> str | None:
        """Place the call as calls/make would; the callid if it was placed within ``wait``, else None."""
        seconds = int(params.get("delay", 0)) + self.config.place_latency
        wait = int(params.get("wait", 0))
        if seconds <= 0 and wait == 0:
            # No task when nothing is delayed: the benchmarks' hot path.
            self.place(params, fault)
            return None
        if wait > 0 and seconds <= wait:
            await self.pause(seconds)
            return self.place(params, fault)
        task = asyncio.get_running_loop().create_task(self._place_later(seconds, params, fault))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        await self.pause(wait)
        return None

    async def _place_later(self, seconds: float, params: dict[str, str], fault: str | None) -> None:
        await asyncio.sleep(seconds)
        self.place(params, fault)

    async def pause(self, seconds: float) -> None:
        """Sleep, cut short when the simulator stops so shutdown never waits on a hang."""
        if seconds <= 0:
            return
        assert self._stopping is not None, "the app has not started"
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
