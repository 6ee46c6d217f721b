"""Time and peak memory of loading call lists: a 1M-row CSV and a 100k-row xlsx.

    .venv/bin/python -m scripts.bench.load [--rows 1000000] [--xlsx-rows 100000] [--keep DIR]

Inputs are generated in a temporary directory. Each case runs in its own child process; its peak
resident memory is the child's ru_maxrss from wait4 (pandas allocates natively, so tracemalloc
would miss most of it), and its time is measured inside the child around the load alone (the
interpreter start and imports are the "baseline" row). The loader is dialer.calllist's
load_call_list (got through scripts/bench/stages.py). Goal: the 1M-row CSV within 10 s and 1.5 GB
on a 2-core machine. Run from the repository root: the children are ``python -m
scripts.bench.load --child CASE`` started there.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

from scripts.bench.common import ROOT, module_command

GOAL_SECONDS = 10.0
GOAL_MB = 1536

CASES = {
    "baseline": "python + pandas + dialer.calllist imported, nothing read",
    "csv-loader": "load_call_list: the CSV, checked, deduplicated, do-not-call",
    "csv-pandas": "pandas.read_csv(dtype=str) of the same CSV, nothing checked",
    "xlsx-loader": "load_call_list: the xlsx (calamine), checked",
    "xlsx-calamine": "pandas.read_excel(engine='calamine', dtype=str), nothing checked",
    "xlsx-openpyxl": "pandas.read_excel(engine='openpyxl', dtype=str), nothing checked",
}


def _number(rng: random.Random) -> str:
    return f"{rng.randint(201, 989)}{rng.randint(201, 999)}{rng.randint(0, 9999):04d}"


def _shape(rng: random.Random, number: str) -> str:
    """The shapes operators' exports hold, most often plain digits."""
    pick = rng.random()
    if pick < 0.6:
        return number
    if pick < 0.8:
        return f"({number[:3]}) {number[3:6]}-{number[6:]}"
    if pick < 0.9:
        return f"+1 {number[:3]}-{number[3:6]}-{number[6:]}"
    return f"{number[:3]}.{number[3:6]}.{number[6:]}"


def make_rows(n: int, seed: int = 7):
    """Rows of (snumber, cnumber, callerid2, answer1, Name): ~0.5% invalid, ~1% duplicates."""
    rng = random.Random(seed)
    seen: list[tuple[str, str]] = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.01 and seen:
            snumber, cnumber = rng.choice(seen)
        else:
            snumber, cnumber = _shape(rng, _number(rng)), rng.choice(("100", "101", "102"))
            if len(seen) < 10_000:
                seen.append((snumber, cnumber))
        answer = str(i % 2)
        if roll > 0.9975:
            snumber = f"{int(snumber[-10:] if snumber[-10:].isdigit() else '2125551234'):.9E}"
        elif roll > 0.995:
            answer = "yes"
        yield snumber, cnumber, f"Sales & Co; Dept <{i % 40}>", answer, f"Customer {i}"


def generate(directory: Path, rows: int, xlsx_rows: int) -> None:
    header = ("snumber", "cnumber", "callerid2", "answer1", "Name")
    rng = random.Random(11)
    dnc = [_shape(rng, _number(rng)) for _ in range(500)]
    with open(directory / "list.csv", "w", encoding="utf-8", newline="") as out:
        out.write(",".join(header) + "\n")
        for i, row in enumerate(make_rows(rows)):
            out.write(",".join(f'"{v}"' if "," in v else v for v in row) + "\n")
            if i % 2000 == 1 and len(dnc) < 1000:
                # listed in another shape than the call list's, to be matched on canonical form
                digits = "".join(c for c in row[0] if c.isdigit())[-10:]
                dnc.append(_shape(rng, digits))
    (directory / "dnc.csv").write_text("Phone\n" + "\n".join(dnc) + "\n", encoding="utf-8")
    if xlsx_rows:
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Calls")
        ws.append(header)
        for snumber, cnumber, callerid, answer, name in make_rows(xlsx_rows, seed=9):
            # numbers stored as numbers, as Excel users type them
            cell = int(snumber) if snumber.isdigit() else snumber
            ws.append([cell, int(cnumber), callerid, int(answer) if answer.isdigit() else answer, name])
        wb.save(directory / "list.xlsx")


def child(case: str, directory: Path) -> None:
    import pandas as pd

    from scripts.bench.stages import list_loader

    ListOptions, load_call_list = list_loader()

    csv_path, xlsx_path = directory / "list.csv", directory / "list.xlsx"
    start, cpu = time.perf_counter(), time.process_time()
    info: dict = {}
    if case == "csv-loader":
        calls = load_call_list(csv_path, ListOptions(do_not_call=(directory / "dnc.csv",)))
        info = _counts(calls)
    elif case == "csv-pandas":
        info = {"rows": len(pd.read_csv(csv_path, dtype=str, keep_default_na=False))}
    elif case == "xlsx-loader":
        info = _counts(load_call_list(xlsx_path, ListOptions()))
    elif case in ("xlsx-calamine", "xlsx-openpyxl"):
        engine = case.split("-")[1]
        frame = pd.read_excel(xlsx_path, engine=engine, dtype=str, keep_default_na=False)
        info = {"rows": len(frame)}
    info["seconds"] = time.perf_counter() - start
    info["cpu"] = time.process_time() - cpu  # all threads: read_csv parses in parallel
    print(json.dumps(info))


def _counts(calls) -> dict:
    codes: dict[str, int] = {}
    for p in calls.problems:
        codes[p.code] = codes.get(p.code, 0) + 1
    return {"rows": calls.total_rows, "to_dial": len(calls.table), **codes}


def measure(case: str, directory: Path) -> dict:
    proc = subprocess.Popen(
        module_command("load", "--child", case, "--dir", str(directory)), stdout=subprocess.PIPE, cwd=ROOT
    )
    output = proc.stdout.read()
    proc.stdout.close()
    # wait4 gives this child's own rusage; RUSAGE_CHILDREN would be the max over all children
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{case} failed with status {proc.returncode}")
    info = json.loads(output)
    info["peak_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="generate the inputs here and keep them")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.dir)
        return
    with tempfile.TemporaryDirectory(prefix="bench_load_") as tmp:
        directory = (args.keep or Path(tmp)).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        generate(directory, args.rows, args.xlsx_rows)
        print(f"inputs generated in {time.perf_counter() - started:.1f} s in {directory}", flush=True)
        cases = [c for c in CASES if args.xlsx_rows or not c.startswith("xlsx")]
        report(measure_all(cases, directory), args.rows)


def measure_all(cases: list[str], directory: Path) -> dict[str, dict]:
    print(f"load average before: {os.getloadavg()[0]:.2f} (other work on the machine slows wall time)")
    print(f"{'case':<14} {'wall s':>7} {'cpu s':>7} {'peak MB':>8}  rows / outcome")
    results = {}
    for case in cases:
        info = results[case] = measure(case, directory)
        detail = ", ".join(f"{k} {v}" for k, v in info.items() if k not in ("seconds", "cpu", "peak_mb"))
        print(
            f"{case:<14} {info['seconds']:>7.2f} {info['cpu']:>7.2f} {info['peak_mb']:>8.0f}  {detail}  "
            f"({CASES[case]})",
            flush=True,
        )
    return results


def report(results: dict[str, dict], rows: int) -> None:
    csv_case = results["csv-loader"]
    ok = csv_case["seconds"] <= GOAL_SECONDS and csv_case["peak_mb"] <= GOAL_MB
    verdict = "met" if ok else "NOT met"
    print(f"goal for {rows:,} CSV rows: <= {GOAL_SECONDS:.0f} s and <= {GOAL_MB} MB: {verdict}")


if __name__ == "__main__":
    main()
