"""Count calls/make requests on the wire: tcpdump on the loopback, beside the switch's own stamps.

The simulator stamps a request when its handler starts. On a machine whose two cores are both busy
(1,000 requests a second with 3,000 in flight), the simulator falls behind and stamps requests
late and together: a window of its stamps can then hold more than what was sent in it. The
packets themselves say what the client sent, and when: each request is one packet whose payload
begins "POST /api/json/calls/make/" (aiohttp writes the headers and a small body together).

Needs tcpdump (Debian's tcpdump) and the right to capture (root, or CAP_NET_RAW); ``available()``
says whether both are there, and the benchmark leaves the wire rows out when not. Used by the
pacing, independent and thousands-in-flight runs: the same windows and mean rate, counted from the
packets' times.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

from scripts.bench.common import Row, mean_rate, most_in_window, yes

# A TCP payload that begins "POST /api/json/calls/make/": "POST" at its start, "make" 21 bytes in.
_PAYLOAD = "((tcp[12:1] & 0xf0) >> 2)"
CALLS_MAKE = f"tcp[{_PAYLOAD}:4] = 0x504f5354 and tcp[{_PAYLOAD} + 21:4] = 0x6d616b65"


def available() -> bool:
    return shutil.which("tcpdump") is not None and os.geteuid() == 0


class WireCapture:
    """tcpdump writing the packets that open calls/make requests to one port into a file."""

    def __init__(self, port: int, directory: Path) -> None:
        self.pcap = directory / "wire.pcap"
        self.stderr = directory / "tcpdump.err"
        self.pcap.unlink(missing_ok=True)
        command = [
            "tcpdump", "-i", "lo", "-nn", "-s", "96", "-B", "8192", "-U", "-w", str(self.pcap),
            f"tcp dst port {port} and {CALLS_MAKE}",
        ]  # fmt: skip
        with open(self.stderr, "wb") as err:
            self._proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 5
        while b"listening on" not in self.stderr.read_bytes():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"tcpdump did not start: {self.stderr.read_text(errors='replace')[-500:]}")
            time.sleep(0.05)

    def stop(self) -> list[float]:
        """Stop capturing; the send times (seconds, the capture's clock) of the requests seen."""
        time.sleep(0.5)  # the last packets reach the file
        self._proc.send_signal(signal.SIGINT)
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        printed = subprocess.run(
            ["tcpdump", "-nn", "-tt", "-r", str(self.pcap)], capture_output=True, text=True, check=False
        ).stdout
        return sorted(float(line.split()[0]) for line in printed.splitlines() if line[:1].isdigit())


def start_wire_capture(url: str, d: Path) -> WireCapture | None:
    """tcpdump on the switch's port, when it is installed and allowed."""
    return WireCapture(urlsplit(url).port, d) if available() else None


def wire_row(sent: list[float], rate: int, label: str) -> Row:
    """What the client sent, counted from the packets: the switch's own delays left out."""
    on_wire, mean = most_in_window(sent, 1.0), mean_rate(sent)
    return Row(
        f"{label} counted on the wire (tcpdump, {len(sent):,} requests): most sent in 1 s / mean rate",
        f"{on_wire} / {mean:.0f}/s",
        f"limit {rate}",
        f"{on_wire / rate:.3f} / {mean / rate:.3f}",
        f"<= {rate + 1}",
        yes(on_wire <= rate + 1),
    )
