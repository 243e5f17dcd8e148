"""Low-stock alerts: available = on hand - reserved + on order, against the
reorder point in force (replenishment.levels). No Flask.

An alert is raised once, when available falls to or below the reorder point,
and cleared once, when it climbs back above it; stock_alert holds at most one
open alert per item (a unique partial index), so re-evaluating after every
commit never raises twice. Evaluated after commits that change stock (the
hook in edge/realtime.py calls edge.api.replenishment.after_commit), and for
every item by :func:`refresh` with ``skus=None`` (API, CLI, after a plan).
"""
from __future__ import annotations

from edge.analytics.replenishment import levels
from edge.ledger import utcnow

# Stock in these bins cannot be sold from this site now.
UNAVAILABLE_KINDS = ("in-transit", "quarantine")
EPS = 1e-9


def _in(skus):
    return ",".join("?" * len(skus))


def on_order(conn, skus=None) -> dict[str, float]:
    """sku -> ordered on purchase orders that are not closed, less what was received against them."""
    where, params = "", []
    if skus is not None:
        where, params = f" AND l.sku IN ({_in(skus)})", list(skus)
    ordered: dict[tuple[str, str], float] = {}
    for r in conn.execute("SELECT l.po_id, l.sku, sum(l.qty) AS qty FROM po_line l JOIN purchase_order p "
                          f"ON p.id = l.po_id WHERE p.status <> 'closed'{where} GROUP BY l.po_id, l.sku", params):
        ordered[(r["po_id"], r["sku"])] = r["qty"]
    if not ordered:
        return {}
    pos = sorted({po for po, _ in ordered})
    received: dict[tuple[str, str], float] = {}
    for i in range(0, len(pos), 500):
        chunk = pos[i:i + 500]
        for r in conn.execute(
                "SELECT r.po_id, m.sku, sum(m.qty) AS qty FROM receipt r JOIN movement m ON m.ref_type = 'receipt' "
                f"AND m.ref_id = r.id AND m.kind = 'receive' WHERE r.po_id IN ({_in(chunk)}) GROUP BY r.po_id, m.sku",
                chunk):
            received[(r["po_id"], r["sku"])] = r["qty"]
    out: dict[str, float] = {}
    for key, qty in ordered.items():
        out[key[1]] = out.get(key[1], 0.0) + max(0.0, qty - received.get(key, 0.0))
    return out


def availability(conn, skus=None) -> dict[str, dict]:
    """sku -> on_hand, reserved, on_order, available (for ``skus`` or every item with any of them)."""
    where, params = "", []
    if skus is not None:
        skus = sorted(set(skus))
        if not skus:
            return {}
        where, params = f" AND s.sku IN ({_in(skus)})", skus
    out: dict[str, dict] = {}
    for r in conn.execute(
            "SELECT s.sku, sum(s.qty) AS qty, sum(s.reserved) AS reserved FROM stock s JOIN bin b ON b.code = s.bin "
            f"WHERE b.kind NOT IN ({','.join(repr(k) for k in UNAVAILABLE_KINDS)}){where} GROUP BY s.sku", params):
        out[r["sku"]] = {"on_hand": r["qty"], "reserved": r["reserved"], "on_order": 0.0}
    for sku, qty in on_order(conn, skus).items():
        out.setdefault(sku, {"on_hand": 0.0, "reserved": 0.0, "on_order": 0.0})["on_order"] = qty
    for sku in skus or ():
        out.setdefault(sku, {"on_hand": 0.0, "reserved": 0.0, "on_order": 0.0})
    for v in out.values():
        v["available"] = round(v["on_hand"] - v["reserved"] + v["on_order"], 6)
    return out


def refresh(conn, skus=None, now: str | None = None) -> list[dict]:
    """Raise and clear alerts for ``skus`` (None: every item); returns what changed."""
    now = now or utcnow()
    if skus is not None:
        skus = sorted(set(skus))
        if not skus:
            return []
    changed: list[dict] = []
    for start in range(0, len(skus) if skus is not None else 1, 500):
        chunk = skus[start:start + 500] if skus is not None else None
        changed += _refresh_chunk(conn, chunk, now)
    return changed


def _refresh_chunk(conn, skus, now: str) -> list[dict]:
    out = []
    for sku, state, available, rop, alert_id in evaluate(conn, skus):
        if state == "raised":
            alert_id = conn.execute("INSERT INTO stock_alert (sku, raised_at, available, reorder_point) "
                                    "VALUES (?,?,?,?)", (sku, now, available, rop)).lastrowid
        else:
            conn.execute("UPDATE stock_alert SET cleared_at = ?, cleared_available = ? WHERE id = ?",
                         (now, available, alert_id))
        out.append({"id": alert_id, "sku": sku, "state": state, "available": available,
                    "reorder_point": round(rop, 4) if rop is not None else None, "at": now})
    return out


def evaluate(conn, skus) -> list[tuple]:
    """What :func:`refresh` would change, without writing: (sku, 'raised' | 'cleared',
    available, reorder point, open alert id). Cheap enough to run on a reader
    after every commit, so the writer is only asked when something changes."""
    rops = levels(conn, skus)
    where, params = "", []
    if skus is not None:
        where, params = f" AND sku IN ({_in(skus)})", list(skus)
    open_alerts = {r["sku"]: r["id"] for r in conn.execute(
        f"SELECT sku, id FROM stock_alert WHERE cleared_at IS NULL{where}", params)}
    if skus is None:
        avail = availability(conn)
    else:
        # Only an item with a reorder point or an open alert can change state: sum
        # the stock of those alone. Called after every live-event flush with the
        # items that moved, this was half of the flush's CPU (docs/performance.md, step 10).
        candidates = [s for s in skus if s in open_alerts or (s in rops and (rops[s]["reorder_point"] or 0) > 0)]
        avail = availability(conn, candidates) if candidates else {}
    out = []
    for sku in sorted(set(rops) | set(open_alerts)):
        rop = rops[sku]["reorder_point"] if sku in rops else None
        available = avail.get(sku, {}).get("available", 0.0)
        low = rop is not None and rop > 0 and available <= rop + EPS
        if low and sku not in open_alerts:
            out.append((sku, "raised", available, rop, None))
        elif not low and sku in open_alerts:
            out.append((sku, "cleared", available, rop, open_alerts[sku]))
    return out


def list_alerts(conn, *, status: str = "open", limit: int = 1000, after_id: int = 0) -> list[dict]:
    where = {"open": "a.cleared_at IS NULL", "cleared": "a.cleared_at IS NOT NULL", "all": "1"}[status]
    rows = [dict(r) for r in conn.execute(
        "SELECT a.*, i.description FROM stock_alert a JOIN item i ON i.sku = a.sku "
        f"WHERE {where} AND a.id > ? ORDER BY a.id LIMIT ?", (after_id, limit))]
    if status == "open" and rows:
        now = availability(conn, [r["sku"] for r in rows])
        for r in rows:
            r["available_now"] = now.get(r["sku"], {}).get("available", 0.0)
    return rows
