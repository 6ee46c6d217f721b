"""A campaign an older dialer left half done (its results file, checkpoint and list cache, checked in
under tests/fixtures/results_v0_1) resumes with this one: what it placed is not placed again, what
it left unknown stays unknown unless the switch can tell, and the rest is dialed once."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson

from dialer.core import exitcodes
from dialer.core import outcomes as o
from tests.helpers.files import read_lines
from tests.helpers.processes import run_dialer

FIXTURE = Path(__file__).parent.parent / "fixtures" / "results_v0_1"


def test_an_older_versions_results_file_resumes_without_calling_anyone_twice(tmp_path, simulator):
    for name in ("list.csv", "dnc.txt", "camp.toml", "camp.results.jsonl"):
        shutil.copy(FIXTURE / name, tmp_path / name)
    # The caches it left are copies now (another inode): never trusted blindly, never fatal.
    for suffix in (".checkpoint", ".list-cache"):
        shutil.copy(FIXTURE / f"camp.results.jsonl{suffix}", tmp_path / f"camp.results.jsonl{suffix}")
    before = orjson.loads((FIXTURE / "status-before.json").read_bytes())
    source = str(tmp_path / "camp.toml")

    status = run_dialer("status", source, "--json")
    assert status.returncode == 0, status.stderr
    assert orjson.loads(status.stdout)["counts"] == before["counts"]

    # A switch that never saw the earlier run's calls: the unknown row cannot be settled by it.
    sim = simulator()
    resumed = run_dialer("run", source, "--url", sim.url, timeout=60)
    assert resumed.returncode == exitcodes.NEEDS_ATTENTION, resumed.stderr

    earlier = {p["snumber"] for p in read_lines(FIXTURE / "switch-placed.jsonl")}
    now = [p["snumber"] for p in sim.placed()]
    # The failed row (three 503s) and the two rows never dialed; nobody the older run placed, and
    # not the row whose call may have been placed (unknown).
    assert sorted(now) == ["2125550107", "2125550114", "2125550115"]
    assert not earlier & set(now)

    after = orjson.loads(run_dialer("status", source, "--json").stdout)
    assert after["counts"] == {
        o.PLACED: 11,
        o.REJECTED: 2,
        o.SUPPRESSED: 2,
        o.FAILED: 0,
        o.UNKNOWN: 1,
        o.NOT_DIALED: 0,
    }
    assert [row["row"] for row in after["unknown"]] == [10]
    # The older lines are still there, untouched, before this run's.
    old = (FIXTURE / "camp.results.jsonl").read_bytes()
    assert (tmp_path / "camp.results.jsonl").read_bytes().startswith(old)
