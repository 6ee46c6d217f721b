"""The simulator on a real port, for tests and benchmarks in the same process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from dialer.simulator.app import SIM_STATE, build_app
from dialer.simulator.config import SimulatorConfig
from dialer.simulator.state import SimState

# Long enough for answers already being written, short enough that a test's teardown stays quick;
# hanging and waiting requests are woken at shutdown anyway.
_SHUTDOWN_TIMEOUT = 2.0


@dataclass
class RunningSimulator:
    url: str
    port: int
    config: SimulatorConfig
    state: SimState

    @property
    def placed(self) -> list[dict[str, Any]]:
        return self.state.placed

    @property
    def arrivals(self) -> list[dict[str, Any]]:
        return self.state.arrivals

    @property
    def lookups(self) -> list[dict[str, Any]]:
        return self.state.lookups

    @property
    def logins(self) -> list[dict[str, Any]]:
        return self.state.logins

    def api_url(self, name: str) -> str:
        """The URL of another function of the same API: ``api_url("cdrs/list")``."""
        return self.url.replace("calls/make/", f"{name}/")


@asynccontextmanager
async def running_simulator(config: SimulatorConfig | None = None) -> AsyncIterator[RunningSimulator]:
    config = config or SimulatorConfig()
    app = build_app(config)
    # access_log=None: an access log line would carry the query string, password included.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, config.port)
        await site.start()
        port = runner.addresses[0][1]
        url = f"http://{config.host}:{port}/api/json/calls/make/"
        yield RunningSimulator(url=url, port=port, config=config, state=app[SIM_STATE])
    finally:
        await runner.cleanup()
