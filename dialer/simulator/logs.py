"""Append-only JSON-lines logs of what the switch saw, one flushed line per record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson


class JsonLines:
    def __init__(self, path: Path | None) -> None:
        # Flushed per line so a reader in another process (or after a crash) sees every finished record.
        self._file = open(path, "ab") if path is not None else None  # noqa: SIM115 - closed at app cleanup

    def write(self, record: dict[str, Any]) -> None:
        if self._file is not None:
            self._file.write(orjson.dumps(record) + b"\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    """Records of a log another process is still writing: a torn last line is left out."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    lines = data.split(b"\n")
    records = []
    for number, line in enumerate(lines):
        if not line:
            continue
        try:
            records.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            if number == len(lines) - 1:
                break
            raise
    return records
