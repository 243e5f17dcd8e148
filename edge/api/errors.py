"""Turn every error into application/problem+json (RFC 9457)."""
from __future__ import annotations

import logging
from concurrent.futures import TimeoutError as FutureTimeout

from flask import Flask, jsonify
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from edge.auth import AuthError, DuplicateCredential, TooManyAttempts
from edge.ledger import LedgerError
from edge.problems import problem, validation_problem
from edge.writer import DatabaseBusy

log = logging.getLogger(__name__)


class ApiProblem(Exception):
    """An HTTP error with a problem body."""

    def __init__(self, status: int, detail: str, *, headers: dict | None = None, **extra):
        super().__init__(detail)
        self.body = problem(status, detail, **extra)
        self.headers = headers or {}

    @classmethod
    def from_dict(cls, body: dict, headers: dict | None = None) -> "ApiProblem":
        inst = cls(body["status"], body["detail"], headers=headers)
        inst.body = body
        return inst


def respond(body: dict, headers: dict | None = None):
    resp = jsonify(body)
    resp.status_code = body["status"]
    resp.mimetype = "application/problem+json"
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def install(app: Flask) -> None:
    @app.errorhandler(ApiProblem)
    def _api(exc: ApiProblem):
        return respond(exc.body, exc.headers)

    @app.errorhandler(LedgerError)
    def _ledger(exc: LedgerError):
        return respond(exc.problem())

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        return respond(validation_problem(exc))

    @app.errorhandler(TooManyAttempts)
    def _too_many(exc: TooManyAttempts):
        return respond(problem(429, str(exc)), {"Retry-After": str(exc.retry_after)})

    @app.errorhandler(DuplicateCredential)
    def _dup(exc: DuplicateCredential):
        return respond(problem(409, str(exc)))

    @app.errorhandler(AuthError)
    def _auth(exc: AuthError):
        return respond(problem(400, str(exc)))

    @app.errorhandler(DatabaseBusy)
    def _busy(exc: DatabaseBusy):
        return respond(problem(503, str(exc)), {"Retry-After": "2"})

    @app.errorhandler(FutureTimeout)
    def _slow_write(exc):
        # The job may still commit: commands are idempotent, so the handheld
        # re-sends the same ids and learns the outcome.
        return respond(problem(503, "the database is busy and the write has not finished; send the same "
                                    "request again (same command ids or Idempotency-Key) to learn its outcome"),
                       {"Retry-After": "5"})

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        detail = {
            404: "no such endpoint; see /api/v1/openapi.json",
            405: "this endpoint does not accept that method",
            413: "the request body is too large",
        }.get(status, exc.description or "")
        return respond(problem(status, detail))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        return respond(problem(500, "the server hit an unexpected error; it has been logged"))
