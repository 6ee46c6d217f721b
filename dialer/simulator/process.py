"""The simulator in its own process, for tests, benchmarks and the demo that need a separate switch."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from dialer.simulator.logs import read_json_lines

_READY = "listening on "


class SimulatorProcess:
    def __init__(
        self,
        process: subprocess.Popen[bytes],
        banner: str,
        placed_log: Path,
        arrivals_log: Path,
        stderr_path: Path,
        lookups_log: Path | None = None,
    ) -> None:
        self.process = process
        self.banner = banner  # the line the simulator printed on start
        self.url = banner[len(_READY) :].strip()
        self.placed_log = placed_log
        self.arrivals_log = arrivals_log
        self.stderr_path = stderr_path
        self.lookups_log = lookups_log

    @classmethod
    def start(cls, args: list[str], tmp_dir: Path, timeout: float = 15.0) -> SimulatorProcess:
        """Launch ``python -m dialer.simulator`` and wait (at most ``timeout`` s) until it listens."""
        tmp_dir = Path(tmp_dir)
        tmp_dir.mkdir(parents=True, exist_ok=True)
        placed_log = tmp_dir / "sim-placed.jsonl"
        arrivals_log = tmp_dir / "sim-arrivals.jsonl"
        stderr_path = tmp_dir / "sim-stderr.txt"
        lookups_log = tmp_dir / "sim-lookups.jsonl"
        command = [
            sys.executable,
            "-m",
            "dialer.simulator",
            "--port",
            "0",
            "--placed-log",
            str(placed_log),
            "--arrivals-log",
            str(arrivals_log),
            "--lookups-log",
            str(lookups_log),
            *args,
        ]
        # stderr to a file: a pipe nobody drains would eventually block the simulator.
        with open(stderr_path, "wb") as stderr:
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL
            )
        try:
            line = _read_line(process, timeout)
        except BaseException:
            _terminate(process, 5.0)
            process.stdout.close()
            raise
        if not line.startswith(_READY):
            _terminate(process, 5.0)
            process.stdout.close()
            detail = stderr_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"simulator did not start (exit {process.returncode}): {line!r}\n{detail}")
        return cls(process, line, placed_log, arrivals_log, stderr_path, lookups_log)

    def placed(self) -> list[dict[str, Any]]:
        return read_json_lines(self.placed_log)

    def arrivals(self) -> list[dict[str, Any]]:
        """calls/make requests, in the order they arrived."""
        return read_json_lines(self.arrivals_log)

    def lookups(self) -> list[dict[str, Any]]:
        """calls/active/list and cdrs/list requests."""
        return read_json_lines(self.lookups_log) if self.lookups_log is not None else []

    @property
    def returncode(self) -> int | None:
        return self.process.poll()

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then SIGKILL if it has not exited within ``timeout``; the exit status."""
        code = _terminate(self.process, timeout)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code

    def __enter__(self) -> SimulatorProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> str:
    assert process.stdout is not None
    fd = process.stdout.fileno()
    deadline = time.monotonic() + timeout
    buffer = b""
    while b"\n" not in buffer:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"simulator did not report 'listening on' within {timeout} s")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:  # exited before listening
                process.wait(5.0)
                break
            buffer += chunk
    return buffer.decode(errors="replace").partition("\n")[0]


def _terminate(process: subprocess.Popen[bytes], timeout: float) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()
