"""The flags that say how to read a campaign, one definition for every command that reads one.

The values go to the campaign as given: the reader resolves --sheet itself (a sheet's name first,
then a 0-based number), so a sheet called "2024" is found by every command alike.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dialer.calllist.persons import SETTINGS
from dialer.commands.help_text import FILE, option

_OPTIONS = (
    option(
        "--sheet",
        metavar="NAME|N",
        show_default="campaign file, else the first",
        help="The spreadsheet's sheet, by name or 0-based number.",
    ),
    option(
        "--encoding",
        metavar="ENCODING",
        show_default="campaign file, else detected",
        help="The text encoding of a CSV list, e.g. utf-8 or cp1252.",
    ),
    option(
        "--delimiter",
        metavar="CHAR",
        show_default="campaign file, else detected",
        help="The CSV delimiter, e.g. ';' or 'tab'.",
    ),
    option(
        "--do-not-call",
        "do_not_call",
        metavar=FILE,
        multiple=True,
        type=click.Path(dir_okay=False, path_type=Path),
        show_default="campaign file, else none",
        help="A file of numbers never to call (repeatable).",
    ),
    option(
        "--person",
        type=click.Choice(SETTINGS),
        show_default="campaign file, else auto",
        help="Who a row calls, once per campaign: auto (the number stype says is outside the switch), "
        "snumber, cnumber or pair.",
    ),
)


def list_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add --sheet, --encoding, --delimiter, --do-not-call and --person to a click command."""
    for decorate in reversed(_OPTIONS):
        command = decorate(command)
    return command


def list_overrides(
    sheet: str | None,
    encoding: str | None,
    delimiter: str | None,
    do_not_call: tuple[Path, ...],
    person: str | None = None,
) -> dict[str, Any]:
    """The flags as campaign overrides (None: not given, the campaign file decides)."""
    return {
        "sheet": sheet,
        "encoding": encoding,
        "delimiter": delimiter,
        "do_not_call": list(do_not_call) or None,
        "person": person,
    }


def source_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """SOURCE and the flags that decide how its list and results file are read (status, report)."""
    command = list_options(command)
    command = option(
        "--results",
        metavar=FILE,
        type=click.Path(dir_okay=False, path_type=Path),
        show_default="campaign file, else LIST.results.jsonl beside the list",
        help="The results file to read.",
    )(command)
    return click.argument("source", metavar="SOURCE", type=click.Path(dir_okay=False, path_type=Path))(
        command
    )


def source_overrides(
    results: Path | None,
    sheet: str | None,
    encoding: str | None,
    delimiter: str | None,
    do_not_call: tuple[Path, ...],
    person: str | None = None,
) -> dict[str, Any]:
    """``source_options``' flags as campaign overrides."""
    return {"results": results, **list_overrides(sheet, encoding, delimiter, do_not_call, person)}
