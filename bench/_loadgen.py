"""The benchmarks' HTTP load generator: simulated devices over keep-alive
connections, closed loop (flat out) or open loop (a set rate).

It speaks just enough HTTP/1.1 over asyncio streams to keep a request's
client-side cost near 0.1 ms, and runs one process per group of connections,
so on a 2-core box it does not starve for the GIL. It still shares the cores
with the server: every run prints who used the CPU.
"""
from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import random
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field

from _common import machine_cpu_seconds, percentile, tree_cpu_seconds


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

        def gap() -> float:
            return rng.expovariate(1 / pace)
        planned = now() + gap()

    def counted(t0: float, t1: float) -> bool:
        # Paced, every send planned in the window counts, answered late or not
        # (the loop sends only those); closed, those both sent and answered in it.
        return t0 >= warm_end and (pace or t1 <= end)

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
                        planned += gap()
                    await asyncio.sleep(0.05)
                    continue
            body = client.next_body()
            request = (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
            t0 = now()
            if pace:
                t0, planned = planned, planned + gap()
                inflight = t0
            try:
                writer.write(request)
                status, answer, close = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                t1 = now()
                inflight = None
                if counted(t0, t1):
                    out.errors[f"connection: {type(exc).__name__}"] += 1
                    lat.append(t1 - t0)
                writer.close()
                reader = writer = None
                continue
            t1 = now()
            inflight = None
            error = client.judge(status, answer)
            if counted(t0, t1):
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
                planned += gap()
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
