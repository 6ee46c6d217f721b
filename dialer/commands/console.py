"""What an operator sees on the terminal: structured key=value lines on stderr, never the password.

The results file is written elsewhere (dialer.journal); this is only the conversation with a person
or a scheduler's log.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from dialer.core.secrets import HIDDEN, Secrets

_SECRET_KEYS = ("password", "auth_password", "secret", "token")


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


def console(stream: Any = None, *, quiet: bool = False, secrets: Secrets | None = None) -> Any:
    """A logger that writes ``ts level event key=value ...`` lines to stderr.

    Quiet keeps warnings and errors: an account refusal or a stopped run must reach a cron mail.
    """
    return structlog.wrap_logger(
        structlog.PrintLogger(stream or sys.stderr),
        processors=[
            DropSecrets(secrets if secrets is not None else Secrets()),
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="%Y-%m-%dT%H:%M:%SZ", utc=True, key="ts"),
            structlog.processors.KeyValueRenderer(
                key_order=["ts", "level", "event"], drop_missing=True, sort_keys=False
            ),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING if quiet else logging.INFO),
    )
