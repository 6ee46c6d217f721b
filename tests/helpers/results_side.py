"""Judging a run from its results file: what the runner claims for each row (states, outcomes,
checks), to set beside what the switch saw (``switch_side``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dialer.core import outcomes as o
from dialer.journal.lines import Event
from dialer.journal.results_file import read_results
from dialer.journal.results_marks import checkpoint_path, list_cache_path, mark_path

from .files import read_lines

OUTCOME_STATES = {o.PLACED, o.REJECTED, o.FAILED, o.UNKNOWN, o.SUPPRESSED}


def torn_by_a_crash(results: Path, keep: int) -> None:
    """Cut the results file to its first ``keep`` bytes, as a crash mid-write leaves it: the files a
    clean end of run writes beside it (checkpoint, list cache, mark) go too, since a crashed run
    never wrote them, and a file shorter than its mark is refused as an old copy."""
    results.write_bytes(results.read_bytes()[:keep])
    for derived in (checkpoint_path(results), list_cache_path(results), mark_path(results)):
        derived.unlink(missing_ok=True)


def count_events(path: Path, event: str) -> int:
    return sum(1 for line in read_lines(path) if line.get("event") == event)


def row_states(results: Path) -> dict[int, str]:
    """Every row's state as replayed from the results file (what a resume and `dialer status` see)."""
    return {row: rec.state for row, rec in ((r.row, r) for r in read_results(results).records.records())}


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
