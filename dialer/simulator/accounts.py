"""The switch's accounts, from a file or the environment, never from a command line (where a password
would show in ``ps``).

One account an entry: ``NAME:PASSWORD`` may dial, ``NAME:PASSWORD:viewer`` may not (402). In a file,
one entry a line; blank lines and lines starting with ``#`` are skipped. In ``DIALER_SIMULATOR_USERS``,
entries are separated by commas or newlines. Surrounding whitespace is stripped; a name or password
cannot hold ``:`` (nor ``,`` in the variable). An error names where the bad entry is, never what it
holds: it may hold a password.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from dialer.simulator.config import User

ENV = "DIALER_SIMULATOR_USERS"
VIEWER = "viewer"
_ENTRY_SEPARATORS = re.compile(r"[,\n]")


class AccountError(ValueError):
    """A source of accounts that cannot be used; the message holds no password."""


def accounts_from(users_file: Path | None, environ: Mapping[str, str]) -> dict[str, User] | None:
    """The accounts of the users file and the environment variable together; None if neither is given
    (the switch then keeps its default accounts)."""
    sources: list[tuple[str, Iterable[str]]] = []
    if users_file is not None:
        try:
            text = users_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AccountError(f"cannot read the users file {users_file}: {exc}") from None
        sources.append((f"users file {users_file}, line", text.splitlines()))
    value = environ.get(ENV, "")
    if value.strip():
        sources.append((f"{ENV}, entry", _ENTRY_SEPARATORS.split(value)))
    if not sources:
        return None
    out: dict[str, User] = {}
    for where, entries in sources:
        found = parse_entries(entries, where, out)
        if not found:
            raise AccountError(f"{where.rpartition(',')[0]} holds no account")
    return out


def parse_entries(entries: Iterable[str], where: str, into: dict[str, User]) -> int:
    """Add the accounts of ``entries`` to ``into``; how many there were."""
    found = 0
    for number, raw in enumerate(entries, start=1):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        fields = entry.split(":")
        viewer = len(fields) == 3 and fields[2] == VIEWER
        if len(fields) not in (2, 3) or len(fields) == 3 and not viewer or not fields[0] or not fields[1]:
            raise AccountError(f"{where} {number}: expected NAME:PASSWORD or NAME:PASSWORD:{VIEWER}")
        if fields[0] in into:
            raise AccountError(f"{where} {number}: an account of that name was given before")
        into[fields[0]] = User(fields[1], can_dial=not viewer)
        found += 1
    return found
