"""Which column of the file fills which calls/make parameter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dialer.calllist.model import ListError, ListOptions
from dialer.core.params import AUTH_FIELDS, PARAMETERS, REQUIRED


def header_key(header: str) -> str:
    """Headers match ignoring case, spaces and underscores: " Caller ID_2 " is callerid2."""
    return re.sub(r"[\s_]+", "", header).casefold()


_AUTH_KEYS = frozenset(header_key(a) for a in AUTH_FIELDS)


@dataclass(frozen=True)
class ColumnMap:
    params: dict[str, str]  # parameter -> header in the file, in file order
    extras: list[str]  # headers carried along untouched
    ignored: list[str]  # credential columns: never read, carried or reported


def label(param: str, header: str) -> str:
    """How a column is named in a reason: its header, and the parameter when that differs."""
    return header if header_key(header) == param else f"{header} ({param})"


def map_columns(path: Path, headers: list[str], options: ListOptions) -> ColumnMap:
    wanted = _wanted(path, options)
    params: dict[str, str] = {}
    extras: list[str] = []
    ignored: list[str] = []
    for header in headers:
        key = header_key(header)
        if key in _AUTH_KEYS:
            ignored.append(header)
            continue
        param = wanted.get(key, key if key in PARAMETERS else None)
        if param is None:
            extras.append(header)
        elif param in params:
            raise ListError(
                f"{path}: both {params[param]!r} and {header!r} give {param}; keep one or map one "
                "to another parameter"
            )
        else:
            params[param] = header
    _check_mapped(path, headers, options)
    missing = [p for p in REQUIRED if p not in params and p not in options.defaults]
    if missing:
        found = ", ".join(repr(h) for h in headers if h not in ignored) or "none"
        raise ListError(
            f"{path}: no {' or '.join(missing)} column (headers found: {found}); add one, map a "
            "header to it in [columns], or give a campaign default"
        )
    return ColumnMap(params, extras, ignored)


def _wanted(path: Path, options: ListOptions) -> dict[str, str]:
    wanted = {}
    for header, param in options.columns.items():
        if param not in PARAMETERS:
            raise ListError(f"{path}: column {header!r} is mapped to {param!r}, not a calls/make parameter")
        wanted[header_key(header)] = param
    return wanted


def _check_mapped(path: Path, headers: list[str], options: ListOptions) -> None:
    """A mapped header that is not in the file is a typo that would silently drop a column."""
    present = {header_key(h) for h in headers}
    absent = [h for h in options.columns if header_key(h) not in present]
    if absent:
        raise ListError(
            f"{path}: [columns] names {', '.join(repr(h) for h in absent)}, not a header in the list "
            f"(headers found: {', '.join(repr(h) for h in headers)})"
        )
