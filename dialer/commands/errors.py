"""Errors as one line on stderr and a documented exit status, never a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NoReturn

import click

from dialer.calllist.model import ListError
from dialer.campaign.values import CampaignError
from dialer.core import exitcodes
from dialer.journal.replay import ResultsFileError


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"dialer: {message}", err=True)
    raise SystemExit(code)


def clean_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """The command's errors reading a campaign, its list or its results file, as one line each."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ResultsFileError as exc:
            fail(str(exc), exitcodes.RESULTS_UNWRITABLE)
        except (CampaignError, ListError) as exc:
            fail(str(exc), exitcodes.BAD_INPUT)
        except OSError as exc:
            where = exc.filename or "file"
            fail(f"{where}: {exc.strerror or exc}", exitcodes.BAD_INPUT)

    return wrapper
