"""Demo documents of moves, returns and transfers: two customer returns
awaiting a decision, a lorry from WH2 on its way in, and a transfer to WH2
ready to load.

No movements: the returned goods are the opening stock the demo already put
in the returns bin, and the inbound lorry's goods are in WH2's records until
they are received here.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from edge.demo.layout import RETURNS
from edge.workflows import transfers
from edge.workflows.transfers import InboundTransferIn, TransferIn

CUSTOMERS = ("Hardware Haven", "Oakfield Builders", "Greenway Garden Centre", "City Facilities Ltd")
REASONS = ("unwanted", "damaged", "wrong_item", "defective")
OTHER_SITE = "WH2"


def add(conn, rng, today: date, users: dict[str, int]) -> None:
    """Add open returns and transfers to the demo warehouse (issue 3)."""
    at = datetime.combine(today, time(7, 30), timezone.utc)
    add_returns(conn, rng, at, users.get("receiver"))
    add_transfers(conn, rng, today, users.get("supervisor"))


def add_returns(conn, rng, at: datetime, receiver: int | None) -> None:
    rows = conn.execute("SELECT sku, qty FROM stock WHERE bin = ? AND lot = '' ORDER BY sku", (RETURNS,)).fetchall()
    # The first return brings back two lines of one order, the second one line.
    groups = [rows[:2], rows[2:3]]
    for n, lines in enumerate(g for g in groups if g):
        rid = f"RET-DEMO-{n + 1}"
        stamp = (at - timedelta(hours=2 * (n + 1))).isoformat().replace("+00:00", "Z")
        conn.execute("INSERT INTO return_order (id, order_ref, customer, created_by, created_at) VALUES (?,?,?,?,?)",
                     (rid, f"SO-{rng.randint(10000, 99999)}", rng.choice(CUSTOMERS), receiver, stamp))
        for line_no, row in enumerate(lines, 1):
            conn.execute(
                """INSERT INTO return_line (return_id, line_no, sku, qty, bin, reason, command_id, received_by,
                       received_at) VALUES (?,?,?,?,?,?,?,?,?)""",
                (rid, line_no, row["sku"], row["qty"], RETURNS, rng.choice(REASONS), f"demo-{rid}-{line_no}",
                 receiver, stamp))


def _stocked(conn, rng, where: str, count: int) -> list[str]:
    skus = [r["sku"] for r in conn.execute(
        f"SELECT DISTINCT s.sku FROM stock s JOIN item i USING (sku) JOIN bin b ON b.code = s.bin "
        f"WHERE {where} ORDER BY s.sku")]
    return rng.sample(skus, min(count, len(skus)))


def add_transfers(conn, rng, today: date, supervisor: int | None) -> None:
    here = transfers.site_id(conn)
    # A lorry from WH2 on its way here: the document came ahead of it.
    plain = _stocked(conn, rng, "i.tracking = 'none' AND s.qty >= 10", 3)
    dated = _stocked(conn, rng, "i.tracking = 'lot' AND i.perishable = 1", 1)
    items = [{"sku": sku, "shipped": float(rng.randint(2, 8) * 6)} for sku in plain]
    items += [{"sku": sku, "lot": f"W2-{rng.randrange(10 ** 5):05d}", "shipped": 24.0,
               "expiry": (today + timedelta(days=45)).isoformat()} for sku in dated]
    inbound = InboundTransferIn(id=f"{OTHER_SITE}-TR-000117", from_site=OTHER_SITE, to_site=here,
                                note="weekly replenishment from WH2",
                                lines=[{"sku": i["sku"], "qty": i["shipped"]} for i in items], items=items)
    transfers.accept_inbound(conn, inbound, supervisor)
    # And one to WH2, planned and waiting to be loaded.
    outbound = _stocked(conn, rng, "i.tracking = 'none' AND b.zone = 'A' AND s.qty >= 20", 3)
    transfers.create(conn, TransferIn(to_site=OTHER_SITE, note="stock balancing",
                                      lines=[{"sku": sku, "qty": float(rng.randint(1, 3) * 5)} for sku in outbound]),
                     supervisor)
