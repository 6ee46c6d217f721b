"""Throughput with no rate limit: `dialer run` beside a bare aiohttp loop sending the same requests.

5,000 rows, no rate limit, ``--concurrency 100``, against a fresh switch for every client. The
baselines are bare aiohttp loops (scripts/bench/bare.py): the same 100-connection keep-alive client
on asyncio's own event loop (the issue's "plain aiohttp script": the goal is the runner's rate
against it) and on uvloop (what the runner's own work costs: no goal; left out if uvloop is not
installed). A rate is (requests - 1) / (last arrival - first arrival) at the switch, so process
start-up counts on no side. Each round runs every client in turn; a round disturbed by other work on
the shared machine is slower whichever client it hits, so each ratio is of the best round of each,
with the median of the per-round ratios beside it. CPU is user + sys of the client process (wait4)
per 1,000 requests, median round.

With --compare-with, the other checkout's runner is a client of every round too (the two runners'
order swapped from one round to the next), and its rate and CPU are set beside this one's.
"""

from __future__ import annotations

import importlib.util
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scripts.bench import bare
from scripts.bench.common import (
    CONNECTIONS,
    THIS,
    Bench,
    Checkout,
    Row,
    check_ok,
    dialer_command,
    mean_rate,
    run_child,
    write_list,
    yes,
)
from scripts.bench.resume import remove_caches
from scripts.bench.switches import Switch, arrival_times, start_simulator

GOAL_THROUGHPUT = 0.90  # of the bare loop's
ROWS = 5000

RUNNER, OLD_RUNNER = "runner", "old runner"  # this checkout's `dialer run`, --compare-with's
BARE, BARE_UVLOOP = "bare aiohttp loop", "bare loop on uvloop"


def contenders(b: Bench) -> list[str]:
    """The runner and the bare loop on asyncio's loop; the bare loop on uvloop too if it is installed."""
    if importlib.util.find_spec("uvloop") is not None:
        return [RUNNER, BARE, BARE_UVLOOP]
    b.note("uvloop is not installed: the bare loop on uvloop was left out of the throughput rounds")
    return [RUNNER, BARE]


def contender_command(name: str, url: str, list_path: Path, results: Path) -> list[str]:
    if name in (RUNNER, OLD_RUNNER):
        return dialer_command(list_path, url, results, "--concurrency", str(CONNECTIONS))
    return bare.loop_command(url, list_path, name == BARE_UVLOOP)


@dataclass
class Rounds:
    """Each contender's requests/s at the switch and client CPU seconds per 1,000 requests, a round each."""

    rates: dict[str, list[float]]
    cpu: dict[str, list[float]]


def throughput_rounds(
    d: Path,
    list_path: Path,
    rounds: int,
    names: list[str],
    start_switch: Callable[[Path], Switch],
    old: Checkout | None = None,
) -> Rounds:
    """Every contender once per round, in turn, each against a fresh switch (OLD_RUNNER runs ``old``)."""
    measured = Rounds({name: [] for name in names}, {name: [] for name in names})
    for i in range(rounds):
        in_turn = _swap_runners(names) if i % 2 else names
        done = [_one_round(d, list_path, i, name, start_switch, old, measured) for name in in_turn]
        print(f"  round {i + 1}: " + ", ".join(done), flush=True)
    return measured


def _swap_runners(names: list[str]) -> list[str]:
    if OLD_RUNNER not in names:
        return names
    return [{RUNNER: OLD_RUNNER, OLD_RUNNER: RUNNER}.get(name, name) for name in names]


def _one_round(
    d: Path,
    list_path: Path,
    i: int,
    name: str,
    start_switch: Callable[[Path], Switch],
    old: Checkout | None,
    measured: Rounds,
) -> str:
    rows = len(list_path.read_text().splitlines()) - 1
    switch = start_switch(d / f"switch-{name.replace(' ', '-')}{i}")
    results = d / f"{name.replace(' ', '-')}{i}.results.jsonl"  # a runner's; a bare loop writes none
    results.unlink(missing_ok=True)
    remove_caches(results)  # a kept earlier run's: they would refuse the new file as gone backwards
    checkout = old if name == OLD_RUNNER and old is not None else THIS
    try:
        run = run_child(contender_command(name, switch.url, list_path, results), d, checkout=checkout)
    finally:
        switch.stop()  # nginx would outlive this script
    check_ok(run, f"the {name}")
    times = arrival_times(switch)
    assert len(times) == rows, f"the {name} sent {len(times)} requests for {rows} rows"
    measured.rates[name].append(mean_rate(times))
    measured.cpu[name].append(run.cpu / rows * 1000)
    return f"{name} {mean_rate(times):.0f}/s (process {run.wall:.1f} s, cpu {run.cpu:.1f} s)"


def _against(measured: Rounds, mine: str, theirs: str) -> tuple[float, float]:
    """Best round against best round, and the median of the per-round ratios."""
    ours, other = measured.rates[mine], measured.rates[theirs]
    per_round = [a / b for a, b in zip(ours, other, strict=True)]
    return max(ours) / max(other), statistics.median(per_round)


def throughput_rows(b: Bench, where: str, rows: int, measured: Rounds) -> None:
    """The runner against the bare loop on asyncio's loop (the goal) and on uvloop (no goal), then CPU."""
    runner = measured.rates[RUNNER]
    ratio, median = _against(measured, RUNNER, BARE)
    b.add(
        Row(
            f"{where}Throughput, no rate limit, {rows:,} rows (requests/s at the switch, best of "
            f"{len(runner)} rounds each; median of the per-round ratios {median:.2f})",
            f"runner {max(runner):,.0f}/s",
            f"bare aiohttp loop on asyncio's loop {max(measured.rates[BARE]):,.0f}/s",
            f"{ratio:.2f}",
            f">= {GOAL_THROUGHPUT:.2f}",
            yes(ratio >= GOAL_THROUGHPUT),
        )
    )
    cpu = {name: statistics.median(seconds) for name, seconds in measured.cpu.items()}
    on_uvloop = ""
    if BARE_UVLOOP in measured.rates:
        ratio, median = _against(measured, RUNNER, BARE_UVLOOP)
        b.add(
            Row(
                "  the same against the bare loop on uvloop: what the runner's own work costs, no goal "
                f"(median of the per-round ratios {median:.2f})",
                f"runner {max(runner):,.0f}/s",
                f"bare loop on uvloop {max(measured.rates[BARE_UVLOOP]):,.0f}/s",
                f"{ratio:.2f}",
            )
        )
        on_uvloop = f", on uvloop {cpu[BARE_UVLOOP]:.2f} s"
    b.add(
        Row(
            f"{where}CPU per 1,000 calls at full speed (user+sys of the client process, median round)",
            f"runner {cpu[RUNNER]:.2f} s",
            f"bare loop {cpu[BARE]:.2f} s{on_uvloop}",
            f"{cpu[RUNNER] / cpu[BARE]:.2f}",
        )
    )


def old_runner_rows(b: Bench, measured: Rounds) -> None:
    """--compare-with: the other checkout's runner against the same bare loop, then the two runners."""
    old = measured.rates[OLD_RUNNER]
    ratio, median = _against(measured, OLD_RUNNER, BARE)
    b.add(
        Row(
            f"  the old checkout's runner in the same rounds, against the same bare loop (median of the "
            f"per-round ratios {median:.2f})",
            f"old runner {max(old):,.0f}/s",
            f"bare aiohttp loop on asyncio's loop {max(measured.rates[BARE]):,.0f}/s",
            f"{ratio:.2f}",
            f">= {GOAL_THROUGHPUT:.2f}",
            yes(ratio >= GOAL_THROUGHPUT),
        )
    )
    ratio, median = _against(measured, RUNNER, OLD_RUNNER)
    b.add(
        Row(
            f"  new runner against old, best rounds (median of the per-round ratios {median:.2f})",
            f"new {max(measured.rates[RUNNER]):,.0f}/s",
            f"old {max(old):,.0f}/s",
            f"{ratio:.2f}",
        )
    )
    cpu_new, cpu_old = (statistics.median(measured.cpu[name]) for name in (RUNNER, OLD_RUNNER))
    b.add(
        Row(
            "  new runner against old: CPU per 1,000 calls (user+sys of the client process, median round)",
            f"new {cpu_new:.2f} s",
            f"old {cpu_old:.2f} s",
            f"{cpu_new / cpu_old:.2f}",
        )
    )


def run(b: Bench) -> None:
    rounds = 2 if b.quick else 5
    d = b.work / "throughput"
    d.mkdir(parents=True, exist_ok=True)
    list_path = write_list(d / "list.csv", ROWS)
    names = contenders(b)
    if b.other is not None:
        names.insert(1, OLD_RUNNER)
    print(
        f"throughput: {ROWS} rows, no rate limit, {CONNECTIONS} connections, {rounds} round(s) of "
        f"{', '.join(names)}",
        flush=True,
    )
    measured = throughput_rounds(d, list_path, rounds, names, start_simulator, b.other)
    throughput_rows(b, "", ROWS, measured)
    if b.other is not None:
        old_runner_rows(b, measured)
