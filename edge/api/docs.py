"""The OpenAPI document (built from the endpoint declarations and their
pydantic models) and a vendored Swagger UI at /api/docs."""
from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, jsonify, send_from_directory
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from edge.api.spec import ROUTES, endpoint
from edge.commands import COMMAND_TYPES

bp = Blueprint("docs", __name__)
SWAGGER_DIR = Path(__file__).resolve().parent.parent / "static" / "swagger-ui"

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}
ERRORS = {400: "bad request", 401: "not signed in", 403: "role not allowed", 422: "invalid input"}


def _path(rule: str) -> tuple[str, list[str]]:
    names = re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", rule)
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule), names


def build_document() -> dict:
    models: set[type[BaseModel]] = set()
    for r in ROUTES:
        for m in (r.body, r.response):
            if isinstance(m, type) and issubclass(m, BaseModel):
                models.add(m)
    for t in COMMAND_TYPES.values():
        models.add(t.payload)
    ordered = sorted(models, key=lambda m: m.__name__)
    refs, defs = models_json_schema([(m, "validation") for m in ordered],
                                    ref_template="#/components/schemas/{model}")
    schemas = dict(defs.get("$defs", {}))
    schemas["Problem"] = PROBLEM_SCHEMA

    def ref(model):
        return refs[(model, "validation")]

    paths: dict = {}
    for r in ROUTES:
        path, names = _path(r.path)
        op: dict = {"summary": r.summary.splitlines()[0] if r.summary else "", "description": r.description,
                    "tags": list(r.tags), "operationId": f"{r.method.lower()}_{path.strip('/').replace('/', '_')}"}
        op["operationId"] = re.sub(r"[{}]", "", op["operationId"])
        params = [{"name": n, "in": "path", "required": True,
                   "schema": {"type": "integer" if f"<int:{n}>" in r.path else "string"}} for n in names]
        if r.query is not None:
            for name, f in r.query.model_fields.items():
                schema = r.query.model_json_schema()["properties"][name]
                params.append({"name": name, "in": "query", "required": f.is_required(), "schema": schema,
                               "description": f.description or ""})
        if params:
            op["parameters"] = params
        if r.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(r.body)}}}
        elif r.request_content is not None:
            op["requestBody"] = {"required": True, "content": r.request_content}
        ok: dict = {"description": "OK"}
        if r.response_content is not None:
            ok["content"] = r.response_content
        elif r.response is not None:
            ok["content"] = {"application/json": {"schema": ref(r.response)}}
        elif r.status != 204:
            ok["content"] = {"application/json": {"schema": {"type": "object"}}}
        op["responses"] = {str(r.status): ok}
        errors = dict(ERRORS)
        if r.roles is None:
            errors.pop(401)
            errors.pop(403)
        else:
            op["security"] = [{"bearer": []}]
            op["x-roles"] = sorted(r.roles)
            op["description"] += f"\n\nRoles: {', '.join(sorted(r.roles))}."
        if names:
            errors[404] = "not found"
        if r.method in ("POST", "PUT"):
            errors[409] = "conflict"
            errors[415] = "body is not JSON"
        errors.update(r.extra_responses)
        for status, text in sorted(errors.items()):
            op["responses"][str(status)] = {"description": text, "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        paths.setdefault(path, {})[r.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "floorscan edge API", "version": "1",
                 "description": "Warehouse-floor scanning: the edge server's HTTP API. Errors are RFC 9457 "
                                "problem details. Sign in with POST /api/v1/session, then send "
                                "Authorization: Bearer <token>."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


@endpoint(bp, "/api/v1/openapi.json", roles=None, tags=("docs",))
def openapi():
    """This document."""
    return jsonify(build_document())


@endpoint(bp, "/api/v1/health", roles=None, tags=("docs",))
def health():
    """Liveness check for load balancers and `floorscan serve`."""
    return jsonify({"status": "ok"})


@bp.get("/api/docs")
@bp.get("/api/docs/")
def swagger_page():
    return send_from_directory(SWAGGER_DIR, "index.html")


@bp.get("/api/docs/<path:name>")
def swagger_assets(name: str):
    return send_from_directory(SWAGGER_DIR, name)
