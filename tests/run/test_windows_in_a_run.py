"""Calling windows (dialer/run/row_windows.py) and --max-duration applied by `dialer run`: judged from the
simulator's side, at the real clock.

The window's hours are computed from the current UTC time, so these tests hold at any hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialer.core import exitcodes
from tests.helpers.files import numbered_list, read_lines, write_csv
from tests.helpers.processes import run_dialer


def hours_around_now(before: int, after: int) -> str:
    """An HH:MM-HH:MM window (UTC wall clock) from BEFORE minutes ago to AFTER minutes ahead, within today."""
    now = datetime.now(UTC)
    start = max(now - timedelta(minutes=before), now.replace(hour=0, minute=0, second=0, microsecond=0))
    end = now + timedelta(minutes=after)
    end_text = "24:00" if end.date() != now.date() else f"{end:%H:%M}"
    return f"{start:%H:%M}-{end_text}"


def closed_hours() -> str:
    """A one-hour window that is surely closed now: it starts over two hours from now (wrapping the day)."""
    start = (datetime.now(UTC) + timedelta(hours=3)).replace(minute=0)
    end = "24:00" if start.hour == 23 else f"{start.hour + 1:02d}:00"
    return f"{start:%H}:00-{end}"


def test_closed_window_exits_at_once_without_a_call(tmp_path, simulator):
    """Started outside its window, `dialer run` places nothing and exits 7 (resumable)."""
    sim = simulator()
    source = numbered_list(tmp_path / "list.csv", 5)
    done = run_dialer("run", str(source), "--url", sim.url, "--window", closed_hours(), "--timezone", "UTC")
    assert done.returncode == exitcodes.WINDOW_CLOSED, done.stderr
    assert sim.arrivals() == []
    ended = [r for r in read_lines(tmp_path / "list.results.jsonl") if r["event"] == "run_ended"]
    assert ended and ended[-1]["status"] == exitcodes.WINDOW_CLOSED


def test_only_rows_whose_zone_is_open_are_dialed(tmp_path, simulator):
    """A window open in UTC but not twelve hours east: exactly the UTC rows are dialed, then exit 7."""
    sim = simulator()
    rows = [[f"21255500{i:02d}", "100", "UTC" if i % 2 == 0 else "Etc/GMT-12"] for i in range(10)]
    source = write_csv(tmp_path / "list.csv", ["snumber", "cnumber", "timezone"], rows)
    done = run_dialer(
        "run", str(source), "--url", sim.url, "--window", hours_around_now(60, 60), "--timezone", "UTC"
    )
    assert done.returncode == exitcodes.WINDOW_CLOSED, done.stderr
    dialed = sorted(p["snumber"] for p in sim.placed())
    assert dialed == [r[0] for r in rows if r[2] == "UTC"]
    again = run_dialer(
        "run", str(source), "--url", sim.url, "--window", hours_around_now(60, 60), "--timezone", "UTC"
    )
    assert again.returncode == exitcodes.WINDOW_CLOSED
    assert len(sim.placed()) == 5


def test_open_window_dials_everything(tmp_path, simulator):
    """Inside the window (rows in UTC), with --days covering today, the run completes normally."""
    sim = simulator()
    rows = [[f"21255500{i:02d}", "100", "UTC"] for i in range(6)]
    source = write_csv(tmp_path / "list.csv", ["snumber", "cnumber", "timezone"], rows)
    done = run_dialer(
        "run",
        str(source),
        "--url",
        sim.url,
        "--window",
        hours_around_now(60, 60),
        "--days",
        "mon-sun",
        "--timezone",
        "UTC",
    )
    assert done.returncode == exitcodes.OK, done.stderr
    assert len(sim.placed()) == 6


def test_rows_are_held_to_their_numbers_local_time(tmp_path, simulator):
    """Without a zone column, a New York number waits for New York's hours, not UTC's."""
    sim = simulator()
    source = numbered_list(tmp_path / "list.csv", 3)
    done = run_dialer(
        "run", str(source), "--url", sim.url, "--window", hours_around_now(60, 60), "--timezone", "UTC"
    )
    assert done.returncode == exitcodes.WINDOW_CLOSED
    assert sim.arrivals() == []


def test_max_duration_stops_claiming_and_is_resumable(tmp_path, simulator):
    """--max-duration ends the run with exit 9; the next run carries on without redialing."""
    sim = simulator()
    source = numbered_list(tmp_path / "list.csv", 30)
    done = run_dialer("run", str(source), "--url", sim.url, "--rate", "10", "--max-duration", "1s")
    assert done.returncode == exitcodes.TIME_LIMIT, done.stderr
    first = len(sim.placed())
    assert 0 < first < 30
    rest = run_dialer("run", str(source), "--url", sim.url)
    assert rest.returncode == exitcodes.OK
    assert sorted(p["snumber"] for p in sim.placed()) == sorted(f"212555{i:04d}" for i in range(30))
