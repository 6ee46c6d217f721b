"""Time limits for thousands of requests in flight, watched by one periodic check.

A timer per request (aiohttp's ``sock_read``, ``asyncio.timeout``) is armed and disarmed once per
request, a cost the runner's throughput shows at full speed. Here a request only
notes its deadline in a dict, and one check every ``every`` seconds cancels the requests whose
deadline has passed: a limit fires up to ``every`` late, which for limits of seconds is nothing.

Requests with the same limit expire in the order they started, so they are kept in one
insertion-ordered dict per limit and each check looks only at the front of each.
"""

from __future__ import annotations

import asyncio

CHECK_EVERY = 0.25  # seconds between checks while any deadline is watched


class TimedOut(Exception):
    """The watched block ran past its deadline and was cancelled for it."""


class Deadlines:
    def __init__(self, every: float = CHECK_EVERY) -> None:
        self.every = every
        self._by_limit: dict[float, dict[asyncio.Task, float]] = {}
        self._expired: set[asyncio.Task] = set()
        self._check: asyncio.TimerHandle | None = None

    def watch(self, seconds: float) -> _Watch:
        """Cancel the current task if the block is still running ``seconds`` from now, and turn that
        cancellation into TimedOut. Any other cancellation (a stop) passes through as it is."""
        return _Watch(self, seconds)

    @property
    def watched(self) -> int:
        return sum(map(len, self._by_limit.values()))

    def _cancel_expired(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        for limit, watched in list(self._by_limit.items()):
            while watched:
                task, deadline = next(iter(watched.items()))
                if deadline > now:
                    break
                del watched[task]
                self._expired.add(task)
                task.cancel()
            if not watched:
                del self._by_limit[limit]
        self._check = loop.call_later(self.every, self._cancel_expired, loop) if self._by_limit else None


class _Watch:
    """One watched block (a class, not a generator: it is entered once per request)."""

    __slots__ = ("_deadlines", "_seconds", "_task")

    def __init__(self, deadlines: Deadlines, seconds: float) -> None:
        self._deadlines = deadlines
        self._seconds = seconds

    def __enter__(self) -> None:
        task = asyncio.current_task()
        assert task is not None, "watch() needs a running task"
        self._task = task
        d = self._deadlines
        loop = task.get_loop()
        watched = d._by_limit.get(self._seconds)
        if watched is None:
            watched = d._by_limit[self._seconds] = {}
        watched[task] = loop.time() + self._seconds
        if d._check is None:
            d._check = loop.call_later(d.every, d._cancel_expired, loop)

    def __exit__(self, exc_type: type[BaseException] | None, exc: object, tb: object) -> None:
        task, d = self._task, self._deadlines
        watched = d._by_limit.get(self._seconds)
        if watched is not None:
            watched.pop(task, None)
        if task not in d._expired:
            return
        d._expired.discard(task)
        # Our cancellation: undone. Raised as TimedOut only when it was the only one; a stop that
        # came at the same moment stays a CancelledError. A block that ended without seeing it
        # (it finished in the same pass) just has the cancellation withdrawn.
        if task.uncancel() == 0 and exc_type is asyncio.CancelledError:
            raise TimedOut(f"no answer within {self._seconds:g} s") from None
