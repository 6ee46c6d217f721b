"""The report's inline SVG charts (dialer/reporting/charts.py): buckets, axis steps, labels escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from dialer.reporting.charts import (
    bar_chart,
    bucket_series,
    column_chart,
    hour_chart,
    label_every,
    nice_step,
)


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


def test_hour_chart_has_a_bar_per_hour_labelled_in_the_zone():
    """24 bars, each with its count in the tooltip, labels every third hour, the zone named and escaped."""
    counts = [0] * 24
    counts[9], counts[17] = 3, 1
    svg = hour_chart(counts, label="answers", colour="#0f0", zone="<Z>", what="answered")
    tips = re.findall(r'fill="#0f0"><title>([^<]*)</title>', svg)
    assert len(tips) == 24 and tips[9] == "09:00–09:59 &lt;Z&gt;: 3 answered"
    assert re.findall(r">(\d\d)</text>", svg) == ["00", "03", "06", "09", "12", "15", "18", "21"]
    assert "hour of the day (&lt;Z&gt;)" in svg and "<Z>" not in svg
