"""`bench/scan_load.py --trace`: where a scan's time goes, stage by stage.

The bench puts this directory on PYTHONPATH of the server it starts, so every
Python process of that server imports this module at start-up. With
FLOORSCAN_BENCH_TRACE=<directory> it wraps three methods once their modules
are imported, and each process appends what they saw to files there:

* ``edge.wal_sync.Peer.read`` (writer process): when each scan is read from a
  worker's connection;
* ``edge.wal_sync.Answerer._send`` (writer process): when its answer leaves,
  after the fsync; the difference is the scan's time inside the writer
  process (its own batch, the fsync, the send). Files ``writer-<pid>``.
* ``edge.loop_front.LoopFront._answer`` (workers): from the worker's send to
  the writer process until the answer is back. Files ``worker-<pid>``.

Each line is ``<time.monotonic() at the end> <seconds>``, so the bench keeps
the measured window only (bench/_trace.py). Nothing else changes; the
wrappers cost a few microseconds per scan. Never on a real site: the
variable is set only by the bench.
"""
from __future__ import annotations

import atexit
import importlib.abc
import importlib.util
import os
import sys
import threading
import time

DIRECTORY = os.environ.get("FLOORSCAN_BENCH_TRACE")


class _Samples:
    """(end, seconds) pairs of one kind, appended to a file every half second."""

    def __init__(self, kind: str):
        self.path = os.path.join(DIRECTORY, f"{kind}-{os.getpid()}")
        self.rows: list[tuple[float, float]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._loop, daemon=True, name="bench-trace").start()
        atexit.register(self.flush)

    def add(self, end: float, seconds: float) -> None:
        self.rows.append((end, seconds))  # list.append is atomic under the GIL

    def flush(self) -> None:
        with self.lock:
            rows, self.rows = self.rows, []
            if rows:
                with open(self.path, "a") as f:
                    f.write("".join(f"{e:.6f} {s:.6f}\n" for e, s in rows))

    def _loop(self) -> None:
        while True:
            time.sleep(0.5)
            self.flush()


def _patch_wal_sync(module) -> None:
    samples = _Samples("writer")
    arrived: dict[tuple[int, int], float] = {}
    read, send = module.Peer.read, module.Answerer._send

    def traced_read(self):
        messages = read(self)
        now = time.monotonic()
        for message in messages or ():
            if message[0] == "call":
                arrived[(id(self), message[1])] = now
        return messages

    def traced_send(answers):
        send(answers)
        now = time.monotonic()
        for peer, rid, _ in answers:
            start = arrived.pop((id(peer), rid), None)
            if start is not None:
                samples.add(now, now - start)

    module.Peer.read = traced_read
    module.Answerer._send = staticmethod(traced_send)


def _patch_loop_front(module) -> None:
    samples = _Samples("worker")
    answer = module.LoopFront._answer

    def traced_answer(self, entry, ok, value):
        now = time.perf_counter()  # what the front stamped the send with (CLOCK_MONOTONIC here too)
        samples.add(time.monotonic(), now - entry[2])
        return answer(self, entry, ok, value)

    module.LoopFront._answer = traced_answer


PATCHES = {"edge.wal_sync": _patch_wal_sync, "edge.loop_front": _patch_loop_front}


class _PatchOnImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        patch = PATCHES.get(name)
        if patch is None:
            return None
        sys.meta_path.remove(self)  # find the real spec without coming back here
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            patch(module)
        spec.loader.exec_module = exec_module
        return spec


if DIRECTORY:
    sys.meta_path.insert(0, _PatchOnImport())
