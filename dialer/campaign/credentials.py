"""The switch login: from the environment or a password file the campaign names, never from a flag,
so that it never shows in `ps`, a shell's history or cron's mail."""

from __future__ import annotations

import os
from dataclasses import dataclass

from dialer.campaign.file import CampaignError
from dialer.campaign.settings import Campaign


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
        try:
            password = c.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CampaignError(f"{c.password_file}: cannot read the password file: {exc.strerror}") from None
    else:
        password = env.get(c.password_env, "")
    if not password:
        raise CampaignError(f"set {c.password_env} to the Enswitch API password")
    return Credentials(username, password)
