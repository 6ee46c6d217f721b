"""What an operator sees on the terminal: structured key=value lines on stderr, never the password.

The results file is written elsewhere (dialer.journal); this is only the conversation with a person
or a scheduler's log.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_SECRET_KEYS = ("password", "auth_password", "secret", "token")


def _drop_secrets(_logger: Any, _method: str, event_dict: dict) -> dict:
    for key in list(event_dict):
        if any(word in key.lower() for word in _SECRET_KEYS):
            event_dict[key] = "<hidden>"
    return event_dict


def console(stream: Any = None, *, quiet: bool = False) -> Any:
    """A logger that writes ``ts level event key=value ...`` lines to stderr.

    Quiet keeps warnings and errors: an account refusal or a stopped run must reach a cron mail.
    """
    return structlog.wrap_logger(
        structlog.PrintLogger(stream or sys.stderr),
        processors=[
            _drop_secrets,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="%Y-%m-%dT%H:%M:%SZ", utc=True, key="ts"),
            structlog.processors.KeyValueRenderer(
                key_order=["ts", "level", "event"], drop_missing=True, sort_keys=False
            ),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING if quiet else logging.INFO),
    )
