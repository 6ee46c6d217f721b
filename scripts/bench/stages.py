"""The one module of the benchmarks that imports dialer's internals; the resume's start-up stages.

Everything else drives `dialer` as a command (``python -m dialer``) or starts its simulator
(``dialer.simulator``): when dialer's modules are reorganised, only this module changes. The imports
are made inside the functions, so that importing this module imports none of dialer, and so that the
stages can time them.

    python -m scripts.bench.stages LIST RESULTS warm|cold

The start-up of `dialer run` as dialer.session does it (the collector paused while the list and the
replay are built, then frozen), without the run, each stage timed (wall, CPU, and the peak resident
memory so far, VmHWM); prints the stages as one JSON line. ``warm``: the list cache and the
checkpoint a run left beside RESULTS (read only); ``cold``: the list loaded, checked and written to a
scratch cache, and the whole results file replayed. The micro-benchmarks of the journal and of list
loading get the internals they drive from here too (``journal_api``, ``list_loader``).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from scripts.bench.common import vm_hwm_mb


def journal_api() -> tuple[Any, Any]:
    """dialer's Journal, and the builder of a `dial` line (row fields, attempt number)."""
    from dialer.journal.lines import dial
    from dialer.journal.results_file import Journal

    return Journal, dial


def list_loader() -> tuple[Any, Any]:
    """dialer.calllist's ListOptions and load_call_list (the loader `dialer run` uses)."""
    from dialer.calllist import ListOptions, load_call_list

    return ListOptions, load_call_list


class _Stages:
    """Wall and CPU seconds since the last mark, and the peak resident memory so far, per stage."""

    def __init__(self) -> None:
        self.out: list[tuple[str, float, float, float]] = []
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def mark(self, name: str) -> None:
        rss = vm_hwm_mb(os.getpid())  # not ru_maxrss: that starts from the bench's own peak (common.py)
        self.out.append((name, time.perf_counter() - self.wall, time.process_time() - self.cpu, rss))
        self.wall, self.cpu = time.perf_counter(), time.process_time()


def stages_main(list_path: Path, results: Path, mode: str) -> None:
    import gc

    stages = _Stages()
    from dialer.calllist.model import ListOptions
    from dialer.journal.checkpoint import replay_with_checkpoint
    from dialer.journal.list_cache import load_checked_list
    from dialer.journal.results_file import read_results
    from dialer.journal.results_marks import list_cache_path
    from dialer.planning.planner import plan
    from dialer.run.collector_policy import bulk_work

    stages.mark("imports (calllist, checkpoint, journal, planner)")
    scratch = results.with_name("stages.list-cache")
    with bulk_work():
        if mode == "warm":
            call_list = load_checked_list(list_path, ListOptions(), list_cache_path(results))
            stages.mark(
                f"the {call_list.total_rows:,}-row list from its cache (key: stat and hash of the list file)"
            )
            history = replay_with_checkpoint(results)
            replay = history.replay
            gc.freeze()
            what = (
                f"replay: the checkpoint ({history.restored / 1e6:,.0f} MB of results) "
                f"and the {history.offset - history.restored:,} bytes after it"
            )
        else:
            call_list = load_checked_list(list_path, ListOptions(), scratch)
            stages.mark(f"load and check the {call_list.total_rows:,}-row list, write its cache")
            replay = read_results(results)
            gc.freeze()
            what = f"replay the whole results file ({replay.lines:,} lines)"
    stages.mark(what)
    scratch.unlink(missing_ok=True)
    with bulk_work():
        the_plan = plan(call_list, replay)
    stages.mark(f"plan ({len(the_plan.to_dial):,} rows to dial)")
    print(json.dumps(stages.out))


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[3] not in ("warm", "cold"):
        raise SystemExit("usage: python -m scripts.bench.stages LIST RESULTS warm|cold")
    stages_main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
