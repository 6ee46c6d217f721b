"""What every measure shares: the table, child processes measured through wait4, /proc sampling.

A child's CPU time and peak memory are its own rusage from ``os.wait4`` (RUSAGE_CHILDREN would be
the sum or maximum over every child this process ever had); while it runs, its CPU time is read
from /proc/PID/stat every 20 ms, for the measures that need CPU over part of a run, and its peak
resident memory (VmHWM) from /proc/PID/status. Linux carries the parent's high-water mark into a
child started by vfork and exec, as subprocess starts it, so the ru_maxrss of a child that stayed
smaller than this process is this process's peak: the child's own sampled peak is taken instead. Children that
import this package (``python -m scripts.bench.xxx``) run with the repository root as their
working directory; `dialer` children run with the working directory and PYTHONPATH of the checkout
whose code they measure (``Checkout``), so that ``python -m dialer`` is that checkout's package.
"""

from __future__ import annotations

import bisect
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository root: scripts/bench/common.py

USERNAME, PASSWORD = "demo", "demo-secret"
CONNECTIONS = 100  # the bare loop's pool and the runner's --concurrency for the throughput rounds


@dataclass(frozen=True)
class Checkout:
    """Whose `dialer` a child process runs: its working directory, and PYTHONPATH for another checkout.

    ``python -m`` puts the working directory first on the import path, before PYTHONPATH and the
    virtualenv's editable install, so a child started in ``root`` imports ``root/dialer``.
    """

    label: str  # "new" (this checkout) or "old" (--compare-with)
    root: Path
    pythonpath: bool = False

    def describe(self) -> str:
        return f"{self.root} ({git_commit(self.root)})"


THIS = Checkout("new", ROOT)


def other_checkout(directory: Path) -> Checkout:
    root = directory.resolve()
    if not (root / "dialer" / "__main__.py").is_file():
        raise SystemExit(f"--compare-with {root}: no dialer package there")
    return Checkout("old", root, pythonpath=True)


def git_commit(root: Path) -> str:
    """The checkout's commit, and whether its dialer/ has changes not committed."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "no git commit"
    return commit + (
        " with uncommitted changes in dialer/" if git("status", "--porcelain", "--", "dialer") else ""
    )


def dialer_env(checkout: Checkout = THIS) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENSWITCH_")}
    env.update(ENSWITCH_USERNAME=USERNAME, ENSWITCH_PASSWORD=PASSWORD, PYTHONUNBUFFERED="1")
    if checkout.pythonpath:
        env["PYTHONPATH"] = str(checkout.root)
    return env


def imported_dialer(checkout: Checkout) -> Path:
    """Where a child run as ``checkout`` imports dialer from; refuses to go on if it is not its own."""
    done = subprocess.run(
        [sys.executable, "-c", "import dialer; print(dialer.__file__)"],
        capture_output=True,
        text=True,
        cwd=checkout.root,
        env=dialer_env(checkout),
        check=False,
    )
    found = Path(done.stdout.strip()).resolve() if done.returncode == 0 else None
    if found is None or found.parent != checkout.root / "dialer":
        raise SystemExit(
            f"a child run from {checkout.root} imports dialer from {found}: {done.stderr[-500:]}"
        )
    return found


def module_command(module: str, *args: str) -> list[str]:
    """``python -m scripts.bench.MODULE ARGS``: run with the repository root as working directory."""
    return [sys.executable, "-m", f"scripts.bench.{module}", *args]


def dialer_command(list_path: Path, url: str, results: Path, *flags: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dialer",
        "run",
        str(list_path),
        "--url",
        url,
        "--results",
        str(results),
        "-q",
        *flags,
    ]


# -- the table ------------------------------------------------------------------------------------


@dataclass
class Row:
    measure: str
    value: str
    baseline: str = ""
    ratio: str = ""
    goal: str = ""
    holds: str = ""


@dataclass
class Bench:
    work: Path
    quick: bool
    rows_of_campaign: int = 1_000_000  # the resume and status sections' list (--rows)
    other: Checkout | None = None  # --compare-with
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    load_at_start: float = 0.0

    @property
    def checkouts(self) -> list[Checkout]:
        return [THIS] if self.other is None else [THIS, self.other]

    def add(self, row: Row) -> None:
        self.rows.append(row)
        cells = [row.measure, row.value, row.baseline, row.ratio, row.goal, row.holds]
        print("  " + " | ".join(c for c in cells if c), flush=True)

    def note(self, text: str) -> None:
        if text not in self.notes:
            print(text, flush=True)
            self.notes.append(text)


def yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def compared(new: float, old: float, fmt: str) -> tuple[str, str, str]:
    """The value, baseline and ratio cells of a row that sets the new checkout beside the old."""
    return f"new {fmt.format(new)}", f"old {fmt.format(old)}", f"{new / old:.2f}" if old else ""


def table(b: Bench, command: str, started: datetime, seconds: float) -> str:
    lines = [
        f"Command: `{command}` ({'quick' if b.quick else 'full'} run, {seconds / 60:.1f} min)",
        "",
        f"Machine: {os.cpu_count()} CPUs ({_cpu_model()}), Python {platform.python_version()}, "
        f"{started:%Y-%m-%d %H:%M} UTC, load average at start {b.load_at_start:.2f}",
        "",
    ]
    if b.other is not None:
        lines += [
            f"Compared: new = this checkout, {THIS.describe()}; old = --compare-with {b.other.describe()}. "
            "In the rows that compare them, the baseline column is the old checkout's figure, measured in "
            "the same run, and the ratio is new/old.",
            "",
        ]
    lines += [
        "| measure | value | baseline (same run) | ratio | goal | holds |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.measure} | {r.value} | {r.baseline} | {r.ratio} | {r.goal} | {r.holds} |" for r in b.rows
    ]
    lines += [f"\n{note}" for note in b.notes]
    return "\n".join(lines)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


# -- child processes ------------------------------------------------------------------------------


@dataclass
class ChildRun:
    status: int
    wall: float  # seconds from just before the process was started to its exit
    cpu: float  # user + sys seconds of the child itself
    peak_mb: float
    stdout: str
    stderr: str
    started: float  # time.monotonic() just before the process was started
    cpu_samples: list[tuple[float, float]] = field(default_factory=list)  # (monotonic, cpu seconds)


def run_child(
    command: list[str], directory: Path, timeout: float = 900.0, checkout: Checkout = THIS
) -> ChildRun:
    """Run ``command`` to its end, from ``checkout``'s root; its own rusage comes from wait4."""
    out_path, err_path = directory / "child.out", directory / "child.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc, started = spawn(command, out, err, checkout)
    samples: list[tuple[float, float]] = []
    status, usage, own_peak = wait4(proc, timeout, samples)
    wall = time.monotonic() - started
    return ChildRun(
        status,
        wall,
        usage.ru_utime + usage.ru_stime,
        peak_mb(usage, own_peak),
        out_path.read_text(errors="replace"),
        err_path.read_text(errors="replace"),
        started,
        samples,
    )


def spawn(command: list[str], out, err, checkout: Checkout) -> tuple[subprocess.Popen, float]:
    """Start ``command`` from ``checkout``'s root; time.monotonic() just before it."""
    started = time.monotonic()
    proc = subprocess.Popen(
        command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=dialer_env(checkout), cwd=checkout.root
    )
    return proc, started


def peak_mb(usage: os.struct_rusage, own_peak: float) -> float:
    """The child's peak resident memory: ru_maxrss, unless that is no more than this process's own
    peak (then it may be this process's, carried over the vfork): the child's sampled VmHWM."""
    inherited = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    reported = usage.ru_maxrss / 1024
    return reported if reported > inherited or not own_peak else own_peak


_TICKS = os.sysconf("SC_CLK_TCK")


def vm_hwm_mb(pid: int) -> float:
    """The peak resident memory of a running process since its exec (Linux /proc), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float | None:
    """user + sys seconds a running process has used so far (Linux /proc), None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime: fields 14 and 15 of stat


def wait4(
    proc: subprocess.Popen, timeout: float, samples: list[tuple[float, float]] | None = None
) -> tuple[int, os.struct_rusage, float]:
    """Wait for the child; meanwhile ``samples`` gets its CPU time every 20 ms. Returns its exit status,
    its rusage and the highest VmHWM sampled (MB; what the child's own peak had reached 20 ms or less
    before it exited)."""
    deadline = time.monotonic() + timeout
    own_peak = 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage, own_peak
        own_peak = max(own_peak, vm_hwm_mb(proc.pid))
        if samples is not None:
            cpu = cpu_seconds(proc.pid)
            if cpu is not None:
                samples.append((time.monotonic(), cpu))
        if time.monotonic() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            raise SystemExit(f"{proc.args[:4]}... did not finish within {timeout:.0f} s")
        time.sleep(0.02)


def check_ok(run: ChildRun, what: str) -> None:
    if run.status != 0:
        raise SystemExit(f"{what} exited with status {run.status}:\n{run.stderr[-3000:]}")


# -- inputs and counting --------------------------------------------------------------------------


def write_list(path: Path, count: int, prefix: str = "2125") -> Path:
    with open(path, "w", newline="") as f:
        f.write("snumber,cnumber\n")
        f.writelines(f"{prefix}{i:06d},100\n" for i in range(count))
    return path


def most_in_window(times: list[float], window: float) -> int:
    """The most events inside any half-open window [t, t + window) (times sorted)."""
    return max((bisect.bisect_left(times, t + window) - i for i, t in enumerate(times)), default=0)


def mean_rate(times: list[float]) -> float:
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return (len(times) - 1) / span if span > 0 else 0.0
