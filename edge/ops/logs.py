"""Structured logs with request ids.

Every request gets an id: the caller's ``X-Request-Id`` when it sends a sane
one (a proxy in front, a handheld retrying), else a new one. It goes back in
the answer's ``X-Request-Id`` header and into every log line written while the
request runs, so a supervisor's "the scan at 10:02 failed" finds its lines.

``FLOORSCAN_LOG_FORMAT``: ``json`` (one JSON object per line, what journald
and log shippers want), ``text``, or ``auto`` (the default: text on a
terminal, JSON otherwise, e.g. under systemd).
"""
from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import os
import re
import sys

from gunicorn.glogging import Logger as GunicornBaseLogger

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("floorscan_request_id", default=None)
SANE_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
# LogRecord's own attributes; anything else on a record was passed as extra=.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}


def current_request_id() -> str | None:
    return _request_id.get()


class RequestIds:
    """WSGI middleware: X-Request-Id in and out, and in the log lines meanwhile."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        given = environ.get("HTTP_X_REQUEST_ID", "")
        rid = given if given and SANE_ID.match(given) else os.urandom(16).hex()  # uuid4() is 5x slower
        environ["floorscan.request_id"] = rid
        token = _request_id.set(rid)

        def start(status, headers, exc_info=None):
            headers = [h for h in headers if h[0].lower() != "x-request-id"] + [("X-Request-Id", rid)]
            return start_response(status, headers, exc_info)
        try:
            return self.app(environ, start)
        finally:
            _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        out = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        rid = getattr(record, "request_id", None)
        if rid:
            out["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s")

    def format(self, record):
        line = super().format(record)
        rid = getattr(record, "request_id", None)
        return f"{line} [request {rid}]" if rid else line


def log_format() -> str:
    wanted = os.environ.get("FLOORSCAN_LOG_FORMAT", "auto").strip().lower()
    if wanted in ("json", "text"):
        return wanted
    return "text" if sys.stderr.isatty() else "json"


def formatter(kind: str | None = None) -> logging.Formatter:
    return JsonFormatter() if (kind or log_format()) == "json" else TextFormatter()


def configure_root(kind: str | None = None) -> None:
    """Send this process's log records (edge.*, sync.*, ...) to stderr in the chosen format."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_floorscan", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._floorscan = True
    handler.setFormatter(formatter(kind))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


class GunicornLogger(GunicornBaseLogger):
    """gunicorn's logger with floorscan's format; the access log only when asked for (FLOORSCAN_ACCESS_LOG)."""

    def setup(self, cfg):
        super().setup(cfg)
        kind = log_format()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter(kind))
                handler.addFilter(RequestIdFilter())
        configure_root(kind)

    def _compute_access_log_enabled(self):
        return bool(self.cfg.accesslog)

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        rid = next((v for k, v in (resp.headers or ()) if k.lower() == "x-request-id"),
                   environ.get("floorscan.request_id"))
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        fields = {
            "request_id": rid, "method": environ.get("REQUEST_METHOD"), "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING") or None, "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "remote": environ.get("REMOTE_ADDR"), "user_agent": environ.get("HTTP_USER_AGENT"),
        }
        try:
            self.access_log.info("%s %s %s", fields["method"], fields["path"], fields["status"], extra=fields)
        except Exception:  # noqa: BLE001 - a log line must never fail a request
            pass
