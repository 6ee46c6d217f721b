"""What durable intent costs: intent lines per second with one fsync per line against group commit.

    .venv/bin/python -m scripts.bench.journal [--lines 3000] [--batch 64] [--writers 64] [--dir DIR]

Three ways to make the same number of `dial` lines durable through dialer.journal.Journal (got
through scripts/bench/stages.py, the benchmarks' one importer of dialer's internals):

* per-line: record one line, await commit(), repeat (an fsync for every line: what a runner that
  made each intent durable on its own would pay);
* batched: record --batch lines, one commit for them (the dispatcher's pattern: it claims a batch,
  records every intent, commits once, then sends);
* concurrent: --writers tasks each record and commit in a loop; their commits share fsyncs;
* one commit at the end: the cost of writing the lines alone, for reference.

The file is written in --dir (default: the current directory, which should be on the disk the
results file will live on: a tmpfs makes fsync free and the figures meaningless).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from scripts.bench.stages import journal_api

Journal, dial_line = journal_api()
FIELDS = {"snumber": "2125551234", "cnumber": "100", "person": "+12125551234"}


class CountingFsync:
    def __init__(self) -> None:
        self.real = os.fsync
        self.calls = 0

    def __call__(self, fd: int) -> None:
        self.calls += 1
        self.real(fd)


async def per_line(journal, lines: int) -> None:
    for row in range(lines):
        journal.write(dial_line({"row": row, **FIELDS}, 1))
        await journal.commit()


async def batched(journal, lines: int, batch: int) -> None:
    for start in range(0, lines, batch):
        for row in range(start, min(lines, start + batch)):
            journal.write(dial_line({"row": row, **FIELDS}, 1))
        await journal.commit()


async def concurrent(journal, lines: int, writers: int) -> None:
    async def writer(first: int) -> None:
        for row in range(first, lines, writers):
            journal.write(dial_line({"row": row, **FIELDS}, 1))
            await journal.commit()

    await asyncio.gather(*(writer(w) for w in range(writers)))


def measure(directory: Path, name: str, lines: int, make) -> tuple[float, int]:
    """Lines per second and fsyncs for one way, on a fresh file."""
    path = directory / f"bench-{name}.jsonl"
    path.unlink(missing_ok=True)
    counter = CountingFsync()
    os.fsync = counter
    try:
        journal = Journal(path, "bench")
        journal.open()
        started = time.perf_counter()
        asyncio.run(make(journal))
        elapsed = time.perf_counter() - started
        journal.close()
    finally:
        os.fsync = counter.real
        path.unlink(missing_ok=True)
    return lines / elapsed, counter.calls


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--writers", type=int, default=64)
    parser.add_argument("--dir", type=Path, default=Path.cwd())
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-journal-") as tmp:
        directory = Path(tmp)
        results = {
            "per-line": measure(directory, "per-line", args.lines, lambda j: per_line(j, args.lines)),
            f"batched ({args.batch})": measure(
                directory, "batched", args.lines, lambda j: batched(j, args.lines, args.batch)
            ),
            f"concurrent ({args.writers} writers)": measure(
                directory, "concurrent", args.lines, lambda j: concurrent(j, args.lines, args.writers)
            ),
            "one commit at the end": measure(
                directory, "once", args.lines, lambda j: batched(j, args.lines, args.lines)
            ),
        }
    base = results["per-line"][0]
    print(f"{args.lines} intent lines, {args.dir}")
    print(f"{'way':<26} {'lines/s':>10} {'fsyncs':>7} {'vs per-line':>12}")
    for name, (rate, fsyncs) in results.items():
        print(f"{name:<26} {rate:>10,.0f} {fsyncs:>7} {rate / base:>11.1f}x")


if __name__ == "__main__":
    main()
