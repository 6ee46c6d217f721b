"""What an operator sees: a bar on a terminal, plain lines otherwise, nothing with --quiet;
and a partly bad list, whose bad rows never reach the switch."""

from __future__ import annotations

import subprocess
import time

from dialer.core import exitcodes
from tests.helpers.files import numbered_list, read_lines, write_csv
from tests.helpers.processes import dialer_cmd, dialer_env, run_dialer


def test_partly_bad_list_dials_only_its_valid_rows_once(tmp_path, simulator):
    """Bad rows are recorded with row, column and reason and never sent; good rows placed once."""
    sim = simulator()
    rows = [
        ["2125550001", "100", "1"],
        ["2.125550002E+09", "100", ""],  # Excel lost digits
        ["2125550003", "100", "yes"],  # not a flag
        ["", "", ""],  # blank: skipped silently
        ["(212) 555-0005", "100", ""],
        ["212.555.0005", "100", ""],  # the same number again
        ["2125550007.0", "100", "0"],  # an exact float rendering, repaired
    ]
    source = write_csv(tmp_path / "list.csv", ["snumber", "cnumber", "answer1"], rows)
    done = run_dialer("run", str(source), "--url", sim.url)
    assert done.returncode == exitcodes.NEEDS_ATTENTION
    assert "Traceback" not in done.stderr
    sent = sorted((p["snumber"], p["params"].get("answer1")) for p in sim.placed())
    assert sent == [("2125550001", "1"), ("2125550005", None), ("2125550007", "0")]
    lines = read_lines(tmp_path / "list.results.jsonl")
    problems = {r["row"]: (r["outcome"], r.get("column")) for r in lines if r["event"].startswith("row_")}
    assert problems == {3: ("rejected", "snumber"), 4: ("rejected", "answer1"), 7: ("suppressed", None)}


def test_signal_while_a_large_list_loads_exits_6_without_dialing(tmp_path, simulator):
    """SIGTERM before the first row is claimed (the list still loading): exit 6, nothing sent."""
    sim = simulator()
    source = numbered_list(tmp_path / "big.csv", 9999)
    with open(source, "a") as f:  # a list slow enough to load that the signal lands mid-load
        f.writelines(f"31255{i:06d},100\n" for i in range(150_000))
    proc = subprocess.Popen(
        dialer_cmd("run", str(source), "--url", sim.url),
        env=dialer_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = tmp_path / "big.results.jsonl.lock"
    deadline = time.monotonic() + 30
    while not lock.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    time.sleep(0.1)
    proc.send_signal(15)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == exitcodes.STOPPED, stderr
    assert sim.arrivals() == []
