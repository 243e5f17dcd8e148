"""Live connections end with their token: expired, revoked or its user deactivated.
Before, only the connect was checked; a supervisor's socket kept receiving
movements and exceptions after REST had long answered 401."""
from __future__ import annotations

import pytest

from conftest import command, make_bin, make_item, post_commands
from edge.auth import hash_token
from edge.realtime import sweep
from test_realtime import connect, named, received, token


def write_sql(app, sql, *params):
    app.extensions["floorscan"].write(lambda conn: conn.execute(sql, params))


@pytest.fixture
def site(app):
    make_bin(app, "A-01")
    make_item(app, "SKU-1")
    return app


@pytest.mark.parametrize("how", ["expired", "revoked", "deactivated"])
def test_a_socket_is_closed_when_its_token_stops_working(app, client, auth_for, site, how):
    sup = auth_for("supervisor")
    watcher = connect(app, sup)
    other = connect(app, auth_for("admin"))
    assert watcher.is_connected() and other.is_connected()
    assert sweep(app) == 0  # both tokens good: nothing closed
    digest = hash_token(token(sup))
    if how == "expired":
        write_sql(app, "UPDATE session SET expires_at = '2000-01-01T00:00:00Z' WHERE token_hash = ?", digest)
    elif how == "revoked":
        write_sql(app, "UPDATE session SET revoked_at = '2026-11-28T00:00:00Z' WHERE token_hash = ?", digest)
    else:
        write_sql(app, "UPDATE user SET active = 0 WHERE role = 'supervisor'")
    assert client.get("/api/v1/me", headers=sup).status_code == 401
    assert sweep(app) == 1
    assert not watcher.is_connected()
    assert other.is_connected()
    # The admin's socket still hears what happens; the closed one hears nothing more.
    other.get_received()
    post_commands(client, auth_for("admin"), command("receive", {"sku": "SKU-1", "qty": 1, "to_bin": "A-01"}))
    assert named(received(other, until={"movement.recorded"}), "movement.recorded")


def test_an_earlier_apps_sweep_leaves_a_later_apps_connections_alone(tmp_path, app):
    # Tests make many apps in one process and each takes the Socket.IO server over;
    # an earlier app's sweeper found the later app's tokens unknown in its own
    # database and closed their connections (a CI failure, in test_wf_counting).
    from conftest import add_users, sign_in
    from edge.app import create_app
    other = create_app({"DATABASE": str(tmp_path / "other.db"), "TESTING": True})
    try:
        add_users(other)
        listener = connect(other, sign_in(other.test_client(), "4444"))
        assert listener.is_connected()
        assert sweep(app) == 0
        assert listener.is_connected()
        assert sweep(other) == 0
    finally:
        other.extensions["floorscan"].close()
