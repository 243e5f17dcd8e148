"""Central's endpoint declarations and the OpenAPI document built from them.

The same idea as edge/api/spec.py (one declaration: route, auth, pydantic
body/query -> validation and documentation), with central's two kinds of
caller instead of the edge's roles: a warehouse (sync token) or an ERP API
key. It keeps its own route list so the edge's document never lists
central's endpoints and the other way round.
"""
from __future__ import annotations

import logging
import re
import zlib
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, g, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from edge.api.docs import PROBLEM_SCHEMA
from edge.api.errors import ApiProblem
from edge.auth import bearer_token
from edge.problems import validation_problem

log = logging.getLogger(__name__)
MAX_BODY = 32 * 1024 * 1024  # after decompression (docs/sync.md)
AUTH_TEXT = {"warehouse": "a warehouse's sync token (floorscan central add-warehouse)",
             "api_key": "an ERP API key (floorscan central add-key)"}


@dataclass
class Route:
    method: str
    path: str
    summary: str
    description: str
    auth: str | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: Any
    status: int
    tags: tuple[str, ...]
    request_content: dict | None = None
    extra_responses: dict = field(default_factory=dict)


ROUTES: list[Route] = []


def store():
    return current_app.extensions["central"]


def bearer() -> str:
    token = bearer_token(request.headers.get("Authorization"))
    if token is None:
        raise ApiProblem(401, "send Authorization: Bearer <token>", headers={"WWW-Authenticate": "Bearer"})
    return token


def authenticate(auth: str) -> None:
    token = bearer()
    if auth == "warehouse":
        g.warehouse = store().warehouse_for_token(token)
        if g.warehouse is None:
            raise ApiProblem(401, "unknown warehouse token; floorscan central add-warehouse prints one",
                             headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    else:
        g.api_key = store().api_key_name(token)
        if g.api_key is None:
            raise ApiProblem(401, "unknown API key; floorscan central add-key prints one",
                             headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def body_bytes() -> bytes:
    """The request body, gunzipped when it says Content-Encoding: gzip, at most MAX_BODY."""
    raw = request.get_data()
    if not raw:
        raise ApiProblem(400, "the request has no body; send JSON")
    if not request.is_json:
        raise ApiProblem(415, "send the body as application/json")
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        g.body_bytes = raw
        return raw
    if encoding != "gzip":
        raise ApiProblem(415, f"Content-Encoding {encoding} is not supported; send gzip or nothing")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, MAX_BODY + 1)
    except zlib.error:
        raise ApiProblem(400, "the body says Content-Encoding: gzip but is not valid gzip") from None
    if len(out) > MAX_BODY or inflater.unconsumed_tail:
        raise ApiProblem(413, f"the body is over {MAX_BODY // (1024 * 1024)} MiB after decompression; "
                              "send smaller batches")
    if not inflater.eof:
        raise ApiProblem(400, "the gzip body is truncated")
    g.body_bytes = out
    return out


def parse_body(model: type[BaseModel]):
    try:
        return model.model_validate_json(body_bytes())
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise ApiProblem(400, "the body is not valid JSON") from None
        raise ApiProblem.from_dict(validation_problem(exc)) from None


def endpoint(bp: Blueprint, rule: str, *, method: str = "GET", auth: str | None = "api_key", body=None,
             query=None, response=None, status: int = 200, tags: tuple[str, ...] = (),
             request_content: dict | None = None, extra_responses: dict | None = None):
    """Declare a central endpoint. auth: 'warehouse', 'api_key' or None (public)."""
    def deco(fn):
        @wraps(fn)
        def view(**kwargs):
            if auth is not None:
                authenticate(auth)
            try:
                if body is not None:
                    kwargs["body"] = parse_body(body)
                if query is not None:
                    try:
                        kwargs["query"] = query.model_validate(request.args.to_dict())
                    except ValidationError as exc:
                        raise ApiProblem.from_dict(validation_problem(exc, prefix="query")) from None
                return fn(**kwargs)
            finally:
                # Every authenticated sync call is contact; batches record it in their own transaction.
                if auth == "warehouse" and not getattr(g, "contact_recorded", False):
                    try:
                        store().touch(g.warehouse)
                    except Exception:  # never hide the answer (or the real error) behind this
                        log.exception("could not record contact of %s", g.warehouse)

        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method])
        doc = (fn.__doc__ or "").strip()
        ROUTES.append(Route(method, (bp.url_prefix or "") + rule, doc.splitlines()[0] if doc else "", doc, auth,
                            body, query, response, status, tags, request_content, extra_responses or {}))
        return view
    return deco


ERRORS = {400: "bad request", 401: "no or unknown token", 415: "body is not JSON", 422: "invalid input"}


def _path(rule: str) -> tuple[str, list[str]]:
    names = re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", rule)
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule), names


def build_document(url_map=None) -> dict:
    """The document of the declared routes this app serves (a read-only central serves fewer)."""
    routes = ROUTES
    if url_map is not None:
        served = {(r.rule, m) for r in url_map.iter_rules() for m in r.methods}
        routes = [r for r in ROUTES if (r.path, r.method) in served]
    models = {m for r in routes for m in (r.body, r.response) if isinstance(m, type) and issubclass(m, BaseModel)}
    refs, defs = models_json_schema([(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
                                    ref_template="#/components/schemas/{model}")
    schemas = dict(defs.get("$defs", {}))
    schemas["Problem"] = PROBLEM_SCHEMA
    paths: dict = {}
    for r in routes:
        path, names = _path(r.path)
        op: dict = {"summary": r.summary, "description": r.description, "tags": list(r.tags),
                    "operationId": re.sub(r"[{}]", "", f"{r.method.lower()}_{path.strip('/').replace('/', '_')}")}
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names]
        if r.query is not None:
            props = r.query.model_json_schema()["properties"]
            params += [{"name": n, "in": "query", "required": f.is_required(), "schema": props[n],
                        "description": f.description or ""} for n, f in r.query.model_fields.items()]
        if params:
            op["parameters"] = params
        if r.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": refs[(r.body, "validation")]}}}
        ok: dict = {"description": "OK"}
        if r.response is not None:
            ok["content"] = {"application/json": {"schema": refs[(r.response, "validation")]}}
        op["responses"] = {str(r.status): ok}
        errors = dict(ERRORS) if r.method in ("POST", "PUT") else {400: "bad request", 401: "no or unknown token"}
        if r.auth is None:
            errors.pop(401, None)
        else:
            op["security"] = [{r.auth: []}]
            op["description"] += f"\n\nCaller: {AUTH_TEXT[r.auth]}."
        if names:
            errors[404] = "not found"
        errors.update(r.extra_responses)
        for code, text in sorted(errors.items()):
            op["responses"][str(code)] = {"description": text, "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        paths.setdefault(path, {})[r.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "floorscan central API", "version": "1",
                 "description": "The company's central store: edges sync with it (docs/sync.md), an ERP or web "
                                "shop writes master data and documents, and reports read company-wide stock. "
                                "Errors are RFC 9457 problem details."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "warehouse": {"type": "http", "scheme": "bearer", "description": AUTH_TEXT["warehouse"]},
            "api_key": {"type": "http", "scheme": "bearer", "description": AUTH_TEXT["api_key"]}}},
    }
