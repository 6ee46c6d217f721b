"""`simulate`: run the Enswitch simulator in the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
from pathlib import Path

import click

from dialer.run import eventloop
from dialer.simulator.config import (
    FAULT_KINDS,
    LOOKUP_MODES,
    LOOKUPS_OFFERED,
    NO_FAULT,
    SimulatorConfig,
    User,
)
from dialer.simulator.server import running_simulator


def _account(value: str, can_dial: bool) -> tuple[str, User]:
    name, sep, password = value.partition(":")
    if not sep or not name or not password:
        # The value itself is not echoed: it holds a password.
        raise click.BadParameter("expected NAME:PASSWORD")
    return name, User(password, can_dial=can_dial)


def _fault(value: str) -> tuple[str, float]:
    kind, sep, probability = value.partition("=")
    if not sep or kind not in FAULT_KINDS:
        raise click.BadParameter(f"expected KIND=PROBABILITY with KIND one of {', '.join(FAULT_KINDS)}")
    try:
        return kind, float(probability)
    except ValueError:
        raise click.BadParameter(f"{probability!r} is not a probability") from None


def _script(value: str) -> tuple[str, list[str]]:
    number, sep, kinds = value.partition("=")
    steps = kinds.split(",")
    if not sep or not number or any(k not in FAULT_KINDS and k != NO_FAULT for k in steps):
        raise click.BadParameter(
            f"expected SNUMBER=KIND[,KIND...] with KIND one of {NO_FAULT}, {', '.join(FAULT_KINDS)}"
        )
    return number, steps


@click.command("simulate")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8089, show_default=True, type=int, help="Port; 0 picks a free one.")
@click.option(
    "--user",
    "users",
    multiple=True,
    metavar="NAME:PASSWORD",
    help="An account that may dial (repeatable; default demo:demo-secret).",
)
@click.option(
    "--viewer",
    "viewers",
    multiple=True,
    metavar="NAME:PASSWORD",
    help="An account whose role may not dial: 402 (repeatable; default viewer:viewer-secret).",
)
@click.option(
    "--refuse-prefix",
    "refused",
    multiple=True,
    help="The rate plan refuses (403) numbers starting with this (repeatable; default 900).",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="KIND=PROBABILITY",
    help=f"Inject a fault at random (repeatable). Kinds: {', '.join(FAULT_KINDS)}.",
)
@click.option(
    "--script",
    "scripts",
    multiple=True,
    metavar="SNUMBER=KIND[,KIND...]",
    help=f"Faults for one number's successive requests; '{NO_FAULT}' answers normally.",
)
@click.option("--seed", type=int, default=None, help="Seed of the random fault draw.")
@click.option(
    "--place-latency",
    type=float,
    default=0.0,
    show_default=True,
    help="Seconds from accepting a request to placing the call, after any delay.",
)
@click.option(
    "--hang-seconds",
    type=float,
    default=3600.0,
    show_default=True,
    help="How long a 'hang' fault keeps a request unanswered.",
)
@click.option(
    "--retry-after",
    type=float,
    default=1.0,
    show_default=True,
    help="Retry-After seconds sent with 503 and 429.",
)
@click.option(
    "--placed-log",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Append one JSON line per placed call.",
)
@click.option(
    "--arrivals-log",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Append one JSON line per request received.",
)
@click.option(
    "--lookups-log",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Append one JSON line per calls/active/list or cdrs/list request (kept out of the arrivals log).",
)
@click.option(
    "--call-seconds",
    type=float,
    default=3.0,
    show_default=True,
    help="How long a placed call is active before it is a finished call (a CDR).",
)
@click.option(
    "--lookups",
    type=click.Choice(LOOKUP_MODES),
    default=LOOKUPS_OFFERED,
    show_default=True,
    help="calls/active/list and cdrs/list: offered, missing (HTTP 404) or forbidden (code 403).",
)
@click.option(
    "--code-as-number", is_flag=True, help='Send "code" as a JSON number, as one public fixture does.'
)
def simulate(
    host: str,
    port: int,
    users: tuple[str, ...],
    viewers: tuple[str, ...],
    refused: tuple[str, ...],
    faults: tuple[str, ...],
    scripts: tuple[str, ...],
    seed: int | None,
    place_latency: float,
    hang_seconds: float,
    retry_after: float,
    placed_log: Path | None,
    arrivals_log: Path | None,
    lookups_log: Path | None,
    call_seconds: float,
    lookups: str,
    code_as_number: bool,
) -> None:
    """Serve a simulated Enswitch calls/make (and calls/active/list, cdrs/list) until SIGINT or SIGTERM."""
    accounts = dict(_account(u, True) for u in users or ("demo:demo-secret",))
    accounts.update(_account(v, False) for v in viewers or ("viewer:viewer-secret",))
    try:
        config = SimulatorConfig(
            host=host,
            port=port,
            users=accounts,
            refused_prefixes=refused or ("900",),
            faults=dict(_fault(f) for f in faults),
            seed=seed,
            scripted=dict(_script(s) for s in scripts),
            place_latency=place_latency,
            hang_seconds=hang_seconds,
            retry_after=retry_after,
            code_as_number=code_as_number,
            placed_log=placed_log,
            arrivals_log=arrivals_log,
            lookups_log=lookups_log,
            call_seconds=call_seconds,
            lookups=lookups,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        # The switch's own speed is part of what the benchmark's arrival stamps show: on uvloop it
        # reads requests sooner and spends less of the shared cores doing it.
        loop = eventloop.chosen_loop()
    except eventloop.EventLoopError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        eventloop.run(_serve(config), loop)
    except OSError as exc:  # e.g. the port is taken: one line, not a traceback
        click.echo(f"dialer simulate: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(1)


async def _serve(config: SimulatorConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with running_simulator(config) as sim:
        # Everything made so far (modules, the app) lives as long as the process: frozen out of the
        # cyclic collector's sight, full collections no longer re-scan it (8,000 requests at 1,000/s:
        # one 23 ms full collection without the freeze, none with it). Such a pause stamps the
        # requests that queued meanwhile together: a burst at the switch no client sent. Full
        # collections, which still re-scan every request kept in memory, are made ten times rarer.
        gc.freeze()
        young, middle, old = gc.get_threshold()
        gc.set_threshold(young, middle, max(old, 100))
        # One line, flushed: SimulatorProcess and scripts wait for it to learn the port.
        sys.stdout.write(f"listening on {sim.url}\n")
        sys.stdout.flush()
        await stop.wait()
