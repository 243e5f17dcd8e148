"""`floorscan demo` brings sales orders ready to wave and one released wave."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from conftest import assert_verified
from edge import demo
from edge.app import create_app
from edge.db import connect
from edge.ledger.verify import reservation_differences


@pytest.fixture
def demo_site(tmp_path):
    path = tmp_path / "demo.db"
    demo.build(path, seed=5, scale=0.1, echo=lambda _: None)
    app = create_app({"DATABASE": str(path), "TESTING": True})
    yield app, path
    app.extensions["floorscan"].close()
    assert_verified(str(path))
    conn = connect(path, readonly=True)
    assert reservation_differences(conn) == []
    conn.close()


def test_demo_has_orders_ready_to_wave_and_a_released_wave(demo_site):
    app, path = demo_site
    conn = connect(path, readonly=True)
    opened = conn.execute("SELECT * FROM sales_order WHERE status = 'open'").fetchall()
    assert len(opened) == 40
    assert {o["carrier"] for o in opened} == {"DHL", "UPS", "DPD"}
    today = date.today()
    assert all(today.isoformat() <= o["cutoff_at"][:10] <= (today + timedelta(days=1)).isoformat() for o in opened)
    assert len({o["priority"] for o in opened}) > 2
    assert conn.execute("SELECT count(*) FROM allocation a JOIN sales_order o ON o.id = a.order_id "
                        "WHERE o.status = 'open'").fetchone()[0] == 0
    [lst] = conn.execute("SELECT l.*, u.role FROM pick_list l JOIN user u ON u.id = l.assigned_to").fetchall()
    assert (lst["kind"], lst["status"], lst["role"]) == ("batch", "open", "picker")
    conn.close()

    client = app.test_client()
    sup = {"Authorization": "Bearer " + client.post("/api/v1/session", json={"pin": "4444"}).get_json()["token"]}
    r = client.post("/api/v1/waves", json={"carrier": "DHL", "kind": "cluster"}, headers=sup)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["orders"] and all(ls["lines"] > 0 for ls in body["lists"])
    picker = {"Authorization": "Bearer " + client.post("/api/v1/session", json={"pin": "1111"}).get_json()["token"]}
    mine = client.get("/api/v1/pick-lists?assigned_to=me", headers=picker).get_json()["items"]
    assert [m["id"] for m in mine] == [lst["id"]]
