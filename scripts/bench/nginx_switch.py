"""nginx as a stand-in Enswitch calls/make: a switch that is not this project's, and fast.

The project's simulator is a Python aiohttp server that spends about as much CPU per request as the
client, which hides part of the client's own cost. nginx (Debian's nginx-light: `apt-get install
nginx-light`) answers every request to /api/json/calls/make/ at once with a fixed "call requested"
answer, from one worker process (one core, like the simulator), and logs each request's method, path,
status and time; the benchmark counts its pacing windows from those time stamps.

    switch = IndependentSwitch.start(directory)   # config, logs and pid file all inside ``directory``
    ...                                           # POST to switch.url
    switch.stop()
    times = switch.arrival_times()                # sorted, seconds (wall clock, millisecond resolution)
"""

from __future__ import annotations

import grp
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

INSTALL_HINT = "apt-get install nginx-light"
CALLS_MAKE = "/api/json/calls/make/"
ANSWER = '{"responses":[{"code":"204","key":"","message":"OK"}]}'  # what calls/make says when it placed

# `daemon off` keeps nginx our child, so that stopping it is a signal to a process we started.
# keepalive_requests and keepalive_timeout are far above any run's: a connection nginx closed after a
# POST was written would leave the dialer not knowing whether the call was placed (an "unknown").
# The access log has no `buffer=`, so each line is written when its request ends, and nothing is left
# in nginx's memory when the log is read. `$msec` is the time nginx woke up to read the request (it
# caches the clock once per pass of its event loop) and is written at the end of the request; the
# request is answered at once, so that is within a millisecond of its arrival.
CONFIG = """\
daemon off;
worker_processes 1;
pid "%(directory)s/nginx.pid";
lock_file "%(directory)s/nginx.lock";
error_log "%(directory)s/error.log" warn;
%(user)s
events {
    worker_connections 20000;
}

http {
    log_format arrivals '$msec $request_method $status $uri';  # $uri last: decoded, it may hold spaces
    access_log "%(directory)s/access.log" arrivals;
    client_body_temp_path "%(directory)s/client_body";
    proxy_temp_path "%(directory)s/proxy";
    fastcgi_temp_path "%(directory)s/fastcgi";
    uwsgi_temp_path "%(directory)s/uwsgi";
    scgi_temp_path "%(directory)s/scgi";
    keepalive_requests 100000000;
    keepalive_timeout 600s;

    server {
        listen 127.0.0.1:%(port)d;
        location = /ready {
            return 200 '%(token)s';
        }
        location %(calls_make)s {
            default_type application/json;
            return 200 '%(answer)s';
        }
    }
}
"""


class SwitchUnavailable(RuntimeError):
    """nginx is not installed, or did not start (the message says which, with its error log's tail)."""


def find_nginx() -> str | None:
    """The nginx program: on PATH, or where Debian puts it (/usr/sbin is not on every user's PATH)."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def free_port() -> int:
    """A port no one listens on now; nginx binds it a moment later (another program could take it first,
    which start() reports as nginx's bind error)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class IndependentSwitch:
    def __init__(self, process: subprocess.Popen[bytes], directory: Path, port: int) -> None:
        self.process = process
        self.directory = directory
        self.port = port
        self.url = f"http://127.0.0.1:{port}{CALLS_MAKE}"
        self.access_log = directory / "access.log"

    @classmethod
    def start(cls, directory: Path, timeout: float = 10.0) -> IndependentSwitch:
        """Write the config into ``directory`` (emptied of a previous run's logs), start nginx, and wait
        (at most ``timeout`` s) until it answers on its port."""
        nginx = find_nginx()
        if nginx is None:
            raise SwitchUnavailable(f"nginx is not installed ({INSTALL_HINT})")
        directory = Path(directory).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        for name in ("access.log", "error.log", "stderr.txt"):
            (directory / name).unlink(missing_ok=True)
        port = free_port()
        config = directory / "nginx.conf"
        token = secrets.token_hex(8)
        config.write_text(_config(directory, port, token))
        # nginx's own stderr to a file: it writes there before it has read the config's error_log.
        with open(directory / "stderr.txt", "wb") as err:
            process = subprocess.Popen(
                [nginx, "-p", str(directory), "-c", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        switch = cls(process, directory, port)
        try:
            switch._wait_until_listening(token, timeout)
        except BaseException:
            switch.stop()
            raise
        return switch

    def _wait_until_listening(self, token: str, timeout: float) -> None:
        # The token proves that what answers on the port is this nginx, not a program that took the
        # port between free_port() and nginx's bind (nginx then retries for 2.5 s and exits).
        deadline = time.monotonic() + timeout
        while not _answers(self.port, token):
            if self.process.poll() is not None:
                raise SwitchUnavailable(
                    f"nginx exited with status {self.process.returncode}: {self.errors()}"
                )
            if time.monotonic() > deadline:
                raise SwitchUnavailable(f"nginx did not answer within {timeout:g} s: {self.errors()}")
            time.sleep(0.02)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGQUIT (finish open requests, close idle connections), then SIGTERM, then SIGKILL, each after
        ``timeout`` s; the exit status. The access log is complete once this returns."""
        for stop_signal in (signal.SIGQUIT, signal.SIGTERM):
            if self.process.poll() is not None:
                break
            self.process.send_signal(stop_signal)
            try:
                return self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                continue
        if self.process.poll() is None:
            self.process.kill()
        return self.process.wait()

    def arrival_times(self) -> list[float]:
        """When each POST to calls/make arrived (nginx's `$msec`: seconds since the epoch, to the
        millisecond), sorted. Read after stop()."""
        times = []
        with open(self.access_log) as log:
            for line in log:
                stamp, method, _status, uri = line.rstrip("\n").split(" ", 3)
                if method == "POST" and uri.rstrip("/") == CALLS_MAKE.rstrip("/"):
                    times.append(float(stamp))
        times.sort()
        return times

    def errors(self, chars: int = 2000) -> str:
        """The tail of nginx's error log, or of its stderr if it stopped before reading its config."""
        for name in ("error.log", "stderr.txt"):
            path = self.directory / name
            text = path.read_text(errors="replace").strip() if path.exists() else ""
            if text:
                return text[-chars:]
        return "(nothing in its error log)"


def _answers(port: int, token: str) -> bool:
    """Whether GET /ready on ``port`` answers ``token`` (a GET, so arrival_times() leaves it out)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as conn:
            conn.sendall(b"GET /ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            answer = b""
            while chunk := conn.recv(4096):
                answer += chunk
    except OSError:
        return False
    return answer.startswith(b"HTTP/1.1 200") and answer.endswith(token.encode())


def _config(directory: Path, port: int, token: str) -> str:
    # Started by root, nginx would run its worker as `nobody`, which cannot enter the benchmark's work
    # directory (a private temporary directory); keep the user that started it instead.
    user = ""
    if os.geteuid() == 0:
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"
    values = {
        "directory": directory,
        "user": user,
        "port": port,
        "calls_make": CALLS_MAKE,
        "answer": ANSWER,
        "token": token,
    }
    return CONFIG % values
