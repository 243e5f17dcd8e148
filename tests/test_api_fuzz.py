"""Schemathesis against the app's own OpenAPI document: no input yields a 500.

Valid (positive) and schema-violating (negative) requests for every
documented operation, signed in as a supervisor so most requests get past
the role check into the real code, with a little master data in place so
generated keys sometimes hit real rows. FUZZ_EXAMPLES=500 runs a longer hunt.

schemathesis' pytest loader (``from_fixture(...).parametrize()``) fails under
the installed pytest 9 (it reads a private ``_nodeid``), so each operation's
strategy is driven by hypothesis directly.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

import edge.api
from conftest import PINS, add_users, assert_verified, make_bin, make_item, sign_in
from edge.api.spec import ROUTES
from edge.app import create_app

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))

for _mod in pkgutil.iter_modules(edge.api.__path__):  # fill ROUTES before parametrizing
    importlib.import_module(f"edge.api.{_mod.name}")
for _name in edge.api.installed(edge.api.EXTENSIONS):  # and the blueprints in other packages
    importlib.import_module(_name)


def _cases():
    out = []
    for r in sorted(ROUTES, key=lambda r: (r.path, r.method)):
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", r.path)
        out.append(pytest.param(r.method, path, GenerationMode.POSITIVE, id=f"{r.method} {path} positive"))
        # Negative mode needs something to break: a body, a query or a path parameter.
        if r.body is not None or r.query is not None or "{" in path:
            out.append(pytest.param(r.method, path, GenerationMode.NEGATIVE, id=f"{r.method} {path} negative"))
    return out


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    from edge.db import init_db
    path = str(tmp_path_factory.mktemp("fuzz") / "edge.db")
    init_db(path)
    app = create_app({"DATABASE": path, "TESTING": True, "EVENT_FLUSH_SECONDS": 0.05, "SYNCHRONOUS": "OFF"})
    add_users(app)
    make_bin(app, "A-01", zone="A")
    make_bin(app, "B-01", zone="B")
    make_item(app, "SKU-1", barcodes=[("05012345678900", 12)])
    make_item(app, "LOT-1", tracking="lot", perishable=True)
    make_item(app, "KG-1", uom="kg")
    yield app
    app.extensions["floorscan"].close()
    assert_verified(path)  # whatever the generated requests did, `floorscan verify` still agrees


@pytest.fixture(scope="module")
def supervisor_headers(fuzz_app):
    return sign_in(fuzz_app.test_client(), PINS["supervisor"])


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)


def test_every_documented_operation_is_fuzzed(api_schema):
    documented = {(m.upper(), p) for p, ops in api_schema.raw_schema["paths"].items() for m in ops}
    assert documented == {(c.values[0], c.values[1]) for c in _cases()}


@pytest.mark.parametrize("method,path,mode", _cases())
def test_no_input_yields_a_server_error(api_schema, supervisor_headers, method, path, mode):
    operation = api_schema[path][method]
    if (method, path) == ("DELETE", "/api/v1/session"):
        headers = {"Authorization": "Bearer not-the-fuzz-session"}  # keep the shared session alive
    else:
        headers = dict(supervisor_headers)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])

    run()
