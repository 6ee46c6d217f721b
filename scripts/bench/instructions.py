"""Instructions per request, counted by valgrind: the runner's cost beside a bare aiohttp loop's.

    .venv/bin/python -m scripts.bench.instructions           # against nginx (scripts/bench/nginx_switch.py)
    .venv/bin/python -m scripts.bench.instructions --rows 1000,3000
    .venv/bin/python -m scripts.bench.instructions --checkout /tmp/old   # also an older commit's runner

Wall-clock figures on a shared 2-core machine move by 20% from one run to the next. valgrind's
cachegrind counts the instructions a process executes, which do not depend on what else the
machine is doing. Each client runs twice under it, with a short and a longer list, against the
same switch (nginx: it spends almost nothing per request, and it is not this project's); the
difference divided by the difference in rows is what one more request costs, start-up left out.

What is counted for the runner is the whole `dialer run` (`--no-reconcile`, `--concurrency 100`):
loading and checking its row, dialing it with its two durable journal lines, and reading the run's
lines back at the end. Under valgrind the client runs about 50 times slower than the switch, so
every answer is waiting when the client looks: batches and loop passes differ from a real run's.
The figures compare code, not speeds. Needs valgrind (Debian's valgrind) and nginx.

``--checkout DIR`` adds the runner of another checkout (``git worktree add /tmp/old COMMIT``), run
from this environment with DIR as working directory and on PYTHONPATH, so that it imports DIR's
dialer: what a change bought, in instructions. Run from the repository root.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from scripts.bench.common import THIS, dialer_command, dialer_env, other_checkout, write_list
from scripts.bench.nginx_switch import INSTALL_HINT, IndependentSwitch, find_nginx
from scripts.bench.throughput import BARE, BARE_UVLOOP, contender_command

_REFS = re.compile(rb"I\s+refs:\s+([\d,]+)")


def instructions(command: list[str], env: dict[str, str], cwd: Path) -> int:
    """The instructions ``command`` executed, from cachegrind's summary on stderr."""
    done = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *command],
        capture_output=True,
        env=env,
        cwd=cwd,
        check=False,
    )
    found = _REFS.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(
            f"{command[:4]}... failed under valgrind:\n{done.stderr.decode(errors='replace')[-2000:]}"
        )
    return int(found.group(1).replace(b",", b""))


def clients(url: str, list_path: Path, work: Path, checkout: Path | None) -> dict[str, list[str]]:
    results = work / f"{list_path.stem}.results.jsonl"
    runner = dialer_command(list_path, url, results, "--concurrency", "100", "--no-reconcile")
    named = {
        "runner on uvloop": runner,
        "runner on asyncio's loop": runner,
        "bare aiohttp loop on asyncio's loop": contender_command(BARE, url, list_path, results),
        "bare aiohttp loop on uvloop": contender_command(BARE_UVLOOP, url, list_path, results),
    }
    if checkout is not None:
        named[f"runner of {checkout} on asyncio's loop"] = runner
    return named


def per_request(name: str, url: str, lists: list[Path], work: Path, checkout: Path | None) -> float:
    whose = other_checkout(checkout) if checkout is not None and str(checkout) in name else THIS
    env = dialer_env(whose)
    env["DIALER_EVENT_LOOP"] = "asyncio" if "asyncio" in name else "uvloop"
    counts = []
    for list_path in lists:
        for stale in work.glob(f"{list_path.stem}.results.jsonl*"):
            stale.unlink()
        counts.append(instructions(clients(url, list_path, work, checkout)[name], env, whose.root))
    rows = [int(p.stem.removeprefix("list")) for p in lists]
    return (counts[1] - counts[0]) / (rows[1] - rows[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", default="1000,3000", help="the two list lengths (default 1000,3000)")
    parser.add_argument("--checkout", type=Path, help="also count the runner of this checkout of dialer")
    args = parser.parse_args()
    checkout = args.checkout.resolve() if args.checkout else None
    if checkout is not None and not (checkout / "dialer" / "__main__.py").is_file():
        raise SystemExit(f"--checkout {checkout}: no dialer package there")
    if find_nginx() is None or shutil.which("valgrind") is None:
        raise SystemExit(f"needs valgrind and nginx ({INSTALL_HINT}; apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="dialer-instr-") as tmp:
        work = Path(tmp)
        lists = [write_list(work / f"list{n}.csv", n) for n in map(int, args.rows.split(","))]
        switch = IndependentSwitch.start(work / "nginx")
        try:
            names = list(clients(switch.url, lists[0], work, checkout))
            figures = {name: per_request(name, switch.url, lists, work, checkout) for name in names}
        finally:
            switch.stop()
    base = figures["bare aiohttp loop on asyncio's loop"]
    print("| client | instructions a request | against the bare loop on asyncio's loop |")
    print("|---|---|---|")
    for name, value in figures.items():
        print(f"| {name} | {value:,.0f} | {value / base:.2f} |")


if __name__ == "__main__":
    main()
