"""A campaign whose call list is edited between runs, and judging it by person: what the switch placed
(the simulator's placed log) set beside what `dialer status --json` and `dialer report` say of each
row of the list as it is now."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from dialer.calllist.numbers import canonical_numbers
from dialer.commands.report import report
from dialer.commands.status import status
from dialer.core import outcomes as o
from dialer.journal.lines import Event
from dialer.planning.planner import ALREADY_CALLED

from .files import read_lines, snumber_of, write_csv
from .processes import run_dialer, start_dialer

HEADER = ["snumber", "cnumber", "Customer name"]


@dataclass(frozen=True)
class Row:
    """A row of the list: a customer (the person: snumber, stype being empty) bridged to cnumber."""

    snumber: str
    cnumber: str
    name: str

    def bridged_to(self, cnumber: str) -> Row:
        return replace(self, cnumber=cnumber)


def customers(count: int, start: int = 0) -> list[Row]:
    return [Row(snumber_of(i, start), "100", f"customer {start + i}") for i in range(count)]


def sent_form(number: str) -> str:
    """A number as dialer sends it: digits, ``*``, ``#`` and a leading ``+``."""
    return re.sub(r"[^0-9*#+]", "", number)


def person(number: str) -> str:
    """The person a number is (its canonical form, North American numbers here)."""
    return canonical_numbers(pd.Series([number], dtype="str"), "US").iloc[0]


class EditedCampaign:
    """Lists in one directory, each with its campaign file, all writing one results file."""

    def __init__(
        self, directory: Path, url: str, *, settle: float = 0.5, timeout_margin: float = 1.0
    ) -> None:
        self.directory = directory
        self.url = url
        self.results = directory / "campaign.results.jsonl"
        self.settle = settle
        self.timeout_margin = timeout_margin
        self.rows: dict[str, list[Row]] = {}  # each list as last written
        self._flags: dict[str, list[str]] = {}  # each list's --results, when its campaign file has none

    def write(self, rows: Sequence[Row], name: str = "list", *, by_flag: bool = False) -> Path:
        """The list NAME.csv as ``rows`` (row 2 first), and its campaign file NAME.toml naming the
        results file, or (``by_flag``) not: every command on it is then given ``--results``."""
        self.rows[name] = list(rows)
        write_csv(self.directory / f"{name}.csv", HEADER, [[r.snumber, r.cnumber, r.name] for r in rows])
        toml = self.directory / f"{name}.toml"
        results = "" if by_flag else f'results = "{self.results.name}"\n'
        toml.write_text(
            f'[campaign]\nlist = "{name}.csv"\n{results}url = "{self.url}"\n'
            f"timeout_margin = {self.timeout_margin}\n[retry]\nbackoff = 0.2\n"
            f"[reconcile]\nsettle = {self.settle}\n",
            encoding="utf-8",
        )
        self._flags[name] = ["--results", str(self.results)] if by_flag else []
        return toml

    def _args(self, name: str) -> list[str]:
        return [str(self.directory / f"{name}.toml"), *self._flags[name]]

    def run(self, *flags: str, name: str = "list", timeout: float = 60) -> subprocess.CompletedProcess:
        return run_dialer("run", *self._args(name), *flags, timeout=timeout)

    def start(self, *flags: str, name: str = "list") -> subprocess.Popen:
        return start_dialer("run", *self._args(name), *flags)

    def lines(self) -> list[dict]:
        return read_lines(self.results)

    def status(self, name: str = "list") -> dict:
        """`dialer status --json`."""
        result = CliRunner().invoke(status, [*self._args(name), "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def report(self, name: str = "list") -> dict[int, dict[str, str]]:
        """`dialer report --format csv`: each list row's line, by row number."""
        prefix = self.directory / f"{name}-report"
        args = [*self._args(name), "--format", "csv", "--out", str(prefix)]
        result = CliRunner().invoke(report, args)
        assert result.exit_code == 0, result.output
        with open(prefix.with_suffix(".csv"), newline="", encoding="utf-8-sig") as f:
            return {int(line["row"]): line for line in csv.DictReader(f)}


# -- judging ------------------------------------------------------------------------------------------


def placed_per_person(placed: Iterable[dict]) -> Counter:
    return Counter(person(p["snumber"]) for p in placed)


def assert_nobody_placed_twice(placed: Sequence[dict]) -> None:
    twice = {who: n for who, n in placed_per_person(placed).items() if n > 1}
    assert not twice, f"people placed more than once at the switch: {twice}"


def requests_per_person(arrivals: Iterable[dict]) -> Counter:
    return Counter(person(a["snumber"]) for a in arrivals if a.get("snumber"))


def assert_rows_truthful(
    campaign: EditedCampaign,
    placed: Sequence[dict],
    *,
    name: str = "list",
    allowed: Iterable[str] = (o.PLACED, o.SUPPRESSED),
    callids_learned: bool = True,
) -> dict[int, dict[str, str]]:
    """Every row of the list as it is now, in the report and in `status --json`, has an outcome that is
    true of its person at the switch, and a callid only when it is the callid of the call placed to
    that row's person with that row's numbers. ``callids_learned``: every placed row shows its callid
    (a switch that answers 204 without one and cannot list calls never tells it). Returns the
    report's rows."""
    rows = campaign.rows[name]
    lines = campaign.report(name)
    calls: dict[str, list[dict]] = {}
    for call in placed:
        calls.setdefault(person(call["snumber"]), []).append(call)
    assert sorted(lines) == list(range(2, len(rows) + 2)), "the report does not list the list's rows"
    counts: Counter = Counter()
    for number, row in enumerate(rows, start=2):
        line = lines[number]
        who = f"row {number} ({row.name})"
        assert (line["snumber"], line["cnumber"], line["Customer name"]) == (
            row.snumber,
            row.cnumber,
            row.name,
        )
        state, callid, to_them = line["outcome"], line["callid"], calls.get(person(row.snumber), [])
        counts[state] += 1
        assert state in allowed, f"{who}: {state} ({line['code']}: {line['message']})"
        if state == o.PLACED:
            assert len(to_them) == 1, f"{who} placed, and the switch placed {len(to_them)} calls to them"
            (call,) = to_them
            shown = callid if callids_learned or callid else call["callid"]
            assert shown == call["callid"], f"{who}: callid {callid!r}, the switch's {call['callid']!r}"
            assert (call["snumber"], call["cnumber"]) == (sent_form(row.snumber), sent_form(row.cnumber)), who
        elif state == o.SUPPRESSED and line["code"] == ALREADY_CALLED:
            assert len(to_them) == 1 and callid == "", f"{who}: {line}"
            (call,) = to_them
            assert f"callid {call['callid']}" in line["message"] and "placed in run" in line["message"], who
            assert (call["snumber"], call["cnumber"]) != (sent_form(row.snumber), sent_form(row.cnumber)), who
        elif state == o.SUPPRESSED:
            assert line["code"] in ("duplicate", "do-not-call") and callid == "", f"{who}: {line}"
        else:  # unknown, failed, rejected, not yet dialed: no callid; unknown may have been placed
            assert callid == "", f"{who}: {state} with callid {callid}"
            assert len(to_them) <= (1 if state == o.UNKNOWN else 0), f"{who}: {state}, placed {len(to_them)}"
    # No callid anywhere but on its person's row.
    shown = Counter(line["callid"] for line in lines.values() if line["callid"])
    assert all(n == 1 for n in shown.values()), f"a callid on two rows: {shown}"
    by_callid = {call["callid"]: person(call["snumber"]) for call in placed}
    for line in lines.values():
        if line["callid"]:
            assert by_callid.get(line["callid"]) == person(line["snumber"]), f"row {line['row']}: {line}"
    summary = campaign.status(name)
    assert summary["total"] == len(rows)
    assert {k: v for k, v in summary["counts"].items() if v} == dict(counts)
    unknown = {u["row"]: (u["snumber"], u["cnumber"]) for u in summary["unknown"]}
    assert unknown == {
        n: (sent_form(r.snumber), sent_form(r.cnumber))
        for n, r in enumerate(rows, start=2)
        if lines[n]["outcome"] == o.UNKNOWN
    }
    return lines


def row_of(rows: Sequence[Row], snumber: str) -> int:
    """The row number (as Excel shows it) of the customer whose snumber is ``snumber``."""
    return next(n for n, r in enumerate(rows, start=2) if r.snumber == snumber)


def events_about(lines: Iterable[dict], snumber: str, *events: str) -> list[dict]:
    """The lines of these events about the person whose snumber is ``snumber``."""
    who = person(snumber)
    return [ln for ln in lines if ln.get("event") in events and ln.get("person") == who]


def persons_in_flight(lines: Sequence[dict]) -> tuple[set[str], set[str]]:
    """The snumbers with an intent and no answer after it, and those whose last answer placed a call."""
    last: dict[str, str] = {}
    for ln in lines:
        if ln.get("event") == Event.DIAL:
            last[ln["snumber"]] = "flight"
        elif ln.get("event") == Event.RESULT:
            last[ln["snumber"]] = ln["outcome"]
    return {s for s, v in last.items() if v == "flight"}, {s for s, v in last.items() if v == o.PLACED}
