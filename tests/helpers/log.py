"""A logger that records what the code under test logs, for the modules that take one."""

from __future__ import annotations


class Log:
    """Records what the code under test logs."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict]] = []

    def info(self, event: str, **fields: object) -> None:
        self.lines.append(("info", event, fields))

    def warning(self, event: str, **fields: object) -> None:
        self.lines.append(("warning", event, fields))

    def events(self) -> list[str]:
        return [event for _, event, _ in self.lines]
