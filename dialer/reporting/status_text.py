"""`dialer status` output: the summary as text for an operator or as one JSON object. Pure."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from dialer.core import outcomes as o
from dialer.reporting.summary import UNKNOWN_NOTE, RowLine, Summary, parse_ts

LABELS = {
    o.PLACED: "placed",
    o.REJECTED: "rejected",
    o.SUPPRESSED: "suppressed",
    o.FAILED: "failed",
    o.UNKNOWN: "unknown",
    o.NOT_DIALED: "not yet dialed",
}
JSON_VERSION = 1


@dataclass(frozen=True)
class StatusInfo:
    campaign: str
    source: str
    list_path: str
    results_path: str
    results_exists: bool


def _when(ts: str | None) -> str:
    value = parse_ts(ts)
    return f"{value:%Y-%m-%d %H:%M:%S} UTC" if value else "—"


def _rate(value: float | None) -> str:
    return f"{value:,.2f} requests/s" if value is not None else "—"


def _unknown_rows(rows: list[RowLine]) -> list[str]:
    table = [("row", "snumber", "cnumber", "time", "code")] + [
        (str(r.row), r.snumber, r.cnumber, _when(r.time), r.code or "no answer") for r in rows
    ]
    widths = [max(len(cells[i]) for cells in table) for i in range(5)]
    return [
        "  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip() for cells in table
    ]


def status_text(s: Summary, info: StatusInfo) -> str:
    """What `dialer status` prints."""
    results = info.results_path + ("" if info.results_exists else " (none yet)")
    out = [f"Campaign {info.campaign}", f"  list:    {info.list_path}", f"  results: {results}", ""]
    width = max(len(v) for v in LABELS.values())
    out += [f"  {LABELS[k]:<{width}}  {s.counts.get(k, 0):>9,}" for k in o.ROW_STATES]
    out += [f"  {'total':<{width}}  {s.total:>9,}", ""]
    if s.requests:
        out.append(
            f"Requests: {s.requests:,} in {len(s.runs):,} run(s), first {_when(s.first_request)}, "
            f"last {_when(s.last_request)}"
        )
        out.append(f"Rate: {_rate(s.rate_last_run)} in the last run, {_rate(s.rate_overall)} overall")
    else:
        out.append(f"Requests: none sent yet ({len(s.runs):,} run(s))")
    if s.last_error is not None:
        le = s.last_error
        detail = f": {le.message}" if le.message else ""
        out.append(f"Last error: {_when(le.ts)}, run {le.run or '?'}: {le.error}{detail}")
    if s.torn_tail:
        out.append("Note: the results file's last line was cut short by a crash and is not counted.")
    if s.not_in_list:
        what = ", ".join(f"{n:,} {LABELS.get(k, k)}" for k, n in s.not_in_list.items())
        out.append(f"Note: the results file also has rows no longer in the list as they were: {what}.")
    if s.unknown:
        out += ["", f"Unknown rows ({len(s.unknown):,}): {UNKNOWN_NOTE}.", *_unknown_rows(s.unknown)]
    return "\n".join(out) + "\n"


def status_json(s: Summary, info: StatusInfo) -> dict:
    """What `dialer status --json` prints: one object, keys always present and in this order."""
    le = s.last_error
    return {
        "version": JSON_VERSION,
        "campaign": info.campaign,
        "source": info.source,
        "list": info.list_path,
        "results": info.results_path,
        "results_exists": info.results_exists,
        "total": s.total,
        "counts": {k: s.counts.get(k, 0) for k in o.ROW_STATES},
        "requests": s.requests,
        "first_request": s.first_request,
        "last_request": s.last_request,
        "rate": {"last_run": s.rate_last_run, "overall": s.rate_overall},
        "runs": [asdict(r) for r in s.runs],
        "unknown": [
            {"row": r.row, "snumber": r.snumber, "cnumber": r.cnumber, "time": r.time, "code": r.code}
            for r in s.unknown
        ],
        "last_error": asdict(le) if le is not None else None,
        "not_in_list": dict(s.not_in_list),
        "torn_tail": s.torn_tail,
    }
