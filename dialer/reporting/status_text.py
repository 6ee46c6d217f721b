"""`dialer status` output: the summary as text for an operator or as one JSON object. Pure."""

from __future__ import annotations

import textwrap
from dataclasses import asdict, dataclass

from dialer.core import outcomes as o
from dialer.core.call_outcome import CALL_STATUSES
from dialer.reporting.call_stats import WAITING, CallStats
from dialer.reporting.summary import ATTENTION_STATES, UNKNOWN_NOTE, RowLine, Summary
from dialer.reporting.wording import code_words, duration, per_second, when

LABELS = {
    o.PLACED: "placed",
    o.REJECTED: "rejected",
    o.SUPPRESSED: "suppressed",
    o.FAILED: "failed",
    o.UNKNOWN: "unknown",
    o.NOT_DIALED: "not yet dialed",
}
CALL_LABELS = {
    "answered": "answered",
    "no-answer": "no answer",
    "busy": "busy",
    "failed": "failed",
    "not-known": "not known",
    WAITING: "outcome not learned yet",
}
ATTENTION_SHOWN = 20  # rows needing attention listed of each state, unless --all
RECYCLE_SHOWN = 10  # rows waiting to be called again listed in the text
JSON_VERSION = 2  # 2: calls, answer rate, talk time, answers by hour, recycle_waiting, attention


@dataclass(frozen=True)
class StatusInfo:
    campaign: str
    source: str
    list_path: str
    results_path: str
    results_exists: bool
    zone: str = "UTC"  # the time zone of the answers by hour (the calling window's)
    now: str | None = None  # when status looked (ISO-8601 UTC): a recycle due before is due now
    width: int | None = None  # a terminal's columns, which long lines wrap within (None: no terminal)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], width: int | None = None) -> list[str]:
    """Columns padded to their widest cell, two spaces in, two apart; the last column (a reason, as
    long as it needs to be) wrapped under itself within ``width`` (None: a line each, for grep)."""
    table = [header, *rows]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(header) - 1)]
    indent = 2 + sum(w + 2 for w in widths)
    out = []
    for cells in table:
        lead = "  " + "".join(c.ljust(w + 2) for c, w in zip(cells, widths, strict=False))
        last = (textwrap.wrap(cells[-1], max(width - indent, 30)) if width else [cells[-1]]) or [""]
        out.append((lead + last[0]).rstrip())
        out += [" " * indent + more for more in last[1:]]
    return out


def reason_words(r: RowLine) -> str:
    """Why a row is where it is: its code in words (the raw code kept), then what the switch or the
    list said, when it says more ('could not connect to the switch (ClientConnectorError): nothing
    was sent')."""
    words = code_words(r.state, r.code)
    message = r.message or ""
    plain = words.removesuffix(f" ({r.code})") if r.code is not None else words
    if message.startswith(plain):
        message = message[len(plain) :].lstrip(" :")
    return f"{words}: {message}" if message and message not in words else words


def _requests(s: Summary) -> list[str]:
    if not s.requests:
        return [f"Requests: none sent yet ({len(s.runs):,} run(s))"]
    reached = s.requests - s.never_connected
    never = f", {s.never_connected:,} never connected (nothing sent)" if s.never_connected else ""
    return [
        f"Requests: {reached:,} reached the switch{never}, in {len(s.runs):,} run(s)",
        f"  first {when(s.first_request)}, last {when(s.last_request)}",
    ]


def _calls(c: CallStats, info: StatusInfo) -> list[str]:
    placed = sum(c.calls.values())
    if not placed:
        return []
    by_status = ", ".join(f"{c.calls[k]:,} {CALL_LABELS[k]}" for k in (*CALL_STATUSES, WAITING) if c.calls[k])
    rate = f"{c.answer_rate:.1%}" if c.answer_rate is not None else "—"
    out = [
        "",
        f"Calls placed: {placed:,} ({by_status})",
        f"Answer rate: {rate} ({c.reached:,} rows reached, {c.not_reached:,} not reached)",
    ]
    if c.talk_median_s is not None:
        out.append(f"Talk time: median {duration(c.talk_median_s)}, 90th percentile {duration(c.talk_p90_s)}")
    hours = [f"{h:02d}h {n:,}" for h, n in enumerate(c.answers_by_hour) if n]
    if hours:
        out.append(f"Answers by hour ({info.zone}): " + ", ".join(hours))
    return out


def _recycle(c: CallStats, info: StatusInfo) -> list[str]:
    waiting = c.recycle_waiting
    if not waiting:
        return []
    shown = waiting[:RECYCLE_SHOWN]
    first = f", the first {len(shown)}" if len(shown) < len(waiting) else ""
    now = info.now or ""
    rows = [
        (
            str(w.row),
            w.snumber,
            w.cnumber,
            "now" if w.due <= now else when(w.due),
            CALL_LABELS.get(w.last_status, w.last_status),
            str(w.calls),
        )
        for w in shown
    ]
    return [
        "",
        f"Waiting to be called again ([recycle]): {len(waiting):,}{first}",
        *_table(("row", "snumber", "cnumber", "due", "last call", "calls"), rows),
    ]


def _attention(s: Summary, width: int | None) -> list[str]:
    counts = s.attention_counts
    if not any(counts.values()):
        return []
    out = ["", "Rows needing attention: " + ", ".join(f"{counts[k]:,} {LABELS[k]}" for k in ATTENTION_STATES)]
    cut = False
    for state in ATTENTION_STATES:
        rows = [r for r in s.attention if r.state == state]
        if not counts[state]:
            continue
        more = counts[state] - len(rows)
        cut = cut or more > 0
        title = f"{LABELS[state].capitalize()} ({counts[state]:,})"
        heading = f"{title}: {UNKNOWN_NOTE}." if state == o.UNKNOWN else f"{title}:"
        out += ["", *(textwrap.wrap(heading, width, subsequent_indent="  ") if width else [heading])]
        cells = [(str(r.row), r.snumber, r.cnumber, when(r.time), reason_words(r)) for r in rows]
        out += _table(("row", "snumber", "cnumber", "time", "why"), cells, width)
        if more:
            out.append(f"  … and {more:,} more")
    if cut:
        out += ["", "`dialer status --all` lists every row needing attention."]
    return out


def status_text(s: Summary, info: StatusInfo) -> str:
    """What `dialer status` prints."""
    results = info.results_path + ("" if info.results_exists else " (none yet)")
    out = [f"Campaign {info.campaign}", f"  list:    {info.list_path}", f"  results: {results}", ""]
    width = max(len(v) for v in LABELS.values())
    out += [f"  {LABELS[k]:<{width}}  {s.counts.get(k, 0):>9,}" for k in o.ROW_STATES]
    out += [f"  {'total':<{width}}  {s.total:>9,}", "", *_requests(s)]
    if s.requests:
        out.append(
            f"Rate: {per_second(s.rate_last_run)} in the last run, {per_second(s.rate_overall)} overall"
        )
    if s.last_error is not None:
        le = s.last_error
        detail = f": {le.message}" if le.message else ""
        line = f"Last error: {when(le.ts)}, run {le.run or '?'}: {le.error}{detail}"
        out += textwrap.wrap(line, max(info.width, 40), subsequent_indent="  ") if info.width else [line]
    if s.torn_tail:
        out.append("Note: the results file's last line was cut short by a crash and is not counted.")
    if s.not_in_list:
        what = ", ".join(f"{n:,} {LABELS.get(k, k)}" for k, n in s.not_in_list.items())
        out.append(f"Note: the results file also has rows no longer in the list as they were: {what}.")
    out += _calls(s.call_stats, info) + _recycle(s.call_stats, info) + _attention(s, info.width)
    return "\n".join(out) + "\n"


def _row_json(r: RowLine) -> dict:
    return {
        "row": r.row,
        "snumber": r.snumber,
        "cnumber": r.cnumber,
        "time": r.time,
        "code": r.code,
        "why": reason_words(r),
        "attempts": r.attempts,
    }


def status_json(s: Summary, info: StatusInfo) -> dict:
    """What `dialer status --json` prints: one object, keys always present and in this order."""
    le = s.last_error
    c = s.call_stats
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
        "requests_never_connected": s.never_connected,
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
        "calls": dict(c.calls),
        "answer_rate": c.answer_rate,
        "reached": c.reached,
        "not_reached": c.not_reached,
        "talk_s": {"median": c.talk_median_s, "p90": c.talk_p90_s},
        "answers_by_hour": list(c.answers_by_hour),
        "answers_by_hour_zone": info.zone,
        "recycle_waiting": [asdict(w) for w in c.recycle_waiting],
        "attention": {
            state: {
                "count": s.attention_counts.get(state, 0),
                "rows": [_row_json(r) for r in s.attention if r.state == state],
            }
            for state in ATTENTION_STATES
        },
    }
