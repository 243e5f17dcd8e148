"""Schemathesis against the app's own OpenAPI document: no input yields a 500.

Positive and negative examples for every operation, signed in as a
supervisor (so the role check lets most requests reach the real code), with
a little master data in place so generated keys sometimes hit real rows.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from conftest import add_users, make_bin, make_item, sign_in, PINS
from edge.app import create_app


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    from edge.db import init_db
    path = str(tmp_path_factory.mktemp("fuzz") / "edge.db")
    init_db(path)
    app = create_app({"DATABASE": path, "TESTING": True, "EVENT_FLUSH_SECONDS": 0.05})
    add_users(app)
    make_bin(app, "A-01", zone="A")
    make_bin(app, "B-01", zone="B")
    make_item(app, "SKU-1", barcodes=[("05012345678900", 12)])
    make_item(app, "LOT-1", tracking="lot", perishable=True)
    yield app
    app.extensions["floorscan"].close()


@pytest.fixture(scope="module")
def supervisor_headers(fuzz_app):
    return sign_in(fuzz_app.test_client(), PINS["supervisor"])


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_input_yields_a_server_error(case, supervisor_headers):
    # Keep the session alive: signing out would turn the rest of the run into 401s.
    if case.method == "DELETE" and case.path == "/api/v1/session":
        headers = {"Authorization": "Bearer not-the-fuzz-session"}
    else:
        headers = dict(supervisor_headers)
    response = case.call(headers=headers)
    case.validate_response(response, checks=[not_a_server_error])
