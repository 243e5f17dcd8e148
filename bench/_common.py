"""What the benchmarks share: the machine header, servers in subprocesses,
CPU accounting from /proc, and a closed-loop HTTP load generator.

The load generator speaks just enough HTTP/1.1 over asyncio streams to keep
a request's client-side cost near 0.1 ms, and runs one process per group of
connections, so on a 2-core box it does not starve for the GIL. It still
shares the cores with the server: every run prints who used the CPU.
"""
from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import platform
import random
import socket
import sqlite3
import subprocess
import sys
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
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
        f"speed     {box_speed_us():.1f} us for sum(range(1000)), best of 5 (lower is faster; the shared test "
        "box has read 15-27 within one day: compare runs of the same speed)",
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


# -- the load generator --------------------------------------------------------

class Client:
    """One simulated device: builds the next request body and judges the answer.

    Subclasses keep whatever state they need; an instance lives in one load
    process and sends one request at a time (closed loop).
    """

    path = "/"
    token: str | None = None

    def next_body(self) -> bytes:
        raise NotImplementedError

    def judge(self, status: int, body: bytes) -> str | None:
        """None when the answer counts as a success, else a short error label."""
        return None if status < 400 else f"HTTP {status}"


@dataclass
class LoadResult:
    ok: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, successes and errors alike
    errors: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    window: float = 0.0
    loadgen_cpu: float = 0.0
    span: tuple[float, float] = (0.0, 0.0)  # the measured window, time.monotonic()

    def merge(self, other: "LoadResult") -> None:
        self.ok += other.ok
        self.latencies += other.latencies
        self.errors.update(other.errors)
        self.samples += other.samples[: max(0, 5 - len(self.samples))]
        self.loadgen_cpu += other.loadgen_cpu

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def rate(self) -> float:
        return self.ok / self.window if self.window else 0.0

    def pct(self, q: float) -> float:
        return percentile(sorted(self.latencies), q) * 1000


async def _read_response(reader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, close = 0, lines[0].startswith("HTTP/1.0")
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection":
            close = value.strip().lower() == "close"
    body = await reader.readexactly(length) if length else b""
    return status, body, close


async def _drive(client: Client, port: int, warm_end: float, end: float, out: LoadResult, lat: array,
                 pace: float | None = None) -> None:
    """One device's loop. Closed (the next request as soon as the answer is in) by
    default; with ``pace`` (mean seconds between sends) open: sends come at times
    drawn in advance (exponential gaps, so bursts happen as they do on a floor),
    and each latency counts from the planned time, so a late answer that holds
    back the device's next send is counted against the server too."""
    head = (f"POST {client.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            + (f"Authorization: Bearer {client.token}\r\n" if client.token else ""))
    reader = writer = None
    now = time.monotonic
    if pace:
        rng = random.Random()
        planned = now() + rng.expovariate(1 / pace)
    # Paced, every send planned within the window goes out, late or not.
    inflight = None  # the planned time of the send waiting for its answer (paced)
    try:
        while (planned < end) if pace else (now() < end):
            if pace and planned > now():
                await asyncio.sleep(planned - now())
            if writer is None:
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError as exc:
                    if not pace or warm_end <= planned:
                        out.errors[f"connect: {type(exc).__name__}"] += 1
                    if pace:  # that send is lost, and counted: on to the next
                        planned += rng.expovariate(1 / pace)
                    await asyncio.sleep(0.05)
                    continue
            body = client.next_body()
            request = (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
            t0 = now()
            if pace:
                t0, planned = planned, planned + rng.expovariate(1 / pace)
                inflight = t0
            try:
                writer.write(request)
                status, answer, close = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                t1 = now()
                inflight = None
                if t0 >= warm_end and (t0 < end if pace else t1 <= end):
                    out.errors[f"connection: {type(exc).__name__}"] += 1
                    lat.append(t1 - t0)
                writer.close()
                reader = writer = None
                continue
            t1 = now()
            inflight = None
            error = client.judge(status, answer)
            if t0 >= warm_end and (t0 < end if pace else t1 <= end):
                lat.append(t1 - t0)
                if error is None:
                    out.ok += 1
                else:
                    out.errors[error] += 1
                    if len(out.samples) < 5:
                        out.samples.append(f"{error}: {answer[:300].decode('utf-8', 'replace')}")
            if close:
                writer.close()
                reader = writer = None
    except asyncio.CancelledError:
        if pace:
            # Given up on (still unanswered 30 s after the end): the send in flight and
            # every one planned after it in the window count, as errors with the wait
            # so far; dropping them would flatter the tail.
            t = now()
            sends = [inflight] if inflight is not None else []
            while planned < end:
                sends.append(planned)
                planned += rng.expovariate(1 / pace)
            for s in sends:
                if warm_end <= s < end:
                    out.errors[UNANSWERED] += 1
                    lat.append(t - s)
        raise
    if writer is not None:
        writer.close()


UNANSWERED = "no answer 30 s after the end"


def _load_process(clients: list[Client], port: int, warm_end: float, end: float, results,
                  pace: float | None = None) -> None:
    out, lat = LoadResult(), array("d")
    cpu = {}

    async def main():
        loop = asyncio.get_running_loop()
        # CPU of this process within the measured window only.
        loop.call_at(warm_end, lambda: cpu.setdefault("start", time.process_time()))
        loop.call_at(end, lambda: cpu.setdefault("end", time.process_time()))
        tasks = [asyncio.create_task(_drive(c, port, warm_end, end, out, lat, pace)) for c in clients]
        # A request still unanswered 30 s after the end is abandoned: the run stops by itself.
        done, pending = await asyncio.wait(tasks, timeout=max(0.0, end - time.monotonic()) + 30)
        for t in pending:
            t.cancel()
            if not pace:  # a paced device counts its own unanswered sends (_drive)
                out.errors[UNANSWERED] += 1
        await asyncio.gather(*pending, return_exceptions=True)
        for t in done:
            if t.exception() is not None:
                out.errors[f"client crashed: {t.exception()!r}"[:120]] += 1

    asyncio.run(main())
    out.latencies = lat.tolist()
    out.loadgen_cpu = cpu.get("end", time.process_time()) - cpu.get("start", 0.0)
    results.put(out)


def run_load(clients: list[Client], port: int, *, seconds: float, warmup: float, per_process: int = 25,
             server_pid: int | None = None, watch: dict[str, int] | None = None,
             rate: float | None = None) -> tuple[LoadResult, dict]:
    """Drive ``clients`` against 127.0.0.1:port for warmup + seconds; measure only after the warmup.

    Closed loop by default: every client sends again as soon as it is answered,
    so the server runs flat out. With ``rate`` (requests/s from all clients
    together) the load is open instead: sends at planned times (see _drive).

    Returns the merged result and the CPU use (in cores) during the measured
    window: the server's process tree, the load generator, each process in
    ``watch`` (name -> pid), and everything else on the box.
    """
    watch = dict(watch or {})
    ctx = mp.get_context("fork")
    nproc = max(1, -(-len(clients) // per_process))
    groups = [clients[i::nproc] for i in range(nproc)]
    start = time.monotonic() + 1.0  # time for the processes to fork and settle
    warm_end, end = start + warmup, start + warmup + seconds
    results = ctx.Queue()
    pace = len(clients) / rate if rate else None
    procs = [ctx.Process(target=_load_process, args=(g, port, warm_end, end, results, pace), daemon=True)
             for g in groups]
    for p in procs:
        p.start()
    if server_pid:
        watch["server"] = server_pid

    def sample():
        return machine_cpu_seconds(), {k: tree_cpu_seconds(v) for k, v in watch.items()}, time.monotonic()

    time.sleep(max(0.0, warm_end - time.monotonic()))
    cpu0 = sample()
    time.sleep(max(0.0, end - time.monotonic()))
    cpu1 = sample()
    merged = LoadResult(window=seconds, span=(warm_end, end))
    for _ in procs:
        merged.merge(results.get(timeout=120))
    for p in procs:
        p.join(10)
    wall = cpu1[2] - cpu0[2]
    usage = {name: (cpu1[1][name] - cpu0[1][name]) / wall for name in watch}
    usage.setdefault("server", 0.0)
    usage["load generator"] = merged.loadgen_cpu / wall
    usage["machine"] = (cpu1[0] - cpu0[0]) / wall
    usage["everything else"] = max(0.0, usage["machine"] - sum(v for k, v in usage.items() if k != "machine"))
    usage["load processes"] = nproc
    return merged, usage


def cpu_line(usage: dict) -> str:
    """CPU use in cores (of os.cpu_count()) during the measured window."""
    parts = []
    for name, value in usage.items():
        if name in ("machine", "load processes"):
            continue
        label = f"{name} ({usage['load processes']} proc)" if name == "load generator" else name
        parts.append(f"{label} {value:.2f}")
    return f"CPU, cores busy: {usage['machine']:.2f} of {os.cpu_count()} = " + " + ".join(parts)


def python() -> str:
    return sys.executable
