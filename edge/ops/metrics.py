"""Prometheus metrics for the edge: what handhelds do, and what the floor needs attention for.

Two kinds of figures:

* counted in the request path (commands by result, the latency of
  ``POST /api/v1/commands``, HTTP answers by status class). With several
  gunicorn workers each worker counts its own, so these use prometheus-client's
  multiprocess mode: every worker writes its values to small mmapped files in
  ``PROMETHEUS_MULTIPROC_DIR`` and a scrape, whichever worker answers it,
  adds up all the files. `floorscan serve` creates that directory before the
  workers start (:func:`prepare_multiprocess`).
* read from the database at scrape time (open exceptions, the ledger's last
  seq, sync backlog and lag, camera stations' frames/s and decode latency):
  the database is shared, so any worker can answer them.
"""
from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# POST /api/v1/commands takes ~20-100 ms under load on a 2-core box (docs/performance.md).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def prepare_multiprocess() -> str:
    """In the gunicorn master, before any worker imports prometheus_client.

    Uses ``PROMETHEUS_MULTIPROC_DIR`` if set (emptied: figures from a previous
    run would be added to this one's), else a fresh directory removed at exit.
    """
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink(missing_ok=True)
        return directory
    directory = tempfile.mkdtemp(prefix="floorscan-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    master = os.getpid()
    atexit.register(lambda: os.getpid() == master and shutil.rmtree(directory, ignore_errors=True))
    return directory


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


class _Metrics:
    def __init__(self):
        # Imported here, not at module level: prometheus_client picks its
        # value storage (in-memory or multiprocess files) when it is imported.
        from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
        disable_created_metrics()  # *_created series only double the scrape; multiprocess mode has none
        self.registry = CollectorRegistry()
        self.commands = Counter("floorscan_commands", "Commands handled by POST /api/v1/commands, by result "
                                "(applied, duplicate, rejected)", ["result"], registry=self.registry)
        self.command_seconds = Histogram("floorscan_command_request_seconds",
                                         "Time to answer POST /api/v1/commands (one request, any batch size)",
                                         buckets=LATENCY_BUCKETS, registry=self.registry)
        self.http = Counter("floorscan_http_responses", "HTTP answers by status class (2xx, 4xx, 5xx)",
                            ["status"], registry=self.registry)
        self.front = Counter("floorscan_loop_front_requests", "Scans the workers' main threads took "
                             "(edge/loop_front.py): answered there, or handed on to a request thread",
                             ["outcome"], registry=self.registry)
        self.by_front = {o: self.front.labels(o) for o in ("answered", "handed_on")}
        # Children made once (a labels() lookup per command costs more than the count):
        # also present, as 0, before the first command.
        self.by_result = {r: self.commands.labels(r) for r in ("applied", "duplicate", "rejected")}
        self.by_status = {c: self.http.labels(f"{c}xx") for c in range(1, 6)}


_metrics: _Metrics | None = None
_lock = threading.Lock()


def metrics() -> _Metrics:
    global _metrics
    if _metrics is None:
        with _lock:
            if _metrics is None:
                _metrics = _Metrics()
    return _metrics


def record_commands(seconds: float, statuses: list[str]) -> None:
    m = metrics()
    m.command_seconds.observe(seconds)
    for status in statuses:
        child = m.by_result.get(status)
        if child is not None:
            child.inc()


def record_front(outcome: str) -> None:
    metrics().by_front[outcome].inc()


def record_response(status: int) -> None:
    m = metrics()
    child = m.by_status.get(status // 100)
    (child or m.http.labels(f"{status // 100}xx")).inc()


class FloorCollector:
    """Gauges read from the edge database at scrape time."""

    def __init__(self, db_path: str):
        self.db_path = db_path

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=5)
        conn.row_factory = sqlite3.Row
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            yield from self._exceptions(conn, GaugeMetricFamily)
            last = conn.execute("SELECT coalesce(max(seq), 0) FROM movement").fetchone()[0]
            g = GaugeMetricFamily("floorscan_ledger_last_seq", "The newest movement's seq (the ledger's length)")
            g.add_metric([], last)
            yield g
            yield from self._sync(conn, GaugeMetricFamily)
            if "camera_station" in tables:
                yield from self._cameras(conn, GaugeMetricFamily)
        finally:
            conn.close()

    @staticmethod
    def _exceptions(conn, Gauge):
        g = Gauge("floorscan_exceptions_open", "Exceptions waiting for a supervisor, by kind", labels=["kind"])
        for row in conn.execute("SELECT kind, count(*) FROM exception WHERE status = 'open' GROUP BY kind"):
            g.add_metric([row[0]], row[1])
        yield g

    @staticmethod
    def _sync(conn, Gauge):
        """sync.status.read(conn) when the sync package has it; nothing otherwise."""
        try:
            from sync import status as sync_status
            state = sync_status.read(conn)
        except (ImportError, AttributeError):
            return
        except sqlite3.Error:
            return  # no sync tables yet (migration m007_sync not applied)
        if not isinstance(state, dict):
            state = getattr(state, "__dict__", {}) or {}
        wanted = {
            "floorscan_sync_backlog": ("Movements not yet acknowledged by central",
                                        ("backlog", "movements_backlog", "pending")),
            "floorscan_sync_lag_seconds": ("Age of the oldest movement central does not hold yet",
                                           ("lag_seconds", "lag")),
            "floorscan_sync_outbox_pending": ("Documents waiting in the sync outbox",
                                              ("outbox_pending", "outbox_backlog")),
            "floorscan_sync_seconds_since_success": ("Seconds since the last successful sync round",
                                                     ("seconds_since_success",)),
            "floorscan_sync_failures": ("Failed sync rounds since the last success", ("failures",)),
        }
        for name, (helptext, keys) in wanted.items():
            value = next((state[k] for k in keys if isinstance(state.get(k), (int, float))
                          and not isinstance(state.get(k), bool)), None)
            if value is not None:
                g = Gauge(name, helptext)
                g.add_metric([], float(value))
                yield g
        if isinstance(state.get("status"), str):
            g = Gauge("floorscan_sync_status", "1 for the sync loop's current state "
                      "(ok, retrying, starting, not configured)", labels=["status"])
            g.add_metric([state["status"]], 1)
            yield g

    @staticmethod
    def _cameras(conn, Gauge):
        """Dock camera stations' last health reports (camera_station, migration m008_camera)."""
        from prometheus_client.core import CounterMetricFamily
        columns = {r["name"] for r in conn.execute("PRAGMA table_info(camera_station)")}
        if "station" not in columns:
            return
        rows = [dict(r) for r in conn.execute("SELECT * FROM camera_station ORDER BY station")]
        now = time.time()

        def number(row, column):
            value = row.get(column)
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

        fps = Gauge("floorscan_camera_fps", "Frames per second a dock camera station decodes", labels=["station"])
        decode = Gauge("floorscan_camera_decode_seconds", "Decode time per frame at a camera station "
                       "(its own median and 99th percentile)", labels=["station", "quantile"])
        age = Gauge("floorscan_camera_report_age_seconds", "Seconds since the station's last report "
                    "(a stopped or unplugged station stops reporting)", labels=["station"])
        state = Gauge("floorscan_camera_status", "1 for the station's reported status", labels=["station", "status"])
        totals = {c: CounterMetricFamily(f"floorscan_camera_{c}", f"{c.capitalize()} counted by the station "
                                         "since it started", labels=["station"])
                  for c in ("frames", "dropped", "reads", "reconnects") if c in columns}
        for row in rows:
            station = str(row["station"])
            if number(row, "fps") is not None:
                fps.add_metric([station], number(row, "fps"))
            for column, quantile in (("decode_ms_p50", "0.5"), ("decode_ms_p99", "0.99")):
                if number(row, column) is not None:
                    decode.add_metric([station, quantile], number(row, column) / 1000)
            if row.get("status"):
                state.add_metric([station, str(row["status"])], 1)
            seen = _epoch(row.get("last_seen"))
            if seen is not None:
                age.add_metric([station], max(0.0, now - seen))
            for column, family in totals.items():
                if number(row, column) is not None:
                    family.add_metric([station], number(row, column))
        yield from (fps, decode, age, state, *totals.values())


def _epoch(stamp) -> float | None:
    if not isinstance(stamp, str):
        return None
    try:
        return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def exposition(db_path: str) -> tuple[bytes, str]:
    """The /metrics answer: (body, content type)."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    registry = CollectorRegistry()
    if multiprocess():
        from prometheus_client import multiprocess as mp
        metrics()  # this worker's files exist even before its first request
        mp.MultiProcessCollector(registry)
    else:
        registry.register(_Proxy(metrics().registry))
    registry.register(FloorCollector(db_path))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Proxy:
    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        return self.registry.collect()
