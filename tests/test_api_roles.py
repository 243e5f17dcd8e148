"""Who may call what: generated from edge.api.spec.ROUTES, so a new endpoint is
covered the moment it is declared, plus the promised roles of the endpoints
outside tools depend on, and the roles of each command type."""
from __future__ import annotations

import re

import pytest

from conftest import PINS, add_users, assert_verified, command, sign_in
from edge.api import spec
from edge.app import create_app
from edge.commands import COMMAND_TYPES

ROLES = ("picker", "receiver", "counter", "supervisor", "admin")
PROBLEM = "application/problem+json"


def _load_all_routes():
    # ROUTES fills as the blueprint modules are imported; import every one now so
    # the parametrized tests below see each endpoint.
    import importlib
    import pkgutil

    import edge.api
    for mod in pkgutil.iter_modules(edge.api.__path__):
        importlib.import_module(f"edge.api.{mod.name}")
    for name in edge.api.installed(edge.api.EXTENSIONS):  # blueprints that live in other packages
        importlib.import_module(name)


_load_all_routes()
ROUTES = list(spec.ROUTES)


def url(route) -> str:
    # "1" is a valid value for every converter (string or int): the role check runs before the handler.
    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "1", route.path)


def call(client, route, headers=None):
    kw = {"json": {}} if route.body is not None else {}
    return client.open(url(route), method=route.method, headers=headers or {}, **kw)


@pytest.fixture(scope="module")
def roles_app(tmp_path_factory):
    from edge.db import init_db
    path = str(tmp_path_factory.mktemp("roles") / "edge.db")
    init_db(path)
    app = create_app({"DATABASE": path, "TESTING": True})
    add_users(app)
    yield app
    app.extensions["floorscan"].close()
    assert_verified(path)  # whatever the generated requests did, `floorscan verify` still agrees


@pytest.fixture(scope="module")
def tokens(roles_app):
    client = roles_app.test_client()
    return {role: sign_in(client, PINS[role]) for role in ROLES}


def headers_for(roles_app, tokens, route, role):
    if route.method == "DELETE" and route.path == "/api/v1/session":
        return sign_in(roles_app.test_client(), PINS[role])  # signing out must not spend the shared token
    return tokens[role]


def route_id(route) -> str:
    return f"{route.method} {route.path}"


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_signed_out(roles_app, route):
    r = call(roles_app.test_client(), route)
    if route.roles is None:
        assert r.status_code not in (401, 403), r.get_data(as_text=True)
    else:
        assert r.status_code == 401, r.get_data(as_text=True)
        assert r.mimetype == PROBLEM
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_roles_are_enforced(roles_app, tokens, route):
    client = roles_app.test_client()
    for role in ROLES:
        r = call(client, route, headers_for(roles_app, tokens, route, role))
        allowed = route.roles is None or role in route.roles
        if allowed:
            assert r.status_code not in (401, 403, 500), (role, r.get_data(as_text=True))
        else:
            assert r.status_code == 403, (role, r.get_data(as_text=True))
            assert r.mimetype == PROBLEM
            body = r.get_json()
            assert body["detail"].startswith(f"a {role} may not {route.method} ")
            assert ", ".join(sorted(route.roles)) in body["detail"]


def test_every_api_rule_is_declared_with_roles(roles_app):
    declared = {(r.method, r.path) for r in ROUTES}
    for rule in roles_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, rule.rule) in declared, f"{method} {rule.rule} is not declared with edge.api.spec.endpoint"


ANY = set(ROLES)
PROMISED = {
    ("POST", "/api/v1/session"): None,
    ("DELETE", "/api/v1/session"): ANY,
    ("GET", "/api/v1/me"): ANY,
    ("POST", "/api/v1/scan"): ANY,
    ("POST", "/api/v1/commands"): ANY,
    ("GET", "/api/v1/stock"): ANY,
    ("GET", "/api/v1/items"): ANY,
    ("GET", "/api/v1/bins"): ANY,
    ("GET", "/api/v1/barcodes"): ANY,
    ("POST", "/api/v1/items"): {"supervisor", "admin"},
    ("PUT", "/api/v1/items/<sku>"): {"supervisor", "admin"},
    ("POST", "/api/v1/bins"): {"supervisor", "admin"},
    ("POST", "/api/v1/barcodes"): {"supervisor", "admin"},
    ("GET", "/api/v1/exceptions"): {"supervisor", "admin"},
    ("POST", "/api/v1/exceptions/<int:exc_id>/resolve"): {"supervisor", "admin"},
    ("GET", "/api/v1/count-requests"): {"counter", "supervisor", "admin"},
    ("POST", "/api/v1/users"): {"admin"},
    ("GET", "/api/v1/openapi.json"): None,
}


@pytest.mark.parametrize("key", PROMISED, ids=lambda k: f"{k[0]} {k[1]}")
def test_promised_roles(key):
    [route] = [r for r in ROUTES if (r.method, r.path) == key]
    expect = PROMISED[key]
    assert (route.roles is None) == (expect is None)
    if expect is not None:
        assert set(route.roles) == expect


# -- command types: the role check inside POST /api/v1/commands ------------------------------

@pytest.mark.parametrize("ctype", sorted(COMMAND_TYPES))
def test_command_type_roles_are_enforced(roles_app, tokens, ctype):
    client = roles_app.test_client()
    allowed = COMMAND_TYPES[ctype].roles
    for role in ROLES:
        # An empty payload: an allowed role gets past the role check to the payload's 422.
        r = client.post("/api/v1/commands", json={"commands": [command(ctype, {})]}, headers=tokens[role])
        assert r.status_code == 200
        [result] = r.get_json()["results"]
        assert result["status"] == "rejected"
        if role in allowed:
            assert result["problem"]["status"] == 422, (role, result)
        else:
            assert result["problem"]["status"] == 403, (role, result)
            assert f"a {role} may not send {ctype} commands" in result["problem"]["detail"]


@pytest.mark.parametrize("ctype,expect", [("receive", {"receiver", "supervisor", "admin"}),
                                          ("move", ANY),
                                          ("adjust", {"counter", "supervisor", "admin"})])
def test_promised_command_roles(ctype, expect):
    assert set(COMMAND_TYPES[ctype].roles) == expect
