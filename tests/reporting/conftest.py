"""Fixtures of the reporting tests: the report page of the report tests' campaign, written once a module."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dialer.commands.report import report
from tests.helpers.report_campaign import write_campaign


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """The report page of the hand-made finished campaign."""
    directory = tmp_path_factory.mktemp("browser")
    files = write_campaign(directory)
    result = CliRunner().invoke(report, [str(files.toml), "--format", "html"])
    assert result.exit_code == 0, result.output
    return directory / "calls.results.report.html"
