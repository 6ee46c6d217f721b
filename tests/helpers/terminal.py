"""`dialer` on a real terminal (a pty), and what its screen shows; its console lines as JSON objects.

``Screen`` is just enough of a terminal to replay what `dialer` writes: printable characters
overwrite, carriage return, newline, cursor up and down, erase in line, and colours ignored. It keeps
every line ever written (the scrollback), so a test reads the whole session as a person scrolled it.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable
from fcntl import ioctl

from tests.helpers.processes import dialer_cmd, dialer_env

_CONTROL = re.compile(rb"\x1b\[([0-9;?]*)([A-Za-z])|\x1b[()][A-Z0-9]|\x1b[=>]|[\r\n\b]")


def json_events(stderr: str) -> list[dict]:
    """Every line of a non-terminal console as the JSON object it must be (a line that is not fails)."""
    return [json.loads(line) for line in stderr.splitlines() if line.strip()]


class Screen:
    def __init__(self, columns: int = 100) -> None:
        self.columns = columns
        self.lines: list[list[str]] = [[]]
        self.row = 0
        self.col = 0

    def feed(self, data: bytes) -> None:
        pos = 0
        for match in _CONTROL.finditer(data):
            self._text(data[pos : match.start()])
            self._control(match)
            pos = match.end()
        self._text(data[pos:])

    def _text(self, data: bytes) -> None:
        for char in data.decode("utf-8", errors="replace"):
            if char < " ":
                continue
            line = self.lines[self.row]
            if self.col >= self.columns:  # the terminal wraps a line that is too long
                self._down()
                self.col = 0
                line = self.lines[self.row]
            while len(line) < self.col:
                line.append(" ")
            if self.col < len(line):
                line[self.col] = char
            else:
                line.append(char)
            self.col += 1

    def _control(self, match: re.Match) -> None:
        token = match.group(0)
        if token == b"\r":
            self.col = 0
        elif token == b"\n":
            self._down()
            self.col = 0  # the pty turns \n into \r\n (onlcr)
        elif token == b"\b":
            self.col = max(0, self.col - 1)
        elif match.group(2) is not None:
            count = int(match.group(1) or b"1") if match.group(1).isdigit() else 1
            kind = match.group(2)
            if kind == b"A":
                self.row = max(0, self.row - count)
            elif kind == b"B":
                for _ in range(count):
                    self._down()
            elif kind == b"K":
                del self.lines[self.row][self.col :]
            elif kind == b"G":
                self.col = count - 1

    def _down(self) -> None:
        self.row += 1
        if self.row == len(self.lines):
            self.lines.append([])

    def text(self) -> str:
        return "\n".join("".join(line).rstrip() for line in self.lines).rstrip("\n") + "\n"


class Terminal:
    """`dialer ARGS` with its stderr and stdout on a pty of ``columns`` x ``rows``."""

    def __init__(self, *args: str, columns: int = 100, rows: int = 40, env: dict | None = None) -> None:
        self.screen = Screen(columns)
        self.raw = b""
        leader, follower = pty.openpty()
        ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self._leader = leader
        self.process = subprocess.Popen(
            dialer_cmd(*args),
            env=env or dialer_env(COLUMNS=str(columns), LINES=str(rows), TERM="xterm-256color"),
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=follower,
        )
        os.close(follower)

    def read(self, seconds: float) -> None:
        """What the program writes for up to ``seconds`` (less if it ends)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self._leader], [], [], min(left, 0.2))
            if not ready:
                if self.process.poll() is not None:
                    return
                continue
            try:
                chunk = os.read(self._leader, 65536)
            except OSError:  # the program ended and closed the pty
                return
            if not chunk:
                return
            self.raw += chunk
            self.screen.feed(chunk)

    def read_until(self, condition: Callable[[str], bool], timeout: float, what: str) -> str:
        deadline = time.monotonic() + timeout
        while not condition(self.screen.text()):
            assert self.process.poll() is None or time.monotonic() < deadline, (
                f"dialer ended before {what}:\n{self.screen.text()}"
            )
            assert time.monotonic() < deadline, (
                f"timed out after {timeout} s waiting for {what}:\n{self.screen.text()}"
            )
            self.read(0.2)
            if self.process.poll() is not None and not condition(self.screen.text()):
                self.read(0.5)
                assert condition(self.screen.text()), f"dialer ended before {what}:\n{self.screen.text()}"
        return self.screen.text()

    def interrupt(self) -> None:
        """Ctrl-C, as the terminal sends it: SIGINT to the program."""
        self.process.send_signal(signal.SIGINT)

    def finish(self, timeout: float) -> int:
        """Read to the end; the exit status."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self.read(0.5)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"dialer did not end within {timeout} s:\n{self.screen.text()}")
        self.read(0.5)
        os.close(self._leader)
        return self.process.returncode
