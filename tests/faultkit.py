"""Helpers for the fault, crash, signal and journal tests: judging a run from the switch's side.

The simulator's logs say what the switch saw (arrivals) and did (placed calls); the results file says
what the runner claims. These helpers put the two side by side.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from dialer.core import outcomes as o
from dialer.journal.lines import Event
from dialer.journal.results_file import read_results
from tests.conftest import dialer_cmd, dialer_env, placed_per_number, read_lines

OUTCOME_STATES = {o.PLACED, o.REJECTED, o.FAILED, o.UNKNOWN, o.SUPPRESSED}


def campaign_toml(
    directory: Path,
    list_path: Path,
    url: str,
    *,
    timeout_margin: float = 1.0,
    backoff: float = 1.0,
    settle: float = 1.0,
) -> Path:
    """A campaign file camp.toml: the only way to set timeout_margin (read timeout = wait + margin),
    the first retry backoff (which doubles per attempt, with jitter) and the reconcile settle margin
    (the switch's call lists are asked about an unknown row delay + wait + settle after it ended)."""
    path = directory / "camp.toml"
    path.write_text(
        f'[campaign]\nlist = "{list_path.name}"\nurl = "{url}"\ntimeout_margin = {timeout_margin}\n'
        f"[retry]\nbackoff = {backoff}\n[reconcile]\nsettle = {settle}\n",
        encoding="utf-8",
    )
    return path


def snumber_of(index: int, start: int = 0) -> str:
    """The snumber numbered_list gives its INDEX-th row (0-based)."""
    return f"212555{start + index:04d}"


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.02)


def count_events(path: Path, event: str) -> int:
    return sum(1 for line in read_lines(path) if line.get("event") == event)


def start_dialer(*args: str, **popen: object) -> subprocess.Popen:
    """`dialer ARGS` in the background; `finish` collects its exit status and stderr."""
    return subprocess.Popen(
        dialer_cmd(*args),
        env=popen.pop("env", None) or dialer_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def finish(process: subprocess.Popen, timeout: float = 30) -> tuple[int, str]:
    """Wait for a background dialer; its exit status and stderr."""
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        raise AssertionError(f"dialer did not exit within {timeout} s:\n{err[-3000:]}") from None
    return process.returncode, err


def assert_placed_at_most_once(placed: Sequence[dict]) -> None:
    twice = {k: n for k, n in placed_per_number(placed).items() if n > 1}
    assert not twice, f"placed more than once at the switch: {twice}"


def assert_every_arrival_had_an_intent(arrivals: Sequence[dict], results: Sequence[dict]) -> None:
    """Each request the switch received was preceded by a complete `dial` line for that number."""
    arrived = Counter(a["snumber"] for a in arrivals if a.get("snumber"))
    intents = Counter(line["snumber"] for line in results if line.get("event") == Event.DIAL)
    missing = {s: (n, intents[s]) for s, n in arrived.items() if n > intents[s]}
    assert not missing, f"requests that arrived without a durable intent (arrivals, intents): {missing}"


def row_states(results: Path) -> dict[int, str]:
    """Every row's state as replayed from the results file (what a resume and `dialer status` see)."""
    return {row: rec.state for row, rec in ((r.row, r) for r in read_results(results).rows.records())}


def last_outcomes(results: Sequence[dict]) -> dict[int, str]:
    """Each row's last outcome written in a result, checked, row_rejected or row_suppressed line."""
    out: dict[int, str] = {}
    for line in results:
        if line.get("event") in (
            Event.RESULT,
            Event.CHECKED,
            Event.ROW_REJECTED,
            Event.ROW_SUPPRESSED,
        ):
            out[line["row"]] = line["outcome"]
    return out


def assert_every_row_has_an_outcome(results: Sequence[dict], rows: Sequence[int]) -> None:
    """Every row has an outcome line (placed, rejected, failed, unknown or suppressed)."""
    last = last_outcomes(results)
    missing = [r for r in rows if last.get(r) not in OUTCOME_STATES]
    assert not missing, f"rows without an outcome line: {missing[:20]} ({len(missing)})"


def checks_by_attempt(results: Sequence[dict]) -> dict[tuple[int, int], str]:
    """The verdict of each `checked` line, by (row, attempt)."""
    return {(ln["row"], ln["attempt"]): ln["verdict"] for ln in results if ln.get("event") == Event.CHECKED}
