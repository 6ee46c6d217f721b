"""Shared fixtures: real files, the project's simulator on 127.0.0.1, and `dialer` as a subprocess."""

from __future__ import annotations

import bisect
import csv
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import orjson
import pytest

from dialer.simulator import SimulatorProcess

USERNAME = "demo"
PASSWORD = "demo-secret"


def dialer_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENSWITCH_")}
    env.update({"ENSWITCH_USERNAME": USERNAME, "ENSWITCH_PASSWORD": PASSWORD, "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def dialer_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "dialer", *args]


def run_dialer(*args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    """`dialer ARGS` in its own process, as an operator or cron would run it."""
    return subprocess.run(
        dialer_cmd(*args), env=env or dialer_env(), capture_output=True, text=True, timeout=timeout
    )


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def numbered_list(path: Path, count: int, start: int = 0) -> Path:
    """A plain list of COUNT distinct customers (snumber) bridged to the queue 100."""
    return write_csv(path, ["snumber", "cnumber"], [[f"212555{start + i:04d}", "100"] for i in range(count)])


def read_lines(path: Path) -> list[dict]:
    """A JSON-lines file, a torn last line ignored."""
    if not path.exists():
        return []
    out = []
    for raw in path.read_bytes().splitlines(keepends=True):
        try:
            out.append(orjson.loads(raw))
        except orjson.JSONDecodeError:
            if raw.endswith(b"\n"):
                raise
    return out


def most_in_window(times: Sequence[float], window: float) -> int:
    """The most events inside any half-open window [t, t + window)."""
    t = sorted(times)
    return max((bisect.bisect_left(t, x + window) - i for i, x in enumerate(t)), default=0)


def placed_per_number(placed: Sequence[dict]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for p in placed:
        key = (p["snumber"], p["cnumber"])
        counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator:
    """A factory for the simulator in its own process; every one started is stopped at the end."""
    started: list[SimulatorProcess] = []

    def start(*args: str) -> SimulatorProcess:
        sim_dir = tmp_path / f"sim{len(started)}"
        sim_dir.mkdir()
        sim = SimulatorProcess.start(list(args), sim_dir)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()
