"""docs/terminal.txt and docs/terminal.png: `scripts/demo` as an operator sees it on a terminal.

Runs the demo on a pty 100 columns wide, keeps what the screen shows at three moments (while it
dials, while it waits to call the unanswered again, at the end), writes them as text, and renders
that text as a picture with headless chromium (Debian's, as the report's browser test uses).

    .venv/bin/python -m scripts.docs_terminal        # about 40 s
"""

from __future__ import annotations

import html
import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import time
from fcntl import ioctl
from pathlib import Path

from tests.helpers.terminal import Screen

ROOT = Path(__file__).resolve().parents[1]
COLUMNS, ROWS = 100, 40
MOMENTS = (
    ("While it dials", lambda text: "Dialing," in text and " rows |" in text),
    (
        "While it waits to call the unanswered again ([recycle])",
        lambda text: "Waiting to call people" in text,
    ),
)


def run_demo() -> tuple[list[tuple[str, str]], str, int]:
    """The screen at each moment (the whole scrollback so far), the whole session, the exit status."""
    leader, follower = pty.openpty()
    ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    env = {**os.environ, "COLUMNS": str(COLUMNS), "LINES": str(ROWS), "TERM": "xterm-256color"}
    env.setdefault("ENSWITCH_USERNAME", "demo")
    env.setdefault("ENSWITCH_PASSWORD", "demo-secret")
    demo = subprocess.Popen(["scripts/demo"], cwd=ROOT, env=env, stdout=follower, stderr=follower)
    os.close(follower)
    screen, taken = Screen(COLUMNS), []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        chunk = _read(leader) if ready else b""
        if ready and not chunk:
            break
        screen.feed(chunk)
        text = screen.text()
        if len(taken) < len(MOMENTS) and MOMENTS[len(taken)][1](text):
            taken.append((MOMENTS[len(taken)][0], text))
    status = demo.wait(timeout=30)
    return taken, screen.text(), status


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the demo ended and closed the pty
        return b""


def as_text(moments: list[tuple[str, str]], session: str, status: int) -> str:
    parts = [f"What an operator sees: scripts/demo on a terminal {COLUMNS} columns wide (docs/terminal.png)."]
    for title, text in [*moments, ("The whole session, to the end", session)]:
        parts += ["", f"== {title}", "", text.rstrip()]
    parts += [f"[scripts/demo exited with status {status}]"]
    return "\n".join(parts) + "\n"


def as_page(moments: list[tuple[str, str]], session: str, status: int) -> str:
    blocks = [
        f"<h2>{html.escape(title)}</h2><pre>{html.escape(text.rstrip())}</pre>"
        for title, text in [*moments, ("The whole session, to the end", session)]
    ]
    blocks.append(f"<p>scripts/demo exited with status {status}</p>")
    style = (
        "body{font-family:sans-serif;margin:16px;width:910px}h2{font-size:15px;margin:14px 0 6px}"
        "pre{background:#1e1e1e;color:#ddd;padding:10px 14px;border-radius:6px;font-size:12.5px;"
        "line-height:1.3;white-space:pre}"
    )
    return f"<!doctype html><meta charset=utf-8><style>{style}</style>{''.join(blocks)}"


def screenshot(page: str, png: Path, height: int) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("no chromium: install Debian's chromium (scripts/test does, as root)")
    with tempfile.TemporaryDirectory() as d:
        source = Path(d) / "terminal.html"
        source.write_text(page, encoding="utf-8")
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--window-size=960,{height}",
                f"--screenshot={png}",
                source.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main() -> None:
    moments, session, status = run_demo()
    if len(moments) < len(MOMENTS):
        sys.exit(f"the demo never showed: {MOMENTS[len(moments)][0]}\n{session}")
    (ROOT / "docs" / "terminal.txt").write_text(as_text(moments, session, status), encoding="utf-8")
    lines = sum(text.count("\n") + 3 for _, text in [*moments, ("", session)])
    screenshot(as_page(moments, session, status), ROOT / "docs" / "terminal.png", 60 + lines * 17)
    print("docs/terminal.txt, docs/terminal.png")


if __name__ == "__main__":
    main()
