"""Operations endpoints: /healthz, /metrics, and /ca (trust the edge's CA on a handheld).

These are for monitors and for a phone that has not signed in, so they sit
outside /api/v1 and need no token (set FLOORSCAN_METRICS_TOKEN to protect
/metrics). The request counters are kept by hooks registered here, so the
blueprints they measure stay as they are.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import re
import shutil
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, g, jsonify, render_template_string, request

from edge.api.common import edge
from edge.ops import metrics, tls
from edge.ops.ca_page import PAGE

bp = Blueprint("ops", __name__)
log = logging.getLogger("edge.ops")

COMMANDS_ENDPOINT = "commands.post_commands"
RESULT_STATUS = re.compile(rb'"status":\s*"(applied|duplicate|rejected)"')


@bp.before_app_request
def _started():
    # The command lane (edge/command_lane.py) started the clock before it read the body.
    g.ops_started = request.environ.get("floorscan.started") or time.perf_counter()


@bp.after_app_request
def _finished(response):
    try:
        metrics.record_response(response.status_code)
        if request.endpoint == COMMANDS_ENDPOINT and request.method == "POST":
            started = g.get("ops_started")
            # Each result's status, read from the answer's bytes: parsing the JSON
            # again would cost a handheld's request ~5x more. Only results carry
            # these three string values under "status" (problems' status is a number).
            results = (RESULT_STATUS.findall(response.get_data()) if response.status_code == 200
                       and not response.direct_passthrough else [])
            if started is not None:
                metrics.record_commands(time.perf_counter() - started, [r.decode() for r in results])
    except Exception:  # noqa: BLE001 - counting must never cost a handheld its answer
        log.exception("could not record metrics")
    return response


def _database_check(path: str) -> dict:
    from edge.migrations import migrations
    if not os.path.exists(path):
        return {"status": "fail", "detail": "no database file where FLOORSCAN_DATABASE says"}
    try:
        # A fresh read-only connection: the server's own are open already and
        # would not notice a file that was replaced, removed or damaged.
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            applied = {r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")}
            last_seq = conn.execute("SELECT coalesce(max(seq), 0) FROM movement").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return {"status": "fail", "detail": f"the database cannot be read: {exc}"}
    pending = [m.name for m in migrations._migrations if m.name not in applied]
    if pending:
        return {"status": "fail", "detail": f"migrations not applied: {', '.join(pending)}"}
    if not os.access(path, os.W_OK) or not os.access(os.path.dirname(path) or ".", os.W_OK):
        return {"status": "fail", "detail": "the database or its directory is not writable"}
    return {"status": "ok", "last_seq": last_seq}


def _disk_check(path: str) -> dict:
    minimum = float(current_app.config.get("HEALTH_MIN_FREE_MB") or 0)
    free_mb = shutil.disk_usage(os.path.dirname(path) or ".").free / 2**20
    if free_mb < minimum:
        return {"status": "fail", "free_mb": round(free_mb), "detail": f"under {minimum:g} MB free"}
    return {"status": "ok", "free_mb": round(free_mb)}


def _writer_check() -> dict:
    remote = current_app.extensions.get("floorscan_writer_process")
    if remote is not None:
        if not os.path.exists(remote.address):
            return {"status": "fail", "detail": "the writer process's socket is gone"}
        return {"status": "ok", "kind": "process"}
    if getattr(edge().writer, "_closed", False):
        return {"status": "fail", "detail": "the writer is closed"}
    return {"status": "ok", "kind": "in-process"}


@bp.get("/healthz")
def healthz():
    """200 while this edge can take scans; 503 (with the failing check) when it cannot."""
    path = edge().path
    checks = {"database": _database_check(path)}
    if checks["database"]["status"] == "ok":
        checks["disk"] = _disk_check(path)
    checks["writer"] = _writer_check()
    ok = all(c["status"] == "ok" for c in checks.values())
    resp = jsonify({"status": "ok" if ok else "fail", "checks": checks})
    resp.status_code = 200 if ok else 503
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/metrics")
def prometheus_metrics():
    """Prometheus text format (docs/operations.md, "Monitoring")."""
    token = current_app.config.get("METRICS_TOKEN")
    if token and request.headers.get("Authorization", "") != f"Bearer {token}":
        return Response("send Authorization: Bearer <FLOORSCAN_METRICS_TOKEN>\n", status=401,
                        mimetype="text/plain", headers={"WWW-Authenticate": "Bearer"})
    try:
        body, content_type = metrics.exposition(edge().path)
    except sqlite3.Error as exc:
        return Response(f"the database cannot be read: {exc}\n", status=503, mimetype="text/plain")
    return Response(body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})


def _tls_dir() -> Path:
    return Path(current_app.config.get("TLS_DIR") or tls.default_dir())


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _app_urls() -> list[str]:
    """https addresses of the handheld app: the one this page was opened at first
    (unless it is loopback), then the server certificate's other names."""
    try:
        parts = urlsplit(f"//{request.host}")
        hostname, port = parts.hostname or "", parts.port
    except ValueError:
        hostname, port = "", None
    suffix = f":{port}" if port and port != 443 else ""
    urls = []
    if hostname and not _is_loopback(hostname):
        shown = f"[{hostname}]" if ":" in hostname else hostname
        urls.append(f"https://{shown}{suffix}/app/")
    for name in tls.server_hosts(_tls_dir()):
        if _is_loopback(name):
            continue
        shown = f"[{name}]" if ":" in name else name
        url = f"https://{shown}{suffix}/app/"
        if url not in urls:
            urls.append(url)
    return urls


@bp.get("/ca")
def ca_page():
    """Download the CA certificate, install steps for Android and iOS, and a QR code of the app's address."""
    import segno
    pem = tls.ca_pem(_tls_dir())
    urls = _app_urls()
    qr = segno.make(urls[0], error="m").svg_inline(scale=6, border=2) if urls else ""
    ca_name = ""
    if pem:
        from cryptography import x509
        from cryptography.x509.oid import NameOID
        subject = x509.load_pem_x509_certificate(pem).subject
        ca_name = subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    html = render_template_string(PAGE, ca=pem is not None, fingerprint=tls.fingerprint(pem) if pem else "",
                                  ca_name=ca_name, url=urls[0] if urls else None, others=urls[1:], qr=qr)
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})


@bp.get("/ca.crt")
def ca_certificate():
    """The CA certificate (PEM); iOS and Android both install it from this type."""
    pem = tls.ca_pem(_tls_dir())
    if pem is None:
        return Response("this edge has no CA yet: run `floorscan tls init` on the edge box\n", status=404,
                        mimetype="text/plain")
    return Response(pem, mimetype="application/x-x509-ca-cert",
                    headers={"Content-Disposition": 'attachment; filename="floorscan-ca.crt"',
                             "Cache-Control": "no-store"})
