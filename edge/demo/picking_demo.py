"""Demo documents of the picking workflow: 40 open sales orders ready to wave
(in-stock items, priorities 1-9, cut-offs spread over the next day, three
carriers), and one small batch wave already released to Pat Picker so a
trainer can walk a pick list straight away. Order numbers run SO-200001 ...;
the released wave's orders are the last three."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from edge.workflows.allocation import candidates
from edge.workflows.picking_lists import WaveIn, release_wave
from edge.workflows.picking_orders import SalesOrderIn, save_order

OPEN_ORDERS = 40
RELEASED_ORDERS = 3
CARRIERS = ("DHL", "UPS", "DPD")
CUSTOMERS = ("Corner Hardware", "Harbour Deli", "Greenway Grocers", "Hilltop DIY", "Riverside Cafe",
             "Northgate Supplies", "Oak Street Market", "Bayview Builders", "Station Kiosk", "Parkside Pantry")
CUTOFF_HOURS = (11, 14, 16, 18)
# docs/demo.md moves this item by hand: keep its stock free of reservations.
DOCUMENTED_SKU = "SKU-102940"


def _stocked(conn, rng) -> list[tuple[str, float, float]]:
    """(sku, free to allocate, least free in any of its bins) for in-stock, non-serial items."""
    rows = conn.execute(
        "SELECT s.sku FROM stock s JOIN bin b ON b.code = s.bin JOIN item i ON i.sku = s.sku "
        "WHERE b.kind IN ('storage', 'pick-face') AND i.tracking <> 'serial' AND i.uom = 'ea' AND s.qty > 0 "
        "GROUP BY s.sku HAVING sum(s.qty - s.reserved) >= 10 ORDER BY s.sku").fetchall()
    skus = [r[0] for r in rows if r[0] != DOCUMENTED_SKU]
    out = []
    for sku in rng.sample(skus, min(len(skus), 160)):
        places = candidates(conn, sku)
        if places:
            out.append((sku, sum(c["free"] for c in places), min(c["free"] for c in places)))
    return out


def _cutoff(rng, today) -> datetime:
    day = today + timedelta(days=rng.choice((0, 0, 1)))
    return datetime.combine(day, time(rng.choice(CUTOFF_HOURS), 0), tzinfo=timezone.utc)


def add(conn, rng, today, users: dict[str, int]) -> None:
    """Add open picking documents to the demo warehouse (issue 3)."""
    stocked = _stocked(conn, rng)
    if len(stocked) < 8:
        return
    # The released wave's items must leave every one of their bins well stocked,
    # so moving a couple of pieces by hand (docs/demo.md) is never refused.
    roomy = [s for s in stocked if s[2] >= 9]
    plain = [s for s in stocked if s not in roomy[:RELEASED_ORDERS * 2]]
    for n in range(1, OPEN_ORDERS + 1):
        lines = [{"sku": sku, "qty": rng.randint(1, max(1, min(6, int(free // 4))))}
                 for sku, free, _ in rng.sample(plain, rng.randint(1, 4))]
        save_order(conn, SalesOrderIn(id=f"SO-{200000 + n}", customer=rng.choice(CUSTOMERS),
                                      priority=rng.choice((1, 3, 5, 5, 5, 5, 7, 9)), cutoff_at=_cutoff(rng, today),
                                      carrier=rng.choice(CARRIERS), lines=lines), source="demo")
    wave_orders = []
    for n, (sku, _, least) in enumerate(roomy[:RELEASED_ORDERS], start=OPEN_ORDERS + 1):
        oid = f"SO-{200000 + n}"
        save_order(conn, SalesOrderIn(id=oid, customer=rng.choice(CUSTOMERS), priority=1,
                                      cutoff_at=datetime.combine(today, time(CUTOFF_HOURS[0], 0), tzinfo=timezone.utc),
                                      carrier=CARRIERS[0], lines=[{"sku": sku, "qty": max(1, int(least // 3))}]),
                   source="demo")
        wave_orders.append(oid)
    if wave_orders:
        picker = users.get("picker")
        release_wave(conn, WaveIn(kind="batch", order_ids=wave_orders, assign_to=[picker] if picker else []),
                     user_id=users.get("supervisor"))
