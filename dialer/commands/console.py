"""What an operator sees on stderr: sentences for a person at a terminal, one JSON object a line for
cron, systemd and log collectors. The same events either way, and never the password.

The results file is written elsewhere (dialer.journal); this is only the conversation with a person
or a scheduler's log. The words of each event are the code's; how they read is ``console_text``'s.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import orjson
import structlog
from tqdm import tqdm

from dialer.commands.console_text import HumanRenderer
from dialer.core.secrets import HIDDEN, Secrets

_SECRET_KEYS = ("password", "auth_password", "secret", "token")
FORMATS = ("auto", "human", "json")  # --log-format: auto is human on a terminal, JSON elsewhere
_FIRST_KEYS = ("ts", "level", "event")


class DropSecrets:
    """structlog processor: values under a secret's name hidden, and the secrets themselves taken out of
    every text (an error message can quote what the switch echoed)."""

    def __init__(self, secrets: Secrets) -> None:
        self.secrets = secrets

    def __call__(self, _logger: Any, _method: str, event_dict: dict) -> dict:
        for key, value in event_dict.items():
            if any(word in key.lower() for word in _SECRET_KEYS):
                event_dict[key] = HIDDEN
            elif self.secrets:
                event_dict[key] = self._scrubbed(value)
        return event_dict

    def _scrubbed(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.secrets.scrub_text(value)
        if isinstance(value, dict):
            return {k: self._scrubbed(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._scrubbed(v) for v in value]
        return value


def _json_line(_logger: Any, _method: str, event_dict: dict) -> str:
    """One JSON object: time, level and event first, then the event's own fields as the code gave them."""
    ordered = {key: event_dict.pop(key) for key in _FIRST_KEYS if key in event_dict}
    ordered.update(event_dict)
    return orjson.dumps(ordered, default=str).decode()


class ConsoleOutput:
    """Writes each event as its own line. A progress bar on the same terminal is cleared first and
    drawn again after (tqdm's write mode), so a warning never lands in the middle of the bar."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def msg(self, message: str) -> None:
        with tqdm.external_write_mode(file=self._stream):
            self._stream.write(message + "\n")
            self._stream.flush()

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


def is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or unusual stream is no terminal
        return False


def human_console(stream: Any, log_format: str = "auto") -> bool:
    """Sentences (True) or JSON lines (False): ``auto`` is sentences on a terminal only."""
    if log_format not in FORMATS:
        raise ValueError(f"log format {log_format!r} is not one of {', '.join(FORMATS)}")
    return log_format == "human" or (log_format == "auto" and is_terminal(stream))


def console(
    stream: Any = None, *, quiet: bool = False, secrets: Secrets | None = None, log_format: str = "auto"
) -> Any:
    """A logger that writes to stderr (or ``stream``): sentences on a terminal, JSON lines elsewhere
    (``log_format`` "human" or "json" decides instead). Colours only on a terminal, and not when
    NO_COLOR is set.

    Quiet keeps warnings and errors: an account refusal or a stopped run must reach a cron mail.
    """
    stream = stream or sys.stderr
    if human_console(stream, log_format):
        colours = is_terminal(stream) and not os.environ.get("NO_COLOR")
        render: Any = HumanRenderer(colours=colours)
    else:
        render = _json_line
    return structlog.wrap_logger(
        ConsoleOutput(stream),
        processors=[
            DropSecrets(secrets if secrets is not None else Secrets()),
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
            render,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING if quiet else logging.INFO),
    )
