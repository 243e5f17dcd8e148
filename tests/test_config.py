"""FLOORSCAN_* environment variables reach the app's settings, typed like their defaults."""
from __future__ import annotations

from edge.config import DEFAULTS, load


def test_every_setting_can_be_given_in_the_environment(monkeypatch):
    monkeypatch.setenv("FLOORSCAN_DECODE_MAX_BYTES", "123456")
    monkeypatch.setenv("FLOORSCAN_LABEL_PRINTER_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("FLOORSCAN_CORS_ORIGINS", "https://a.example, https://b.example")
    config = load()
    assert config["DECODE_MAX_BYTES"] == 123456
    assert config["LABEL_PRINTER_TIMEOUT_SECONDS"] == 2.5
    assert config["CORS_ORIGINS"] == ["https://a.example", "https://b.example"]


def test_settings_the_areas_read_have_defaults():
    # A setting read with current_app.config.get(...) but missing here cannot be set by an operator.
    for key in ("DECODE_MAX_BYTES", "DECODE_MAX_PIXELS", "LABEL_PRINTER_TIMEOUT_SECONDS", "CENTRAL_URL", "TLS_DIR"):
        assert key in DEFAULTS


def test_a_decode_limit_from_the_environment_is_enforced(monkeypatch, db_path):
    from conftest import PINS, add_users, assert_problem, sign_in
    from edge.app import create_app
    monkeypatch.setenv("FLOORSCAN_DECODE_MAX_BYTES", "1000")
    app = create_app({"DATABASE": db_path, "TESTING": True})
    try:
        add_users(app)
        client = app.test_client()
        headers = sign_in(client, PINS["picker"]) | {"Content-Type": "image/jpeg"}
        r = client.post("/api/v1/decode", data=b"\xff\xd8\xff" + b"\0" * 2000, headers=headers)
        body = assert_problem(r, 413)
        assert "larger than 1 KB" in body["detail"]
    finally:
        app.extensions["floorscan"].close()


def test_every_subcommand_with_a_database_takes_it_from_the_environment(monkeypatch):
    monkeypatch.setenv("FLOORSCAN_DATABASE", "/srv/floorscan/site.db")
    from edge.cli import build_parser
    parser = build_parser()
    for argv in (["verify"], ["backup"], ["restore", "x.db"], ["report", "stock"], ["labels", "bins", "A-1"],
                 ["export", "items"], ["sync", "--central", "http://c", "--token", "t"]):
        assert parser.parse_args(argv).db == "/srv/floorscan/site.db", argv
