"""The words of `--help`, written for an operator: each option's default as a sentence ("campaign
file, else 3"), one metavar per kind of value whatever the command, and tables click leaves as they
are (its ``\\b`` paragraphs) instead of folding them into one line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import click

from dialer.core import exitcodes

# One metavar per kind of value, the same in every command.
FILE = "FILE"
URL = "URL"
N = "N"
SECONDS = "SECONDS"
DURATION = "DURATION"  # 90s, 30m, 2h, 1h30m
TIME_OF_DAY = "HH:MM"
HOURS = "HH:MM-HH:MM"


class Option(click.Option):
    """An option whose ``show_default`` text is shown as written: ``[default: campaign file, else 3]``
    rather than click's ``[default: (campaign file, else 3)]``."""

    def get_help_extra(self, ctx: click.Context) -> Any:
        extra = super().get_help_extra(ctx)
        if isinstance(self.show_default, str):
            extra["default"] = self.show_default
        return extra


def option(*names: str, **kwargs: Any) -> Any:
    """click.option with this module's Option."""
    return click.option(*names, cls=Option, **kwargs)


def table(rows: Iterable[tuple[object, str]], indent: int = 2) -> str:
    """Rows as a help paragraph click shows as it is: the first column right-aligned."""
    rows = [(str(key), text) for key, text in rows]
    width = max(len(key) for key, _ in rows)
    lines = [f"{' ' * indent}{key:>{width}}  {text}" for key, text in rows]
    return "\b\n" + "\n".join(lines)


def exit_statuses(codes: Iterable[int] | None = None, meanings: dict[int, str] | None = None) -> str:
    """The exit statuses as a help section: a heading, then the table."""
    meanings = meanings or exitcodes.DESCRIPTIONS
    chosen = list(codes) if codes is not None else list(meanings)
    return "Exit statuses:\n\n" + table((code, meanings[code]) for code in chosen)
