"""The report as one self-contained HTML page: inline CSS, inline SVG charts, no scripts. Pure.

Every value that comes from the list or the results file goes through ``charts.e`` (HTML escaping),
because a callerid or a switch message can hold markup.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from dialer.core import outcomes as o
from dialer.core.call_outcome import ANSWERED, BUSY, FAILED, NO_ANSWER, NOT_KNOWN
from dialer.reporting.call_stats import WAITING, CallStats, RecycleWaiting
from dialer.reporting.charts import bar_chart, bucket_series, column_chart, e, hour_chart
from dialer.reporting.summary import (
    UNKNOWN_NOTE,
    CodeCount,
    LastError,
    RowLine,
    RunStats,
    Summary,
    parse_ts,
)
from dialer.reporting.table import call_status_of
from dialer.reporting.wording import code_words, duration, per_second, when

STATE_LABELS = {
    o.PLACED: "Placed",
    o.REJECTED: "Rejected",
    o.SUPPRESSED: "Suppressed",
    o.FAILED: "Failed",
    o.UNKNOWN: "Unknown",
    o.NOT_DIALED: "Not yet dialed",
}
ATTEMPT_LABELS = {**STATE_LABELS, o.RETRY: "Retry"}  # an attempt can also end in "retry"
STATE_COLOURS = {
    o.PLACED: "#2e7d32",
    o.REJECTED: "#c62828",
    o.SUPPRESSED: "#78909c",
    o.FAILED: "#ef6c00",
    o.UNKNOWN: "#7b1fa2",
    o.NOT_DIALED: "#b0bec5",
    o.RETRY: "#f9a825",
}
CALL_LABELS = {
    ANSWERED: "Answered",
    NO_ANSWER: "No answer",
    BUSY: "Busy",
    FAILED: "Failed",
    NOT_KNOWN: "Not known",
    WAITING: "Not learned yet",
}
CALL_COLOURS = {
    ANSWERED: "#2e7d32",
    NO_ANSWER: "#f9a825",
    BUSY: "#ef6c00",
    FAILED: "#c62828",
    NOT_KNOWN: "#7b1fa2",
    WAITING: "#b0bec5",
}
REACHED_COLOUR, NOT_REACHED_COLOUR = CALL_COLOURS[ANSWERED], "#ef6c00"
# Belt and braces on top of escaping: the page may run no script and fetch nothing.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
MAX_ATTENTION_ROWS = 1000  # beyond this the page says so and points at the CSV / xlsx

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto,
  "Helvetica Neue", Arial, sans-serif; color: #1d2327; background: #f6f7f9; }
main { max-width: 1180px; margin: 0 auto; }
header h1 { font-size: 24px; margin: 0 0 4px; }
.meta { color: #555; margin: 0 0 4px; overflow-wrap: anywhere; }
section { background: #fff; border: 1px solid #dde2e6; border-radius: 8px; padding: 16px 20px;
  margin: 16px 0; }
h2 { font-size: 17px; margin: 0 0 12px; }
h3 { font-size: 14px; margin: 12px 0 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(128px, 1fr)); gap: 10px; }
.card { border: 1px solid #dde2e6; border-left: 6px solid var(--c, #455a64); border-radius: 6px;
  padding: 8px 12px; }
.card .n { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .l { color: #555; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 14px 0 0; }
.facts dt { color: #555; }
.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
svg.chart { display: block; max-width: 100%; height: auto; }
.note { background: #f3e5f5; border-left: 4px solid #7b1fa2; padding: 8px 12px; margin: 8px 0; }
.error { background: #ffebee; border-left: 4px solid #c62828; padding: 8px 12px; margin: 8px 0;
  overflow-wrap: anywhere; }
.ok { color: #2e7d32; }
.muted { color: #666; }
.split { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e6e9ec; vertical-align: top; }
th { background: #f0f2f4; font-weight: 600; }
td.num, th.num { text-align: right; }
td.t { white-space: nowrap; }
.scroll { overflow-x: auto; }
td.msg { overflow-wrap: break-word; min-width: 150px; max-width: 360px; }
td.cells { min-width: 160px; }
td.why { min-width: 160px; }
.pill { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-size: 12px;
  background: var(--c, #455a64); white-space: nowrap; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; white-space: nowrap; }
footer { color: #777; font-size: 12px; text-align: center; margin: 8px 0 0; }
@media print {
  @page { margin: 14mm; }
  body { background: #fff; padding: 0; font-size: 10pt; }
  section { border: 0; padding: 0; margin: 0 0 14pt; break-inside: avoid-page; }
  section.long { break-inside: auto; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  table { font-size: 8.5pt; }
  th, td { padding: 2px 4px; }
  td.t { white-space: normal; }
  .scroll { overflow: visible; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


@dataclass(frozen=True)
class PageInfo:
    """What the page says about where it comes from."""

    title: str  # the campaign's name
    list_path: str
    results_path: str
    generated: str  # ISO-8601 UTC
    version: str = ""
    zone: str = "UTC"  # the calling window's time zone: the hours of day of the answers chart


def clock(ts: str | None) -> str:
    """A results timestamp for a table column headed "(UTC)": '2026-11-26 20:01:02'."""
    value = parse_ts(ts)
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else ""


def percent(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else "—"


def _pill(state: str) -> str:
    colour = STATE_COLOURS.get(state, "#455a64")
    return f'<span class="pill" style="--c:{colour}">{e(ATTEMPT_LABELS.get(state, state))}</span>'


def _totals(s: Summary) -> str:
    cards = [f'<div class="card"><div class="n">{s.total:,}</div><div class="l">List rows</div></div>']
    for state in o.ROW_STATES:
        cards.append(
            f'<div class="card" style="--c:{STATE_COLOURS[state]}"><div class="n">{s.counts.get(state, 0):,}'
            f'</div><div class="l">{e(STATE_LABELS[state])}</div></div>'
        )
    facts = [
        ("Requests sent", f"{s.requests:,}"),
        ("First request", when(s.first_request)),
        ("Last request", when(s.last_request)),
        ("Rate, last run", per_second(s.rate_last_run)),
        ("Rate, all runs", per_second(s.rate_overall)),
        ("Runs", f"{len(s.runs):,}"),
    ]
    dl = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts)
    return (
        f'<section id="totals"><h2>Totals</h2><div class="cards">{"".join(cards)}</div>'
        f'<dl class="facts">{dl}</dl>{_warnings(s)}</section>'
    )


def _warnings(s: Summary) -> str:
    out = []
    if s.torn_tail:
        out.append(
            '<p class="note">The last line of the results file was cut short (a crash while writing) '
            "and is not counted.</p>"
        )
    if s.not_in_list:
        what = ", ".join(f"{n:,} {STATE_LABELS.get(k, k).lower()}" for k, n in s.not_in_list.items())
        out.append(
            f'<p class="note">The results file also has rows that are no longer in the list as they were '
            f"(the list was edited or re-sorted): {e(what)}.</p>"
        )
    return "".join(out)


def _outcomes(s: Summary) -> str:
    items = [(STATE_LABELS[k], s.counts.get(k, 0), STATE_COLOURS[k]) for k in o.ROW_STATES]
    chart = bar_chart(items, s.total, label="Outcomes of the list's rows")
    return f'<section id="outcomes"><h2>Outcomes</h2>{chart}</section>'


def _timeline(s: Summary) -> str:
    size, buckets = bucket_series(s.placed_per_minute)
    per = "minute" if size == 1 else f"{size} minutes"
    if not buckets:
        body = '<p class="muted">No call has been placed yet.</p>'
    else:
        placed = sum(n for _, n in s.placed_per_minute)
        chart = column_chart(buckets, size, label=f"Calls placed per {per}", colour=STATE_COLOURS[o.PLACED])
        body = f'<p class="muted">{placed:,} calls placed in all.</p>{chart}'
    return f'<section id="timeline"><h2>Calls placed per {e(per)}</h2>{body}</section>'


def _reached(c: CallStats) -> str:
    """Rows whose person answered against rows whose calls all ended unanswered."""
    asked = c.reached + c.not_reached
    if not asked:
        return '<div><h3>Answer rate</h3><p class="muted">No call has ended yet.</p></div>'
    items = [("Reached", c.reached, REACHED_COLOUR), ("Not reached", c.not_reached, NOT_REACHED_COLOUR)]
    chart = bar_chart(items, asked, label="Rows reached and not reached")
    return (
        f'<div><h3>Answer rate: {e(percent(c.answer_rate))}</h3><p class="muted">{c.reached:,} of the '
        f"{asked:,} rows whose calls have ended were answered.</p>{chart}</div>"
    )


def _calls_by_status(c: CallStats) -> str:
    total = sum(c.calls.values())
    if not total:
        return '<div><h3>Calls by what became of them</h3><p class="muted">No call placed yet.</p></div>'
    items = [(CALL_LABELS.get(k, k), n, CALL_COLOURS.get(k, "#455a64")) for k, n in c.calls.items()]
    chart = bar_chart(items, total, label="Calls placed, by what became of them")
    return f"<div><h3>Calls by what became of them ({total:,})</h3>{chart}</div>"


def _talk(c: CallStats) -> str:
    facts = [
        ("Answered calls", f"{c.calls.get(ANSWERED, 0):,}"),
        ("Median talk time", duration(c.talk_median_s)),
        ("90th percentile", duration(c.talk_p90_s)),
    ]
    dl = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts)
    return f'<div><h3>Talk time</h3><dl class="facts">{dl}</dl></div>'


def _calls(s: Summary, info: PageInfo) -> str:
    c = s.call_stats
    if sum(c.answers_by_hour):
        hours = hour_chart(
            c.answers_by_hour,
            label=f"Answered calls by the hour they were placed ({info.zone})",
            colour=REACHED_COLOUR,
            zone=info.zone,
            what="answered",
        )
    else:
        hours = '<p class="muted">No answered call yet.</p>'
    return (
        f'<section id="calls"><h2>Whom the calls reached</h2>{_reached(c)}{_calls_by_status(c)}'
        f"{_talk(c)}<h3>Answers by hour of the day ({e(info.zone)})</h3>{hours}</section>"
    )


def _waiting_row(w: RecycleWaiting, generated: str) -> str:
    due = clock(w.due) if w.due > generated else f"{clock(w.due)} (due now)"
    return (
        f"<tr><td class=num>{w.row}</td><td>{e(w.snumber)}</td><td>{e(w.cnumber)}</td>"
        f"<td>{e(CALL_LABELS.get(w.last_status, w.last_status))}</td><td class=num>{w.calls:,}</td>"
        f"<td class=t>{e(due)}</td></tr>"
    )


def _recycle(s: Summary, info: PageInfo) -> str:
    waiting = s.call_stats.recycle_waiting
    title = f"Waiting to be called again ({len(waiting):,})"
    if not waiting:
        return f'<section id="recycle"><h2>{e(title)}</h2><p class="muted">Nobody.</p></section>'
    shown = waiting[:MAX_ATTENTION_ROWS]
    head = (
        '<tr><th class="num">Row</th><th>snumber</th><th>cnumber</th><th>Last call</th>'
        '<th class="num">Calls so far</th><th>Next call from (UTC)</th></tr>'
    )
    generated = _journal_ts(info.generated)
    due_now = sum(1 for w in waiting if w.due <= generated)
    later = [w.due for w in waiting if w.due > generated]
    gist = f"{due_now:,} due now" + (
        f"; the next from {when(later[0])}, the last from {when(later[-1])}" if later else ""
    )
    body = "".join(_waiting_row(w, generated) for w in shown)
    return (
        f'<section id="recycle" class="long"><h2>{e(title)}</h2><p>{e(gist)}.</p>'
        f'<div class="scroll"><table><thead>{head}</thead><tbody>{body}</tbody></table></div>'
        f"{_more(len(shown), len(waiting))}</section>"
    )


def _journal_ts(ts: str) -> str:
    """An ISO-8601 time in the results file's own form, whose string order is time order."""
    value = parse_ts(ts)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else ts


def _more(shown: int, total: int) -> str:
    if shown >= total:
        return ""
    return f'<p class="muted">The first {shown:,} are shown; the CSV and xlsx reports have them all.</p>'


def _run_row(r: RunStats) -> str:
    status = "running or interrupted" if r.ended is None else str(r.status)
    return (
        f"<tr><td class=t>{e(r.run)}</td><td class=t>{e(clock(r.started))}</td>"
        f"<td class=t>{e(clock(r.ended))}</td><td>{e(status)}</td><td>{e(r.reason or '')}</td>"
        f"<td class=num>{r.requests:,}</td><td class='num t'>{e(per_second(r.rate))}</td></tr>"
    )


def _runs(s: Summary) -> str:
    if not s.runs:
        return '<section id="runs"><h2>Runs</h2><p class="muted">No run yet.</p></section>'
    head = (
        "<tr><th>Run</th><th>Started (UTC)</th><th>Ended (UTC)</th><th>Exit</th><th>Reason</th>"
        '<th class="num">Requests</th><th class="num">Rate</th></tr>'
    )
    body = "".join(_run_row(r) for r in s.runs)
    return (
        f'<section id="runs"><h2>Runs</h2><table><thead>{head}</thead><tbody>{body}</tbody></table></section>'
    )


def _code_table(title: str, what: str, counts: list[CodeCount]) -> str:
    if not counts:
        return f'<div><h3>{e(title)}</h3><p class="muted">None yet.</p></div>'
    rows = "".join(
        f"<tr><td>{_pill(c.outcome)}</td><td>{e(code_words(c.outcome, c.code))}</td>"
        f"<td class=num>{c.count:,}</td></tr>"
        for c in counts
    )
    return (
        f"<div><h3>{e(title)}</h3><table><thead><tr><th>Outcome</th><th>Reason (code)</th>"
        f'<th class="num">{e(what)}</th></tr></thead><tbody>{rows}</tbody></table></div>'
    )


def _last_error(le: LastError | None) -> str:
    if le is None:
        return '<p class="ok">No run error.</p>'
    # The summary gives no run that ended as planned (summary.ORDERLY_ENDS): what is left is an error.
    return (
        f'<div class="error"><strong>Last error</strong> ({e(when(le.ts))}, '
        f"run {e(le.run or '?')}): {e(le.error)}{': ' + e(le.message) if le.message else ''}</div>"
    )


def _codes(s: Summary) -> str:
    tables = _code_table("Rows, by final outcome and reason", "Rows", s.row_codes) + _code_table(
        "Switch answers, per attempt", "Attempts", s.attempt_codes
    )
    return (
        f'<section id="codes"><h2>Reasons and errors</h2>{_last_error(s.last_error)}'
        f'<div class="split">{tables}</div></section>'
    )


def last_call(r: RowLine) -> str:
    """What became of a row's person's latest call, with its talk time: 'Answered, 1 min 30 s'."""
    status = call_status_of(r)
    words = CALL_LABELS.get(status, status)
    return f"{words}, {duration(r.talk_s)}" if r.talk_s is not None and status == ANSWERED else words


def _attention_row(r: RowLine, details: dict[int, str]) -> str:
    return (
        f"<tr><td class=num>{r.row}</td><td>{_pill(r.state)}</td><td>{e(r.snumber)}</td>"
        f"<td>{e(r.cnumber)}</td><td class='msg cells'>{e(details.get(r.row, ''))}</td>"
        f"<td class='msg why'>{e(code_words(r.state, r.code))}</td>"
        f"<td class=msg>{e(r.message or '')}</td><td class=num>{r.attempts}</td>"
        f"<td>{e(last_call(r))}</td><td class=t>{e(clock(r.time))}</td></tr>"
    )


def _attention(s: Summary, details: dict[int, str]) -> str:
    counts = s.attention_counts or Counter(r.state for r in s.attention)  # the summary may list fewer
    total = sum(counts.values())
    title = f"Rows needing attention ({total:,})"
    if not total:
        return f'<section id="attention"><h2>{e(title)}</h2><p class="ok">None.</p></section>'
    by_state = ", ".join(f"{n:,} {STATE_LABELS.get(k, k).lower()}" for k, n in counts.items() if n)
    note = ""
    if s.unknown:
        text = e(UNKNOWN_NOTE[0].upper() + UNKNOWN_NOTE[1:]).replace(
            "--redial-unknown", "<code>--redial-unknown</code>"
        )
        note = f'<p class="note">{text}.</p>'
    shown = s.attention[:MAX_ATTENTION_ROWS]
    head = (
        '<tr><th class="num">Row</th><th>Outcome</th><th>snumber</th><th>cnumber</th><th>List cells</th>'
        '<th>Reason (code)</th><th>Message</th><th class="num">Attempts</th><th>Last call</th>'
        "<th>Time (UTC)</th></tr>"
    )
    body = "".join(_attention_row(r, details) for r in shown)
    return (
        f'<section id="attention" class="long"><h2>{e(title)}</h2><p>{e(by_state)}.</p>{note}'
        f'<div class="scroll"><table><thead>{head}</thead><tbody>{body}</tbody></table></div>'
        f"{_more(len(shown), total)}</section>"
    )


def render_html(summary: Summary, info: PageInfo, details: dict[int, str] | None = None) -> str:
    """The whole report page. ``details``: row -> its other list cells (table.row_details), shown
    beside the rows needing attention."""
    title = f"Campaign report: {info.title}"
    header = (
        f"<header><h1>{e(title)}</h1>"
        f'<p class="meta">List: {e(info.list_path)}<br>Results: {e(info.results_path)}<br>'
        f"Generated {e(when(info.generated))}</p></header>"
    )
    body = "".join(
        (
            header,
            _totals(summary),
            _outcomes(summary),
            _calls(summary, info),
            _timeline(summary),
            _codes(summary),
            _attention(summary, details or {}),
            _recycle(summary, info),
            _runs(summary),
        )
    )
    footer = f"<footer>dialer {e(info.version)}</footer>" if info.version else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{e(title)}</title><style>{CSS}</style></head>"
        f"<body><main>{body}{footer}</main></body></html>\n"
    )
