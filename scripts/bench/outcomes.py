"""What learning each call's outcome costs: lookups per 1,000 calls, and CPU beside a run without it.

`dialer run --rate 200` against the simulator with an answer model (30% no answer, 10% busy, 2%
congestion; ringing 1-6 s, talking 2-30 s, seeded), the same list twice: once learning outcomes
(`[outcomes] first_look = 10`, so that lookups happen while the run goes, not only at its end: with
the default two minutes a half-minute run would look everything up at the end), once with
`--no-outcomes`. Counted at the switch: every cdrs/list and calls/active/list request, per 1,000
placed calls (one request per call would be 1,000; the goal is "far below"). Measured on the
dialer: its CPU (user + sys from wait4) per 1,000 calls, either way, and the wall time from the last
request to the end of the run (waiting for the last calls to end). Checked: every placed call got one
`call_ended` line, and the statuses written agree with the simulator's own log of what each call
became.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson

from scripts.bench.common import Bench, Row, check_ok, dialer_command, run_child, write_list, yes
from scripts.bench.switches import start_simulator

ANSWER_MODEL = (
    "--answer",
    "noanswer=0.3,busy=0.1,congestion=0.02",
    "--ring-seconds",
    "1-6",
    "--talk-seconds",
    "2-30",
    "--seed",
    "11",
)
FIRST_LOOK = 10  # seconds: looked up while the run goes
GOAL_LOOKUPS = 50  # per 1,000 calls: "far below" one a call
# What the switch's raw statuses are written as (dialer.core.call_outcome).
WRITTEN_AS = {
    "answer": "answered",
    "noanswer": "no-answer",
    "cancel": "no-answer",
    "busy": "busy",
    "congestion": "failed",
}


def run(b: Bench) -> None:
    rate = 200
    seconds = 10 if b.quick else 30
    rows = rate * seconds
    d = b.work / "outcomes"
    d.mkdir(parents=True, exist_ok=True)
    print(f"outcomes: --rate {rate}, {rows} rows, answer model, first look after {FIRST_LOOK} s", flush=True)
    list_path = write_list(d / "list.csv", rows, prefix="5125")
    campaign = d / "outcomes.toml"
    campaign.write_text(
        f'[campaign]\nlist = "{list_path.name}"\n[outcomes]\nfirst_look = {FIRST_LOOK}\nwait = 120\n',
        encoding="utf-8",
    )
    flags = ("--rate", str(rate), "--period", "1", "--wait", "2")
    measured = {}
    for learning in (True, False):
        name = "with" if learning else "without"
        sim = start_simulator(d / f"sim-{name}", *ANSWER_MODEL)
        results = d / f"{name}.results.jsonl"
        for stale in d.glob(f"{name}.results.jsonl*"):
            stale.unlink()
        extra = () if learning else ("--no-outcomes",)
        child = run_child(dialer_command(campaign, sim.url, results, *flags, *extra), d)
        sim.stop()
        check_ok(child, f"dialer run ({name} outcomes)")
        measured[name] = (child, sim, results)
    child, sim, results = measured["with"]
    bare, bare_sim, _ = measured["without"]
    placed = sim.placed()
    lookups = Counter(lk["path"] for lk in sim.lookups())
    per_1000 = sum(lookups.values()) / len(placed) * 1000
    ended = _call_ended(results)
    agree = _agreeing(ended, placed)
    b.add(
        Row(
            f"lookups per 1,000 placed calls at {rate}/s ({len(placed):,} calls: "
            + ", ".join(f"{n:,} {path}" for path, n in sorted(lookups.items()))
            + ")",
            f"{per_1000:.1f}",
            "one lookup a call: 1,000",
            f"{per_1000 / 1000:.3f}",
            f"< {GOAL_LOOKUPS}",
            yes(per_1000 < GOAL_LOOKUPS),
        )
    )
    b.add(
        Row(
            "  every placed call has one call_ended line / its status is the simulator's",
            f"{len(ended):,} of {len(placed):,} / {agree:,} agree",
            "",
            "",
            "all / all",
            yes(len(ended) == len(placed) == agree),
        )
    )
    cpu, bare_cpu = child.cpu / rows * 1000, bare.cpu / rows * 1000
    b.add(
        Row(
            "  CPU per 1,000 calls, the whole process, learning outcomes / not",
            f"{cpu:.3f} s",
            f"--no-outcomes {bare_cpu:.3f} s",
            f"{cpu / bare_cpu:.2f}",
        )
    )
    last = max(a["mono"] for a in sim.arrivals())
    b.add(
        Row(
            "  from the last request to the end of the run (the last calls ring and talk up to 36 s)",
            f"{child.started + child.wall - last:.1f} s",
            f"--no-outcomes {bare.started + bare.wall - max(a['mono'] for a in bare_sim.arrivals()):.1f} s",
        )
    )


def _call_ended(results: Path) -> dict[str, dict]:
    """The call_ended lines of a results file, by callid."""
    out = {}
    with open(results, "rb") as f:
        for raw in f:
            line = orjson.loads(raw)
            if line.get("event") == "call_ended":
                out[str(line.get("callid"))] = line
    return out


def _agreeing(ended: dict[str, dict], placed: list[dict]) -> int:
    """How many of the simulator's calls the results file gives the status the simulator logged."""
    return sum(
        1
        for call in placed
        if (line := ended.get(str(call.get("callid")))) is not None
        and line.get("call_status") == WRITTEN_AS.get(call.get("status"), "not-known")
    )
