"""Pacing at 50, 200 and 1,000 requests a second: is the limit kept, and is it used?

`dialer run --rate N --period 1 --concurrency 100` with 30 s of rows (8 s with --quick). Two figures
against the limit, from the switch's arrival stamps: the most arrivals in any half-open one-second
window [t, t + 1), and the mean arrival rate from first to last arrival. Each rate runs against the
stock simulator and against the same simulator with its cyclic collector off (its full collections
stamp requests late and together: scripts/bench/switches.py). Where tcpdump can capture, the same
two figures are counted from the packets too (scripts/bench/wire.py): what the client sent.
"""

from __future__ import annotations

from pathlib import Path

from scripts.bench.common import (
    Bench,
    Row,
    check_ok,
    dialer_command,
    mean_rate,
    most_in_window,
    run_child,
    write_list,
    yes,
)
from scripts.bench.switches import Switch, arrival_times, start_simulator
from scripts.bench.wire import start_wire_capture, wire_row

PACING_RATES = (50, 200, 1000)
GOAL_MEAN = 0.98  # of the limit


def pacing_seconds(b: Bench) -> int:
    return 8 if b.quick else 30


def run(b: Bench) -> None:
    seconds = pacing_seconds(b)
    d = b.work / "pacing"
    d.mkdir(parents=True, exist_ok=True)
    for rate in PACING_RATES:
        rows = rate * seconds
        list_path = write_list(d / f"list{rate}.csv", rows)
        for gc_off in (False, True):
            which = "simulator with its GC off" if gc_off else "stock simulator"
            print(f"pacing: --rate {rate} --period 1, {rows} rows (~{seconds} s), {which}", flush=True)
            sim = start_simulator(d / f"sim{rate}{'-gc-off' if gc_off else ''}", gc_off=gc_off)
            paced_run(b, d, list_path, rate, sim, which)


def paced_run(b: Bench, d: Path, list_path: Path, rate: int, switch: Switch, which: str) -> None:
    """`dialer run --rate RATE --period 1` against ``switch`` (stopped after): the most arrivals in any
    one-second window and the mean arrival rate, each against the limit."""
    results = d / f"rate{rate}.results.jsonl"
    results.unlink(missing_ok=True)
    command = dialer_command(
        list_path, switch.url, results, "--rate", str(rate), "--period", "1", "--concurrency", "100"
    )
    wire = start_wire_capture(switch.url, d)
    try:
        run = run_child(command, d)
    finally:
        sent = wire.stop() if wire is not None else []
        switch.stop()
    check_ok(run, f"dialer run --rate {rate}")
    times = arrival_times(switch)
    peak, mean = most_in_window(times, 1.0), mean_rate(times)
    b.add(
        Row(
            f"Pacing {rate}/s, {which}: most arrivals in any 1 s window",
            f"{peak}",
            f"limit {rate}",
            f"{peak / rate:.3f}",
            f"<= {rate + 1} (limit +1)",
            yes(peak <= rate + 1),
        )
    )
    b.add(
        Row(
            f"Pacing {rate}/s, {which}: mean arrival rate ({len(times):,} requests)",
            f"{mean:.1f}/s",
            f"limit {rate}",
            f"{mean / rate:.3f}",
            f">= {GOAL_MEAN}",
            yes(mean / rate >= GOAL_MEAN),
        )
    )
    if sent:
        b.add(wire_row(sent, rate, "  the same run"))
