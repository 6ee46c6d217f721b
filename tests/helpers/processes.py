"""`dialer` in its own process, as an operator or cron runs it: its command, its environment, and
waiting for it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

# The simulator's demo account, which every `dialer` started here logs in with.
USERNAME = "demo"
PASSWORD = "demo-secret"


def dialer_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENSWITCH_")}
    env.update({"ENSWITCH_USERNAME": USERNAME, "ENSWITCH_PASSWORD": PASSWORD, "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def dialer_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "dialer", *args]


def run_dialer(*args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    """`dialer ARGS` in its own process, as an operator or cron would run it."""
    return subprocess.run(
        dialer_cmd(*args), env=env or dialer_env(), capture_output=True, text=True, timeout=timeout
    )


def start_dialer(*args: str, **popen: object) -> subprocess.Popen:
    """`dialer ARGS` in the background; `finish` collects its exit status and stderr."""
    return subprocess.Popen(
        dialer_cmd(*args),
        env=popen.pop("env", None) or dialer_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def finish(process: subprocess.Popen, timeout: float = 30) -> tuple[int, str]:
    """Wait for a background dialer; its exit status and stderr."""
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        raise AssertionError(f"dialer did not exit within {timeout} s:\n{err[-3000:]}") from None
    return process.returncode, err


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.02)
