"""The command lane: a handheld's ``POST /api/v1/commands`` straight to the
writer process, past Flask.

A scan is the one request a floor sends hundreds of times a second. Under
``floorscan serve`` with the writer process, this WSGI middleware sends the
request's token and body bytes to the writer process as they came, and sends
back the answer bytes it gets (edge/commands/lane.py does the rest there). The
worker's request thread then blocks twice per scan (reading the request,
waiting for the writer) instead of five or six times, and with 64 threads
sharing one GIL every blocking call was a wait for the thread's next turn
(docs/performance.md, step 7).

Whatever is not the common case goes to the Flask view
(``edge.api.commands``), which is the specification: no or a malformed
``Authorization``, a body that is not a JSON object with a non-empty
``commands`` list within the batch limit, another content type, no
``Content-Length``. The writer side declines too when the token is unknown or
the JSON does not parse; then the view answers, and nothing was written. A
token the writer side did not know goes straight to the view next time. An
error from the writer process (busy, lost, timed out) is raised again inside
the view, so Flask's error handlers word it as for every other request.

The answers are the same bytes, live events, metrics and request ids as the
view's; tests/test_command_lane.py holds the two paths to that.
"""
from __future__ import annotations

import io
import time

from edge import realtime
from edge.auth import bearer_token
from edge.commands.lane import UNKNOWN_TOKEN, apply_request
from edge.ops import metrics

PATH = "/api/v1/commands"
# Tokens the writer process did not know, kept per worker so that a handheld (or
# anyone on the network) repeating one costs the writer process nothing. Such a
# token goes to the view, which checks it again: one that becomes valid again (its
# user reactivated) still works, the slower way.
DECLINED_MAX = 4096
LANE_ERROR = "floorscan.lane_error"  # the view raises it again (edge/api/commands.py)
STARTED = "floorscan.started"        # edge/api/ops.py times the request from here


class CommandLane:
    def __init__(self, wsgi_app, app, remote):
        self.wsgi_app = wsgi_app
        self.app = app
        self.remote = remote
        self.limit = int(app.config["MAX_BATCH"])
        self.max_bytes = int(app.config.get("MAX_CONTENT_LENGTH") or 0)
        self.timeout = app.extensions["floorscan"].write_timeout
        self.operation = apply_request.__name__
        self.declined: set[str] = set()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi_app(environ, start_response)
        started = environ[STARTED] = time.perf_counter()  # the view's timer starts here too
        token, body = self._take(environ)
        if body is None:
            return self.wsgi_app(environ, start_response)
        try:
            answer = self.remote.run(self.operation, token, body, self.limit, timeout=self.timeout)
        except Exception as exc:  # noqa: BLE001 - the view raises it again, and Flask words it
            environ[LANE_ERROR] = exc
            answer = None
        if answer == UNKNOWN_TOKEN:
            self.decline(token)
            answer = None
        if answer is None:
            # The view reads the body again, from here.
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            return self.wsgi_app(environ, start_response)
        data, statuses, posts = answer
        self.answered(started, statuses, posts)
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def decline(self, token: str) -> None:
        """Remember a token the writer process did not know: the view's from now on."""
        if len(self.declined) >= DECLINED_MAX:
            self.declined.clear()
        self.declined.add(token)

    def answered(self, started: float, statuses: list[str], posts) -> None:
        """What every answer from the writer process does besides its bytes:
        metrics, and the live events once committed. Also the loop front's (edge/loop_front.py)."""
        try:
            metrics.record_response(200)
            metrics.record_commands(time.perf_counter() - started, statuses)
        except Exception:  # noqa: BLE001 - counting must never cost a handheld its answer
            pass
        realtime.publish(posts, self.app)

    def _take(self, environ) -> tuple[str | None, bytes | None]:
        """The bearer token and the body, or (None, None) when this request is the view's."""
        token = bearer_token(environ.get("HTTP_AUTHORIZATION"))
        if token is None or token in self.declined:
            return None, None
        if (environ.get("CONTENT_TYPE") or "").partition(";")[0].strip().lower() != "application/json":
            return None, None
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return None, None
        if length <= 0 or (self.max_bytes and length > self.max_bytes):
            return None, None
        try:
            body = environ["wsgi.input"].read(length)
        except OSError:
            return None, None  # the handheld hung up mid-body; the view says so, if anyone listens
        if len(body) != length:
            environ["wsgi.input"] = io.BytesIO(body)  # cut short: the view says what it got
            return None, None
        return token, body


def install(app, remote) -> None:
    """Put the lane in front of Flask, behind the request-id middleware, so an
    answer from either path carries an X-Request-Id."""
    if app.debug:
        return  # Flask indents its JSON in debug mode; encode_answer does not, so leave it all to the view
    outer = app.wsgi_app
    inner = getattr(outer, "app", None)
    if inner is None:
        raise RuntimeError("the command lane expects edge.ops.logs.RequestIds outermost")
    outer.app = CommandLane(inner, app, remote)
