"""Low-stock alerts as a state machine: whatever the stock does, an item has at
most one open alert, it is open exactly while available <= reorder point, and
each crossing raises or clears it once."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from _analytics_support import mv, open_site
from edge.analytics import alerts


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deltas=st.lists(st.integers(-15, 15).filter(bool), max_size=25), rop=st.integers(1, 20))
def test_one_alert_per_crossing(tmp_path_factory, deltas, rop):
    from edge.db import init_db
    path = str(tmp_path_factory.mktemp("alerts") / "edge.db")
    init_db(path)
    conn = open_site(path)
    try:
        conn.execute("UPDATE item SET reorder_point = ? WHERE sku = 'BOLT'", (rop,))
        # Nothing on hand: low from the start.
        assert [c["state"] for c in alerts.refresh(conn, ["BOLT"])] == ["raised"]
        level, was_low, raised = 0, True, 1
        for n, delta in enumerate(deltas):
            if delta > 0:
                mv(conn, "2026-04-01", "adjust", "BOLT", delta, to_bin="A-01")
            else:
                mv(conn, "2026-04-01", "adjust", "BOLT", -delta, "A-01", replay=True)  # may go negative
            level += delta
            changed = alerts.refresh(conn, ["BOLT"], now=f"2026-04-01T10:00:{n:02d}Z")
            low = level <= rop
            if low != was_low:
                assert [(c["state"], c["available"]) for c in changed] == [("raised" if low else "cleared", level)]
                raised += low
            else:
                assert changed == []
            was_low = low
            open_rows = conn.execute("SELECT count(*) FROM stock_alert WHERE cleared_at IS NULL").fetchone()[0]
            assert open_rows == (1 if low else 0)
        assert conn.execute("SELECT count(*) FROM stock_alert").fetchone()[0] == raised
        assert alerts.refresh(conn, ["BOLT"]) == []  # evaluated again: nothing changes
    finally:
        conn.close()


def test_evaluating_the_items_that_moved_matches_evaluating_every_item(tmp_path):
    """After a flush only the items that moved are evaluated, and only those with a
    reorder point or an open alert have their stock summed: the answer is the same
    as evaluating the whole site, including an open alert whose reorder point was removed."""
    from edge.db import init_db
    path = str(tmp_path / "edge.db")
    init_db(path)
    conn = open_site(path)
    try:
        conn.execute("UPDATE item SET reorder_point = 10 WHERE sku IN ('BOLT', 'NUT')")
        assert {c["sku"] for c in alerts.refresh(conn)} == {"BOLT", "NUT"}  # nothing on hand: both low
        conn.execute("UPDATE item SET reorder_point = NULL WHERE sku = 'NUT'")  # NUT's alert stays open
        mv(conn, "2026-04-01", "adjust", "BOLT", 4, to_bin="A-01")  # still low
        mv(conn, "2026-04-01", "adjust", "NUT", 3, to_bin="A-01")
        mv(conn, "2026-04-01", "adjust", "GLUE", 50, to_bin="A-01")  # no reorder point, no alert
        moved = ["BOLT", "GLUE", "NUT"]
        every = [row for row in alerts.evaluate(conn, None) if row[0] in moved]
        assert alerts.evaluate(conn, moved) == every == [("NUT", "cleared", 3.0, None, every[0][4])]
        mv(conn, "2026-04-01", "adjust", "BOLT", 20, to_bin="A-01")  # 24 > 10: BOLT clears too
        assert [(r[0], r[1], r[2]) for r in alerts.evaluate(conn, moved)] == [("BOLT", "cleared", 24.0),
                                                                               ("NUT", "cleared", 3.0)]
        assert alerts.evaluate(conn, moved) == [row for row in alerts.evaluate(conn, None) if row[0] in moved]
        # A reorder point and no alert yet: nothing while above it, raised once below it.
        conn.execute("UPDATE item SET reorder_point = 40 WHERE sku = 'GLUE'")  # 50 on hand
        assert [r for r in alerts.evaluate(conn, ["GLUE"]) if r[0] == "GLUE"] == []
        mv(conn, "2026-04-01", "adjust", "GLUE", 15, "A-01")  # 35 <= 40
        assert alerts.evaluate(conn, ["GLUE"]) == [("GLUE", "raised", 35.0, 40.0, None)]
        assert alerts.evaluate(conn, moved) == [row for row in alerts.evaluate(conn, None) if row[0] in moved]
    finally:
        conn.close()
