"""The one place the network is touched: POST a form to calls/make and hand back the raw answer.

Why POST with a form body: aiohttp silently re-sends an idempotent request (GET) once when a reused
keep-alive connection drops after it was written, which for calls/make means a second call to a real
person; POST is never re-sent. POST also keeps the password out of URLs, proxies and access logs.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import MappingProxyType, SimpleNamespace
from typing import NamedTuple, Protocol
from urllib.parse import quote

import aiohttp

from dialer.core.policy import DROPPED, NOT_CONNECTED, TIMEOUT
from dialer.switch.deadlines import Deadlines, TimedOut

FORM_TYPE = "application/x-www-form-urlencoded"
BODY_NOT_WRITTEN = "Can not write request body"


class RawReply(NamedTuple):
    """What came back, undecided (a tuple: made once per request, cheaper than a frozen dataclass)."""

    status: int
    headers: Mapping[str, str] = MappingProxyType({})
    body: bytes = b""


class TransportFailure(Exception):
    """No HTTP answer. ``kind`` says whether the request can have reached the switch."""

    def __init__(self, kind: str, error: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {error} {detail}".strip())
        self.kind = kind
        self.error = error
        self.detail = detail


WriteHook = Callable[[], Awaitable[None]]


class HeldBack(Exception):
    """Raised by a write hook: this request must not be written (the run is stopping)."""


def held_back() -> TransportFailure:
    """What a request held back at the write comes to: never written, so never at the switch."""
    return TransportFailure(NOT_CONNECTED, "held back", "not written: the run is stopping")


class Transport(Protocol):
    async def post_form(
        self, form: Sequence[tuple[str, str]], read_timeout: float, before_write: WriteHook | None = None
    ) -> RawReply:
        """POST ``form`` to calls/make. ``before_write`` is awaited once, as close before the request
        is written as the transport can: the pacer's guard at the write."""
        ...

    async def close(self) -> None: ...


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")  # what quote(safe="") leaves as it is


def _quoted(value: object) -> str:
    if isinstance(value, bytes):
        return quote(value, safe="")
    text = value if isinstance(value, str) else str(value)
    return text if _unreserved(text) else quote(text, safe="")


_unreserved = _UNRESERVED.fullmatch


def encode_form(form: Sequence[tuple[str, str]]) -> bytes:
    """Percent-encode every byte that is not unreserved, spaces included (%20, never '+').

    The same bytes as ``urlencode(form, quote_via=quote, safe="")``. This runs once per request,
    and most of a request's pairs are the same as the last one's (the login, a campaign-wide
    cnumber or wait): each distinct pair is encoded once and kept. A pair of plain strings needing
    no escaping (names, most phone numbers) is checked by one match of the two joined by "=",
    which can only match when neither needs escaping.
    """
    parts = []
    for pair in form:
        encoded = _encoded_pairs.get(pair)
        if encoded is None:
            encoded = _encode_pair(*pair)
            if len(_encoded_pairs) >= ENCODED_PAIRS_KEPT:
                _encoded_pairs.clear()
            _encoded_pairs[pair] = encoded
        parts.append(encoded)
    return "&".join(parts).encode("ascii")


ENCODED_PAIRS_KEPT = 4096  # pairs seen lately: every row's own number is one, so the rest stay
_encoded_pairs: dict[tuple[str, str], str] = {}


def _encode_pair(name: str, value: str) -> str:
    pair = f"{name}={value}" if type(name) is str and type(value) is str else None
    if pair is None or _unreserved_pair(pair) is None:
        pair = f"{_quoted(name)}={_quoted(value)}"
    return pair


_unreserved_pair = re.compile(r"[A-Za-z0-9_.~-]*=[A-Za-z0-9_.~-]*").fullmatch


class _Write:
    """A request's ``before_write`` hook, and whether the request got past it."""

    __slots__ = ("hook", "passed")

    def __init__(self, hook: WriteHook) -> None:
        self.hook = hook
        self.passed = False


async def _at_write(_session: object, context: SimpleNamespace, _params: object) -> None:
    """aiohttp awaits this once the request's connection is taken from the pool or opened, and
    before a byte of the request is written: the point at which to hold it back."""
    write = context.trace_request_ctx
    if write is not None:
        await write.hook()
        write.passed = True


class AiohttpTransport:
    """One ClientSession for the whole run; the pool holds as many connections as requests in flight.

    ``write_hooks``: run each request's ``before_write`` once its connection is ready, through
    aiohttp's tracing signals (for a paced run; a run at full speed skips the tracing's cost).
    """

    def __init__(
        self,
        url: str,
        *,
        max_connections: int,
        connect_timeout: float = 10.0,
        keepalive_timeout: float = 3.0,
        write_hooks: bool = False,
    ) -> None:
        self.url = url
        self._connect_timeout = connect_timeout
        self._write_hooks = write_hooks
        trace_configs = None
        if write_hooks:
            tracing = aiohttp.TraceConfig()
            tracing.on_connection_reuseconn.append(_at_write)
            tracing.on_connection_create_end.append(_at_write)
            trace_configs = [tracing]
        # Idle connections are closed before a typical server keep-alive (Apache: 5 s) would close
        # them, so a request is rarely written onto a connection the server is dropping.
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=max_connections, keepalive_timeout=keepalive_timeout, ttl_dns_cache=300
            ),
            headers={"Content-Type": FORM_TYPE, "Accept": "application/json"},
            timeout=aiohttp.ClientTimeout(total=None),
            raise_for_status=False,
            trace_configs=trace_configs,
        )
        # aiohttp times the connection (a timeout there is NOT_CONNECTED: nothing was sent); the whole
        # request is timed by one watch for all requests (a timer each shows in the throughput).
        self._deadlines = Deadlines()
        self._connect_timeouts: dict[float, aiohttp.ClientTimeout] = {}

    def _connect_timeout_within(self, read_timeout: float) -> aiohttp.ClientTimeout:
        """At most half the request's time limit, so that a connection that hangs is always aiohttp's
        to report (as not connected: a retry), never the watch's (as no answer: unknown)."""
        timeout = self._connect_timeouts.get(read_timeout)
        if timeout is None:
            seconds = min(self._connect_timeout, read_timeout / 2)
            timeout = self._connect_timeouts[read_timeout] = aiohttp.ClientTimeout(
                total=None, connect=seconds, sock_connect=seconds
            )
        return timeout

    async def _post(
        self, url: str, form: Sequence[tuple[str, str]], read_timeout: float, write: _Write | None = None
    ) -> RawReply:
        """POST the form and read the whole answer within ``read_timeout`` (TimedOut past it)."""
        with self._deadlines.watch(read_timeout):
            async with self._session.post(
                url,
                data=encode_form(form),
                timeout=self._connect_timeout_within(read_timeout),
                allow_redirects=False,
                trace_request_ctx=write,
            ) as resp:
                body = await resp.read()
                # aiohttp's own read-only view: names are case-insensitive ("retry-after").
                return RawReply(resp.status, resp.headers, body)

    async def post_form(
        self, form: Sequence[tuple[str, str]], read_timeout: float, before_write: WriteHook | None = None
    ) -> RawReply:
        write = None
        if before_write is not None:
            if self._write_hooks:
                write = _Write(before_write)
            else:
                await before_write()  # no hook at the connection: now, still before the write
        try:
            return await self._post(self.url, form, read_timeout, write)
        except HeldBack:
            raise held_back() from None
        except TimedOut as exc:
            if write is not None and not write.passed:
                # Held back before a byte was written: the switch cannot have acted on it.
                raise TransportFailure(NOT_CONNECTED, "timeout", f"not yet written: {exc}") from None
            raise TransportFailure(TIMEOUT, "timeout", str(exc)) from None
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise TransportFailure(NOT_CONNECTED, type(exc).__name__, _safe(exc)) from None
        except aiohttp.ClientOSError as exc:
            # aiohttp's wording when the body (which carries every parameter) could not be written:
            # the switch cannot have acted on a request it never received.
            kind = NOT_CONNECTED if BODY_NOT_WRITTEN in str(exc) else DROPPED
            raise TransportFailure(kind, type(exc).__name__, _safe(exc)) from None
        except (TimeoutError, aiohttp.SocketTimeoutError) as exc:
            raise TransportFailure(TIMEOUT, "timeout", type(exc).__name__) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise TransportFailure(DROPPED, type(exc).__name__, _safe(exc)) from None

    async def close(self) -> None:
        await self._session.close()

    async def post_api(self, path: str, form: Sequence[tuple[str, str]], read_timeout: float) -> RawReply:
        """POST a form to another function of the same API (``calls/active/list``): a lookup, never a
        call. Any failure is a TransportFailure; its kind matters less than for calls/make, since a
        lookup that got no answer decides nothing either way."""
        try:
            return await self._post(api_url(self.url, path), form, read_timeout)
        except TimedOut as exc:
            raise TransportFailure(TIMEOUT, "timeout", str(exc)) from None
        except (TimeoutError, aiohttp.SocketTimeoutError) as exc:
            raise TransportFailure(TIMEOUT, "timeout", type(exc).__name__) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise TransportFailure(DROPPED, type(exc).__name__, _safe(exc)) from None


def _safe(exc: BaseException) -> str:
    # aiohttp's messages name the host and port, never the body: safe to record.
    return str(exc)[:200]


class LookupTransport(Protocol):
    """A transport that can also call the API's other functions (the lookups of reconciliation)."""

    async def post_api(self, path: str, form: Sequence[tuple[str, str]], read_timeout: float) -> RawReply: ...


def api_url(calls_make_url: str, path: str) -> str:
    """Another function's address beside calls/make's: ``.../api/json/`` + ``path`` + ``/``."""
    base, marker, _ = calls_make_url.partition("/api/json/")
    return f"{base}{marker or '/api/json/'}{path.strip('/')}/"
