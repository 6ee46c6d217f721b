"""Files the tests write and read: call lists, campaign files, JSON-lines files."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import orjson


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def numbered_list(path: Path, count: int, start: int = 0) -> Path:
    """A plain list of COUNT distinct customers (snumber) bridged to the queue 100."""
    return write_csv(path, ["snumber", "cnumber"], [[snumber_of(i, start), "100"] for i in range(count)])


def snumber_of(index: int, start: int = 0) -> str:
    """The snumber numbered_list gives its INDEX-th row (0-based)."""
    return f"212555{start + index:04d}"


def read_lines(path: Path) -> list[dict]:
    """A JSON-lines file, a torn last line ignored."""
    if not path.exists():
        return []
    out = []
    for raw in path.read_bytes().splitlines(keepends=True):
        try:
            out.append(orjson.loads(raw))
        except orjson.JSONDecodeError:
            if raw.endswith(b"\n"):
                raise
    return out


def campaign_toml(
    directory: Path,
    list_path: Path,
    url: str,
    *,
    timeout_margin: float = 1.0,
    backoff: float = 1.0,
    settle: float = 1.0,
) -> Path:
    """A campaign file camp.toml: the only way to set timeout_margin (read timeout = wait + margin),
    the first retry backoff (which doubles per attempt, with jitter) and the reconcile settle margin
    (the switch's call lists are asked about an unknown row delay + wait + settle after it ended)."""
    path = directory / "camp.toml"
    path.write_text(
        f'[campaign]\nlist = "{list_path.name}"\nurl = "{url}"\ntimeout_margin = {timeout_margin}\n'
        f"[retry]\nbackoff = {backoff}\n[reconcile]\nsettle = {settle}\n",
        encoding="utf-8",
    )
    return path
