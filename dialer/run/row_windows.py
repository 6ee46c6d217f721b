"""Calling windows applied to a run: which queued rows may be dialed now, and when to look again.

The window is checked when a row is about to be dialed, not when the list is loaded: a run that
starts at 08:55 dials each row once its own window opens. Rows outside their window wait in groups
by time zone, so a list of 100,000 rows costs one window check per zone, not per row.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime

from dialer.calllist.row_access import ListRows
from dialer.windows import CallingWindow, WindowError, ZoneResolver


class RowWindows:
    def __init__(
        self,
        window: CallingWindow,
        resolver: ZoneResolver,
        rows: ListRows,
        now: Callable[[], datetime],
        wait_for_window: bool = False,
    ) -> None:
        self.window = window
        self.resolver = resolver
        self.rows = rows
        self.now = now
        self.wait_for_window = wait_for_window or window.wait_for_window
        self._groups: dict[tuple[str, ...], list[int]] = {}
        self.closed_reason = ""

    @property
    def waiting(self) -> int:
        return sum(len(rows) for rows in self._groups.values())

    def zones(self, row: int) -> tuple[str, ...]:
        return self.resolver.zones_for_row(
            self.rows.params(row),
            self.rows.extras(row),
            self.window.row_timezone,
            self.window.timezone_column,
        )

    def take_open(self, queue: deque[int], limit: int) -> tuple[list[int], list[tuple[int, str]]]:
        """Move up to ``limit`` rows whose window is open now out of ``queue``; rows that cannot be
        dialed at all (a time zone cell that names no zone) are taken out too, with why."""
        now = self.now()
        if limit <= 0 or not self.window.campaign_open(now):
            return [], []
        self._release_opened(queue, now)
        open_now: dict[tuple[str, ...], bool] = {}
        rows: list[int] = []
        rejected: list[tuple[int, str]] = []
        while queue and len(rows) < limit:
            row = queue.popleft()
            try:
                zones = self.zones(row)
            except WindowError as exc:
                rejected.append((row, str(exc)))
                continue
            is_open = open_now.get(zones)
            if is_open is None:
                is_open = open_now[zones] = self.window.row_open(zones, now)
            if is_open:
                rows.append(row)
            else:
                self._groups.setdefault(zones, []).append(row)
        return rows, rejected

    def _release_opened(self, queue: deque[int], now: datetime) -> None:
        opened = [zones for zones in self._groups if self.window.row_open(zones, now)]
        if not opened:
            return
        rows = sorted(row for zones in opened for row in self._groups.pop(zones))
        queue.extendleft(reversed(rows))

    def seconds_until_next(self) -> float | None:
        """How long until a waiting row may open; None when none can before the window closes."""
        now = self.now()
        if not self.window.campaign_open(now):
            return self._until_campaign_opens(now)
        openings = [t for t in (self.window.next_row_open(z, now) for z in self._groups) if t is not None]
        earliest = min(openings, default=None)
        closes = self.window.campaign_closes_at(now)
        if earliest is not None and (closes is None or earliest < closes):
            return max(0.5, (earliest - now).total_seconds())
        if self.wait_for_window and earliest is not None:
            return max(0.5, (earliest - now).total_seconds())
        self.closed_reason = (
            f"no waiting row's calling window opens before the campaign window closes at {closes:%H:%M} UTC"
            if closes is not None
            else "no waiting row's calling window opens soon"
        )
        return None

    def _until_campaign_opens(self, now: datetime) -> float | None:
        if self.wait_for_window:
            opens = self.window.next_campaign_open(now)
            if opens is not None:
                return max(0.5, (opens - now).total_seconds())
        self.closed_reason = f"the calling window is closed ({self.window.describe()})"
        return None
