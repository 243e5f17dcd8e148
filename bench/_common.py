"""What the benchmarks share: the machine header (speed, jitter), servers in
subprocesses and CPU accounting from /proc. The HTTP load generator is in
_loadgen.py.
"""
from __future__ import annotations

import os
import platform
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- the machine -------------------------------------------------------------

def machine_header() -> list[str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return [
        f"machine   {os.cpu_count()} CPUs, {model}, {platform.system()} {platform.release()}",
        f"software  Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        f"load avg  {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start (other work on the box shares the cores)",
        f"speed     {box_speed_us():.1f} us for sum(range(1000)), best of 5 (lower is faster; the test VMs "
        "have read 7.8-27: compare runs of the same speed)",
    ]


def box_speed_us() -> float:
    """How fast this box runs Python right now. The shared 2-core VM's speed
    swings by up to ~1.7x between hours (docs/performance.md), more than most
    changes measured against it, so every bench prints this next to its figures."""
    import timeit
    loops = 2000
    return min(timeit.repeat("sum(range(1000))", number=loops, repeat=5)) / loops * 1e6


def box_jitter(seconds: float = 2.0) -> str:
    """How evenly this box runs a fixed piece of work (~1 ms) over ``seconds``,
    nothing else of ours running: on this shared VM the same piece sometimes takes
    10x as long (docs/performance.md, eighth session). A scan passes five
    single-threaded stages, so such stalls set a p99 more than any code does."""
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        for _ in range(50):
            sum(range(1000))
        times.append(time.perf_counter() - t)
    times.sort()
    p50, p99 = percentile(times, 50), percentile(times, 99)
    return (f"jitter    a ~1 ms piece of work, {len(times):,} times: p50 {p50 * 1e3:.2f} ms, p99 {p99 * 1e3:.2f} ms, "
            f"p99.9 {percentile(times, 99.9) * 1e3:.2f} ms, max {times[-1] * 1e3:.2f} ms ({times[-1] / p50:.0f}x p50)")


def percentile(sorted_values, q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def make_workdir(prefix: str) -> Path:
    """A temp directory for a run's databases and server logs."""
    import tempfile
    return Path(tempfile.mkdtemp(prefix=prefix))


def remove_workdir(tmp: Path, keep: bool) -> None:
    """Delete a run's temp directory, or say where it is with --keep."""
    if keep:
        print(f"kept {tmp}")
    else:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- CPU accounting ------------------------------------------------------------

def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{tid}/children").read_text().split()
            out += [int(c) for c in text]
    except OSError:
        pass
    return out


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live descendants."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            continue
        todo += _children(p)
    return total


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine, all cores (from /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLK_TCK


# -- servers in subprocesses -------------------------------------------------

class Server:
    """A server command in its own process group, stopped at the end."""

    def __init__(self, argv: list[str], port: int, log_path: Path, env: dict | None = None):
        self.argv, self.port, self.log_path = argv, port, log_path
        self.url = f"http://127.0.0.1:{port}"
        self.env = dict(os.environ, **(env or {}))
        self.proc: subprocess.Popen | None = None

    def start(self, health: str, timeout: float = 60) -> "Server":
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                         stderr=log, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited; its log ({self.log_path}) ends:\n"
                                   + self.log_path.read_text()[-2000:])
            try:
                if requests.get(self.url + health, timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not answer {health} within {timeout:.0f} s; see {self.log_path}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def python() -> str:
    return sys.executable
