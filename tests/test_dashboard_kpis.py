"""The dashboard's figures (edge/kpis.py) and its endpoints: known answers on a
small site, the time-window search against a plain scan, graceful degradation
when replenishment or sync are not installed, roles, and the static page."""
from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st

from conftest import ROOT, assert_problem, command, make_bin, make_item, post_commands
from edge import kpis

NOW = datetime(2026, 11, 27, 12, 30, tzinfo=timezone.utc)


def _sql(app, sql, params=()):
    # Test set-up of documents only; stock always moves through commands.
    return app.extensions["floorscan"].write(lambda c: c.execute(sql, params).rowcount)


def _order(app, oid, cutoff, status="open", lines=((5, 0),)):
    _sql(app, "INSERT INTO sales_order (id, cutoff_at, status, created_at) VALUES (?,?,?, '2026-11-27T06:00:00Z')",
         (oid, cutoff, status))
    for n, (qty, picked) in enumerate(lines, 1):
        _sql(app, "INSERT INTO so_line (order_id, line_no, sku, qty) VALUES (?,?, 'SKU-1', ?)", (oid, n, qty))
        if picked:
            _sql(app, "INSERT INTO allocation (order_id, line_no, bin, sku, qty, picked_qty, status, created_at) "
                      "VALUES (?,?, 'A-1', 'SKU-1', ?, ?, 'picked', '2026-11-27T07:00:00Z')", (oid, n, picked, picked))


def test_figures_on_a_small_site(app, users, auth_for):
    make_bin(app, "A-1")
    make_bin(app, "A-2")
    make_item(app, "SKU-1")
    sup = auth_for("supervisor")
    client = app.test_client()
    post_commands(client, sup, command("receive", {"sku": "SKU-1", "qty": 10, "to_bin": "A-1"}),
                  command("move", {"sku": "SKU-1", "qty": 2, "from_bin": "A-1", "to_bin": "A-2"}))
    _order(app, "SO-1", "2026-11-27T11:00:00Z", lines=((5, 5), (3, 1)))      # past cut-off, one line short: late
    _order(app, "SO-2", "2026-11-27T16:00:00Z", lines=((2, 0),))             # later today
    _order(app, "SO-3", "2026-11-27T09:00:00Z", status="shipped", lines=((1, 0),))  # shipped counts as done
    _order(app, "SO-4", "2026-11-26T16:00:00Z", lines=((4, 0),))             # yesterday, still open: late
    _order(app, "SO-5", "2026-11-26T10:00:00Z", status="shipped")            # yesterday and shipped: gone
    _order(app, "SO-6", "2026-11-28T10:00:00Z")                              # tomorrow: not yet
    _sql(app, "INSERT INTO exception (kind, detail, created_at) VALUES ('short_pick', 'x', '2026-11-27T12:10:00Z')")
    _sql(app, "INSERT INTO exception (kind, detail, created_at, status) VALUES ('negative_stock', 'x', "
              "'2026-11-27T10:10:00Z', 'resolved')")
    k = kpis.all_kpis(app.extensions["floorscan"].read(), NOW)
    assert k["picks"]["cutoffs"] == [
        {"cutoff_at": "2026-11-26T16:00:00Z", "orders": 1, "lines_due": 1, "lines_done": 0, "late": True},
        {"cutoff_at": "2026-11-27T09:00:00Z", "orders": 1, "lines_due": 1, "lines_done": 1, "late": False},
        {"cutoff_at": "2026-11-27T11:00:00Z", "orders": 1, "lines_due": 2, "lines_done": 1, "late": True},
        {"cutoff_at": "2026-11-27T16:00:00Z", "orders": 1, "lines_due": 1, "lines_done": 0, "late": False}]
    assert (k["picks"]["lines_due"], k["picks"]["lines_done"], k["picks"]["late_cutoffs"]) == (5, 2, 2)
    assert k["picks"]["next_cutoff"]["cutoff_at"] == "2026-11-27T16:00:00Z"
    assert k["exceptions"] == {"open": 1, "by_kind": {"short_pick": 1}}
    assert k["trends"]["exceptions"][-1] == 1 and k["trends"]["exceptions"][-3] == 1  # 12:00 and 10:00 (resolved too)
    assert k["receipts"] == {"open": 0, "purchase_orders_open": 0, "asns_open": 0}
    # The two movements were recorded just now (real clock): they fall in the current hour
    # (the hour of their own stamps: should the clock pass the top of an hour between
    # recording and asking, they are in the one before, and that is no fault).
    conn = app.extensions["floorscan"].read()
    live = kpis.trends(conn, datetime.now(timezone.utc))
    stamps = [r[0] for r in conn.execute("SELECT recorded_at FROM movement")]
    assert len(stamps) == 2 and sum(live["movements"]) == 2 and len(live["hours"]) == 24
    assert live["movements"] == [sum(s[:13] == h[:13] for s in stamps) for h in live["hours"]]
    assert live["picks"][-1] == 0


def test_kpis_endpoint_and_roles(client, users, auth_for):
    r = client.get("/api/v1/dashboard/kpis", headers=auth_for("admin"))
    assert r.status_code == 200
    body = r.get_json()
    assert set(kpis.SECTIONS) <= set(body) and set(body["timings_ms"]) == set(kpis.SECTIONS)
    assert_problem(client.get("/api/v1/dashboard/kpis"), 401)
    assert_problem(client.get("/api/v1/dashboard/kpis", headers=auth_for("picker")), 403,
                   detail="allowed: admin, supervisor")


def test_missing_areas_degrade():
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    assert kpis.low_stock(conn) == {"available": False, "open": 0, "items": []}
    assert kpis.sync(conn) == {"available": False}


def test_installed_areas_are_read(app):
    conn = app.extensions["floorscan"].read()
    s = kpis.sync(conn)
    assert s["available"] is True and "backlog" in s and "lag_seconds" in s
    assert kpis.low_stock(conn)["available"] is True


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=0, max_size=60), st.integers(0, 400), st.integers(1, 3))
def test_window_search_equals_a_plain_scan(steps, probe, gap):
    """first_at_or_after agrees with a linear scan for non-decreasing stamps, including gaps in the keys."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, at TEXT NOT NULL)")
    stamp, key = 0, 1
    for s in steps:
        stamp += s
        conn.execute("INSERT INTO t VALUES (?, ?)", (key, f"{stamp:06d}"))
        key += gap
    since = f"{probe % (stamp + 2):06d}"
    plain = conn.execute("SELECT min(k) FROM t WHERE at >= ?", (since,)).fetchone()[0]
    assert kpis.first_at_or_after(conn, "t", "k", "at", since) == plain


def test_dashboard_page_is_served(client):
    r = client.get("/dashboard")
    assert r.status_code == 302 and r.headers["Location"].endswith("/dashboard/")
    r = client.get("/dashboard/")
    assert r.status_code == 200 and b'<script type="module" src="js/main.js">' in r.data
    assert r.headers["Cache-Control"] == "no-cache"
    for path in ("js/main.js", "js/charts.js", "vendor/uplot/uPlot.esm.js"):
        r = client.get(f"/dashboard/{path}")
        assert r.status_code == 200 and r.mimetype == "text/javascript", path
    assert client.get("/dashboard/nope.js").status_code == 404


def test_vendored_chart_library_is_pinned_with_its_licence():
    vendor = ROOT / "edge/static/dashboard/vendor"
    assert "MIT License" in (vendor / "uplot/LICENSE").read_text()
    pinned = next(line for line in (ROOT / "scripts/vendor-dashboard.sh").read_text().splitlines()
                  if line.startswith('UPLOT="${UPLOT:-'))
    version = pinned.split(":-")[1].rstrip('}"')
    assert f"uplot {version} " in (vendor / "VERSIONS").read_text()
    import hashlib
    digest = hashlib.sha256((vendor / "uplot/uPlot.esm.js").read_bytes()).hexdigest()
    assert f"sha256:{digest}" in (vendor / "VERSIONS").read_text()
    # Every module the page imports is on disk: no CDN, no build step.
    static = ROOT / "edge/static/dashboard"
    for js in (static / "js").glob("*.js"):
        for spec in [line.split(" from ")[-1].strip(' ";') for line in js.read_text().splitlines()
                     if line.startswith("import ") and " from " in line]:
            assert (js.parent / spec).resolve().exists(), f"{js.name} imports missing {spec}"


def test_random_burst_of_movements_per_hour(app, users, auth_for):
    """Trends count exactly what the ledger holds in the window."""
    make_bin(app, "A-1")
    make_bin(app, "A-2")
    make_item(app, "SKU-1")
    client = app.test_client()
    sup = auth_for("supervisor")
    post_commands(client, sup, command("receive", {"sku": "SKU-1", "qty": 100, "to_bin": "A-1"}))
    n = random.Random(3).randint(5, 30)
    post_commands(client, sup, *[command("move", {"sku": "SKU-1", "qty": 1, "from_bin": "A-1", "to_bin": "A-2"})
                                 for _ in range(n)])
    now = datetime.now(timezone.utc)
    t = kpis.trends(app.extensions["floorscan"].read(), now)
    assert sum(t["movements"]) == n + 1
    later = kpis.trends(app.extensions["floorscan"].read(), now + timedelta(days=2))
    assert sum(later["movements"]) == 0


def test_trends_count_what_arrives_since_the_last_call(app):
    """A process keeps its per-hour counts and adds only what was recorded since the
    last call; the answer always equals a full recount."""
    import uuid as _uuid

    from edge.ledger import Movement, post_movements
    make_bin(app, "A-1")
    make_bin(app, "A-2")
    make_item(app, "SKU-1")
    now = datetime.now(timezone.utc)
    stamp = lambda hours: (now - timedelta(hours=hours)).isoformat(timespec="milliseconds").replace("+00:00", "Z")  # noqa: E731

    def record(kind, hours_ago, exception=False):
        mv = Movement(id=str(_uuid.uuid4()), kind=kind, sku="SKU-1", qty=1, to_bin="A-2", from_bin="A-1")
        if kind == "receive":
            mv.from_bin = None
        app.extensions["floorscan"].write(lambda c: post_movements(c, [mv], replay=True, now=stamp(hours_ago)))
        if exception:
            _sql(app, "INSERT INTO exception (kind, detail, created_at) VALUES ('x', 'y', ?)", (stamp(hours_ago),))

    conn = app.extensions["floorscan"].read()
    record("receive", 30)  # outside the window
    for step in range(4):
        record("receive", 3, exception=step % 2 == 0)
        record("pick", 1)
        got = kpis.trends(conn, now)
        assert got == kpis.trends(conn, now, cache=False)
        assert got["movements"][-4] == step + 1 and got["picks"][-2] == step + 1
    db = conn.execute("PRAGMA database_list").fetchone()[2]
    assert kpis._WINDOWS[db].seq == conn.execute("SELECT max(seq) FROM movement").fetchone()[0]
    got = kpis.trends(conn, now)
    assert sum(got["exceptions"]) == conn.execute("SELECT count(*) FROM exception WHERE created_at >= ?",
                                                  (got["hours"][0],)).fetchone()[0] >= 2
    # A window further back than the one kept is counted afresh.
    earlier = kpis.trends(conn, now - timedelta(hours=20))
    assert earlier == kpis.trends(conn, now - timedelta(hours=20), cache=False)
    assert sum(earlier["movements"]) == 1  # the receipt of 30 hours ago
