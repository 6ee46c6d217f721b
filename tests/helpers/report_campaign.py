"""A finished campaign built by hand (its list, do-not-call list, campaign file and results file), shared by
the status and report tests; tests/reporting/test_report_campaign.py checks it against the loader and the
replay. snumber is an agent's line (201, 202): the campaign names cnumber as the person."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson
import pandas as pd

from dialer.calllist.model import CallList, RowProblem
from dialer.campaign.settings import Recycle
from dialer.core import outcomes as o
from dialer.journal.lines import Event
from dialer.journal.replay import Replay, replay_lines
from dialer.reporting.rows import row_table
from dialer.reporting.summary import summarise

HEADERS = ["snumber", "cnumber", "callerid1", "Name"]
XSS = "<script>alert('x')</script>"

# Spreadsheet row number -> original cells (header is row 1).
ORIGINAL = {
    2: ["201", "+15550100002", "Sales", "Ann Lee"],
    3: ["201", "+15550100003", "Sales", "Bob Ray"],
    4: ["201", "+15550100004", XSS, "Cat <b>Bold</b> & Co"],
    5: ["201", "+15550100005", "Sales", "Dan Ode"],
    6: ["201", "+15550100006", "Sales", "Eve Ng"],
    7: ["201", "+15550100007", "Sales", "Fay Wu"],
    8: ["201", "+15550100008", "Sales", "Gus Oh"],
    9: ["202", "+15550100009", "Sales", "Hal Ek"],
    10: ["202", "+15550100010", "Sales", '=HYPERLINK("http://evil")'],
    11: ["202", "not a number", "Sales", "Ivy Po"],
    12: ["201", "+15550100002", "Sales", "Ann Lee again"],
    13: ["202", "+15550100013", "Sales", "Jo Do"],
    14: ["202", "+15550100014", "Sales", "Kim Yu"],
}
PROBLEMS = [
    RowProblem(
        11, o.REJECTED, "invalid", "cnumber is not a telephone number", "cnumber", "202", "not a number"
    ),
    RowProblem(
        12,
        o.SUPPRESSED,
        "duplicate",
        "the same person (cnumber +15550100002) as row 2, which is dialed once",
        None,
        "201",
        "+15550100002",
        duplicate_of=2,
        person="+15550100002",
    ),
    RowProblem(
        13,
        o.SUPPRESSED,
        "do-not-call",
        "cnumber is on the do-not-call list",
        "cnumber",
        "202",
        "+15550100013",
        person="+15550100013",
    ),
]

EXPECTED_COUNTS = {
    o.PLACED: 5,  # rows 2, 3, 8, 9, 10
    o.REJECTED: 2,  # row 4 by the switch, row 11 by the list check
    o.SUPPRESSED: 2,  # rows 12 (duplicate) and 13 (do-not-call)
    o.FAILED: 1,  # row 5: 503 every time
    o.UNKNOWN: 2,  # row 6 timed out, row 7's process died mid-request
    o.NOT_DIALED: 1,  # row 14: the second run ended before it
}
# Run r1: 8 requests from 20:00:00 to 20:00:08 (row 8's intent was withdrawn, never sent).
# Run r2: 6 requests from 20:10:30 to 20:11:20.
R1_REQUESTS, R1_SECONDS = 8, 8.0
R2_REQUESTS, R2_SECONDS = 6, 50.0


def make_call_list(source: Path = Path("calls.csv")) -> CallList:
    """The CallList the loader would give for ORIGINAL (with keep_original)."""
    problem_rows = {p.row for p in PROBLEMS}
    good = [r for r in ORIGINAL if r not in problem_rows]
    table = pd.DataFrame([ORIGINAL[r] for r in good], index=good, columns=HEADERS)
    original = pd.DataFrame([ORIGINAL[r] for r in ORIGINAL], index=list(ORIGINAL), columns=HEADERS)
    problems = [
        RowProblem(**{**p.__dict__, "values": dict(zip(HEADERS, ORIGINAL[p.row], strict=True))})
        for p in PROBLEMS
    ]
    return CallList(
        source=source,
        table=table,
        parameters=["snumber", "cnumber", "callerid1"],
        extras=["Name"],
        problems=problems,
        headers=HEADERS,
        total_rows=len(ORIGINAL),
        original=original,
        persons=pd.Series(table["cnumber"].tolist(), index=table.index, dtype="str"),
    )


def _row(ts: str, event: str, run: str, row: int, attempt: int | None, outcome: str, **extra: object) -> dict:
    snumber, cnumber, callerid1, name = ORIGINAL[row]
    line = {
        "ts": f"2026-11-26T{ts}Z",
        "event": event,
        "run": run,
        "row": row,
        "snumber": snumber,
        "cnumber": cnumber,
        "person": cnumber,
        "attempt": attempt,
        "outcome": outcome,
        "code": None,
        "callid": None,
    }
    line.update(extra)
    return line


def _result(
    ts: str,
    run: str,
    row: int,
    attempt: int,
    outcome: str,
    code: str | None,
    message: str,
    callid: str | None = None,
    http_status: int | None = 200,
) -> dict:
    return _row(
        ts,
        Event.RESULT,
        run,
        row,
        attempt,
        outcome,
        code=code,
        callid=callid,
        message=message,
        key=f"{run}-{row}-{attempt}",
        reason=None if outcome == o.PLACED else message,
        http_status=http_status,
        elapsed_ms=120,
        columns={"Name": ORIGINAL[row][3]},
    )


def _dial(ts: str, run: str, row: int, attempt: int) -> dict:
    return _row(ts, Event.DIAL, run, row, attempt, o.SENDING, key=f"{run}-{row}-{attempt}")


def campaign_lines() -> list[dict]:
    """Two runs: r1 stopped by a signal (row 7 in flight when it died, row 8 withdrawn), r2 finished."""
    r1, r2 = "r1", "r2"
    return [
        {
            "ts": "2026-11-26T19:59:59.900000Z",
            "event": Event.RUN_STARTED,
            "run": r1,
            "source": "calls.csv",
            "results": "calls.results.jsonl",
            "rows": 13,
            "rate": 2.0,
        },
        _row(
            "19:59:59.950000",
            Event.ROW_REJECTED,
            r1,
            11,
            None,
            o.REJECTED,
            code="invalid",
            reason="cnumber is not a telephone number",
        ),
        _row(
            "19:59:59.960000",
            Event.ROW_SUPPRESSED,
            r1,
            12,
            None,
            o.SUPPRESSED,
            code="duplicate",
            reason="the same person (cnumber +15550100002) as row 2, which is dialed once",
        ),
        _row(
            "19:59:59.970000",
            Event.ROW_SUPPRESSED,
            r1,
            13,
            None,
            o.SUPPRESSED,
            code="do-not-call",
            reason="cnumber is on the do-not-call list",
        ),
        _dial("20:00:00.000000", r1, 2, 1),
        _result("20:00:00.200000", r1, 2, 1, o.PLACED, "200", "Call placed", callid="c-2"),
        _dial("20:00:00.500000", r1, 3, 1),
        _result("20:00:00.700000", r1, 3, 1, o.PLACED, "204", "Call placed", callid="c-3"),
        _dial("20:00:01.000000", r1, 4, 1),
        _result("20:00:01.200000", r1, 4, 1, o.REJECTED, "400", "Invalid destination <b>number</b>"),
        _dial("20:00:01.500000", r1, 5, 1),
        _result("20:00:01.700000", r1, 5, 1, o.RETRY, "503", "Service unavailable", http_status=503),
        _dial("20:00:02.000000", r1, 6, 1),
        _dial("20:00:02.500000", r1, 7, 1),
        _result("20:00:04.000000", r1, 6, 1, o.UNKNOWN, "timeout", "no answer within 40 s", http_status=None),
        _dial("20:00:05.000000", r1, 5, 2),
        _result(
            "20:00:05.100000",
            r1,
            5,
            2,
            o.RETRY,
            "ServerDisconnectedError",
            "Server disconnected",
            http_status=None,
        ),
        _dial("20:00:07.000000", r1, 8, 1),
        _dial("20:00:08.000000", r1, 5, 3),
        _result("20:00:08.200000", r1, 5, 3, o.FAILED, "503", "Service unavailable", http_status=503),
        _row("20:00:08.300000", Event.WITHDRAWN, r1, 8, 1, o.WITHDRAWN),
        {
            "ts": "2026-11-26T20:00:08.400000Z",
            "event": Event.RUN_ENDED,
            "run": r1,
            "status": 6,
            "reason": "stopped by SIGTERM",
            "counts": {},
        },
        # r2: the operator ran it again; row 7 (in flight when r1 died) stays unknown, row 5 is retried.
        {
            "ts": "2026-11-26T20:10:29.000000Z",
            "event": Event.RUN_STARTED,
            "run": r2,
            "source": "calls.csv",
            "results": "calls.results.jsonl",
            "rows": 13,
            "rate": 2.0,
        },
        _dial("20:10:30.000000", r2, 8, 1),
        _result("20:10:30.200000", r2, 8, 1, o.PLACED, "200", "Call placed", callid="c-8"),
        _dial("20:10:40.000000", r2, 9, 1),
        _result("20:10:40.200000", r2, 9, 1, o.PLACED, "200", "Call placed", callid="c-9"),
        _dial("20:10:50.000000", r2, 5, 1),
        _result("20:10:50.100000", r2, 5, 1, o.RETRY, "503", "Service unavailable", http_status=503),
        _dial("20:11:00.000000", r2, 5, 2),
        _result("20:11:00.100000", r2, 5, 2, o.RETRY, "503", "Service unavailable", http_status=503),
        _dial("20:11:10.000000", r2, 10, 1),
        _result("20:11:10.200000", r2, 10, 1, o.PLACED, "200", "Call placed", callid="c-10"),
        _dial("20:11:20.000000", r2, 5, 3),
        _result("20:11:20.100000", r2, 5, 3, o.FAILED, "503", "Service unavailable", http_status=503),
        {
            "ts": "2026-11-26T20:11:21.000000Z",
            "event": Event.RUN_ERROR,
            "run": r2,
            "error": "ServiceUnavailable",
            "message": "the switch answered 503 to 3 requests in a row",
        },
        {
            "ts": "2026-11-26T20:11:21.500000Z",
            "event": Event.RUN_ENDED,
            "run": r2,
            "status": 4,
            "reason": "finished; the calling window closed before row 14",
            "counts": {},
        },
    ]


def results_bytes(lines: list[dict] | None = None) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in (campaign_lines() if lines is None else lines))


@dataclass(frozen=True)
class Files:
    toml: Path
    csv: Path
    results: Path


def write_campaign(directory: Path) -> Files:
    """The campaign as `dialer run calls.toml` leaves it: list, do-not-call list, campaign, results."""
    csv = directory / "calls.csv"
    pd.DataFrame(list(ORIGINAL.values()), columns=HEADERS).to_csv(csv, index=False)
    (directory / "dnc.csv").write_text("number\n+15550100013\n", encoding="utf-8")
    toml = directory / "calls.toml"
    toml.write_text(
        '[campaign]\nname = "calls"\nlist = "calls.csv"\nresults = "calls.results.jsonl"\n'
        'person = "cnumber"\n'
        '[list]\ndo_not_call = "dnc.csv"\n',
        encoding="utf-8",
    )
    results = directory / "calls.results.jsonl"
    results.write_bytes(results_bytes())
    return Files(toml, csv, results)


def replay_of(lines: list[dict] | None = None) -> Replay:
    """The replay of ``lines`` (the campaign's own by default), as a results file holding them gives."""
    return replay_lines(results_bytes(lines).splitlines(keepends=True))


def summary_of(lines: list[dict] | None = None, call_list: CallList | None = None):
    """What status and report show for ``lines`` (the campaign's own) over ``call_list`` (its own)."""
    lines = campaign_lines() if lines is None else lines
    call_list = make_call_list() if call_list is None else call_list
    replay = replay_of(lines)
    return summarise(row_table(call_list, replay), replay)


RECYCLE = Recycle(enabled=True, after=3600.0, attempts=3, per_24h=3)


def ended(row: int, status: str, talk: float | None = None, run: str = "r3") -> dict:
    """The call_ended line of row's placed call (its last dial)."""
    dial = [ln for ln in campaign_lines() if ln["event"] == Event.DIAL and ln["row"] == row][-1]
    return {
        **dial,
        "ts": "2026-11-26T21:00:00.000000Z",
        "event": Event.CALL_ENDED,
        "run": run,
        "placed_run": dial["run"],
        "placed_at": dial["ts"],
        "outcome": o.PLACED,
        "call_status": status,
        "talk_s": talk,
    }


def with_outcomes() -> list[dict]:
    """Row 2 answered (30 s), 3 answered (90 s), 8 no answer, 9 busy; row 10's outcome not learned."""
    return [
        *campaign_lines(),
        ended(2, "answered", 30),
        ended(3, "answered", 90),
        ended(8, "no-answer"),
        ended(9, "busy"),
    ]


def found_placed(row: int) -> dict:
    """The ``checked`` line of an unknown row the switch's call lists then showed placed (at 20:12, run
    r2): a call placed by reconciliation, code ``found``."""
    dial = next(ln for ln in campaign_lines() if ln["event"] == Event.DIAL and ln["row"] == row)
    return {
        **dial,
        "ts": "2026-11-26T20:12:00.000000Z",
        "event": Event.CHECKED,
        "run": "r2",
        "verdict": "found",
        "outcome": o.PLACED,
        "code": "found",
        "callid": f"c-{row}",
        "reason": "the switch's call lists show the call",
    }
