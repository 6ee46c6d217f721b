"""Benchmark `dialer` against the project's Enswitch simulator and nginx; print a table of the goals.

    .venv/bin/python -m scripts.bench                  # the full run (about 11 minutes on 2 cores)
    .venv/bin/python -m scripts.bench --quick          # shorter runs, the same measures
    .venv/bin/python -m scripts.bench --only resume,status --keep /tmp/benchkeep
    .venv/bin/python -m scripts.bench --only throughput,resume --compare-with /tmp/before

Run from the repository root. Every measure drives a real `dialer` subprocess (durable journal, as
an operator runs it) against a switch in its own process, and counts at the switch. The machine is
shared and noisy, so each figure that has one is quoted against a baseline measured in the same run.
Each section is a module of this package, whose docstring says what it measures and how: throughput,
pacing, independent (nginx), cpu, outcomes, resume, status.

--keep DIR keeps the inputs, logs and results files there (a second run reuses the generated
campaign of the resume and status sections); --rows N sets that campaign's size (default
1,000,000; the goals are set for that size). --compare-with DIR measures the `dialer` of another
checkout of this repository too (e.g. `git worktree add /tmp/before COMMIT`), in the same run, in
the throughput, resume and status sections, and sets its figures beside this checkout's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from scripts.bench import cpu, independent, outcomes, pacing, resume, status, throughput
from scripts.bench.common import THIS, Bench, imported_dialer, other_checkout, table

SECTIONS: dict[str, Callable[[Bench], None]] = {
    "throughput": throughput.run,
    "pacing": pacing.run,
    "independent": independent.run,
    "cpu": cpu.run,
    "outcomes": outcomes.run,
    "resume": resume.run,
    "status": status.run,
}
COMPARED = ("throughput", "resume", "status")  # the sections that measure --compare-with's dialer too


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="shorter runs (the same measures)")
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="keep inputs, logs and results in this directory"
    )
    parser.add_argument("--only", help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument(
        "--rows",
        type=int,
        default=1_000_000,
        help="rows of the resume and status campaign (default 1,000,000)",
    )
    parser.add_argument(
        "--compare-with", type=Path, metavar="DIR", help="another checkout whose dialer to measure beside"
    )
    args = parser.parse_args(argv)
    args.sections = args.only.split(",") if args.only else list(SECTIONS)
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    if args.rows < 10_000:
        parser.error("--rows: at least 10,000 (the status section also measures a 1,000-row campaign)")
    return args


def main() -> None:
    args = parse(sys.argv[1:])
    other = other_checkout(args.compare_with) if args.compare_with else None
    print(f"dialer under test: {imported_dialer(THIS)} ({THIS.describe()})", flush=True)
    if other is not None:
        print(f"compared with: {imported_dialer(other)} ({other.describe()})", flush=True)
    command = " ".join([".venv/bin/python", "-m", "scripts.bench", *sys.argv[1:]])
    started, clock = datetime.now(UTC), time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dialer-bench-") as tmp:
        work = (args.keep or Path(tmp)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        b = Bench(work, args.quick, args.rows, other, load_at_start=os.getloadavg()[0])
        if other is not None and not set(args.sections) & set(COMPARED):
            b.note(f"--compare-with: none of {', '.join(COMPARED)} was run, so nothing was compared")
        for name, section in SECTIONS.items():
            if name in args.sections:
                section(b)
    print()
    print(table(b, command, started, time.monotonic() - clock))


if __name__ == "__main__":
    main()
