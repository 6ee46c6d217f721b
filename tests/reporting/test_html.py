"""The HTML report page (dialer/reporting/html.py), as a string (test_html_in_a_browser.py renders it)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from dialer.journal.replay import Replay
from dialer.reporting.html import MAX_ATTENTION_ROWS, PageInfo, render_html
from dialer.reporting.rows import row_table
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
    s = summarise(row_table(make_call_list(), Replay()), Replay())
    page = render_html(s, INFO)
    assert "No call has been placed yet." in page
    assert "No run yet." in page
    assert _parse(page).tags.count("svg") == 1


def test_unknown_rows_carry_the_redial_advice():
    """The attention section explains that unknown rows are not redialed without --redial-unknown."""
    page = render_html(summary_of(), INFO)
    assert "<code>--redial-unknown</code>" in page.split('<section id="attention"')[1]
