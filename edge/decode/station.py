"""A fixed camera over a dock door: frames in, pallets received.

    capture thread --(bounded queue, drops oldest)--> decode loop --> reads
                                                                    |-> SSCC of an open ASN: receipt.pallet
                                                                    '-> anything else: logged as a station read
    report thread: every few seconds, frames/s, decode p50/p99 and reads to the edge

The capture thread owns cv2.VideoCapture. A live source (rtsp://, http://,
/dev/videoN) that stops giving frames is reopened with exponential backoff
and jitter; a file ends the run when it is played through. Decoding slower
than the camera never grows memory: the queue holds `queue_size` frames and
the oldest is dropped (counted in `dropped`). A file is read at decoding
speed without dropping (nothing is live), unless `realtime` asks to play it
at its own frame rate like a camera would.
"""
from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from edge.decode.engines import Code
from edge.decode.pipeline import Pipeline
from edge.ids import new_id
from edge.scans import DictCatalog, interpret

log = logging.getLogger(__name__)

_EMPTY = DictCatalog()   # the station reads SSCCs itself; the edge knows the rest


def is_live(source: str) -> bool:
    return "://" in source or source.startswith("/dev/video") or source.isdigit()


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FrameSource:
    """cv2.VideoCapture in a thread, feeding a bounded queue; reconnects live sources."""

    END = None

    def __init__(self, source: str, *, queue_size: int = 2, realtime: bool = False,
                 backoff: tuple[float, float] = (0.5, 30.0), capture=None):
        self.source = source
        self.live = is_live(source) or realtime
        self.realtime = realtime
        self.frames: queue.Queue = queue.Queue(maxsize=queue_size)
        self.backoff = backoff
        self.dropped = 0
        self.reconnects = 0
        self.status = "starting"
        self.last_error: str | None = None
        self._open = capture or _open_capture
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-capture", daemon=True)

    def start(self) -> "FrameSource":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        delay = self.backoff[0]
        while not self._stop.is_set():
            cap = self._open(self.source)
            if cap is None or not cap.isOpened():
                self.last_error = f"cannot open {redact(self.source)}"
                if not is_live(self.source):
                    break
                self._wait_reconnect(delay)
                delay = min(delay * 2, self.backoff[1])
                continue
            self.status = "running"
            period = 1 / (cap.get(5) or 25) if self.realtime else 0   # 5 = CAP_PROP_FPS
            got_any = self._pump(cap, period)
            cap.release()
            if not is_live(self.source):
                break           # a file played through
            if got_any:
                delay = self.backoff[0]
            self.last_error = f"{redact(self.source)} stopped sending frames"
            self._wait_reconnect(delay)
            delay = min(delay * 2, self.backoff[1])
        self.status = "stopped"
        self._put(self.END, block=True)

    def _pump(self, cap, period: float) -> bool:
        got_any = False
        next_at = time.monotonic()
        while not self._stop.is_set():
            ok, frame = cap.read()
            if not ok or frame is None:
                return got_any
            got_any = True
            self._put(frame, block=not self.live)
            if period:
                next_at += period
                time.sleep(max(0.0, next_at - time.monotonic()))
        return got_any

    def _put(self, item, block: bool) -> None:
        while True:
            try:
                self.frames.put(item, block=block, timeout=0.5 if block else None)
                return
            except queue.Full:
                if block:
                    if self._stop.is_set():
                        return
                    continue
                try:   # live: the newest frame matters, drop the oldest
                    self.frames.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass

    def _wait_reconnect(self, delay: float) -> None:
        self.status = "reconnecting"
        self.reconnects += 1
        self._stop.wait(delay * random.uniform(0.8, 1.2))


def _open_capture(source: str):
    import cv2
    if source.isdigit():
        return cv2.VideoCapture(int(source))
    return cv2.VideoCapture(source)


def redact(source: str) -> str:
    """rtsp://user:secret@cam/... -> rtsp://***@cam/...: reports never carry camera passwords."""
    if "://" in source and "@" in source.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = source.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return source


@dataclass
class Read:
    """One code the station saw, after repeat suppression."""

    code: Code
    at: str
    scan: dict
    id: str = field(default_factory=new_id)

    @property
    def sscc(self) -> str | None:
        return self.scan.get("sscc") if self.scan.get("kind") == "sscc" else None


class Repeats:
    """The same code again within `window` seconds of its last sighting is the same
    label still (or again) in view: one read per pass under the camera."""

    def __init__(self, window: float):
        self.window = window
        self.last: dict[tuple, float] = {}

    def is_new(self, key: tuple, t: float) -> bool:
        seen = self.last.get(key)
        self.last[key] = t
        if len(self.last) > 10_000:   # bounded: forget what left the window
            self.last = {k: v for k, v in self.last.items() if t - v <= self.window}
        return seen is None or t - seen > self.window


class Stats:
    def __init__(self, keep: int = 500):
        self.latencies: deque[float] = deque(maxlen=keep)
        self.frames = 0
        self.reads = 0
        self._window: deque[float] = deque()

    def frame(self, ms: float, t: float) -> None:
        self.frames += 1
        self.latencies.append(ms)
        self._window.append(t)

    def fps(self, t: float, span: float = 5.0) -> float:
        while self._window and t - self._window[0] > span:
            self._window.popleft()
        return round(len(self._window) / span, 2) if self._window else 0.0

    def percentile(self, p: float) -> float | None:
        if not self.latencies:
            return None
        return round(float(np.percentile(np.fromiter(self.latencies, float), p)), 2)


class Station:
    """Decode frames from a FrameSource, suppress repeats, hand reads to `on_read`."""

    def __init__(self, name: str, source: FrameSource, on_read, *, pipeline: Pipeline | None = None,
                 repeat_window: float = 10.0, clock=time.monotonic):
        self.name = name
        self.source = source
        self.on_read = on_read
        self.pipeline = pipeline or Pipeline("camera")
        self.repeats = Repeats(repeat_window)
        self.stats = Stats()
        self.clock = clock
        self.started_at = now_iso()
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()
        self.source.stop()

    def run(self) -> None:
        """Until the source ends or stop() is called."""
        while not self._stop.is_set():
            try:
                frame = self.source.frames.get(timeout=0.5)
            except queue.Empty:
                continue
            if frame is FrameSource.END:
                break
            self.process(frame)

    def process(self, frame: np.ndarray) -> list[Read]:
        result = self.pipeline.decode(frame)
        t = self.clock()
        self.stats.frame(result.ms, t)
        reads = []
        for code in result.codes:
            if not self.repeats.is_new(code.key(), t):
                continue
            read = Read(code, now_iso(), interpret(code.scan, code.symbology, catalog=_EMPTY))
            self.stats.reads += 1
            reads.append(read)
            try:
                self.on_read(read)
            except Exception:  # noqa: BLE001 - one bad read must not stop the camera
                log.exception("handling read %r failed", code.scan)
        return reads

    def status(self) -> dict:
        t = self.clock()
        return {"status": self.source.status, "source": redact(self.source.source), "fps": self.stats.fps(t),
                "decode_ms_p50": self.stats.percentile(50), "decode_ms_p99": self.stats.percentile(99),
                "frames": self.stats.frames, "dropped": self.source.dropped, "reads": self.stats.reads,
                "reconnects": self.source.reconnects, "last_error": self.source.last_error,
                "started_at": self.started_at}
