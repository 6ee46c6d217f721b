"""Parameters as a Perl CGI switch reads them: pairs split on both ';' and '&'.

yarl and aiohttp only split on '&', and Enswitch's own examples use ';', so the raw text is parsed here.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

from aiohttp import web

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


_FORM = "application/x-www-form-urlencoded"


async def read_params(request: web.Request) -> tuple[dict[str, str], list[str]]:
    """A request's parameters from its query and its form body; names given twice in ``repeated``."""
    params: dict[str, str] = {}
    repeated: list[str] = []
    parse_pairs(request.raw_path.partition("?")[2], params, repeated)
    if request.body_exists and request.content_type == _FORM:
        body = await request.read()
        parse_pairs(body.decode("utf-8", errors="replace"), params, repeated)
    return params, repeated
