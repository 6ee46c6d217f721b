"""The HTML report page and its SVG charts, as strings (the browser test renders them)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

from dialer.journal.replay import Replay
from dialer.planning.planner import list_row_states
from dialer.reporting.charts import bar_chart, bucket_series, column_chart, label_every, nice_step
from dialer.reporting.html import MAX_ATTENTION_ROWS, PageInfo, render_html
from dialer.reporting.summary import summarise
from tests.helpers.report_campaign import (
    XSS,
    campaign_lines,
    make_call_list,
    replay_of,
    summary_of,
)

INFO = PageInfo("calls <b>spring</b>", "/data/calls.csv", "/data/calls.results.jsonl", "2026-11-26T21:00:00Z")


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


def test_page_has_every_section_and_both_charts():
    """Totals, outcomes chart, placements chart, codes, rows needing attention and runs are all there."""
    page = render_html(summary_of(), INFO)
    for section in ("totals", "outcomes", "timeline", "codes", "attention", "runs"):
        assert f'<section id="{section}"' in page
    tags = _parse(page).tags
    assert tags.count("svg") == 2
    assert tags.count("rect") > 10


def test_values_from_the_list_and_results_are_escaped():
    """A callerid, a name, a switch message or a title holding markup shows as text, never as tags."""
    cl = _hostile_call_list()
    lines = campaign_lines()
    for line in lines:  # the results file records what was dialed, so it carries the markup too
        if line.get("row") == 6:
            line["snumber"] = cl.table.loc[6, "snumber"]
    replay = replay_of(lines)
    details = {4: f"callerid1: {XSS}"}
    page = render_html(summarise(list_row_states(cl, replay), replay, lines), INFO, details)
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
    """A very long list of problem rows stops at the cap and says the CSV has the rest."""
    s = summary_of()
    many = s.attention * (MAX_ATTENTION_ROWS // len(s.attention) + 2)
    s = s.__class__(**{**s.__dict__, "attention": many})
    page = render_html(s, INFO)
    body = page.split('<section id="attention"')[1].split("</section>")[0]
    assert body.count("<tr>") == MAX_ATTENTION_ROWS + 1  # plus the header row
    assert "CSV and xlsx" in body


def test_before_any_run_the_page_says_nothing_was_placed():
    """With no results the page renders, with no placements chart and no run yet."""
    s = summarise(list_row_states(make_call_list(), Replay()), Replay(), [])
    page = render_html(s, INFO)
    assert "No call has been placed yet." in page
    assert "No run yet." in page
    assert _parse(page).tags.count("svg") == 1


def test_unknown_rows_carry_the_redial_advice():
    """The attention section explains that unknown rows are not redialed without --redial-unknown."""
    page = render_html(summary_of(), INFO)
    assert "<code>--redial-unknown</code>" in page.split('<section id="attention"')[1]


def test_bucket_series_fills_gaps_and_coarsens_long_spans():
    """Empty minutes between placements are kept; a long span gets wider buckets."""
    size, buckets = bucket_series([("2026-11-26T20:00Z", 2), ("2026-11-26T20:03Z", 1)])
    assert size == 1
    assert [n for _, n in buckets] == [2, 0, 0, 1]
    size, buckets = bucket_series([("2026-11-26T08:00Z", 5), ("2026-11-26T20:00Z", 7)], max_bars=120)
    assert size == 10 and len(buckets) <= 120
    assert sum(n for _, n in buckets) == 12
    assert buckets[0][0] == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def test_bucket_series_of_nothing():
    """No placements: no buckets."""
    assert bucket_series([]) == (1, [])


def test_nice_step_and_labels():
    """Axis steps are 1, 2 or 5 times a power of ten; time labels fall on round minutes."""
    assert [nice_step(n) for n in (0, 3, 7, 16, 45, 900)] == [1, 1, 2, 5, 20, 500]
    assert label_every(1, 51) == 10
    assert label_every(10, 72) == 120


def test_charts_escape_their_labels_and_scale_bars():
    """Bar labels are escaped and a bar's length is its share of the total."""
    svg = bar_chart([("<i>x</i>", 1, "#000"), ("y", 3, "#111")], 4, label="a & b")
    assert "<i>" not in svg and "&lt;i&gt;x&lt;/i&gt;" in svg
    assert 'aria-label="a &amp; b"' in svg
    widths = [float(w) for w in re.findall(r'width="([\d.]+)" height="\d+" fill="#(?:000|111)"', svg)]
    assert widths[1] == 3 * widths[0]
    cols = column_chart([(datetime(2026, 11, 26, 20, 0, tzinfo=UTC), 4)], 1, label="c", colour="#0f0")
    assert cols.count('fill="#0f0"') == 1 and ">20:00<" in cols
