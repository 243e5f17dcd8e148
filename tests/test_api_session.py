"""POST/DELETE /api/v1/session, GET /api/v1/me, bearer tokens and the sign-in rate limit."""
from __future__ import annotations

import pytest

from edge.app import create_app
from edge.db import connect

from conftest import PROBLEM, assert_problem





# -- sign in -------------------------------------------------------------------

def test_sign_in_with_pin_returns_token_user_and_expiry(client, users):
    r = client.post("/api/v1/session", json={"pin": users["picker"]})
    assert r.status_code == 201
    body = r.get_json()
    assert set(body) == {"token", "user", "expires_at"}
    assert body["user"]["name"] == "Picker" and body["user"]["role"] == "picker"
    assert isinstance(body["user"]["id"], int)
    assert body["expires_at"].endswith("Z")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json() == body["user"]


def test_sign_in_with_badge(client, users):
    r = client.post("/api/v1/session", json={"badge": "BADGE-counter"})
    assert r.status_code == 201
    assert r.get_json()["user"]["role"] == "counter"


def test_sign_in_records_the_device(app, client, users, db_path):
    r = client.post("/api/v1/session", json={"pin": users["receiver"], "device_id": "tc52-07"})
    assert r.status_code == 201
    conn = connect(db_path, readonly=True)
    try:
        row = conn.execute("SELECT last_user_id FROM device WHERE id = 'tc52-07'").fetchone()
    finally:
        conn.close()
    assert row["last_user_id"] == r.get_json()["user"]["id"]


def test_each_sign_in_gets_its_own_token(client, users):
    a = client.post("/api/v1/session", json={"pin": users["picker"]}).get_json()["token"]
    b = client.post("/api/v1/session", json={"pin": users["picker"]}).get_json()["token"]
    assert a != b


def test_wrong_pin_is_401(client, users):
    assert_problem(client.post("/api/v1/session", json={"pin": "0000"}), 401, detail="wrong PIN")


def test_unknown_badge_is_401(client, users):
    assert_problem(client.post("/api/v1/session", json={"badge": "BADGE-nobody"}), 401)


def test_pin_and_badge_together_is_422(client, users):
    assert_problem(client.post("/api/v1/session", json={"pin": "1111", "badge": "BADGE-picker"}), 422,
                   field="pin", detail="either pin or badge")


def test_neither_pin_nor_badge_is_422(client, users):
    assert_problem(client.post("/api/v1/session", json={}), 422, field="pin")


def test_unknown_field_is_422(client, users):
    body = assert_problem(client.post("/api/v1/session", json={"pin": "1111", "password": "x"}), 422,
                          field="password")
    assert body["errors"][0]["message"] == "unknown field"


def test_pin_of_wrong_type_is_422(client, users):
    assert_problem(client.post("/api/v1/session", json={"pin": 1111}), 422, field="pin")


def test_device_id_too_long_is_422(client, users):
    assert_problem(client.post("/api/v1/session", json={"pin": "1111", "device_id": "d" * 65}), 422,
                   field="device_id")


def test_body_that_is_not_json_is_400(client, users):
    r = client.post("/api/v1/session", data="{pin: 1111", content_type="application/json")
    assert_problem(r, 400, detail="not valid JSON")


def test_empty_body_is_400(client, users):
    assert_problem(client.post("/api/v1/session", content_type="application/json"), 400, detail="no body")


def test_form_body_is_415(client, users):
    assert_problem(client.post("/api/v1/session", data={"pin": "1111"}), 415, detail="application/json")


def test_json_array_body_is_422(client, users):
    assert_problem(client.post("/api/v1/session", json=["1111"]), 422, field="body")


def test_get_on_session_is_405(client):
    assert_problem(client.get("/api/v1/session"), 405)


# -- tokens ----------------------------------------------------------------------

def test_no_token_is_401_with_www_authenticate(client, users):
    r = client.get("/api/v1/me")
    assert_problem(r, 401, detail="Authorization: Bearer")
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_other_scheme_is_401(client, users):
    assert_problem(client.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwdw=="}), 401)


def test_unknown_token_is_401(client, users):
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer made-up"})
    assert_problem(r, 401, detail="unknown, expired or revoked")
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_bearer_scheme_is_case_insensitive(client, users):
    token = client.post("/api/v1/session", json={"pin": users["picker"]}).get_json()["token"]
    assert client.get("/api/v1/me", headers={"Authorization": f"bearer {token}"}).status_code == 200


def test_sign_out_revokes_the_token(client, users):
    token = client.post("/api/v1/session", json={"pin": users["picker"]}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    r = client.delete("/api/v1/session", headers=headers)
    assert r.status_code == 204
    assert r.get_data() == b""
    assert_problem(client.get("/api/v1/me", headers=headers), 401)
    assert_problem(client.delete("/api/v1/session", headers=headers), 401)


def test_sign_out_leaves_other_sessions_alone(client, users):
    a = {"Authorization": "Bearer " + client.post("/api/v1/session", json={"pin": users["picker"]}).get_json()["token"]}
    b = {"Authorization": "Bearer " + client.post("/api/v1/session", json={"pin": users["picker"]}).get_json()["token"]}
    assert client.delete("/api/v1/session", headers=a).status_code == 204
    assert client.get("/api/v1/me", headers=b).status_code == 200


def test_sign_out_without_token_is_401(client, users):
    assert_problem(client.delete("/api/v1/session"), 401)


def test_expired_token_is_401(client, users, db_path):
    token = client.post("/api/v1/session", json={"pin": users["picker"]}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    conn = connect(db_path)
    try:
        conn.execute("UPDATE session SET expires_at = '2000-01-01T00:00:00Z'")
        conn.commit()
    finally:
        conn.close()
    assert_problem(client.get("/api/v1/me", headers=headers), 401, detail="expired")


def test_token_ttl_comes_from_config(db_path, users):
    short = create_app({"DATABASE": db_path, "TESTING": True, "TOKEN_TTL_HOURS": 0})
    try:
        c = short.test_client()
        r = c.post("/api/v1/session", json={"pin": users["picker"]})
        assert r.status_code == 201
        assert_problem(c.get("/api/v1/me", headers={"Authorization": f"Bearer {r.get_json()['token']}"}), 401)
    finally:
        short.extensions["floorscan"].close()


# -- rate limit --------------------------------------------------------------------

def test_sixth_attempt_after_five_failures_is_429_even_with_the_right_pin(client, users):
    for _ in range(5):
        assert client.post("/api/v1/session", json={"pin": "0000"}).status_code == 401
    r = client.post("/api/v1/session", json={"pin": users["supervisor"]})
    body = assert_problem(r, 429, detail="too many failed sign-ins")
    retry = int(r.headers["Retry-After"])
    assert 1 <= retry <= 61
    assert f"{retry} s" in body["detail"]
    # Badges count against the same limit: it is the client that is held off.
    assert_problem(client.post("/api/v1/session", json={"badge": "BADGE-picker"}), 429)


def test_rate_limit_is_per_client_address(client, users):
    for _ in range(5):
        client.post("/api/v1/session", json={"pin": "0000"}, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    blocked = client.post("/api/v1/session", json={"pin": users["picker"]}, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert blocked.status_code == 429
    other = client.post("/api/v1/session", json={"pin": users["picker"]}, environ_base={"REMOTE_ADDR": "10.0.0.6"})
    assert other.status_code == 201


def test_a_good_sign_in_does_not_clear_earlier_failures(client, users):
    # A PIN names no user: if a success wiped the count, a picker could guess four
    # PINs, sign in with their own, and go on until one is the admin's.
    for _ in range(4):
        assert client.post("/api/v1/session", json={"pin": "0000"}).status_code == 401
    assert client.post("/api/v1/session", json={"badge": "BADGE-picker"}).status_code == 201
    assert client.post("/api/v1/session", json={"pin": "0001"}).status_code == 401
    assert_problem(client.post("/api/v1/session", json={"pin": users["admin"]}), 429,
                   detail="too many failed sign-ins")


def test_failures_age_out_of_the_window(client, users, monkeypatch):
    from edge import auth
    for _ in range(5):
        assert client.post("/api/v1/session", json={"pin": "0000"}).status_code == 401
    assert client.post("/api/v1/session", json={"pin": users["picker"]}).status_code == 429
    import time as real_time
    later = real_time.time() + auth.FAILURE_WINDOW_S + 1
    monkeypatch.setattr(auth, "time", type("Clock", (), {"time": staticmethod(lambda: later)}))
    assert client.post("/api/v1/session", json={"pin": users["picker"]}).status_code == 201


def test_a_body_nested_too_deeply_is_400_not_500(client, users):
    deep = "[" * 5000 + "]" * 5000
    r = client.post("/api/v1/session", data=deep, content_type="application/json")
    assert_problem(r, 400, detail="nested too deeply")


def test_bad_input_does_not_count_as_a_failed_sign_in(client, users):
    for _ in range(6):
        assert client.post("/api/v1/session", json={}).status_code == 422
    assert client.post("/api/v1/session", json={"pin": users["picker"]}).status_code == 201


@pytest.mark.parametrize("header, token", [
    ("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("BEARER abc", "abc"),
    ("Bearer", None), ("Bearer   ", None), ("Basic abc", None), ("", None), (None, None), ("abc", None),
])
def test_one_reading_of_the_authorization_header(header, token):
    """The view, the command lane, Socket.IO and central all read it this way."""
    from edge.auth import bearer_token
    assert bearer_token(header) == token
