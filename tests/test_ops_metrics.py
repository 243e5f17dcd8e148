"""/metrics in Prometheus text format (also across two gunicorn workers), /healthz,
and request ids in answers and log lines."""
from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from _ops_support import Load, seed
from conftest import LiveServer, command, post_commands
from edge.ops.logs import JsonFormatter, RequestIdFilter
from edge.ops.metrics import FloorCollector


def scrape(client_or_url, **kw) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} of one /metrics answer."""
    if isinstance(client_or_url, str):
        r = requests.get(client_or_url + "/metrics", timeout=10, **kw)
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].startswith("text/plain")
        text = r.text
    else:
        r = client_or_url.get("/metrics")
        assert r.status_code == 200
        text = r.get_data(as_text=True)
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_commands_are_counted_by_result_with_their_latency(app, client, auth_for):
    from conftest import make_bin, make_item
    make_bin(app, "DOCK", kind="dock")
    make_item(app, "SKU-1")
    before = scrape(client)
    h = auth_for("receiver")
    first = command("receive", {"sku": "SKU-1", "qty": 2, "to_bin": "DOCK"})
    post_commands(client, h, first, command("receive", {"sku": "NOPE", "qty": 1, "to_bin": "DOCK"}))
    post_commands(client, h, first)  # the same id again: a duplicate
    after = scrape(client)
    delta = {k: after[k] - before.get(k, 0) for k in after}
    assert value(delta, "floorscan_commands_total", result="applied") == 1
    assert value(delta, "floorscan_commands_total", result="rejected") == 1
    assert value(delta, "floorscan_commands_total", result="duplicate") == 1
    assert value(delta, "floorscan_command_request_seconds_count") == 2
    assert value(delta, "floorscan_command_request_seconds_bucket", le="+Inf") == 2
    assert value(delta, "floorscan_command_request_seconds_sum") > 0
    assert value(after, "floorscan_ledger_last_seq") >= 1
    assert value(delta, "floorscan_http_responses_total", status="2xx") >= 3


def test_floor_gauges_exceptions_and_sync(app, client, db_path):
    app.extensions["floorscan"].write(lambda conn: conn.execute(
        "INSERT INTO exception (kind, detail, created_at) VALUES ('negative_stock', 'test', '2026-11-27T08:00:00Z')"))
    samples = scrape(client)
    assert value(samples, "floorscan_exceptions_open", kind="negative_stock") == 1
    # sync.status.read(conn) is there in this tree: backlog and lag are exported.
    assert ("floorscan_sync_backlog", ()) in samples
    assert ("floorscan_sync_lag_seconds", ()) in samples


def test_camera_station_fps_and_decode_latency(app, client):
    from edge.ledger import utcnow
    app.extensions["floorscan"].write(lambda conn: conn.execute(
        "INSERT INTO camera_station (station, status, fps, decode_ms_p50, decode_ms_p99, frames, dropped, reads, "
        "reconnects, last_seen) VALUES ('DOCK-1', 'running', 12.5, 38.0, 95.0, 1200, 3, 7, 1, ?)", (utcnow(),)))
    samples = scrape(client)
    assert value(samples, "floorscan_camera_fps", station="DOCK-1") == 12.5
    assert value(samples, "floorscan_camera_decode_seconds", station="DOCK-1", quantile="0.5") == 0.038
    assert value(samples, "floorscan_camera_decode_seconds", station="DOCK-1", quantile="0.99") == 0.095
    assert value(samples, "floorscan_camera_reads_total", station="DOCK-1") == 7
    assert value(samples, "floorscan_camera_frames_total", station="DOCK-1") == 1200
    assert value(samples, "floorscan_camera_status", station="DOCK-1", status="running") == 1
    assert 0 <= value(samples, "floorscan_camera_report_age_seconds", station="DOCK-1") < 3600


def test_without_the_camera_table_the_other_gauges_still_come(tmp_path):
    """An edge whose database predates m008_camera (or sync's tables): no camera or sync gauges, no error."""
    from prometheus_client import CollectorRegistry, generate_latest
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript((Path(__file__).parent / "data" / "edge_m001.sql").read_text())
    conn.close()
    registry = CollectorRegistry()
    registry.register(FloorCollector(str(path)))
    names = {f.name for f in text_string_to_metric_families(generate_latest(registry).decode())}
    assert "floorscan_exceptions_open" in names and "floorscan_ledger_last_seq" in names
    assert not any(n.startswith(("floorscan_camera", "floorscan_sync")) for n in names)


def test_a_scrape_sees_the_commands_of_both_workers(db_path, tmp_path):
    from prometheus_client.multiprocess import MultiProcessCollector
    seed(db_path)
    mp_dir = tmp_path / "metrics"
    server = LiveServer(db_path, env={"FLOORSCAN_WORKERS": "2", "PROMETHEUS_MULTIPROC_DIR": str(mp_dir)}).start()

    def applied_per_worker() -> dict[str, float]:
        out = {}
        for f in mp_dir.glob("counter_*.db"):
            for metric in MultiProcessCollector.merge([str(f)]):
                for s in metric.samples:
                    if s.name == "floorscan_commands_total" and s.labels == {"result": "applied"}:
                        out[f.name] = out.get(f.name, 0) + s.value
        return out
    try:
        load = Load(server.url, threads=8, per_post=1, fresh_connections=True).start()
        try:
            load.wait_for(150)
            # The server answers as soon as one worker is up; on a busy machine the other may
            # still be booting while the first 150 go by. Keep the load on until both took some.
            deadline = time.monotonic() + 120
            while len([n for n in applied_per_worker().values() if n > 0]) < 2 and time.monotonic() < deadline:
                load.wait_for(load.applied + 20)
        finally:
            applied = load.stop()
        assert not load.errors, load.errors[:3]
        per_worker = applied_per_worker()
        busy = [name for name, n in per_worker.items() if n > 0]
        assert len(busy) == 2, per_worker  # both workers applied commands
        assert sum(per_worker.values()) == applied
        for _ in range(6):  # whichever worker answers, the scrape holds every worker's count
            samples = scrape(server.url)
            assert value(samples, "floorscan_commands_total", result="applied") == applied
            assert value(samples, "floorscan_command_request_seconds_count") == load.posts
    finally:
        server.stop()


def test_metrics_token(app, client):
    app.config["METRICS_TOKEN"] = "s3cret"
    r = client.get("/metrics")
    assert r.status_code == 401 and "FLOORSCAN_METRICS_TOKEN" in r.get_data(as_text=True)
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


# -- /healthz -------------------------------------------------------------------------

def test_healthz_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "ok"
    assert {c["status"] for c in body["checks"].values()} == {"ok"}


@pytest.fixture
def own_db(tmp_path):
    """An app on a database this test may break (not db_path, which is verified after the test)."""
    from edge.app import create_app
    from edge.db import init_db
    path = tmp_path / "broken" / "edge.db"
    init_db(path)
    app = create_app({"DATABASE": str(path), "TESTING": True})
    yield app, path
    app.extensions["floorscan"].close()


def _unhealthy(client, check: str, detail: str) -> None:
    r = client.get("/healthz")
    assert r.status_code == 503
    body = r.get_json()
    assert body["status"] == "fail"
    assert body["checks"][check]["status"] == "fail"
    assert detail in body["checks"][check]["detail"], body


def test_healthz_fails_when_the_database_file_is_gone(own_db):
    app, path = own_db
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    _unhealthy(client, "database", "no database file")
    assert client.get("/metrics").status_code == 503


def test_healthz_fails_when_the_database_is_damaged(own_db):
    app, path = own_db
    client = app.test_client()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"garbage" * 1000)
    _unhealthy(client, "database", "cannot be read")


def test_healthz_fails_when_migrations_are_missing(own_db):
    app, path = own_db
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm002_settings'")
    conn.commit()
    conn.close()
    _unhealthy(app.test_client(), "database", "migrations not applied: m002_settings")


def test_healthz_fails_when_the_disk_is_nearly_full(app, client):
    app.config["HEALTH_MIN_FREE_MB"] = 10**12
    _unhealthy(client, "disk", "MB free")


def test_healthz_fails_when_the_writer_is_closed(own_db):
    app, _ = own_db
    app.extensions["floorscan"].close()
    _unhealthy(app.test_client(), "writer", "closed")


# -- request ids and log lines ----------------------------------------------------------

def test_request_id_is_echoed_or_made(client):
    assert client.get("/healthz", headers={"X-Request-Id": "hh-07:abc-123"}).headers["X-Request-Id"] == "hh-07:abc-123"
    made = client.get("/healthz").headers["X-Request-Id"]
    assert len(made) == 32
    # Not echoed when it could not be a sane id (log injection, giant values).
    for bad in ("a b", "x" * 200, 'quote"d'):
        assert client.get("/healthz", headers={"X-Request-Id": bad}).headers["X-Request-Id"] != bad
    # Problem answers carry it too.
    r = client.get("/api/v1/stock", headers={"X-Request-Id": "req-401"})
    assert r.status_code == 401 and r.headers["X-Request-Id"] == "req-401"


def test_log_lines_written_during_a_request_carry_its_id(app, client):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("edge.test_ops")
    logger.addHandler(handler)

    @app.get("/_test_log")
    def _test_log():
        logger.warning("scan for %s looked odd", "SKU-1", extra={"bin": "A-01"})
        return "ok"
    try:
        client.get("/_test_log", headers={"X-Request-Id": "req-77"})
        logger.warning("outside any request")
    finally:
        logger.removeHandler(handler)
    first, second = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert first["request_id"] == "req-77" and first["message"] == "scan for SKU-1 looked odd"
    assert first["bin"] == "A-01" and first["level"] == "WARNING" and first["logger"] == "edge.test_ops"
    assert "request_id" not in second


def test_json_formatter_includes_the_traceback():
    import sys
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("edge", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "failed" and "ValueError: boom" in line["exc"]
