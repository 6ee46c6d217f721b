"""CPU per 1,000 calls with calls in flight, and thousands of calls in flight.

`dialer run --rate 200 --wait 2 --concurrency 2000`, the simulator answering after 1.5 s, so calls
stay in flight. The goal is a rate of CPU use while the run goes: the process's user + sys time,
read from /proc every 20 ms, between the 3rd second of arrivals and 1 s before the last, over the
calls that arrived in between. The baseline is a bare aiohttp loop sending the same requests at the
same pace (scripts/bench/bare.py ``paced``), measured the same way. The whole process's figure
(start-up included, from wait4) and that less a one-row run's are shown too.

Then thousands in flight: 1,000/s, the simulator answering after 3 s, concurrency 5,000, against the
stock simulator and the one with its collector off: the most arrivals in 1 s and the mean rate
against the limit (on the wire too, where tcpdump can capture), CPU and peak memory.
"""

from __future__ import annotations

import bisect
from pathlib import Path

from scripts.bench import bare
from scripts.bench.common import (
    Bench,
    ChildRun,
    Row,
    check_ok,
    dialer_command,
    mean_rate,
    most_in_window,
    run_child,
    write_list,
    yes,
)
from scripts.bench.pacing import GOAL_MEAN
from scripts.bench.switches import arrival_times, start_simulator
from scripts.bench.wire import start_wire_capture, wire_row

GOAL_CPU = 0.75  # CPU seconds per 1,000 calls
STEADY_SKIP_START = 3.0  # seconds of arrivals left out at the start (connections opening, warm-up)
STEADY_SKIP_END = 1.0  # and before the last arrival


def run(b: Bench) -> None:
    rate, latency, wait = 200, 1.5, 2
    seconds = 10 if b.quick else 30
    rows = rate * seconds
    d = b.work / "cpu"
    d.mkdir(parents=True, exist_ok=True)
    print(
        f"cpu: --rate {rate} --wait {wait} --concurrency 2000, simulator --place-latency {latency}, "
        f"{rows} rows",
        flush=True,
    )
    flags = ("--rate", str(rate), "--period", "1", "--concurrency", "2000", "--wait", str(wait))
    # The same command for one row: what starting and stopping the process costs, not the calls.
    one = write_list(d / "one.csv", 1, prefix="3125")
    sim = start_simulator(d / "sim-one", "--place-latency", str(latency))
    (d / "one.results.jsonl").unlink(missing_ok=True)
    base = run_child(dialer_command(one, sim.url, d / "one.results.jsonl", *flags), d)
    sim.stop()
    check_ok(base, "dialer run (one row)")
    list_path = write_list(d / "list.csv", rows)
    sim = start_simulator(d / "sim", "--place-latency", str(latency))
    results = d / "cpu.results.jsonl"
    results.unlink(missing_ok=True)
    run = run_child(dialer_command(list_path, sim.url, results, *flags), d)
    sim.stop()
    check_ok(run, "dialer run (cpu)")
    arrivals, placed = sim.arrivals(), sim.placed()
    assert len(arrivals) == rows and len(placed) == rows, (len(arrivals), len(placed))
    in_flight = peak_in_flight([a["mono"] for a in arrivals], [p["mono"] for p in placed])
    # The baseline: a bare aiohttp client doing only the requests, at the same pace and in flight.
    sim = start_simulator(d / "sim-bare", "--place-latency", str(latency))
    bare_run = run_child(bare.paced_command(sim.url, list_path, rate, wait), d)
    sim.stop()
    check_ok(bare_run, "the bare paced loop")
    steady, calls, span = steady_cpu_per_1000(run, [a["mono"] for a in arrivals])
    bare_steady, _, _ = steady_cpu_per_1000(bare_run, arrival_times(sim))
    b.add(
        Row(
            f"CPU per 1,000 calls at {rate}/s, wait {wait}, concurrency 2,000 ({in_flight} in flight at "
            f"peak), while running: the {calls:,} calls of {span:.0f} s of steady arrivals (the process's "
            "user+sys, sampled every 20 ms)",
            f"{steady:.3f} s ({steady * rate / 10:.1f}% of a core)",
            f"bare aiohttp loop, same pace, {bare_steady:.3f} s",
            f"{steady / bare_steady:.2f}",
            f"< {GOAL_CPU}",
            yes(steady < GOAL_CPU),
        )
    )
    whole_process_rows(b, rows, run, base, bare_run)
    many_in_flight(b, d)


def whole_process_rows(b: Bench, rows: int, run: ChildRun, base: ChildRun, bare_run: ChildRun) -> None:
    gross = run.cpu / rows * 1000
    net = (run.cpu - base.cpu) / (rows - 1) * 1000
    bare_gross = bare_run.cpu / rows * 1000
    b.add(
        Row(
            f"  the same over the whole process ({rows:,} calls, start-up and the last answers included)",
            f"{gross:.3f} s",
            f"bare loop {bare_gross:.3f} s",
            f"{gross / bare_gross:.2f}",
        )
    )
    b.add(
        Row(
            "  the whole process less a one-row run's "
            f"({base.cpu:.2f} s CPU, {base.peak_mb:.0f} MB: starting and stopping)",
            f"{net:.3f} s",
        )
    )
    b.add(Row("  peak memory of that run", f"{run.peak_mb:.0f} MB"))


def steady_cpu_per_1000(run: ChildRun, arrivals: list[float]) -> tuple[float, int, float]:
    """CPU seconds per 1,000 calls while calls arrive at the steady pace: the child's CPU time between
    STEADY_SKIP_START after the first arrival and STEADY_SKIP_END before the last, over the calls
    that arrived in between. Returns that, the calls and the seconds it covers."""
    times = sorted(arrivals)
    start, end = times[0] + STEADY_SKIP_START, times[-1] - STEADY_SKIP_END
    calls = bisect.bisect_left(times, end) - bisect.bisect_left(times, start)
    cpu = _cpu_at(run.cpu_samples, end) - _cpu_at(run.cpu_samples, start)
    return cpu / calls * 1000, calls, end - start


def _cpu_at(samples: list[tuple[float, float]], t: float) -> float:
    """The child's CPU seconds at time ``t``, read off the samples around it."""
    i = bisect.bisect_left([at for at, _ in samples], t)
    if i == 0 or i == len(samples):
        raise SystemExit("no CPU samples around the steady part of the run")
    (t0, c0), (t1, c1) = samples[i - 1], samples[i]
    return c0 + (c1 - c0) * (t - t0) / (t1 - t0) if t1 > t0 else c1


def many_in_flight(b: Bench, d: Path) -> None:
    """Thousands of calls in flight: 1,000/s, the simulator answering after 3 s, concurrency 5,000."""
    rate, latency, wait = 1000, 3.0, 5
    seconds = 8 if b.quick else 15
    rows = rate * seconds
    list_path = write_list(d / "many.csv", rows, prefix="4125")
    flags = ("--rate", str(rate), "--period", "1", "--concurrency", "5000", "--wait", str(wait))
    for gc_off in (False, True):
        which = "simulator with its GC off" if gc_off else "stock simulator"
        print(
            f"in flight: --rate {rate} --wait {wait} --concurrency 5000, simulator --place-latency "
            f"{latency}, {rows} rows, {which}",
            flush=True,
        )
        sim = start_simulator(
            d / f"sim-many{'-gc-off' if gc_off else ''}", "--place-latency", str(latency), gc_off=gc_off
        )
        results = d / "many.results.jsonl"
        results.unlink(missing_ok=True)
        wire = start_wire_capture(sim.url, d)
        try:
            run = run_child(dialer_command(list_path, sim.url, results, *flags), d)
        finally:
            sent = wire.stop() if wire is not None else []
            sim.stop()
        check_ok(run, "dialer run (many in flight)")
        arrivals, placed = sim.arrivals(), sim.placed()
        times = sorted(a["mono"] for a in arrivals)
        in_flight = peak_in_flight(times, [p["mono"] for p in placed])
        peak, mean = most_in_window(times, 1.0), mean_rate(times)
        b.add(
            Row(
                f"{rate}/s with {in_flight:,} in flight, {which} (wait {wait}, answers after {latency:g} s, "
                f"{len(placed):,} of {rows:,} placed): most arrivals in 1 s / mean rate",
                f"{peak} / {mean:.0f}/s",
                f"limit {rate}",
                f"{peak / rate:.3f} / {mean / rate:.3f}",
                f"<= {rate + 1} / >= {GOAL_MEAN}",
                yes(peak <= rate + 1 and mean / rate >= GOAL_MEAN),
            )
        )
        if sent:
            b.add(wire_row(sent, rate, "  the same run"))
        b.add(
            Row(
                f"  CPU per 1,000 calls, peak memory of that run ({run.cpu:.1f} s CPU in {run.wall:.0f} s)",
                f"{run.cpu / rows * 1000:.3f} s, {run.peak_mb:.0f} MB",
            )
        )


def peak_in_flight(sent: list[float], answered: list[float]) -> int:
    events = sorted([(t, 1) for t in sent] + [(t, -1) for t in answered])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak
