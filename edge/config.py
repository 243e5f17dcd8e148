"""Configuration: defaults, then an instance file, then FLOORSCAN_* environment
variables, then whatever the caller (a test) passes."""
from __future__ import annotations

import json
import os

DEFAULTS = {
    "DATABASE": "floorscan.db",
    "TOKEN_TTL_HOURS": 12.0,
    "MAX_BATCH": 500,               # commands per POST /api/v1/commands
    "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
    "GS_SUBSTITUTE": None,          # e.g. "~" when scanners send FNC1 as a tilde
    "SOCKETIO_MESSAGE_QUEUE": None, # redis://... to run several workers
    "EVENT_FLUSH_SECONDS": 0.25,    # live-event coalescing window
    "SOCKET_SWEEP_SECONDS": 30.0,   # live connections on an expired/revoked token closed this often; 0: never
    "WRITE_TIMEOUT_SECONDS": 60.0,  # a request waits this long for the writer, then 503
    "SYNCHRONOUS": "FULL",          # SQLite durability; FULL survives power loss
    "CORS_ORIGINS": [],
    "TRUSTED_PROXIES": 0,           # reverse proxies in front (TLS); 1 behind one Caddy/nginx
    "TLS_DIR": "tls",               # `floorscan tls init`'s CA and server certificate (docs/operations.md)
    "METRICS_TOKEN": None,          # if set, /metrics wants Authorization: Bearer <it>
    "HEALTH_MIN_FREE_MB": 256,      # /healthz fails below this much free disk beside the database
    "CENTRAL_URL": None,            # `serve` syncs with central here (docs/sync-edge.md)
    "CENTRAL_TOKEN": None,          # this warehouse's token at central
    "DECODE_MAX_BYTES": 10 * 1024 * 1024,  # POST /api/v1/decode photo size limit (docs/decoding.md)
    "DECODE_MAX_PIXELS": 50_000_000,       # and its pixel limit, checked from the header before decoding
    "LABEL_PRINTER_TIMEOUT_SECONDS": 5.0,  # raw ZPL to a printer's port 9100 (docs/labels.md)
    "COMMAND_LANE": True,           # scans past Flask to the writer process (edge/command_lane.py)
    "LOOP_FRONT": True,             # and answered by the worker's main thread (edge/loop_front.py)
}


def _coerce(value: str, default):
    if isinstance(default, bool):
        return value.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    if isinstance(default, list):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


def load(overrides: dict | None = None, instance_file: str | None = None) -> dict:
    config = dict(DEFAULTS)
    instance_file = instance_file or os.environ.get("FLOORSCAN_CONFIG")
    if instance_file and os.path.exists(instance_file):
        with open(instance_file) as fh:
            config.update(json.load(fh))
    for key, default in DEFAULTS.items():
        env = os.environ.get(f"FLOORSCAN_{key}")
        if env is not None:
            config[key] = _coerce(env, default) if default is not None else env
    config.update(overrides or {})
    return config
