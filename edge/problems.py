"""RFC 9457 problem details, built without Flask so every layer can use them."""
from __future__ import annotations

from pydantic import ValidationError

BASE = "https://floorscan.dev/problems/"

TITLES = {
    400: "Bad request", 401: "Sign in required", 403: "Not allowed", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 413: "Too large", 415: "Unsupported media type",
    422: "Invalid input", 429: "Too many requests", 500: "Internal error", 503: "Unavailable",
}


def problem(status: int, detail: str, *, title: str | None = None, slug: str | None = None, **extra) -> dict:
    body = {
        "type": BASE + (slug or TITLES.get(status, "error").lower().replace(" ", "-")),
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    return body


def forbidden(detail: str) -> dict:
    return problem(403, detail)


def _loc(loc, prefix: str) -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


def validation_problem(exc: ValidationError, *, prefix: str = "", status: int = 422) -> dict:
    errors = []
    for err in exc.errors(include_url=False):
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif err["type"] == "missing":
            msg = "required"
        errors.append({"field": _loc(err["loc"], prefix), "message": msg})
    if len(errors) == 1:
        detail = f"{errors[0]['field']}: {errors[0]['message']}"
    else:
        detail = f"{len(errors)} fields are invalid: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem(status, detail, title="Invalid input", slug="validation", errors=errors)
