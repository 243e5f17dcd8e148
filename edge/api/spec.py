"""Declare an endpoint once: route, roles, body/query models, response model.

The declaration enforces sign-in and roles, validates input with pydantic
(errors become problem details naming the field), and feeds the OpenAPI
document, so what the document says is what the server does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, g, request
from pydantic import BaseModel, ValidationError

from edge.api.errors import ApiProblem
from edge.auth import authenticate, bearer_token
from edge.problems import validation_problem

ANY_SIGNED_IN = frozenset({"picker", "receiver", "counter", "supervisor", "admin"})
SUPERVISORS = frozenset({"supervisor", "admin"})
ADMINS = frozenset({"admin"})


@dataclass
class Route:
    method: str
    path: str
    summary: str
    roles: frozenset[str] | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: Any
    status: int
    tags: tuple[str, ...]
    description: str = ""
    extra_responses: dict = field(default_factory=dict)
    request_content: dict | None = None   # OpenAPI content map for non-JSON bodies
    response_content: dict | None = None  # OpenAPI content map for non-JSON answers


ROUTES: list[Route] = []


def current_user() -> dict:
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        raise ApiProblem(401, "send Authorization: Bearer <token> from POST /api/v1/session",
                         headers={"WWW-Authenticate": "Bearer"})
    user = authenticate(current_app.extensions["floorscan"].read(), token)
    if user is None:
        raise ApiProblem(401, "the token is unknown, expired or revoked; sign in again",
                         headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return user


def _json_body() -> Any:
    # get_data(), not .data: .data is empty for form bodies, which are 415, not "no body".
    if not request.get_data():
        raise ApiProblem(400, "the request has no body; send JSON")
    if not request.is_json:
        raise ApiProblem(415, "send the body as application/json")
    try:
        body = request.get_json(silent=True)
    except RecursionError:   # silent= covers ValueError only; deep nesting ends here
        raise ApiProblem(400, "the body is not valid JSON: it is nested too deeply") from None
    if body is None:
        raise ApiProblem(400, "the body is not valid JSON")
    return body


def endpoint(bp: Blueprint, rule: str, *, method: str = "GET", roles=ANY_SIGNED_IN, body=None, query=None,
             response=None, status: int = 200, summary: str = "", tags: tuple[str, ...] = (),
             extra_responses: dict | None = None, request_content: dict | None = None,
             response_content: dict | None = None):
    """``roles=None`` makes the endpoint public."""
    def deco(fn):
        @wraps(fn)
        def view(**kwargs):
            if roles is not None:
                g.user = current_user()
                if g.user["role"] not in roles:
                    raise ApiProblem(403, f"a {g.user['role']} may not {method} {request.path} "
                                          f"(allowed: {', '.join(sorted(roles))})")
            if body is not None:
                try:
                    kwargs["body"] = body.model_validate(_json_body())
                except ValidationError as exc:
                    raise ApiProblem.from_dict(validation_problem(exc)) from None
            if query is not None:
                try:
                    kwargs["query"] = query.model_validate(request.args.to_dict())
                except ValidationError as exc:
                    raise ApiProblem.from_dict(validation_problem(exc, prefix="query")) from None
            return fn(**kwargs)

        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method])
        ROUTES.append(Route(method, (bp.url_prefix or "") + rule, summary or (fn.__doc__ or "").strip(),
                            frozenset(roles) if roles is not None else None, body, query, response,
                            status, tags, (fn.__doc__ or "").strip(), extra_responses or {},
                            request_content, response_content))
        return view
    return deco
