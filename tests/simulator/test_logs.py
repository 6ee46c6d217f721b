"""The simulator's JSON-lines logs (dialer.simulator.logs)."""

from __future__ import annotations

import orjson
import pytest

from dialer.simulator.logs import read_json_lines


def test_read_json_lines_tolerates_a_torn_last_line(tmp_path):
    """A log read while being written loses only its torn last line; a torn middle line is an error."""
    log = tmp_path / "log.jsonl"
    log.write_bytes(b'{"a":1}\n{"a":2}\n{"a":')
    assert read_json_lines(log) == [{"a": 1}, {"a": 2}]
    log.write_bytes(b'{"a":1}\n{"a"\n{"a":3}\n')
    with pytest.raises(orjson.JSONDecodeError):
        read_json_lines(log)
    assert read_json_lines(tmp_path / "missing.jsonl") == []
