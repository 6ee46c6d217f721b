"""The HTML report page (dialer/reporting/html.py) in a real headless browser (Debian's chromium): charts
rendered, nothing executed."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialer.commands.report import report
from tests.helpers.report_campaign import results_bytes, with_outcomes, write_campaign

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.environ.get("CI") != "true":
    pytest.skip("chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

WIDTH, HEIGHT = 1280, 2000


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess:
    assert CHROMIUM is not None, "CI=true but chromium is not installed"
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--window-size={WIDTH},{HEIGHT}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """The report page of the hand-made finished campaign, its calls' outcomes learned and [recycle] on,
    as `dialer report` writes it."""
    directory = tmp_path_factory.mktemp("browser")
    files = write_campaign(directory)
    files.results.write_bytes(results_bytes(with_outcomes()))
    files.toml.write_text(files.toml.read_text(encoding="utf-8") + "[recycle]\n", encoding="utf-8")
    result = CliRunner().invoke(report, [str(files.toml), "--format", "html"])
    assert result.exit_code == 0, result.output
    return Path(result.output.strip())


def _png_size_and_colours(png: bytes) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values of the decoded pixels."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    idat, pos = b"", 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_rendered_dom_has_the_charts_and_no_script(page: Path, tmp_path: Path):
    """After rendering, every chart's SVG elements are in the DOM (outcomes, reached, calls by status,
    answers by hour, placements) and the list's markup is only text."""
    result = _chromium(tmp_path / "profile", "--dump-dom", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert len(re.findall(r"<svg\b", dom)) == 5
    assert dom.count('class="chart bars"') == 3 and dom.count('class="chart columns"') == 2
    # two per bar of the outcomes (6), reached (2) and calls (6) charts, one per hour and per bucket
    assert len(re.findall(r"<rect\b", dom)) >= 2 * (6 + 2 + 6) + 24 + 3
    assert "Answer rate: 50.0%" in dom and "Waiting to be called again (2)" in dom
    assert "<script" not in dom
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in dom


def test_screenshot_is_a_full_rendered_page(page: Path, tmp_path: Path):
    """The screenshot is the requested size and not blank (text, colours and charts were drawn)."""
    shot = tmp_path / "report.png"
    result = _chromium(tmp_path / "profile", f"--screenshot={shot}", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    width, height, colours = _png_size_and_colours(shot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    assert colours > 50
