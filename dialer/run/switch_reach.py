"""Whether the switch can be reached: said at once when a request cannot connect, and again at the
end of a run none of whose requests ever connected.

A wrong port or host, a firewall, a switch that is down: every request fails to connect, is retried,
and its row ends failed. Nothing was sent, so nobody was called, but the operator must hear it at
once, once, with the address and the reason, rather than find it in the results file afterwards.
"""

from __future__ import annotations

from typing import Any

from dialer.core.policy import NOT_CONNECTED
from dialer.switch.transport import TransportFailure

CHECK = "the address (--url, or url in [campaign]) and that the switch is up and reachable from here"


class SwitchReach:
    def __init__(self, url: str, log: Any = None) -> None:
        """``url``: the calls/make address the requests go to (it never carries a login)."""
        self.url = url
        self.log = log
        self.connected = 0  # requests whose connection opened (answered, dropped or timed out)
        self.not_connected = 0
        self.first_reason: str | None = None

    def answered(self) -> None:
        self.connected += 1

    def failed(self, failure: TransportFailure) -> None:
        """A request that got no answer: one that never connected is said, the first time."""
        if failure.kind != NOT_CONNECTED:
            self.connected += 1  # the connection opened: the switch was reached
            return
        if failure.error in ("held back", "timeout"):
            return  # kept from leaving by the run itself (stopping, pacing), not by the network
        self.not_connected += 1
        if self.first_reason is None:
            self.first_reason = failure.detail or failure.error
            if self.log is not None:
                self.log.warning(
                    "cannot connect to the switch",
                    reason=self.first_reason,
                    url=self.url,
                    rows="retried, then left failed for the next run (nothing is placed)",
                    check=CHECK,
                )

    def at_end(self) -> None:
        """At the end of a run: say so if no request ever reached the switch."""
        if self.not_connected and not self.connected and self.log is not None:
            self.log.error(
                "no request reached the switch: every connection failed",
                reason=self.first_reason,
                url=self.url,
                requests=self.not_connected,
                check=CHECK,
            )
