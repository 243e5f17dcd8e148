"""Schemathesis against central's own OpenAPI document: no input yields a 500
(the same approach as tests/test_api_fuzz.py for the edge)."""
from __future__ import annotations

import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from _central_support import Central, movements
from sync.central import api_erp, api_read, api_reports, api_sync, app  # noqa: F401  (importing them fills ROUTES)
from sync.central.spec import ROUTES

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))


def _cases():
    out = []
    for r in sorted(ROUTES, key=lambda r: (r.path, r.method)):
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", r.path)
        out.append(pytest.param(r.method, path, GenerationMode.POSITIVE, id=f"{r.method} {path} positive"))
        if r.body is not None or r.query is not None or "{" in path:
            out.append(pytest.param(r.method, path, GenerationMode.NEGATIVE, id=f"{r.method} {path} negative"))
    return out


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    c = Central(str(tmp_path_factory.mktemp("fuzz") / "central.db"))
    c.client.post("/api/v1/items", json={"sku": "SKU-1"}, headers=c.erp)
    c.send(movements(1, 5))
    yield c
    assert c.store.stock_differences() == []
    c.close()


@pytest.fixture(scope="module")
def api_schema(central):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", central.app)


@pytest.mark.parametrize("method,path,mode", _cases())
def test_no_input_yields_a_server_error(central, api_schema, method, path, mode):
    operation = api_schema[path][method]
    headers = central.wh() if path.startswith("/api/v1/sync/") else central.erp

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])

    run()
