"""Parameters as a Perl CGI switch reads them: pairs split on both ';' and '&'.

yarl and aiohttp only split on '&', and Enswitch's own examples use ';', so the raw text is parsed here.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

_SEPARATORS = re.compile(r"[;&]")


def parse_pairs(raw: str, into: dict[str, str], repeated: list[str]) -> None:
    """Add the pairs of a query string or form body to ``into``; a name seen again goes to ``repeated``."""
    if not raw:
        return
    for part in _SEPARATORS.split(raw):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in part or "+" in part:
            name = unquote_plus(name)
            value = unquote_plus(value)
        if name in into:
            repeated.append(name)
        else:
            into[name] = value
