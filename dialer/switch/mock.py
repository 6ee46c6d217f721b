"""A transport whose switch is a plain async function: the runner's logic without a network."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from dialer.switch.transport import HeldBack, RawReply, WriteHook, held_back

Handler = Callable[[Sequence[tuple[str, str]]], Awaitable[RawReply]]
ApiHandler = Callable[[str, Sequence[tuple[str, str]]], Awaitable[RawReply]]


class MockTransport:
    """Records every request and answers it with the handler (calls/make) or ``api_handler`` (the other
    functions)."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.requests: list[list[tuple[str, str]]] = []
        self.api_handler: ApiHandler | None = None  # answers post_api; set by a test that needs lookups
        self.api_requests: list[tuple[str, list[tuple[str, str]]]] = []

    async def post_form(
        self, form: Sequence[tuple[str, str]], read_timeout: float, before_write: WriteHook | None = None
    ) -> RawReply:
        if before_write is not None:
            try:
                await before_write()
            except HeldBack:
                raise held_back() from None
        self.requests.append(list(form))
        return await self._handler(form)

    async def close(self) -> None:
        return None

    async def post_api(self, path: str, form: Sequence[tuple[str, str]], read_timeout: float) -> RawReply:
        """A lookup, answered by ``api_handler(path, form)``; without one, 404 as from a switch that
        does not offer the function."""
        self.api_requests.append((path, list(form)))
        if self.api_handler is None:
            return RawReply(404, {}, b"Not Found")
        return await self.api_handler(path, form)
