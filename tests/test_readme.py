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


def code_map() -> dict[str, set[str]]:
    """The README's map of the code: each folder of dialer/ and the modules listed under it."""
    text = README.read_text(encoding="utf-8").split("## For developers", 1)[1]
    block = text.split("```\ndialer/\n", 1)[1].split("```", 1)[0]
    listed: dict[str, set[str]] = {}
    folder = ""
    for line in block.splitlines():
        if m := re.match(r"^  (\w+)/ ", line):
            folder = m.group(1)
            listed[folder] = set()
        elif m := re.match(r"^    (\w+\.py(?:, \w+\.py)*)", line):
            listed[folder].update(m.group(1).split(", "))
    return listed


def test_the_map_of_the_code_lists_every_module_in_its_folder():
    package = README.parent / "dialer"
    on_disk = {
        folder.name: {f.name for f in folder.glob("*.py") if f.name not in ("__init__.py", "__main__.py")}
        for folder in package.iterdir()
        if (folder / "__init__.py").is_file()
    }
    assert code_map() == on_disk
