"""The simulator in its own process, for tests, benchmarks and the demo that need a separate switch.

``restart()`` is a switch restarted (or whose call database was lost): a new process on the same port
with the same arguments, appending to the same logs, that remembers no call and no token.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
        logins_log: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.process = process
        self.banner = banner  # the line the simulator printed on start
        self.url = banner[len(_READY) :].strip()
        self.placed_log = placed_log
        self.arrivals_log = arrivals_log
        self.stderr_path = stderr_path
        self.lookups_log = lookups_log
        self.logins_log = logins_log
        self.env = env  # the environment it was started with (None: this process's)

    @classmethod
    def start(
        cls,
        args: list[str],
        tmp_dir: Path,
        timeout: float = 15.0,
        env: Mapping[str, str] | None = None,
    ) -> SimulatorProcess:
        """Launch ``python -m dialer.simulator`` and wait (at most ``timeout`` s) until it listens.

        ``env``: variables added to this process's environment (``DIALER_SIMULATOR_USERS``, say)."""
        tmp_dir = Path(tmp_dir)
        tmp_dir.mkdir(parents=True, exist_ok=True)
        placed_log = tmp_dir / "sim-placed.jsonl"
        arrivals_log = tmp_dir / "sim-arrivals.jsonl"
        stderr_path = tmp_dir / "sim-stderr.txt"
        lookups_log = tmp_dir / "sim-lookups.jsonl"
        logins_log = tmp_dir / "sim-logins.jsonl"
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
            "--logins-log",
            str(logins_log),
            *args,
        ]
        full_env = None if env is None else {**os.environ, **env}
        process, line = _launch(command, stderr_path, "wb", timeout, full_env)
        if not line.startswith(_READY):
            raise RuntimeError(_failure(process, line, stderr_path))
        return cls(process, line, placed_log, arrivals_log, stderr_path, lookups_log, logins_log, env)

    def restart(self, timeout: float = 15.0) -> None:
        """Stop the switch and start a new one on the same port with the same arguments, appending to
        the same logs: the URL stays valid, and the new switch remembers no call and no token.

        The port is bound again at once (the listening socket has SO_REUSEADDR); should another
        process have taken it meanwhile, this retries until ``timeout`` and then raises. It blocks:
        from a coroutine, ``await asyncio.to_thread(sim.restart)``, so that the client's event loop
        sees its keep-alive connections closed by the old switch (else its next POST may be sent on
        one and fail with ServerDisconnectedError, as it would against a real switch restarted)."""
        port = urlsplit(self.url).port
        # The last --port wins: the command as first started, pinned to the port it got.
        command = [*self.process.args, "--port", str(port)]
        full_env = None if self.env is None else {**os.environ, **self.env}
        self.stop()
        deadline = time.monotonic() + timeout
        while True:
            process, line = _launch(command, self.stderr_path, "ab", deadline - time.monotonic(), full_env)
            if line.startswith(_READY):
                break
            if time.monotonic() >= deadline:
                raise RuntimeError(_failure(process, line, self.stderr_path))
            time.sleep(0.1)
        if line != self.banner:
            _terminate(process, 5.0)
            raise RuntimeError(f"simulator restarted on another address: {line!r}, not {self.banner!r}")
        self.process = process

    def api_url(self, name: str) -> str:
        """The URL of another function of the same API: ``api_url("cdrs/list")``."""
        return self.url.replace("calls/make/", f"{name}/")

    def placed(self) -> list[dict[str, Any]]:
        return read_json_lines(self.placed_log)

    def arrivals(self) -> list[dict[str, Any]]:
        """calls/make requests, in the order they arrived."""
        return read_json_lines(self.arrivals_log)

    def lookups(self) -> list[dict[str, Any]]:
        """calls/active/list and cdrs/list requests."""
        return read_json_lines(self.lookups_log) if self.lookups_log is not None else []

    def logins(self) -> list[dict[str, Any]]:
        """user/login requests."""
        return read_json_lines(self.logins_log) if self.logins_log is not None else []

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


def _launch(
    command: list[str],
    stderr_path: Path,
    mode: str,
    timeout: float,
    env: dict[str, str] | None,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the process and read its first line; a process that did not print the banner is
    stopped (its stdout closed) before its line is returned."""
    # stderr to a file: a pipe nobody drains would eventually block the simulator.
    with open(stderr_path, mode) as stderr:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, env=env
        )
    try:
        line = _read_line(process, max(timeout, 0.1))
    except BaseException:
        _terminate(process, 5.0)
        process.stdout.close()
        raise
    if not line.startswith(_READY):
        _terminate(process, 5.0)
        process.stdout.close()
    return process, line


def _failure(process: subprocess.Popen[bytes], line: str, stderr_path: Path) -> str:
    detail = stderr_path.read_text(errors="replace")[-2000:]
    return f"simulator did not start (exit {process.returncode}): {line!r}\n{detail}"


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
