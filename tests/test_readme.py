"""The README's claims that code decides: its exit-status table is the one `dialer run --help` shows."""

from __future__ import annotations

import re
from pathlib import Path

from dialer.core import exitcodes

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_exit_status_table_is_the_code_s():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Exit statuses", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| (\d+) \| (.+) \|$", section, flags=re.MULTILINE))
    assert {int(k): v.replace("`", "") for k, v in rows.items()} == {
        k: v.replace("`", "") for k, v in exitcodes.DESCRIPTIONS.items()
    }
