"""The baselines: a bare aiohttp client sending the runner's requests and nothing else.

    python -m scripts.bench.bare loop URL LIST [--uvloop]      # as fast as it can, 100 at a time
    python -m scripts.bench.bare paced URL LIST RATE WAIT       # at RATE a second, a task each

Neither imports dialer: the form bodies are encoded here, as the runner encodes them (every byte
that is not unreserved percent-encoded, ``urlencode(..., quote_via=quote, safe="")``), and in
advance, so that a request costs only what aiohttp and the event loop spend on it.

``loop`` is the throughput baseline: the same 100-connection keep-alive client (same headers), 100
workers POSTing the bodies, on asyncio's own event loop (the issue's "plain aiohttp script") or on
uvloop (what the runner's own work costs, once the event loop is not part of the difference); it
prints the requests and the seconds they took. ``paced`` is the CPU baseline: the same requests on
an absolute schedule at RATE a second, each in a task of its own, so that as many are in flight as
in the runner's run.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from scripts.bench.common import CONNECTIONS, PASSWORD, USERNAME, module_command

FORM_TYPE = "application/x-www-form-urlencoded"
HEADERS = {"Content-Type": FORM_TYPE, "Accept": "application/json"}


def loop_command(url: str, list_path: Path, use_uvloop: bool) -> list[str]:
    command = module_command("bare", "loop", url, str(list_path))
    return [*command, "--uvloop"] if use_uvloop else command


def paced_command(url: str, list_path: Path, rate: float, wait: int) -> list[str]:
    return module_command("bare", "paced", url, str(list_path), str(rate), str(wait))


def bodies(list_path: Path, *extra: tuple[str, str]) -> list[bytes]:
    """One form body for each row of the list: the login, the row's numbers, ``extra``."""
    with open(list_path, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        return [
            urlencode(
                [
                    ("auth_username", USERNAME),
                    ("auth_password", PASSWORD),
                    ("snumber", s),
                    ("cnumber", c),
                    *extra,
                ],
                quote_via=quote,
                safe="",
            ).encode()
            for s, c in reader
        ]


def loop_main(url: str, list_path: Path, use_uvloop: bool) -> None:
    import aiohttp

    todo_bodies = bodies(list_path)

    async def main() -> float:
        connector = aiohttp.TCPConnector(limit=CONNECTIONS, keepalive_timeout=3.0)
        async with aiohttp.ClientSession(connector=connector, headers=HEADERS) as session:
            todo = iter(todo_bodies)

            async def worker() -> None:
                for body in todo:
                    async with session.post(url, data=body, allow_redirects=False) as resp:
                        await resp.read()

            started = time.monotonic()
            await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
            return time.monotonic() - started

    if use_uvloop:
        import uvloop

        seconds = uvloop.run(main())
    else:
        seconds = asyncio.run(main())
    print(json.dumps({"requests": len(todo_bodies), "seconds": seconds}))


def paced_main(url: str, list_path: Path, rate: float, wait: int) -> None:
    import aiohttp

    todo_bodies = bodies(list_path, ("wait", str(wait)))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        connector = aiohttp.TCPConnector(limit=2000, keepalive_timeout=3.0)
        async with aiohttp.ClientSession(connector=connector, headers=HEADERS) as session:

            async def one(body: bytes) -> None:
                async with session.post(url, data=body, allow_redirects=False) as resp:
                    await resp.read()

            pending: set[asyncio.Task] = set()
            start = loop.time()
            for k, body in enumerate(todo_bodies):
                delay = start + k / rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(one(body))
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.gather(*pending)

    asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="kind", required=True)
    loop = sub.add_parser("loop", help="as fast as it can, 100 connections")
    loop.add_argument("url")
    loop.add_argument("list", type=Path)
    loop.add_argument("--uvloop", action="store_true")
    paced = sub.add_parser("paced", help="at RATE a second, a task per request")
    paced.add_argument("url")
    paced.add_argument("list", type=Path)
    paced.add_argument("rate", type=float)
    paced.add_argument("wait", type=int)
    args = parser.parse_args()
    if args.kind == "loop":
        loop_main(args.url, args.list, args.uvloop)
    else:
        paced_main(args.url, args.list, args.rate, args.wait)


if __name__ == "__main__":
    main()
