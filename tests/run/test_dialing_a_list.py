"""`dialer run` on a list, as an operator runs it, judged from the simulator's side: every valid row placed
once with exactly its values, bad and refused rows recorded, a finished campaign not dialed again."""

from __future__ import annotations

from pathlib import Path

from dialer.core import exitcodes
from tests.helpers.files import numbered_list, read_lines, write_csv
from tests.helpers.processes import PASSWORD, run_dialer
from tests.helpers.switch_side import most_in_window, placed_per_number

AWKWARD_CALLERID = "O'Brien & Sons; <Sales> Dept"


def optional_columns_list(path: Path, count: int) -> tuple[Path, dict[str, dict[str, str]]]:
    """A list with optional columns, blanks and awkward characters; returns what each row must send."""
    header = ["snumber", "cnumber", "callerid2", "answer1", "Customer name"]
    rows, expected = [], {}
    for i in range(count):
        snumber = f"212555{i:04d}"
        callerid2 = AWKWARD_CALLERID if i % 3 == 0 else ""
        answer1 = "1" if i % 4 == 0 else ""
        rows.append([snumber, "100", callerid2, answer1, f"Customer {i}"])
        sent = {"snumber": snumber, "cnumber": "100", "wait": "2"}
        if callerid2:
            sent["callerid2"] = callerid2
        if answer1:
            sent["answer1"] = answer1
        expected[snumber] = sent
    return write_csv(path, header, rows), expected


def test_300_rows_placed_once_each_with_exactly_their_values(tmp_path, simulator):
    """Rate 50, 20 in flight, wait 2: every row once, its values exact, paced at the switch, exit 0."""
    sim = simulator("--place-latency", "0.05")
    source, expected = optional_columns_list(tmp_path / "list.csv", 300)
    done = run_dialer(
        "run", str(source), "--url", sim.url, "--rate", "50", "--concurrency", "20", "--wait", "2"
    )
    assert done.returncode == exitcodes.OK, done.stderr
    placed = sim.placed()
    assert set(placed_per_number(placed).values()) == {1}
    assert {p["snumber"]: p["params"] for p in placed} == expected
    assert most_in_window([a["mono"] for a in sim.arrivals()], 1.0) <= 51
    results = read_lines(tmp_path / "list.results.jsonl")
    callids = {r["callid"] for r in results if r["event"] == "result"}
    assert {p["callid"] for p in placed} <= callids
    for r in results:
        if "row" in r:
            assert r["snumber"] and r["cnumber"] and r["ts"].endswith("Z")
    result_lines = [r for r in results if r["event"] == "result"]
    assert {k for r in result_lines for k in ("row", "attempt", "code", "callid", "outcome")} <= set(
        result_lines[0]
    )
    everything = done.stdout + done.stderr + (tmp_path / "list.results.jsonl").read_text()
    assert PASSWORD not in everything


def test_rerunning_a_finished_campaign_dials_nothing(tmp_path, simulator):
    """The results file is the journal: a second run finds every row done."""
    sim = simulator()
    source = numbered_list(tmp_path / "list.csv", 20)
    assert run_dialer("run", str(source), "--url", sim.url).returncode == exitcodes.OK
    arrivals = len(sim.arrivals())
    again = run_dialer("run", str(source), "--url", sim.url)
    assert again.returncode == exitcodes.OK
    assert len(sim.arrivals()) == arrivals == 20


def test_campaign_file_maps_columns_and_applies_defaults(tmp_path, simulator):
    """A campaign TOML: CRM headers mapped, defaults sent, flags override the file."""
    sim = simulator()
    write_csv(
        tmp_path / "crm.csv",
        ["Phone", "Agent line", "Name"],
        [["(212) 555-0001", "", "Ann"], ["212.555.0002", "201", "Bo"]],
    )
    (tmp_path / "c.toml").write_text(
        '[campaign]\nlist = "crm.csv"\nresults = "out/c.jsonl"\nurl = "http://127.0.0.1:1/"\n'
        '[columns]\n"Phone" = "snumber"\n"Agent line" = "cnumber"\n'
        '[defaults]\ncnumber = "100"\nanswer2 = 1\n[pacing]\nrate = 5\n'
    )
    done = run_dialer("run", str(tmp_path / "c.toml"), "--url", sim.url)
    assert done.returncode == exitcodes.OK, done.stderr
    sent = sorted((p["params"] for p in sim.placed()), key=lambda p: p["snumber"])
    assert sent == [
        {"snumber": "2125550001", "cnumber": "100", "answer2": "1"},
        {"snumber": "2125550002", "cnumber": "201", "answer2": "1"},
    ]
    lines = read_lines(tmp_path / "out" / "c.jsonl")
    assert {r["columns"]["Name"] for r in lines if r["event"] == "result"} == {"Ann", "Bo"}


def test_rate_plan_refusal_rejects_only_that_row(tmp_path, simulator):
    """403 for a premium number: that row rejected, the others placed, exit 4."""
    sim = simulator()
    source = write_csv(
        tmp_path / "list.csv", ["snumber", "cnumber"], [["2125550001", "100"], ["9005550002", "100"]]
    )
    done = run_dialer("run", str(source), "--url", sim.url)
    assert done.returncode == exitcodes.NEEDS_ATTENTION
    outcome = {
        r["snumber"]: (r["outcome"], r["code"])
        for r in read_lines(tmp_path / "list.results.jsonl")
        if r["event"] == "result"
    }
    assert outcome == {"2125550001": ("placed", "204"), "9005550002": ("rejected", "403")}


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
