"""Asking the switch's call lists about one call: calls in progress first, then finished calls.

In that order, so that a call that ends between the two questions is still seen by one of them
(asking the other way round would miss it). The questions are POSTs with the same login as
calls/make, in the form body; what the answers mean is ``dialer.core.lookup``'s to say.
"""

from __future__ import annotations

from collections.abc import Sequence

from dialer.core.lookup import (
    ACTIVE_PATH,
    CDRS_PATH,
    Answer,
    Judgement,
    Question,
    judge,
    no_answer,
)
from dialer.switch.list_request import ask_list
from dialer.switch.login import Login
from dialer.switch.transport import LookupTransport


class CallLists:
    def __init__(self, transport: LookupTransport, login: Login, *, read_timeout: float) -> None:
        self._transport = transport
        self._login = login
        self._read_timeout = read_timeout

    async def ask(self, question: Question) -> tuple[list[Answer], Judgement]:
        """The answers (the finished calls only asked when none is in progress) and what they say."""
        active = await self._lookup(ACTIVE_PATH, question.active_filters())
        if not (active.usable and not active.entries):  # already decided: found, or nothing can be
            return [active], judge(active, no_answer(CDRS_PATH, "not asked"))
        cdrs = await self._lookup(CDRS_PATH, question.cdrs_filters())
        return [active, cdrs], judge(active, cdrs)

    async def _lookup(self, path: str, filters: Sequence[tuple[str, str]]) -> Answer:
        answer, _ = await ask_list(self._transport, self._login, path, filters, self._read_timeout)
        return answer
