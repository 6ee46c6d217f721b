"""`dialer run` on a real terminal (a pty), read as a person reads it: plain sentences, a bar whose counts
add up in every frame and end on the "run ended" numbers, what the run is waiting for, Ctrl-C and a
resume."""

from __future__ import annotations

import re

import pytest

from dialer.core import exitcodes
from tests.helpers.files import numbered_list, write_csv
from tests.helpers.terminal import Terminal

pytestmark = pytest.mark.timeout(180)

BAR = re.compile(
    r"(\d+)/(\d+) rows \|[^|]*\| placed (\d+)  failed (\d+)  rejected (\d+)  unknown (\d+)  left (\d+)"
)
SUMMARY_LABELS = ("placed", "failed", "rejected", "unknown", "left")


def bar_frames(raw: bytes) -> list[tuple[int, ...]]:
    """Every frame of the bar the program drew, as (done, total, placed, failed, rejected, unknown,
    left): each redraw, not only the last one left on the screen."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw.decode(errors="replace"))
    return [tuple(int(n) for n in m.groups()) for m in BAR.finditer(text)]


def assert_adds_up(frame: tuple[int, ...]) -> None:
    done, total, placed, failed, rejected, unknown, left = frame
    assert placed + failed + rejected + unknown == done, frame
    assert done + left == total, frame


def summary_after(screen: str, heading: str) -> dict[str, int]:
    """The aligned counts under the last ``heading`` line (the run ended summary)."""
    block = screen[screen.rindex(heading) :]
    return {label: int(n) for label, n in re.findall(r"^ {10}(\w[\w ]*?) +(\d+)$", block, re.M)}


def said(screen: str) -> str:
    """The screen's words, with a sentence folded over two lines joined again."""
    return " ".join(screen.split())


def assert_plain(screen: str) -> None:
    """Sentences and aligned summaries: no Python dicts or lists, no raw key=value, no JSON."""
    assert "{'" not in screen and "['" not in screen and '{"' not in screen
    assert not re.search(r"\b\w+='", screen) and "event=" not in screen
    assert "Traceback" not in screen


def test_a_run_interrupted_with_ctrl_c_and_resumed(tmp_path, simulator):
    """200 rows at 20/s on a terminal: Ctrl-C part way (exit 6), then the same command again (exit 0).
    Both screens are sentences; every frame of the bar adds up, in the order placed, failed, rejected,
    unknown, left; each run's last frame is its "run ended" summary; the resume starts where the
    first run stopped."""
    sim = simulator()
    source = numbered_list(tmp_path / "calls.csv", 200)
    first = Terminal("run", str(source), "--url", sim.url, "--rate", "20")
    first.read_until(lambda s: bool(re.search(r"placed ([3-9]\d|1\d\d)\b", s)), 60, "30 rows placed")
    first.interrupt()
    assert first.finish(60) == exitcodes.STOPPED
    screen = first.screen.text()
    assert_plain(screen)
    assert "Run started: campaign calls, 200 rows in the list, 200 to dial now." in said(screen)
    assert "Warning: Stopping: finishing the requests in flight, claiming no new rows" in said(screen)
    assert "Run ended with exit status 6: stopped (Ctrl-C, SIGTERM); run the same command again" in said(
        screen
    )
    frames = bar_frames(first.raw)
    assert len(frames) >= 5
    for frame in frames:
        assert_adds_up(frame)
    stopped = summary_after(screen, "Run ended with exit status 6")
    assert frames[-1][2:] == tuple(stopped[label] for label in SUMMARY_LABELS)
    assert 0 < stopped["placed"] < 200 and stopped["total"] == 200

    resumed = Terminal("run", str(source), "--url", sim.url, "--rate", "20")
    assert resumed.finish(120) == exitcodes.OK
    screen = resumed.screen.text()
    assert_plain(screen)
    assert f"already    placed {stopped['placed']}" in screen
    frames = bar_frames(resumed.raw)
    assert frames[0][0] >= stopped["placed"]  # the bar starts where the campaign stood
    for frame in frames:
        assert_adds_up(frame)
    ended = summary_after(screen, "Run ended with exit status 0")
    assert frames[-1] == (200, 200, 200, 0, 0, 0, 0)
    assert ended == {"placed": 200, "failed": 0, "rejected": 0, "unknown": 0, "left": 0} | {
        "suppressed": 0,
        "total": 200,
    }
    assert "Calls this run: 100% answered" in said(screen)


def test_the_bar_ends_on_the_run_ended_numbers_and_says_it_checks_unknown_rows(tmp_path, simulator):
    """A list with a row the list check rejects and one the switch's rate plan refuses, and a row
    whose connection drops after sending (unknown, then looked up in the switch's lists): the bar's
    last frame has rejected 2, as the run ended line does, and while the run waits for the lookup the
    screen says so instead of sitting at 100% in silence."""
    sim = simulator("--script", "2125550003=reset-after")
    rows = [[f"212555{n:04d}", "100"] for n in range(1, 9)]
    rows += [["2.125551234E+09", "100"], ["90055501234", "100"]]  # Excel-mangled; refused (403)
    source = write_csv(tmp_path / "calls.csv", ["snumber", "cnumber"], rows)
    term = Terminal("run", str(source), "--url", sim.url, "--rate", "10", "--no-outcomes")
    assert term.finish(90) == exitcodes.NEEDS_ATTENTION
    screen = term.screen.text()
    assert_plain(screen)
    assert "Checking unknown rows with the switch's call lists." in term.raw.decode(errors="replace")
    frames = bar_frames(term.raw)
    for frame in frames:
        assert_adds_up(frame)
    ended = summary_after(screen, "Run ended with exit status 4")
    assert ended["rejected"] == 2 and ended["placed"] == 8
    assert frames[-1][2:] == tuple(ended[label] for label in SUMMARY_LABELS)


def test_a_switch_that_cannot_be_reached_is_said_at_once_once_and_at_the_end(tmp_path):
    """A wrong port: the first request that cannot connect is said on the screen with the address and
    the reason, once however many requests fail; the run's end says no request reached the switch."""
    source = numbered_list(tmp_path / "calls.csv", 6)
    url = "http://127.0.0.1:9/api/json/calls/make/"  # the discard port: nothing listens there
    term = Terminal("run", str(source), "--url", url, "--attempts", "2")
    assert term.finish(60) == exitcodes.NEEDS_ATTENTION
    screen = term.screen.text()
    assert_plain(screen)
    assert screen.count("Warning: Cannot connect to the switch") == 1
    warning = screen[screen.index("Warning: Cannot connect to the switch") :]
    assert "127.0.0.1:9" in said(warning.split("\n          url")[0])  # the reason names the address
    assert f"url    {url}" in warning
    assert "Error: No request reached the switch: every connection failed" in said(screen)
    assert summary_after(screen, "Run ended with exit status 4")["failed"] == 6
