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
