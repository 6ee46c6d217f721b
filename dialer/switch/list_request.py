"""One question to one of the switch's lists (``calls/active/list``, ``cdrs/list``), with the login
calls/make uses: a refused token is renewed once and the question asked again."""

from __future__ import annotations

from collections.abc import Sequence

from dialer.core.lookup import Answer, no_answer, read_answer
from dialer.switch.login import Login
from dialer.switch.transport import LookupTransport, TransportFailure


async def ask_list(
    transport: LookupTransport,
    login: Login,
    path: str,
    filters: Sequence[tuple[str, str]],
    read_timeout: float,
) -> tuple[Answer, int]:
    """The answer, and how many requests it took (1, or 2 when the token was renewed)."""
    requests = 0
    for _ in range(2):
        await login.fresh()
        form = [*login.fields(), *filters]
        requests += 1
        try:
            raw = await transport.post_api(path, form, read_timeout)
        except TransportFailure as failure:
            return no_answer(path, failure.error), requests
        answer = read_answer(path, raw.status, raw.body)
        if answer.refusal != "401":
            if raw.status < 500:
                login.accepted(form)
            return answer, requests
        if not await login.refused(form):
            return answer, requests
    return answer, requests
