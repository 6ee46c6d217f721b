"""The caches a resume reads (the checkpoint, the list cache), end to end: used when they are good, not used
when the list changed, and never a reason for a run to fail."""

from __future__ import annotations

import orjson

from dialer.core import exitcodes
from dialer.journal.checkpoint import checkpoint_path
from tests.helpers.files import numbered_list
from tests.helpers.processes import run_dialer
from tests.helpers.switch_side import placed_per_number


def test_resume_with_warm_caches_dials_exactly_the_rest_once_and_a_changed_list_is_reloaded(
    tmp_path, simulator
):
    """A run stopped by --max-duration leaves a checkpoint and a list cache; the resumed run uses both
    and dials each remaining row once. After the list changes, its cache is not used."""
    sim = simulator("--place-latency", "0.05")
    source = numbered_list(tmp_path / "list.csv", 60)
    results = tmp_path / "list.results.jsonl"
    first = run_dialer("run", str(source), "--url", sim.url, "--rate", "20", "--max-duration", "1")
    assert first.returncode == exitcodes.TIME_LIMIT, first.stderr
    assert checkpoint_path(results).exists() and results.with_name(results.name + ".list-cache").exists()
    done_first = len(sim.placed())
    assert 0 < done_first < 60

    resumed = run_dialer("run", str(source), "--url", sim.url, "--rate", "200")
    assert resumed.returncode == exitcodes.OK, resumed.stderr
    assert "results file replayed from its checkpoint" in resumed.stderr
    assert "call list read from its cache" in resumed.stderr
    counts = placed_per_number(sim.placed())
    assert len(counts) == 60 and set(counts.values()) == {1}
    assert len(sim.arrivals()) == 60

    numbered_list(source, 70)  # ten more rows: the list file changed
    changed = run_dialer("run", str(source), "--url", sim.url, "--rate", "200")
    assert changed.returncode == exitcodes.OK, changed.stderr
    assert "list cache not used" in changed.stderr and "call list read from its cache" not in changed.stderr
    assert "results file replayed from its checkpoint" in changed.stderr
    counts = placed_per_number(sim.placed())
    assert len(counts) == 70 and set(counts.values()) == {1}
    assert len(sim.arrivals()) == 70

    # `dialer status` reads the caches too (never writes them), with the same answer as without
    with_caches = run_dialer("status", str(source), "--json")
    assert with_caches.returncode == 0, with_caches.stderr
    for path in (checkpoint_path(results), results.with_name(results.name + ".list-cache")):
        path.unlink()
    without = run_dialer("status", str(source), "--json")
    assert orjson.loads(without.stdout) == orjson.loads(with_caches.stdout)
    assert orjson.loads(without.stdout)["counts"]["placed"] == 70
    assert not checkpoint_path(results).exists()


def test_caches_that_cannot_be_written_never_fail_a_run(tmp_path, simulator):
    sim = simulator()
    source = numbered_list(tmp_path / "list.csv", 10)
    results = tmp_path / "list.results.jsonl"
    checkpoint_path(results).mkdir()  # nothing can be renamed over a directory
    results.with_name(results.name + ".list-cache").mkdir()
    done = run_dialer("run", str(source), "--url", sim.url)
    assert done.returncode == exitcodes.OK, done.stderr
    assert "could not save the checkpoint" in done.stderr
    assert "could not save the list cache" in done.stderr
    assert len(sim.placed()) == 10
    again = run_dialer("run", str(source), "--url", sim.url)
    assert again.returncode == exitcodes.OK and len(sim.arrivals()) == 10
