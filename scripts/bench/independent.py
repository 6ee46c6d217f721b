"""Throughput and pacing against a switch that is not this project's: nginx, one worker.

The same throughput rounds (runner, bare loop on asyncio's loop, bare loop on uvloop) and the same
pacing runs (50, 200 and 1,000/s) as against the simulator, but against nginx
(scripts/bench/nginx_switch.py: a fixed "placed" answer, arrivals from its access log's millisecond
stamps). nginx spends far less CPU per request than the simulator, so the client's whole cost shows
on the two cores. Throughput rounds have 5,000 rows, or a multiple of 5,000 so that the fastest
contender's round lasts 2 s (found by one round of it, not counted). Without nginx (`apt-get install
nginx-light`) the section says so and adds no rows.
"""

from __future__ import annotations

import math
from pathlib import Path

from scripts.bench.common import CONNECTIONS, Bench, check_ok, run_child, write_list
from scripts.bench.nginx_switch import INSTALL_HINT, IndependentSwitch, find_nginx
from scripts.bench.pacing import PACING_RATES, paced_run, pacing_seconds
from scripts.bench.switches import arrival_times
from scripts.bench.throughput import (
    BARE,
    BARE_UVLOOP,
    contender_command,
    contenders,
    throughput_rounds,
    throughput_rows,
)

INDEPENDENT = "independent switch (nginx)"
INDEPENDENT_MIN_ROWS = 5000
MIN_ROUND_SECONDS = 2.0


def run(b: Bench) -> None:
    if find_nginx() is None:
        print(f"independent: nginx is not installed ({INSTALL_HINT}); no independent-switch rows", flush=True)
        return
    d = b.work / "independent"
    d.mkdir(parents=True, exist_ok=True)
    names = contenders(b)
    rows = independent_rows(d, BARE_UVLOOP if BARE_UVLOOP in names else BARE)
    rounds = 2 if b.quick else 5
    list_path = write_list(d / "list.csv", rows)
    print(
        f"independent: {rows} rows, no rate limit, {CONNECTIONS} connections, {rounds} round(s) of "
        f"{', '.join(names)}, {INDEPENDENT}",
        flush=True,
    )
    measured = throughput_rounds(d, list_path, rounds, names, IndependentSwitch.start)
    throughput_rows(b, "Independent switch (nginx): ", rows, measured)
    seconds = pacing_seconds(b)
    for rate in PACING_RATES:
        rows = rate * seconds
        list_path = write_list(d / f"list{rate}.csv", rows)
        print(f"pacing: --rate {rate} --period 1, {rows} rows (~{seconds} s), {INDEPENDENT}", flush=True)
        paced_run(b, d, list_path, rate, IndependentSwitch.start(d / f"nginx{rate}"), INDEPENDENT)


def independent_rows(d: Path, fastest: str) -> int:
    """INDEPENDENT_MIN_ROWS, or a multiple of it if the fastest contender sends that many in under
    MIN_ROUND_SECONDS (found by one round of it, not counted): in a shorter round, opening the 100
    connections and a stall or two of the shared machine are too large a part of the time."""
    list_path = write_list(d / "probe.csv", INDEPENDENT_MIN_ROWS)
    switch = IndependentSwitch.start(d / "nginx-probe")
    try:
        run = run_child(contender_command(fastest, switch.url, list_path, d / "probe.results.jsonl"), d)
    finally:
        switch.stop()
    check_ok(run, f"the {fastest}")
    times = arrival_times(switch)
    span = times[-1] - times[0]
    return INDEPENDENT_MIN_ROWS * max(1, math.ceil(MIN_ROUND_SECONDS / span))
