"""Resuming a long campaign: process start to the first request, peak memory, SIGTERM to exit.

The campaign: a 1,000,000-row list (--rows) of valid North American numbers, as a real list holds
(so the list checker takes its vectorised path), and a results file in which the first 90% of the
rows are placed, a `dial` and a `result` line each, as the journal writes them. Generated once and
reused from --keep DIR (``campaign_inputs``, which the status section uses too).

Two resumes of it, one after the other. Cold: no list cache and no checkpoint, as the first resume
after an upgrade; stopped by SIGTERM 0.5 s after its first request, it writes both, as any run does.
Warm: the next run, which finds them: the normal case, and the goal's figure. The figure is the
first arrival at the simulator minus the moment just before the process was started; peak memory is
the child's ru_maxrss. Each run is checked to have dialed the first rows not yet dialed and to have
used (or not) the caches as it should. Without --quick, where the start-up goes is then measured
stage by stage in child processes (scripts/bench/stages.py), for this checkout only.

With --compare-with, the other checkout resumes a copy of the same results file: cold new, cold
old, warm new, warm old, and the table sets the two side by side. The results file is cut back to
its generated size and the caches removed afterwards, so that every bench starts from the same rows.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from scripts.bench.common import (
    THIS,
    Bench,
    Checkout,
    ChildRun,
    Row,
    check_ok,
    compared,
    dialer_command,
    module_command,
    peak_mb,
    run_child,
    spawn,
    wait4,
    yes,
)
from scripts.bench.switches import start_simulator

GOAL_FIRST = 5.0  # seconds from start to the first request of a resumed 1M-row campaign
GOAL_MB = 1536  # peak memory of that run
GOAL_ROWS = 1_000_000  # the campaign the goals are set for
RUN_ID = "20261101T090000-bench0"
INPUTS_KIND = "nanp-persons-1"  # the generated inputs' kind: regenerated when it changes
AREA_CODES = ("212", "312", "415", "617", "713", "206", "303", "404", "503", "602")


@dataclass(frozen=True)
class Campaign:
    list_path: Path
    results: Path
    rows: int
    done: int  # rows placed in the generated results file

    def with_results(self, results: Path) -> Campaign:
        return Campaign(self.list_path, results, self.rows, self.done)


def placed_of(rows: int) -> int:
    return rows * 9 // 10


def resume_number(i: int) -> str:
    """The list's i-th number: a valid North American number (ten area codes, exchanges 555-564), as a
    real list holds, so the list checker takes its vectorised path, not phonenumbers per number."""
    rest = i // len(AREA_CODES)
    return f"{AREA_CODES[i % len(AREA_CODES)]}{555 + rest // 10_000}{rest % 10_000:04d}"


def campaign_inputs(d: Path, rows: int) -> Campaign:
    """The list and a results file with 90% of its rows placed, in the journal's own format.

    Reused when kept (--keep); the results file is cut back to its generated size and the caches
    beside it removed, so that every bench starts from the same rows and no cache.
    """
    d.mkdir(parents=True, exist_ok=True)
    c = Campaign(d / f"list-{rows}.csv", d / f"list-{rows}.results.jsonl", rows, placed_of(rows))
    ready = d / f"list-{rows}.ready"
    kind = f"{c.rows} {c.done} {INPUTS_KIND}"
    recorded = ready.read_text().split() if ready.exists() else []
    if recorded[:3] == kind.split() and c.list_path.exists() and c.results.exists():
        os.truncate(c.results, int(recorded[3]))
        remove_caches(c.results)
        return c
    print(f"  generating {rows:,} rows, {c.done:,} placed in the results file...", flush=True)
    started = time.monotonic()
    _generate(c)
    remove_caches(c.results)
    ready.write_text(f"{kind} {c.results.stat().st_size}\n")
    print(
        f"  inputs generated in {time.monotonic() - started:.0f} s "
        f"({c.results.stat().st_size / 1e6:.0f} MB of results)",
        flush=True,
    )
    return c


def _generate(c: Campaign) -> None:
    with open(c.list_path, "w") as f:
        f.write("snumber,cnumber\n")
        f.writelines(f"{resume_number(i)},100\n" for i in range(c.rows))
    with open(c.results, "wb") as f:
        f.write(orjson.dumps(_run_started(c)) + b"\n")
        chunk: list[bytes] = []
        for i in range(c.done):
            chunk.extend(_placed_lines(i + 2, resume_number(i), "100"))
            if len(chunk) >= 20000:
                f.write(b"\n".join(chunk) + b"\n")
                chunk.clear()
        if chunk:
            f.write(b"\n".join(chunk) + b"\n")


def caches(results: Path) -> tuple[Path, Path]:
    """The list cache and the checkpoint a run writes beside ``results``."""
    return results.with_name(results.name + ".list-cache"), results.with_name(results.name + ".checkpoint")


def remove_caches(results: Path) -> None:
    """The caches, and the mark a run leaves (which remembers the file's size: a results file
    generated afresh under the same name would be refused as gone backwards)."""
    for path in (*caches(results), results.with_name(results.name + ".mark")):
        path.unlink(missing_ok=True)


def copy_results(c: Campaign, d: Path) -> Campaign:
    """The campaign with a copy of its results file in ``d`` (for the other checkout's runs)."""
    d.mkdir(parents=True, exist_ok=True)
    copy = d / c.results.name
    shutil.copyfile(c.results, copy)
    remove_caches(copy)
    return c.with_results(copy)


def remove_copy(c: Campaign) -> None:
    c.results.unlink(missing_ok=True)
    remove_caches(c.results)
    c.results.with_name(c.results.name + ".lock").unlink(missing_ok=True)


def _run_started(c: Campaign) -> dict:
    return {
        "ts": "2026-11-01T09:00:00.000000Z",
        "event": "run_started",
        "run": RUN_ID,
        "source": str(c.list_path),
        "list": str(c.list_path),
        "results": str(c.results),
        "url": "http://127.0.0.1:8089/api/json/calls/make/",
        "version": "0.1.0",
        "host": "bench",
        "pid": 1,
        "rows": c.rows,
        "valid": c.rows,
        "to_dial": c.rows,
        "redial_unknown": 0,
        "settings": {
            "rate": 100.0,
            "period": 1.0,
            "concurrency": 20,
            "stagger": "none",
            "attempts": 3,
            "defaults": {},
            "window": {},
        },
    }


def _placed_lines(row: int, snumber: str, cnumber: str) -> tuple[bytes, bytes]:
    """A dial and a result line as dialer's runner records them (key order included); the person is
    the number's canonical form, as the list checker gives it."""
    ts = f"2026-11-01T09:{(row // 60_000) % 60:02d}:{(row // 1000) % 60:02d}.{row % 1000:03d}000Z"
    dial = {
        "ts": ts,
        "event": "dial",
        "run": RUN_ID,
        "row": row,
        "snumber": snumber,
        "cnumber": cnumber,
        "person": f"+1{snumber}",
        "attempt": 1,
        "outcome": "sending",
        "code": None,
        "callid": None,
    }
    result = {
        **dial,
        "event": "result",
        "outcome": "placed",
        "code": "200",
        "callid": f"1793523600.{row}",
        "reason": "call placed",
        "elapsed_ms": 1.2,
        "http_status": 200,
        "key": "",
        "message": "OK",
        "machine": 1,
        "server": "sim01",
    }
    return orjson.dumps(dial), orjson.dumps(result)


# -- the section ----------------------------------------------------------------------------------


@dataclass
class Resumed:
    first: float  # seconds from process start to the first request at the switch
    run: ChildRun
    stop_seconds: float  # SIGTERM to exit
    dialed: list[str]  # snumbers that reached the switch, in arrival order


def run(b: Bench) -> None:
    d = b.work / "resume"
    rows = b.rows_of_campaign
    print(f"resume: {rows:,} rows, {placed_of(rows):,} placed in the results file", flush=True)
    campaign = campaign_inputs(d, rows)
    size = campaign.results.stat().st_size
    of = {THIS.label: campaign}
    try:
        if b.other is not None:
            of[b.other.label] = copy_results(campaign, d / "old")
        resumed: dict[str, dict[str, Resumed]] = {co.label: {} for co in b.checkouts}
        for state in ("cold", "warm"):  # the checkouts in turn, each on its own results file
            for co in b.checkouts:
                where = d / (state if co is THIS else f"{state}-{co.label}")
                resumed[co.label][state] = _resume_once(where, of[co.label], co)
        for co in b.checkouts:
            _check_resumes(b, of[co.label], resumed[co.label], co)
        if b.other is None:
            _resume_rows(b, campaign, resumed[THIS.label])
        else:
            _compared_rows(b, campaign, resumed[THIS.label], resumed[b.other.label])
        if not b.quick:
            breakdown(b, d, campaign)
    finally:
        os.truncate(campaign.results, size)  # the next bench starts from the same rows, without caches
        remove_caches(campaign.results)
        if b.other is not None and b.other.label in of:
            remove_copy(of[b.other.label])
    if rows != GOAL_ROWS:
        b.note(f"resume: the goals are set for {GOAL_ROWS:,} rows; this run's campaign has {rows:,}")


def _resume_once(d: Path, c: Campaign, checkout: Checkout) -> Resumed:
    d.mkdir(parents=True, exist_ok=True)
    sim = start_simulator(d / "sim")
    # not quiet: the info lines say whether the list cache and the checkpoint were used
    command = [
        a
        for a in dialer_command(c.list_path, sim.url, c.results, "--rate", "100", "--concurrency", "20")
        if a != "-q"
    ]
    try:
        first, run, stop_seconds = _first_request(command, sim, d, checkout)
        dialed = [a["snumber"] for a in sim.arrivals()]
    finally:
        sim.stop()
    return Resumed(first, run, stop_seconds, dialed)


_CACHES_USED = {
    "cold": ("list cache not used", "checkpoint not used"),
    "warm": ("call list read from its cache", "results file replayed from its checkpoint"),
}


def _check_resumes(b: Bench, c: Campaign, runs: dict[str, Resumed], checkout: Checkout) -> None:
    """Each run dialed the first rows not yet dialed, in order; each used the caches it should have."""
    who = "" if b.other is None else f"{checkout.label} checkout, "
    cold, warm = runs["cold"], runs["warm"]
    after_cold = c.done + len(cold.dialed)
    expected = {
        "cold": resume_number(c.done),
        "warm": resume_number(after_cold) if after_cold < c.rows else None,
    }
    for name, resumed in runs.items():
        got = resumed.dialed[0] if resumed.dialed else None
        if got != expected[name]:
            b.notes.append(f"resume ({who}{name}): the first request was for {got}, not {expected[name]}")
        if resumed.run.status != 6:
            b.notes.append(
                f"resume ({who}{name}): exit status {resumed.run.status}, not 6 (stopped by SIGTERM)"
            )
        for line in _CACHES_USED[name]:
            if line not in resumed.run.stderr:
                b.notes.append(f"resume ({who}{name}): its log does not say {line!r}")
    if set(cold.dialed) & set(warm.dialed):
        b.notes.append(
            f"resume ({who.rstrip(', ')}): **the warm run dialed a number the cold run had dialed**"
        )
    for path in caches(c.results):
        if not path.exists():
            b.notes.append(f"resume ({who.rstrip(', ')}): no {path.name} after the runs")


def _resume_rows(b: Bench, c: Campaign, runs: dict[str, Resumed]) -> None:
    cold, warm = runs["cold"], runs["warm"]
    b.add(
        Row(
            f"Resume {c.rows:,} rows with {c.done:,} done, warm (the list cache and checkpoint "
            "the previous run wrote): process start to first request",
            f"{warm.first:.2f} s",
            f"cold (no cache, no checkpoint) {cold.first:.2f} s",
            "",
            f"<= {GOAL_FIRST:.0f} s",
            yes(warm.first <= GOAL_FIRST),
        )
    )
    b.add(
        Row(
            "Resume, warm: peak memory of that run (ru_maxrss)",
            f"{warm.run.peak_mb:,.0f} MB",
            f"cold {cold.run.peak_mb:,.0f} MB",
            "",
            f"< {GOAL_MB} MB",
            yes(warm.run.peak_mb < GOAL_MB and cold.run.peak_mb < GOAL_MB),
        )
    )
    b.add(
        Row(
            "Resume: SIGTERM to exit (in-flight calls finished, run recorded, checkpoint saved), warm",
            f"{warm.stop_seconds:.1f} s",
            f"cold {cold.stop_seconds:.1f} s",
        )
    )


def _compared_rows(b: Bench, c: Campaign, new: dict[str, Resumed], old: dict[str, Resumed]) -> None:
    """--compare-with: each figure of each run, the new checkout's beside the old one's."""
    what = {
        "warm": "warm (the list cache and checkpoint the previous run wrote)",
        "cold": "cold (no cache, no checkpoint)",
    }
    for state in ("warm", "cold"):
        n, o = new[state], old[state]
        b.add(
            Row(
                f"Resume {c.rows:,} rows with {c.done:,} done, {what[state]}: process start to first request",
                *compared(n.first, o.first, "{:.2f} s"),
                f"<= {GOAL_FIRST:.0f} s" if state == "warm" else "",
                yes(n.first <= GOAL_FIRST) if state == "warm" else "",
            )
        )
    for state in ("warm", "cold"):
        n, o = new[state], old[state]
        b.add(
            Row(
                f"Resume, {state}: peak memory of that run (ru_maxrss)",
                *compared(n.run.peak_mb, o.run.peak_mb, "{:,.0f} MB"),
                f"< {GOAL_MB} MB",
                yes(n.run.peak_mb < GOAL_MB),
            )
        )
    for state in ("warm", "cold"):
        b.add(
            Row(
                "Resume: SIGTERM to exit (in-flight calls finished, run recorded, checkpoint saved), "
                + state,
                *compared(new[state].stop_seconds, old[state].stop_seconds, "{:.1f} s"),
            )
        )


def _first_request(command: list[str], sim, d: Path, checkout: Checkout) -> tuple[float, ChildRun, float]:
    """Start ``command``, wait for its first request at ``sim``, SIGTERM it 0.5 s later."""
    with open(d / "child.out", "wb") as out, open(d / "child.err", "wb") as err:
        proc, started = spawn(command, out, err, checkout)
    first = _wait_for_first(proc, sim, d, started) - started
    time.sleep(0.5)
    stopped = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    status, usage, own_peak = wait4(proc, 600)
    stop_seconds = time.monotonic() - stopped
    run = ChildRun(
        status,
        time.monotonic() - started,
        usage.ru_utime + usage.ru_stime,
        peak_mb(usage, own_peak),
        "",
        (d / "child.err").read_text(errors="replace"),
        started,
    )
    return first, run, stop_seconds


def _wait_for_first(proc: subprocess.Popen, sim, d: Path, started: float) -> float:
    """The monotonic arrival time of the first request at ``sim``."""
    deadline = started + 600
    while True:
        if proc.poll() is not None:
            raise SystemExit(
                f"the resumed run exited ({proc.returncode}) before its first request:\n"
                f"{(d / 'child.err').read_text()[-3000:]}"
            )
        if time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("the resumed run sent nothing within 600 s")
        if sim.arrivals_log.exists() and sim.arrivals_log.stat().st_size:
            arrivals = sim.arrivals()
            if arrivals:
                return arrivals[0]["mono"]
        time.sleep(0.02)


def breakdown(b: Bench, d: Path, c: Campaign) -> None:
    """Where a resumed run's start-up goes, stage by stage, each path in a child process of its own:
    warm (list cache and checkpoint, as the warm run found them) and cold (neither)."""
    for mode in ("warm", "cold"):
        print(f"  start-up stages, {mode} (child process)...", flush=True)
        run = run_child(module_command("stages", str(c.list_path), str(c.results), mode), d)
        check_ok(run, f"the {mode} start-up stages")
        stages = orjson.loads(run.stdout.strip().splitlines()[-1])
        for name, wall, cpu, rss in stages:
            b.add(
                Row(
                    f"  resume stage ({mode}): {name}",
                    f"{wall:.2f} s",
                    f"cpu {cpu:.2f} s",
                    "",
                    "",
                    f"rss {rss:,.0f} MB",
                )
            )
