"""The HTML report page (dialer/reporting/html.py), as a string (test_html_in_a_browser.py renders it)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from dialer.core import outcomes as o
from dialer.journal.lines import Event
from dialer.journal.replay import Replay
from dialer.reporting.html import MAX_ATTENTION_ROWS, PageInfo, render_html
from dialer.reporting.rows import row_table
from dialer.reporting.summary import summarise
from dialer.reporting.wording import duration
from tests.helpers.report_campaign import (
    RECYCLE,
    XSS,
    campaign_lines,
    found_placed,
    make_call_list,
    replay_of,
    summary_of,
    with_outcomes,
)

INFO = PageInfo("calls <b>spring</b>", "/data/calls.csv", "/data/calls.results.jsonl", "2026-11-26T21:00:00Z")
NEW_YORK = ZoneInfo("America/New_York")


class _Tags(HTMLParser):
    """Collects tag names and text, the way a browser would see the markup."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


def _parse(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


def _hostile_call_list():
    cl = make_call_list()
    cl.table.loc[6, "snumber"] = "<img src=x onerror=alert(1)>"
    return cl


def _with_calls(lines: list[dict] | None = None):
    """The summary of the campaign whose placed calls ended (rows 2 and 3 answered, 8 no answer, 9 busy,
    10 not learned yet), with [recycle] and a calling window in New York."""
    lines = with_outcomes() if lines is None else lines
    replay = replay_of(lines)
    return summarise(row_table(make_call_list(), replay), replay, recycle=RECYCLE, zone=NEW_YORK)


def _section(page: str, name: str) -> str:
    return page.split(f'<section id="{name}"')[1].split("</section>")[0]


def _tips(svg_part: str) -> list[str]:
    """The tooltips of a chart's bars (their <title>s), the chart's own title left out."""
    return re.findall(r"<title>([^<]*)</title>", svg_part)[1:]


def test_page_has_every_section_and_its_charts():
    """Totals, outcomes, whom the calls reached, placements, codes, rows needing attention, rows waiting
    for a call again and runs; five charts: outcomes, reached, calls by status, answers by hour,
    placements."""
    page = render_html(_with_calls(), INFO)
    sections = re.findall(r'<section id="(\w+)"', page)
    assert sections == ["totals", "outcomes", "calls", "timeline", "codes", "attention", "recycle", "runs"]
    tags = _parse(page).tags
    assert tags.count("svg") == 5
    assert tags.count("rect") > 10


def test_call_charts_show_the_summarys_figures():
    """Answer rate, reached and not reached, calls by status, talk time and answers by hour are the
    summary's CallStats, as numbers and as bars."""
    s = _with_calls()
    c = s.call_stats
    page = render_html(s, replace(INFO, zone="America/New_York"))
    calls = _section(page, "calls")
    assert "Answer rate: 50.0%" in calls
    bars = calls.split("<svg")
    assert _tips(bars[1]) == [f"Reached: {c.reached} (50.0%)", f"Not reached: {c.not_reached} (50.0%)"]
    assert _tips(bars[2]) == [
        "Answered: 2 (40.0%)",
        "No answer: 1 (20.0%)",
        "Busy: 1 (20.0%)",
        "Failed: 0 (0.0%)",
        "Not known: 0 (0.0%)",
        "Not learned yet: 1 (20.0%)",
    ]
    assert f"<dt>Median talk time</dt><dd>{duration(c.talk_median_s)}</dd>" in calls
    assert "<dt>90th percentile</dt><dd>1 min 30 s</dd>" in calls
    hours = _tips(bars[3])
    assert len(hours) == 24 and hours[15] == "15:00–15:59 America/New_York: 2 answered"
    assert [int(t.rsplit(": ", 1)[1].split()[0]) for t in hours] == c.answers_by_hour


def test_placements_count_the_rows_reconciliation_settled():
    """A row the switch's call lists showed placed (code `found`) is a placed call in the chart: the
    chart's bars add up to the placed rows in the totals (they missed it: 56 against 58)."""
    lines = campaign_lines()
    found = found_placed(6)
    lines.insert(-2, found)
    s = summary_of(lines)
    assert s.counts[o.PLACED] == 6
    page = render_html(s, INFO)
    timeline = _section(page, "timeline")
    placed = [int(t.rsplit(": ", 1)[1].split()[0]) for t in _tips(timeline.split("<svg")[1])]
    assert sum(placed) == s.counts[o.PLACED] == sum(s.call_stats.calls.values())
    assert f"{s.counts[o.PLACED]:,} calls placed in all" in timeline
    assert "found in the switch&#x27;s call lists (found)" in _section(page, "codes")


def test_codes_are_in_an_operators_words_with_the_raw_code_beside():
    """ClientOSError, 503, timeout: each shown as what it means, the code in brackets after."""
    page = render_html(summary_of(), INFO)
    codes, attention = _section(page, "codes"), _section(page, "attention")
    assert "the switch was too busy to take the call (503)" in codes
    assert "the switch closed the connection (ServerDisconnectedError)" in codes
    assert "no answer came back in time (timeout)" in attention
    assert "<td>503</td>" not in page and "<td>timeout</td>" not in page


def test_rows_waiting_for_a_call_again_and_when():
    """[recycle]: rows 8 and 9 are listed with their last call and the time of the next (UTC)."""
    page = render_html(_with_calls(), INFO)
    waiting = _section(page, "recycle")
    assert "Waiting to be called again (2)" in waiting
    rows = re.findall(r"<tr><td class=num>(\d+)</td>.*?</tr>", waiting)
    assert rows == ["8", "9"]
    assert "No answer" in waiting and "2026-11-26 21:10:30" in waiting and "Busy" in waiting
    assert (
        "0 due now; the next from 2026-11-26 21:10:30 UTC, the last from 2026-11-26 21:10:40 UTC." in waiting
    )
    later = _section(render_html(_with_calls(), replace(INFO, generated="2026-11-26T21:10:35Z")), "recycle")
    assert (
        "2026-11-26 21:10:30 (due now)" in later and "1 due now; the next from 2026-11-26 21:10:40" in later
    )


def test_attention_rows_show_the_last_call_and_attempts():
    """The rows needing attention carry reason, attempts, what became of the last call and when."""
    s = _with_calls()
    row6 = next(r for r in s.attention if r.row == 6)
    answered = replace(row6, state=o.PLACED, call_status="answered", talk_s=95.0, calls=2)
    page = render_html(replace(s, attention=[answered, *s.attention]), INFO)
    attention = _section(page, "attention")
    assert "<th>Last call</th>" in attention and '<th class="num">Attempts</th>' in attention
    assert "<td>Answered, 1 min 35 s</td>" in attention


def test_an_exit_that_is_not_an_error_is_not_shown_as_one():
    """A last run that ended 4 (finished, some rows need attention), like the planned stops (window
    closed, time limit, calls to make later), puts nothing in the red error box; a stop by a signal
    does."""

    def ended(status: int) -> list[dict]:
        lines = [line for line in campaign_lines() if line["event"] != Event.RUN_ERROR]
        last = max(i for i, line in enumerate(lines) if line["event"] == Event.RUN_ENDED)
        lines[last] = {**lines[last], "status": status}
        return lines

    for status in (0, 4, 7, 9, 10):
        assert 'class="error"' not in render_html(summary_of(ended(status)), INFO), status
    stopped = render_html(summary_of(ended(6)), INFO)
    assert 'class="error"' in stopped and "exit status 6" in _section(stopped, "codes")


def test_values_from_the_list_and_results_are_escaped():
    """A callerid, a name, a switch message or a title holding markup shows as text, never as tags."""
    cl = _hostile_call_list()
    lines = campaign_lines()
    for line in lines:  # the results file records what was dialed, so it carries the markup too
        if line.get("row") == 6:
            line["snumber"] = cl.table.loc[6, "snumber"]
    replay = replay_of(lines)
    details = {4: f"callerid1: {XSS}"}
    page = render_html(summarise(row_table(cl, replay), replay), INFO, details)
    parsed = _parse(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags and "b" not in parsed.tags
    assert not any(name.startswith("on") for name, _ in parsed.attrs)
    text = "".join(parsed.text)
    assert "<img src=x onerror=alert(1)>" in text
    assert "Invalid destination <b>number</b>" in text
    assert "calls <b>spring</b>" in text
    assert f"callerid1: {XSS}" in text


def test_page_is_self_contained():
    """No script, no external stylesheet, font, image or link: nothing is fetched."""
    page = render_html(summary_of(), INFO)
    parsed = _parse(page)
    assert not {"script", "link", "img", "iframe", "object"} & set(parsed.tags)
    assert not re.search(r"(src|href)\s*=|url\(|@import", page)
    assert "default-src 'none'" in page


def test_page_is_print_friendly():
    """A print stylesheet drops the backgrounds and keeps table headers and bars together."""
    page = render_html(summary_of(), INFO)
    assert "@media print" in page
    assert "thead { display: table-header-group; }" in page


def test_attention_rows_are_capped_with_a_pointer_to_the_full_report():
    """A very long list of problem rows stops at the cap, says how many there are of each state and
    that the CSV has the rest."""
    s = summary_of()
    many = s.attention * (MAX_ATTENTION_ROWS // len(s.attention) + 2)
    counts = dict.fromkeys(s.attention_counts, 0) | Counter(r.state for r in many)
    page = render_html(replace(s, attention=many, attention_counts=counts), INFO)
    body = _section(page, "attention")
    assert body.count("<tr>") == MAX_ATTENTION_ROWS + 1  # plus the header row
    assert f"Rows needing attention ({len(many):,})" in body
    assert f"{counts[o.UNKNOWN]:,} unknown, {counts[o.FAILED]:,} failed, " in body
    assert "The first 1,000 are shown; the CSV and xlsx reports have them all." in body


def test_the_count_of_rows_needing_attention_is_the_summarys_not_the_rows_it_lists():
    """The summary lists a few rows of each state (as status does) and counts them all: the page says
    the count."""
    s = summary_of()
    counts = {**s.attention_counts, o.NOT_DIALED: 5000}
    body = _section(render_html(replace(s, attention_counts=counts), INFO), "attention")
    assert f"Rows needing attention ({sum(counts.values()):,})" in body and "5,000 not yet dialed" in body
    assert f"The first {len(s.attention):,} are shown" in body


def test_before_any_run_the_page_says_nothing_was_placed():
    """With no results the page renders, with no placements chart and no run yet."""
    s = summarise(row_table(make_call_list(), Replay()), Replay())
    page = render_html(s, INFO)
    assert "No call has been placed yet." in page
    assert "No call has ended yet." in page and "No answered call yet." in page
    assert "No run yet." in page
    assert _parse(page).tags.count("svg") == 1


def test_unknown_rows_carry_the_redial_advice():
    """The attention section explains that unknown rows are not redialed without --redial-unknown."""
    page = render_html(summary_of(), INFO)
    assert "<code>--redial-unknown</code>" in page.split('<section id="attention"')[1]
