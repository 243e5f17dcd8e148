"""The read API's queries: company-wide stock, movement history, warehouses
with their sync state, transfers; and the checks tests and operators run."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sync.central.errors import UnknownKey
from sync.central.ingest import COLS, movement_digest

STOCK_DIMENSIONS = ("warehouse", "bin", "sku", "lot")
EPS = 1e-9


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class ReadsMixin:
    """Reads (part of Store)."""

    def stock(self, by: tuple[str, ...] = STOCK_DIMENSIONS, *, limit: int = 1000, offset: int = 0,
              **filters) -> list[dict]:
        """On hand summed over the dimensions left out of ``by``; filters on any dimension."""
        cols = [d for d in STOCK_DIMENSIONS if d in by] or list(STOCK_DIMENSIONS)
        where, params = [], []
        for name in STOCK_DIMENSIONS:
            if filters.get(name) is not None:
                where.append(f"{name} = ?")
                params.append(filters[name])
        sql = (f"SELECT {', '.join(cols)}, sum(qty) AS qty FROM stock"
               + (" WHERE " + " AND ".join(where) if where else "")
               + f" GROUP BY {', '.join(cols)} HAVING abs(sum(qty)) > {EPS} ORDER BY {', '.join(cols)} "
               "LIMIT ? OFFSET ?")
        return self.all(self.conn(), sql, params + [limit, offset])

    def movements(self, *, warehouse: str | None = None, sku: str | None = None, bin: str | None = None,
                  ref_type: str | None = None, ref_id: str | None = None, after: tuple[str, int] | None = None,
                  limit: int = 500) -> dict:
        """Movement history in (warehouse, seq) order, keyset-paged: pass back ``next``."""
        where, params = [], []
        for name, value in (("warehouse", warehouse), ("sku", sku), ("ref_type", ref_type), ("ref_id", ref_id)):
            if value is not None:
                where.append(f"{name} = ?")
                params.append(value)
        if bin is not None:
            where.append("(from_bin = ? OR to_bin = ?)")
            params += [bin, bin]
        if after is not None:
            where.append("(warehouse > ? OR (warehouse = ? AND seq > ?))")
            params += [after[0], after[0], after[1]]
        rows = self.all(self.conn(), f"SELECT warehouse, {', '.join(COLS)} FROM movement"
                        + (" WHERE " + " AND ".join(where) if where else "")
                        + " ORDER BY warehouse, seq LIMIT ?", params + [limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        return {"items": rows, "next": f"{rows[-1]['warehouse']}:{rows[-1]['seq']}" if more else None}

    def warehouses(self) -> list[dict]:
        """Every warehouse with its sync state: cursor, newest movement held, lag, last contact."""
        now = datetime.now(timezone.utc)
        out = []
        for r in self.all(self.conn(), "SELECT code, synced_seq, newest_recorded_at, last_contact, created_at "
                                       "FROM warehouse ORDER BY code"):
            newest = _parse_time(r["newest_recorded_at"])
            out.append({"code": r["code"], "cursor": r["synced_seq"], "newest_recorded_at": r["newest_recorded_at"],
                        "lag_seconds": round((now - newest).total_seconds(), 3) if newest else None,
                        "last_contact": r["last_contact"], "created_at": r["created_at"]})
        return out

    def transfers(self, *, status: str | None = None, warehouse: str | None = None, limit: int = 100) -> list[dict]:
        where, params = [], []
        if status:
            where.append("status = ?")
            params.append(status)
        if warehouse:
            where.append("(from_warehouse = ? OR to_warehouse = ?)")
            params += [warehouse, warehouse]
        rows = self.all(self.conn(), "SELECT * FROM transfer" + (" WHERE " + " AND ".join(where) if where else "")
                        + " ORDER BY created_at, id LIMIT ?", params + [limit])
        return [self._transfer_out(r) for r in rows]

    def transfer(self, tid: str) -> dict:
        row = self.one(self.conn(), "SELECT * FROM transfer WHERE id = ?", (tid,))
        if row is None:
            raise UnknownKey(f"no transfer {tid!r}", field="transfer_id")
        return self._transfer_out(row)

    @staticmethod
    def _transfer_out(row: dict) -> dict:
        out = {k: row[k] for k in ("id", "from_warehouse", "to_warehouse", "status", "created_at", "in_transit_at",
                                   "received_at", "updated_at")}
        out["ordered"] = json.loads(row["ordered"]) if row["ordered"] else None
        out["shipped"] = json.loads(row["shipped"]) if row["shipped"] else None
        return out

    # -- checks ---------------------------------------------------------------------

    def stock_differences(self) -> list[dict]:
        """Where the stock projection differs from the sum of the movements (empty when sound)."""
        conn = self.conn()
        ledger: dict[tuple, float] = {}
        for r in self.all(conn, "SELECT warehouse, from_bin AS bin, sku, lot, -sum(qty) AS q FROM movement "
                                "WHERE from_bin IS NOT NULL GROUP BY warehouse, from_bin, sku, lot "
                                "UNION ALL SELECT warehouse, to_bin AS bin, sku, lot, sum(qty) AS q FROM movement "
                                "WHERE to_bin IS NOT NULL GROUP BY warehouse, to_bin, sku, lot"):
            key = (r["warehouse"], r["bin"], r["sku"], r["lot"])
            ledger[key] = ledger.get(key, 0.0) + r["q"]
        projected = {(r["warehouse"], r["bin"], r["sku"], r["lot"]): r["qty"]
                     for r in self.all(conn, "SELECT warehouse, bin, sku, lot, qty FROM stock")}
        out = []
        for key in sorted(set(ledger) | set(projected)):
            a, b = ledger.get(key, 0.0), projected.get(key, 0.0)
            if abs(a - b) > 1e-6:
                out.append({"warehouse": key[0], "bin": key[1], "sku": key[2], "lot": key[3],
                            "ledger": a, "projection": b})
        return out

    def movement_digest(self, warehouse: str) -> tuple[int, str]:
        """(count, sha256) of a warehouse's movements in seq order; see ingest.movement_digest."""
        cur = self.run(self.conn(), f"SELECT {', '.join(COLS)} FROM movement WHERE warehouse = ? ORDER BY seq",
                       (warehouse,))
        return movement_digest(tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in cur)
