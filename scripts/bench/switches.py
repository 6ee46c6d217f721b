"""The switches the measures dial: the project's simulator in its own process, and nginx.

The simulator (``python -m dialer.simulator``, through dialer.simulator.SimulatorProcess) records
each calls/make request's CLOCK_MONOTONIC arrival time in its arrivals log: the same clock as the
benchmark's and the dialer's. It can also be started with Python's cyclic garbage collector off
(``python -m scripts.bench.switches ARGS`` runs the same simulator after ``gc.disable()``): it keeps
every request it saw in memory, and as that grows its full collections pause it for 20-60 ms; the
requests that reach it meanwhile are stamped together when it resumes, a burst at the switch that no
client sent. nginx (scripts/bench/nginx_switch.py) is the switch that is not this project's.
"""

from __future__ import annotations

import select
import subprocess
import sys
from pathlib import Path

from dialer.simulator import SimulatorProcess
from scripts.bench.common import ROOT, module_command
from scripts.bench.nginx_switch import IndependentSwitch

Switch = SimulatorProcess | IndependentSwitch  # each has .url and .stop()


def start_simulator(directory: Path, *args: str, gc_off: bool = False) -> SimulatorProcess:
    """The project's simulator in its own process; ``gc_off``: with its cyclic collector off."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("sim-arrivals.jsonl", "sim-placed.jsonl", "sim-stderr.txt"):
        (directory / name).unlink(missing_ok=True)
    if not gc_off:
        return SimulatorProcess.start(list(args), directory)
    placed, arrivals, stderr_path = (
        directory / n for n in ("sim-placed.jsonl", "sim-arrivals.jsonl", "sim-stderr.txt")
    )
    command = module_command(
        "switches", "--port", "0", "--placed-log", str(placed), "--arrivals-log", str(arrivals), *args
    )
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT
        )
    ready, _, _ = select.select([proc.stdout], [], [], 15)
    banner = proc.stdout.readline().decode() if ready else ""
    if not banner.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"the simulator did not start: {stderr_path.read_text()[-2000:]}")
    return SimulatorProcess(proc, banner.strip(), placed, arrivals, stderr_path)


def arrival_times(switch: Switch) -> list[float]:
    """Sorted arrival times of the calls/make requests (read after the switch is stopped)."""
    if isinstance(switch, IndependentSwitch):
        return switch.arrival_times()
    return sorted(a["mono"] for a in switch.arrivals())


def simulator_gc_off(args: list[str]) -> None:
    """``python -m dialer.simulator ARGS`` in this process, its cyclic garbage collector off."""
    import gc
    import runpy

    gc.disable()
    sys.argv = ["dialer.simulator", *args]
    runpy.run_module("dialer.simulator", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    simulator_gc_off(sys.argv[1:])
