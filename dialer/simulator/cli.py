"""`simulate`: run the Enswitch simulator in the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
from pathlib import Path
from typing import Any

import click

from dialer.run import eventloop
from dialer.simulator import accounts
from dialer.simulator.answer_model import parse_outcome_script, parse_probabilities, parse_range
from dialer.simulator.config import (
    FAULT_KINDS,
    LOOKUP_MODES,
    LOOKUPS_OFFERED,
    NO_FAULT,
    STATUSES,
    SimulatorConfig,
)
from dialer.simulator.server import running_simulator


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


def _parsed(parse):
    """A click callback: ``parse`` applied to the option's value (each value of a repeatable one)."""

    def callback(ctx: click.Context, param: click.Parameter, value):
        try:
            if isinstance(value, tuple):
                return [parse(v) for v in value]
            return None if value is None else parse(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    return callback


def _seconds_option(name: str, default: float, text: str):
    return click.option(name, type=float, default=default, show_default=True, help=text)


def _log_option(name: str, text: str):
    return click.option(name, type=click.Path(dir_okay=False, path_type=Path), default=None, help=text)


@click.command("simulate")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8089, show_default=True, type=int, help="Port; 0 picks a free one.")
@click.option(
    "--users-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=(
        "Accounts, one a line: NAME:PASSWORD (may dial) or NAME:PASSWORD:viewer (402); also from "
        f"${accounts.ENV} (entries separated by commas or newlines). Default demo:demo-secret and "
        "viewer:viewer-secret:viewer."
    ),
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
    callback=_parsed(_fault),
    help=f"Inject a fault at random (repeatable). Kinds: {', '.join(FAULT_KINDS)}.",
)
@click.option(
    "--script",
    "scripts",
    multiple=True,
    metavar="SNUMBER=KIND[,KIND...]",
    callback=_parsed(_script),
    help=f"Faults for one number's successive requests; '{NO_FAULT}' answers normally.",
)
@click.option("--seed", type=int, default=None, help="Seed of the random fault draw and of the answer model.")
@_seconds_option(
    "--place-latency", 0.0, "Seconds from accepting a request to placing the call, after any delay."
)
@_seconds_option("--hang-seconds", 3600.0, "How long a 'hang' fault keeps a request unanswered.")
@_seconds_option("--retry-after", 1.0, "Retry-After seconds sent with 503 and 429.")
@_log_option("--placed-log", "Append one JSON line per placed call (with its status and times).")
@_log_option("--arrivals-log", "Append one JSON line per calls/make request received.")
@_log_option(
    "--lookups-log",
    "Append one JSON line per calls/active/list or cdrs/list request (kept out of the arrivals log).",
)
@_log_option("--logins-log", "Append one JSON line per user/login request (no password, no token).")
@_seconds_option(
    "--call-seconds", 3.0, "Talk time of an answered call when --talk-seconds is not given (fixed)."
)
@click.option(
    "--answer",
    metavar="STATUS=P[,STATUS=P...]",
    default=None,
    callback=_parsed(parse_probabilities),
    help=(
        f"What a placed call becomes, with its probability; STATUS one of {', '.join(STATUSES)}; what "
        "they leave to 1 is answered. Default: every call is answered."
    ),
)
@click.option(
    "--ring-seconds",
    metavar="SECONDS|LOW-HIGH",
    default="0",
    show_default=True,
    callback=_parsed(parse_range),
    help="How long a call rings before it is answered or given up (uniform in LOW-HIGH).",
)
@click.option(
    "--talk-seconds",
    metavar="SECONDS|LOW-HIGH",
    default=None,
    callback=_parsed(parse_range),
    help="How long an answered call talks (uniform in LOW-HIGH). Default: --call-seconds.",
)
@_seconds_option("--fail-seconds", 1.0, "How long after placement a busy or congestion call ends.")
@click.option(
    "--outcome-script",
    "outcome_scripts",
    multiple=True,
    metavar="SNUMBER=STATUS[,STATUS...]",
    callback=_parsed(parse_outcome_script),
    help="Statuses of one number's successive placed calls, then the model's (repeatable).",
)
@click.option(
    "--cdr-page-max",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="The most CDRs one cdrs/list request returns, whatever its limit.",
)
@_seconds_option("--cdr-delay", 0.0, "Seconds after a call's end before cdrs/list lists it.")
@click.option(
    "--no-cdr",
    "no_cdr",
    multiple=True,
    metavar="SNUMBER",
    help="Calls to this number never get a CDR: cdrs/list never lists them (repeatable).",
)
@click.option(
    "--login/--no-login",
    default=True,
    show_default=True,
    help="Offer user/login (token login); --no-login answers it with HTTP 404.",
)
@_seconds_option("--token-seconds", 3600.0, "Lifetime of a user/login token.")
@click.option(
    "--token-prefix",
    default="",
    metavar="TEXT",
    help="Start every user/login token with TEXT (for tests that look for tokens where none may be).",
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
    users_file: Path | None,
    refused: tuple[str, ...],
    faults: list[tuple[str, float]],
    scripts: list[tuple[str, list[str]]],
    outcome_scripts: list[tuple[str, list[str]]],
    answer: dict[str, float] | None,
    no_cdr: tuple[str, ...],
    **settings: Any,
) -> None:
    """Serve a simulated Enswitch (calls/make, calls/active/list, cdrs/list, user/login) until SIGINT
    or SIGTERM."""
    try:
        users = accounts.accounts_from(users_file, os.environ)
        config = SimulatorConfig(
            refused_prefixes=refused or ("900",),
            faults=dict(faults),
            scripted=dict(scripts),
            outcome_scripts=dict(outcome_scripts),
            answer=answer or {},
            no_cdr=tuple(no_cdr),
            **({} if users is None else {"users": users}),
            **settings,
        )
    except ValueError as exc:  # AccountError included: its message holds no password
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
        click.echo(
            f"dialer simulate: cannot listen on {config.host}:{config.port}: {exc.strerror or exc}", err=True
        )
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
