"""The switch's records of calls, in bulk: every finished call that started in a time window
(``cdrs/list`` by ``start``/``end``, page by page), one call's records by its callid, and the calls
in progress (``calls/active/list``).

One question per page for a whole window of calls, not one per call: at 200 calls a second, a
lookup per call would be a second load on the switch. A switch may cap a page below the ``limit``
asked, so a page shorter than the limit ends the window only once it is also shorter than the
longest page this switch has returned (in any window): until then one more page is asked for, which
comes back empty (one call's records, asked by callid, fit one page). An answer "204, no content"
without a ``data`` list is an empty page.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialer.core.call_outcome import CallRecord, read_record
from dialer.core.lookup import ACTIVE_PATH, CDRS_PATH, NOT_OFFERED, Answer
from dialer.switch.list_request import ask_list
from dialer.switch.login import Login
from dialer.switch.transport import LookupTransport

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
        self.page = page
        self._longest = 0  # the longest page this switch has returned: its cap is at least that
        self.requests = 0  # every request made, for the run's figures

    async def finished(self, start: float, end: float, callid: str | None = None) -> Fetched:
        """Every finished call that started between ``start`` and ``end`` (Unix seconds); only
        those with ``callid`` when one is given."""
        records: list[CallRecord] = []
        requests = 0
        only = [("callid", callid)] if callid else []
        while requests < MAX_PAGES:
            filters = [
                ("start", str(int(start))),
                ("end", str(int(end) + 1)),
                *only,
                ("limit", str(self.page)),
                ("offset", str(len(records))),
            ]
            answer = await self._ask(CDRS_PATH, filters)
            requests += 1
            entries = _entries(answer)
            if entries is None:
                return Fetched(records, requests, _why(answer), _not_offered(answer))
            records += [read_record(e) for e in entries]
            shorter_than_seen = len(entries) < self._longest
            self._longest = max(self._longest, len(entries))
            # One call's records (a leg or two) fit one page whatever the switch's cap.
            if not entries or (len(entries) < self.page and (shorter_than_seen or callid)):
                return Fetched(records, requests)
        return Fetched(records, requests, f"more than {MAX_PAGES} pages for one window")

    async def active(self) -> Fetched:
        """The calls in progress (one request)."""
        answer = await self._ask(ACTIVE_PATH, [])
        entries = _entries(answer)
        if entries is None:
            return Fetched([], 1, _why(answer), _not_offered(answer))
        return Fetched([read_record(e) for e in entries], 1)

    async def _ask(self, path: str, filters: list[tuple[str, str]]) -> Answer:
        answer, requests = await ask_list(self._transport, self._login, path, filters, self._read_timeout)
        self.requests += requests
        return answer


def _entries(answer: Answer) -> tuple[dict, ...] | None:
    """The answer's records; None when it cannot be read as a list of them."""
    if answer.usable:
        return answer.entries
    no_content = answer.code == "204" or (answer.code is None and answer.http_status == 204)
    if no_content and answer.entries is None and answer.http_status is not None:
        return ()  # "no content": nothing in the window (a switch may leave an empty data out)
    return None


def _why(answer: Answer) -> str:
    if answer.http_status is None:
        return f"{answer.path}: {answer.error}"
    if answer.code not in (None, "200", "204"):
        return f"{answer.path} answered {answer.code}"
    if answer.code is None and answer.http_status >= 400:
        return f"{answer.path} answered {answer.http_status}"
    return f"{answer.path}: HTTP {answer.http_status} without a list"


def _not_offered(answer: Answer) -> bool:
    return answer.refusal in NOT_OFFERED
