"""`scripts/demo` as the README says it behaves, every time: it exits with `dialer run`'s status, 4 (the
demo list has rows to reject), and a second demo starts over (the simulator's placed log and the results
under runs/ hold that demo's calls only).

The demo is run from a copy of the project's demo files, with this checkout's .venv, so that a test
never removes a developer's own runs/demo.*; with --no-outcomes (passed on to `dialer run`) it skips the
minute the demo waits to call the unanswered again, which the README's full demo shows.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dialer.core import exitcodes
from tests.helpers.processes import dialer_env

pytestmark = pytest.mark.timeout(240)

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    shutil.copy2(PROJECT / "scripts" / "demo", root / "scripts" / "demo")
    # The tests run in this checkout's .venv, set up already: the copy's setup must not reinstall the
    # project into it from the copy (which has no package: every later `dialer` would fail to import).
    setup = root / "scripts" / "setup"
    setup.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    setup.chmod(0o755)
    shutil.copytree(PROJECT / "campaigns", root / "campaigns")
    shutil.copy2(PROJECT / "pyproject.toml", root / "pyproject.toml")
    (root / ".venv").symlink_to(PROJECT / ".venv")
    return root


def run_demo(root: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in dialer_env().items() if not k.startswith("ENSWITCH_")}
    return subprocess.run(
        [str(root / "scripts" / "demo"), "--no-outcomes"],
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=200,
    )


def placed_numbers(root: Path) -> list[str]:
    lines = (root / "runs" / "demo.placed.jsonl").read_text().splitlines()
    return [json.loads(line)["params"]["snumber"] for line in lines]


def test_the_demo_exits_4_and_starts_over_each_time(demo_copy):
    first = run_demo(demo_copy)
    assert first.returncode == exitcodes.NEEDS_ATTENTION, first.stdout + first.stderr
    assert "dialer run exited with status 4" in first.stdout
    assert (demo_copy / "runs" / "demo.html").exists()
    calls = placed_numbers(demo_copy)
    assert 50 <= len(calls) == len(set(calls))  # each customer rung once

    second = run_demo(demo_copy)
    assert second.returncode == exitcodes.NEEDS_ATTENTION, second.stdout + second.stderr
    again = placed_numbers(demo_copy)
    assert len(again) == len(set(again)) and sorted(again) == sorted(calls)  # this demo's calls only
    results = (demo_copy / "runs" / "demo.results.jsonl").read_text()
    assert results.count('"event":"run_started"') == 1  # a fresh campaign, not a resume
    assert "Run started" not in second.stderr  # not a terminal: the console is JSON lines
    assert '"event":"run ended"' in second.stderr
