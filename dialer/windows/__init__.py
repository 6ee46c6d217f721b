"""Calling windows: when a campaign may dial, and when each row may be dialed.

Pure: the caller passes the instant; nothing here reads the clock, sleeps or does I/O.

- ``CallingWindow.from_config(table)`` reads the [window] table (flag overrides merged in, see
  ``parse_window_flags``); None means no window, always open.
- ``ZoneResolver(default_region).zones_for_row(...)`` gives a row's zones, from a column or from
  the number it calls (``called_number``).
"""

from dialer.windows._numbers import ZoneResolver, called_number
from dialer.windows._parse import DAY_NAMES, WindowError, parse_window_flags
from dialer.windows._window import DEFAULT_HORIZON, KEYS, ROW_TIMEZONE_MODES, CallingWindow

__all__ = [
    "DAY_NAMES",
    "DEFAULT_HORIZON",
    "KEYS",
    "ROW_TIMEZONE_MODES",
    "CallingWindow",
    "WindowError",
    "ZoneResolver",
    "called_number",
    "parse_window_flags",
]
