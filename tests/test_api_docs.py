"""GET /api/v1/openapi.json is valid OpenAPI 3.1 and documents every endpoint;
/api/docs serves the vendored Swagger UI with nothing fetched from elsewhere."""
from __future__ import annotations

import re

import jsonschema_rs
import pytest
import schemathesis
from schemathesis.specs.openapi.definitions import OPENAPI_31

from edge.api.spec import ROUTES
from edge.commands import COMMAND_TYPES


@pytest.fixture
def doc(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert r.mimetype == "application/json"
    return r.get_json()


def flask_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_document_is_valid_openapi_31(app, doc):
    assert doc["openapi"].startswith("3.1")
    jsonschema_rs.validator_for(OPENAPI_31).validate(doc)
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    loaded.validate()
    labels = {op.ok().label for op in loaded.get_all_operations()}  # .ok() raises on an unusable operation
    documented = {f"{m.upper()} {p}" for p, ops in doc["paths"].items() for m in ops}
    # schemathesis leaves out the document's own address.
    assert labels == documented - {"GET /api/v1/openapi.json"}


def test_component_schemas_are_valid_json_schema(doc):
    for name, schema in doc["components"]["schemas"].items():
        # Raises on a malformed schema; $refs point into the document itself.
        jsonschema_rs.validator_for({**schema, "components": doc["components"]})


def test_every_api_endpoint_is_documented(app, doc):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = flask_path(rule.rule)
        assert path in doc["paths"], f"{rule.rule} is not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], f"{method} {rule.rule} is not in the OpenAPI document"


def test_nothing_documented_that_does_not_exist(app, doc):
    served = {(flask_path(r.rule), m.lower()) for r in app.url_map.iter_rules() for m in r.methods}
    for path, ops in doc["paths"].items():
        for method in ops:
            assert (path, method) in served, f"{method.upper()} {path} is documented but not served"


def test_each_operation_states_its_roles(doc):
    by_key = {(r.method.lower(), flask_path(r.path)): r for r in ROUTES}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            route = by_key[(method, path)]
            if route.roles is None:
                assert "security" not in op and "x-roles" not in op, f"{method} {path} is public"
            else:
                assert op["x-roles"] == sorted(route.roles), f"{method} {path}"
                assert op["security"] == [{"bearer": []}]
                assert "401" in op["responses"] and "403" in op["responses"]
            assert op["operationId"] and op["summary"], f"{method} {path} needs a docstring"


def test_operation_ids_are_unique(doc):
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_errors_are_documented_as_problem_details(doc):
    problem = doc["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    assert "application/problem+json" in response["content"], f"{method} {path} {status}"


def test_contract_operations_are_described(doc):
    session = doc["paths"]["/api/v1/session"]["post"]
    assert "201" in session["responses"] and "429" in session["responses"]
    assert doc["paths"]["/api/v1/commands"]["post"]["responses"].keys() >= {"200", "413", "422"}
    stock = doc["paths"]["/api/v1/stock"]["get"]
    assert {p["name"] for p in stock["parameters"]} >= {"bin", "sku", "lot"}
    item_put = doc["paths"]["/api/v1/items/{sku}"]["put"]
    assert item_put["parameters"][0] == {"name": "sku", "in": "path", "required": True, "schema": {"type": "string"}}
    resolve = doc["paths"]["/api/v1/exceptions/{exc_id}/resolve"]["post"]
    assert resolve["parameters"][0]["schema"] == {"type": "integer"}


def test_command_payload_schemas_are_published(doc):
    schemas = doc["components"]["schemas"]
    for ctype in COMMAND_TYPES.values():
        assert ctype.payload.__name__ in schemas
    assert set(schemas["ReceivePayload"]["required"]) == {"sku", "qty", "to_bin"}
    assert set(schemas["MovePayload"]["required"]) == {"sku", "qty", "from_bin", "to_bin"}
    assert set(schemas["AdjustPayload"]["required"]) >= {"sku", "bin", "delta", "reason"}


def test_swagger_ui_is_served_without_external_urls(client):
    for path in ("/api/docs", "/api/docs/"):
        r = client.get(path)
        assert r.status_code == 200
        assert r.mimetype == "text/html"
        html = r.get_data(as_text=True)
        assert "swagger-ui" in html
        assert "http:" not in html and "https:" not in html and "//" not in html.replace("<!--", "")
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/api/docs/swagger-ui-bundle.js" in assets
    for asset in assets:
        a = client.get(asset)
        assert a.status_code == 200, asset
        assert a.get_data()


def test_swagger_ui_init_asks_no_external_validator(client):
    js = client.get("/api/docs/init.js").get_data(as_text=True)
    assert "/api/v1/openapi.json" in js
    assert "http" not in js
    # Swagger UI otherwise posts the document's address to validator.swagger.io.
    assert "validatorUrl: null" in js


def test_unknown_docs_asset_is_404(client):
    r = client.get("/api/docs/nope.js")
    assert r.status_code == 404
    assert r.mimetype == "application/problem+json"


def test_root_redirects_somewhere_useful(client):
    r = client.get("/")
    assert r.status_code == 302
    assert r.headers["Location"] in ("/app/", "/api/docs")


def test_health(client):
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}


# -- the error shape for things that are not endpoints ---------------------------------------

def test_unknown_endpoint_is_404_problem(client):
    r = client.get("/api/v1/nope")
    assert (r.status_code, r.mimetype) == (404, "application/problem+json")
    assert r.get_json()["detail"] == "no such endpoint; see /api/v1/openapi.json"


def test_wrong_method_is_405_problem(client):
    r = client.patch("/api/v1/stock")
    assert (r.status_code, r.mimetype) == (405, "application/problem+json")
    assert r.get_json()["status"] == 405


def test_body_over_the_size_limit_is_413_problem(app, client, auth_for):
    headers = auth_for("supervisor")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    r = client.post("/api/v1/scan", data='{"code": "' + "x" * 2000 + '"}', content_type="application/json",
                    headers=headers)
    assert (r.status_code, r.mimetype) == (413, "application/problem+json")
    assert r.get_json()["detail"] == "the request body is too large"


# -- docs/api.md ---------------------------------------------------------------------------------

def _api_md_command_rows() -> dict[str, set[str]]:
    from conftest import PINS, ROOT
    text = (ROOT / "docs" / "api.md").read_text()
    section = text.split("### Command types", 1)[1].split("\n#", 1)[0]
    rows = {}
    for name, roles in re.findall(r"^\| `([a-z.]+)` \| ([^|]+) \|", section, re.MULTILINE):
        rows[name] = set(PINS) if roles.strip() == "everyone" else {r.strip() for r in roles.split(",")}
    return rows


def test_every_command_type_is_in_api_md_with_its_roles():
    import edge.workflows  # noqa: F401  (registers every workflow's command types)
    documented = _api_md_command_rows()
    registered = {name: set(ctype.roles) for name, ctype in COMMAND_TYPES.items()}
    assert sorted(set(registered) - set(documented)) == [], "command types missing from docs/api.md"
    assert sorted(set(documented) - set(registered)) == [], "docs/api.md lists command types that do not exist"
    for name, roles in registered.items():
        assert documented[name] == roles, f"docs/api.md gives {name} other roles than the code"


def test_api_md_leads_to_the_workflows():
    from conftest import ROOT
    text = (ROOT / "docs" / "api.md").read_text()
    assert "(workflows.md)" in text and "(workflows/exceptions.md)" in text
