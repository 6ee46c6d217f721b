"""The switch's records of calls, in bulk: every finished call that started in a time window
(``cdrs/list`` by ``start``/``end``, page by page), and the calls in progress (``calls/active/list``).

One question per page for a whole window of calls, not one per call: at 200 calls a second, a
lookup per call would be a second load on the switch. A switch may cap a page below the ``limit``
asked, so pages are asked for until one comes back empty or shorter than the longest seen.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialer.core.call_outcome import CallRecord, read_record
from dialer.core.lookup import ACTIVE_PATH, CDRS_PATH, NOT_OFFERED, Answer, no_answer, read_answer
from dialer.switch.login import Login
from dialer.switch.transport import LookupTransport, TransportFailure

PAGE = 500  # records asked for per cdrs/list request
MAX_PAGES = 1_000  # per window: a switch that never stops paging is not believed


@dataclass(frozen=True)
class Fetched:
    """What one window's questions got: the records, how many requests it took, and, when the
    answers could not be read to the end, why (the records are then not the whole window)."""

    records: list[CallRecord]
    requests: int
    failure: str | None = None
    not_offered: bool = False  # the switch does not offer the function, or not to this account


class CallRecords:
    def __init__(self, transport: LookupTransport, login: Login, *, read_timeout: float, page: int = PAGE):
        self._transport = transport
        self._login = login
        self._read_timeout = read_timeout
        self._page = page
        self.requests = 0  # every request made, for the run's figures

    async def finished(self, start: float, end: float) -> Fetched:
        """Every finished call that started between ``start`` and ``end`` (Unix seconds)."""
        records: list[CallRecord] = []
        longest, requests = 0, 0
        while requests < MAX_PAGES:
            filters = [
                ("start", str(int(start))),
                ("end", str(int(end) + 1)),
                ("limit", str(self._page)),
                ("offset", str(len(records))),
            ]
            answer = await self._ask(CDRS_PATH, filters)
            requests += 1
            if not answer.usable:
                return Fetched(records, requests, _why(answer), _not_offered(answer))
            entries = answer.entries or ()
            records += [read_record(e) for e in entries]
            if not entries or len(entries) < longest:
                return Fetched(records, requests)
            longest = max(longest, len(entries))
        return Fetched(records, requests, f"more than {MAX_PAGES} pages for one window")

    async def active(self) -> Fetched:
        """The calls in progress (one request)."""
        answer = await self._ask(ACTIVE_PATH, [])
        if not answer.usable:
            return Fetched([], 1, _why(answer), _not_offered(answer))
        return Fetched([read_record(e) for e in answer.entries or ()], 1)

    async def _ask(self, path: str, filters: list[tuple[str, str]]) -> Answer:
        for _ in range(2):  # a refused token is renewed once
            await self._login.fresh()
            form = [*self._login.fields(), *filters]
            self.requests += 1
            try:
                raw = await self._transport.post_api(path, form, self._read_timeout)
            except TransportFailure as failure:
                return no_answer(path, failure.error)
            answer = read_answer(path, raw.status, raw.body)
            if answer.refusal != "401" or not await self._login.refused(form):
                return answer
        return answer


def _why(answer: Answer) -> str:
    if answer.refusal is not None:
        return f"{answer.path} answered {answer.refusal}"
    return f"{answer.path}: {answer.error or f'HTTP {answer.http_status} without a list'}"


def _not_offered(answer: Answer) -> bool:
    return answer.refusal in NOT_OFFERED
