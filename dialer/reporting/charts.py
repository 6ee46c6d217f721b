"""Inline SVG charts for the HTML report: plain strings, no scripts, every text escaped. Pure."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from html import escape

from dialer.reporting.summary import parse_ts

BUCKET_MINUTES = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)
_FONT = 'font-size="12" fill="#333"'


def e(value: object) -> str:
    """Text made safe for HTML and SVG, inside elements and quoted attributes alike."""
    return escape("" if value is None else str(value), quote=True)


def nice_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten) that covers 0..top in about ``ticks`` steps."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return max(1.0, factor * power)
    return 10 * power  # pragma: no cover - the loop always returns


def bucket_series(
    per_minute: list[tuple[str, int]], max_bars: int = 120
) -> tuple[int, list[tuple[datetime, int]]]:
    """Minute counts gathered into buckets wide enough that there are at most ``max_bars`` of them.

    Returns the bucket width in minutes and every bucket from the first to the last, empty ones too,
    so gaps show as gaps.
    """
    points = [(when, n) for minute, n in per_minute if (when := parse_ts(minute)) is not None]
    if not points:
        return 1, []
    start = min(when for when, _ in points)
    end = max(when for when, _ in points)
    span = int((end - start).total_seconds() // 60) + 1
    size = next((s for s in BUCKET_MINUTES if math.ceil(span / s) <= max_bars), 0)
    if not size:
        size = 1440 * math.ceil(span / max_bars / 1440)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    origin = epoch + timedelta(minutes=(int((start - epoch).total_seconds() // 60) // size) * size)
    counts = [0] * (int((end - origin).total_seconds() // 60) // size + 1)
    for when, n in points:
        counts[int((when - origin).total_seconds() // 60) // size] += n
    return size, [(origin + timedelta(minutes=i * size), c) for i, c in enumerate(counts)]


def label_every(size: int, count: int, most: int = 8) -> int:
    """Minutes between time labels: a round interval, a multiple of the bucket, at most ``most`` labels."""
    span = size * count
    for step in (*BUCKET_MINUTES, 2880, 10080):
        if step % size == 0 and span / step <= most:
            return step
    return size * math.ceil(count / most)


def _minutes(when: datetime) -> int:
    return int(when.timestamp() // 60)


def bar_chart(items: list[tuple[str, int, str]], total: int, *, label: str) -> str:
    """Horizontal bars, one per (name, value, colour), each as a share of ``total``."""
    row_h, label_w, bar_w, value_w = 30, 130, 420, 130
    width, height = label_w + bar_w + value_w, row_h * len(items) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" role="img" aria-label="{e(label)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f"<title>{e(label)}</title>",
    ]
    for i, (name, value, colour) in enumerate(items):
        y = 4 + i * row_h
        share = value / total if total else 0.0
        w = round(bar_w * share, 1)
        text = f"{value:,}" + (f" ({share:.1%})" if total else "")
        parts.append(
            f'<g class="bar"><title>{e(name)}: {e(text)}</title>'
            f'<text x="{label_w - 8}" y="{y + 19}" text-anchor="end" {_FONT}>{e(name)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="{row_h - 10}" fill="#eef1f4"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row_h - 10}" fill="{e(colour)}"/>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 19}" {_FONT}>{e(text)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _time_format(buckets: list[tuple[datetime, int]], size: int) -> str:
    if size >= 1440:
        return "%d %b"
    if buckets[0][0].date() != buckets[-1][0].date():
        return "%d %b %H:%M"
    return "%H:%M"


def column_chart(buckets: list[tuple[datetime, int]], size: int, *, label: str, colour: str) -> str:
    """Vertical bars over time, one per bucket of ``size`` minutes, with a y axis and time labels (UTC)."""
    fmt = _time_format(buckets, size) if buckets else "%H:%M"
    every = label_every(size, len(buckets))
    bars = []
    for start, n in buckets:
        end = start + timedelta(minutes=size)
        tip = f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} UTC: {n:,} placed"
        bars.append((n, tip, start.strftime(fmt) if _minutes(start) % every == 0 else None))
    return _columns(bars, label=label, colour=colour, axis="time (UTC)")


def hour_chart(counts: list[int], *, label: str, colour: str, zone: str, what: str) -> str:
    """24 vertical bars, one per hour of the day in ``zone``, labelled every third hour."""
    bars = [
        (n, f"{hour:02d}:00–{hour:02d}:59 {zone}: {n:,} {what}", f"{hour:02d}" if hour % 3 == 0 else None)
        for hour, n in enumerate(counts)
    ]
    return _columns(bars, label=label, colour=colour, axis=f"hour of the day ({zone})")


def _columns(bars: list[tuple[int, str, str | None]], *, label: str, colour: str, axis: str) -> str:
    """Vertical bars (value, tooltip, label under it or None) with a y axis and a title under the x axis."""
    width, height = 960, 280
    left, right, top, bottom = 56, 16, 14, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((n for n, _, _ in bars), default=0)
    step = nice_step(peak)
    y_max = step * max(1, math.ceil(peak / step))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart columns" role="img" aria-label="{e(label)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f"<title>{e(label)}</title>",
    ]
    for k in range(int(y_max / step) + 1):
        y = top + plot_h - plot_h * (k * step) / y_max
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dde2e6"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" {_FONT}>{int(k * step):,}</text>'
        )
    slot = plot_w / max(1, len(bars))
    bar = min(slot * 0.8, 48)
    for i, (n, tip, under) in enumerate(bars):
        x = left + i * slot + (slot - bar) / 2
        h = plot_h * n / y_max
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="{e(colour)}"><title>{e(tip)}</title></rect>'
        )
        if under is not None:
            cx, y = left + i * slot + slot / 2, height - bottom + 18
            parts.append(f'<text x="{cx:.1f}" y="{y}" text-anchor="middle" {_FONT}>{e(under)}</text>')
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#888"/>'
        f'<text x="{left + plot_w / 2:.0f}" y="{height - 6}" text-anchor="middle" {_FONT}>{e(axis)}</text>'
        "</svg>"
    )
    return "".join(parts)
