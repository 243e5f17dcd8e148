"""gunicorn settings for running the edge with plain `gunicorn` (the Redis alternative).

The supported way to serve the edge is `floorscan serve` (floorscan-edge.service):
it is gunicorn with these same settings from edge/serve.py, plus what plain
gunicorn cannot do from a config file: it starts the writer process that lets
two workers share one SQLite group commit (docs/performance.md).

This file is for one case: several gunicorn instances (on this box or others,
each ONE worker with its own in-process writer) behind nginx with sticky
sessions, live events carried between them by Redis:

    FLOORSCAN_DATABASE=/var/lib/floorscan/edge.db \
    FLOORSCAN_SOCKETIO_MESSAGE_QUEUE=redis://127.0.0.1:6379/0 \
    FLOORSCAN_BIND=127.0.0.1:8001 \
    gunicorn -c deploy/gunicorn.conf.py edge.wsgi:app

Why one worker per instance: a worker without the writer process has its own
writer, and Socket.IO long-polling must reach the process that opened the
session. One worker per instance keeps that true, and nginx's ip_hash keeps
each handheld on one instance (deploy/nginx/edge-redis.conf). deploy/README.md
says when this is worth it (rarely: on a 2-core box `floorscan serve` is faster).
"""
import os

from edge.serve import options

_host, _, _port = os.environ.get("FLOORSCAN_BIND", "127.0.0.1:8001").rpartition(":")
_settings = options(_host, int(_port), threads=int(os.environ.get("FLOORSCAN_THREADS", "64")), workers=1)

bind = _settings["bind"]
workers = 1
worker_class = _settings["worker_class"]   # edge.serve.EdgeThreadWorker: gthread, keeps busy connections
threads = _settings["threads"]             # each websocket (simple-websocket) holds one thread
timeout = _settings["timeout"]             # 0: a long-poll or websocket is not a hung worker
graceful_timeout = _settings["graceful_timeout"]
keepalive = _settings["keepalive"]
accesslog = _settings["accesslog"]
loglevel = _settings["loglevel"]
logger_class = _settings["logger_class"]   # JSON lines with request ids (edge/ops/logs.py)
control_socket_disable = True
