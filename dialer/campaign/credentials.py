"""The switch login: from the environment or a password file the campaign names, never from a flag,
so that it never shows in `ps`, a shell's history or cron's mail."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dialer.campaign.settings import Campaign
from dialer.campaign.values import CampaignError


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:  # keeps the password out of tracebacks and debug output
        return f"Credentials(username={self.username!r}, password=<hidden>)"


def credentials(c: Campaign, environ: dict[str, str] | None = None) -> Credentials:
    """The switch login, from the environment or a password file; never from a flag."""
    env = os.environ if environ is None else environ
    username = env.get(c.username_env, "")
    if not username:
        raise CampaignError(f"set {c.username_env} to the Enswitch API username")
    if c.password_file is not None:
        password = read_password_file(c.password_file)
    else:
        password = env.get(c.password_env, "")
        if not password:
            raise CampaignError(f"set {c.password_env} to the Enswitch API password")
    return Credentials(username, password)


def read_password_file(path: Path) -> str:
    """The password a file holds: the whole of its first line, spaces included. A byte-order mark and
    one line ending (as editors add) are not part of it; anything on a second line is an error, not
    something to guess about."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise CampaignError(f"{path}: cannot read the password file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CampaignError(f"{path}: the password file is not UTF-8 text") from None
    first, newline, rest = text.partition("\n")
    if rest.strip():
        raise CampaignError(
            f"{path}: the password file has more than one line; it must hold the password alone"
        )
    password = first.removesuffix("\r") if newline else first
    if not password:
        raise CampaignError(f"{path}: the password file is empty")
    return password
