"""Changes down: the change log, the ERP writes that append to it, documents
edges send up, and transfers between warehouses.

The log is compacted as it is written: a key (kind, key, warehouse) keeps only
its newest version, so a reader after any cursor gets the newest version of
each key in cursor order, and a reader from 0 gets the whole current state.
Appending is serialized (BEGIN IMMEDIATE on SQLite, an advisory lock on
PostgreSQL) so positions become visible in the order they are handed out: a
reader can never see position 20 before 19 commits and then skip 19.
"""
from __future__ import annotations

import json
import re

from edge.ledger import utcnow
from sync.central.errors import AlreadyExists, CursorAhead, UnknownItem, UnknownKey, WrongWarehouse

ALL = ""  # change.warehouse of changes every warehouse receives (items, barcodes)
TRANSFER_RANK = {"open": 0, "in_transit": 1, "received": 2}


def dumps(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


EDGE_TRANSFER_ID = re.compile(r"^(?P<site>.+)-TR-[0-9]+$")


def site_of(tid: str) -> str | None:
    """The site an edge-numbered transfer id (``<site>-TR-<n>``) belongs to: only
    that site can be its source, whichever warehouse central hears from first."""
    m = EDGE_TRANSFER_ID.match(tid)
    return m["site"] if m else None


class ChangesMixin:
    """Change log, ERP writes, documents, transfers (part of Store)."""

    # -- the log ------------------------------------------------------------------

    def _append_change(self, conn, kind: str, key: str, warehouse: str, op: str, data: dict) -> int:
        self._lock_serial(conn, "change")
        self.run(conn, "DELETE FROM change WHERE kind = ? AND key = ? AND warehouse = ?", (kind, key, warehouse))
        row = self.one(conn, "INSERT INTO change (kind, key, warehouse, op, data, created_at) "
                             "VALUES (?, ?, ?, ?, ?, ?) RETURNING pos", (kind, key, warehouse, op, dumps(data), utcnow()))
        return row["pos"]

    def _current(self, conn, kind: str, key: str, warehouse: str = ALL) -> dict | None:
        row = self.one(conn, "SELECT pos, op, data FROM change WHERE kind = ? AND key = ? AND warehouse = ?",
                       (kind, key, warehouse))
        if row is None:
            return None
        return {"cursor": row["pos"], "op": row["op"], "data": json.loads(row["data"])}

    def changes(self, warehouse: str, after: int = 0, limit: int = 500) -> dict:
        """The page of changes for this warehouse after the cursor, oldest first."""
        conn = self.conn()
        # Two index range scans (everyone's, this warehouse's) merged, instead of
        # walking every warehouse's documents in position order.
        cols = "pos, kind, key, op, data"
        rows = self.all(conn, f"SELECT {cols} FROM (SELECT {cols} FROM change WHERE warehouse = ? AND pos > ? "
                              f"ORDER BY pos LIMIT ?) AS everyone UNION ALL SELECT {cols} FROM (SELECT {cols} "
                              "FROM change WHERE warehouse = ? AND pos > ? ORDER BY pos LIMIT ?) AS mine "
                              "ORDER BY pos LIMIT ?",
                        (ALL, after, limit + 1, warehouse, after, limit + 1, limit + 1))
        if not rows and after:
            self._check_not_ahead(conn, after)
        more = len(rows) > limit
        rows = rows[:limit]
        return {"changes": [{"cursor": r["pos"], "kind": r["kind"], "key": r["key"], "op": r["op"],
                             "data": json.loads(r["data"])} for r in rows],
                "cursor": rows[-1]["pos"] if rows else after, "more": more}

    def _check_not_ahead(self, conn, after: int) -> None:
        # The newest position is never compacted away, so a cursor past it was handed out by
        # another central (or one restored from an older backup): say so instead of skipping.
        newest = self.one(conn, "SELECT max(pos) AS pos FROM change")["pos"] or 0
        if after > newest:
            raise CursorAhead(f"change cursor {after} is ahead of this central (newest change {newest}); "
                              "central was replaced or restored: start again from 0 (applying is idempotent)",
                              field="after", cursor=newest)

    def latest(self, kind: str, key: str, warehouse: str = ALL) -> dict | None:
        """The newest version of one key, as the change feed would send it."""
        return self._current(self.conn(), kind, key, warehouse)

    # -- master data (ERP) ----------------------------------------------------------

    def _save(self, kind: str, key: str, data: dict, warehouse: str = ALL, check=None) -> dict:
        with self.tx() as conn:
            self._lock_serial(conn, "change")  # before reading: `created` and the key's row stay true
            if check:
                check(conn)
            prev = self._current(conn, kind, key, warehouse)
            pos = self._append_change(conn, kind, key, warehouse, "upsert", data)
        return {"kind": kind, "key": key, "cursor": pos, "created": prev is None or prev["op"] == "delete",
                "data": data}

    def upsert_item(self, item: dict) -> dict:
        return self._save("item", item["sku"], item)

    def upsert_barcode(self, barcode: dict) -> dict:
        def check(conn):
            self._require_items(conn, [barcode["sku"]], "sku")
        return self._save("barcode", barcode["code"], barcode, check=check)

    def upsert_bin(self, warehouse: str, bin_: dict) -> dict:
        return self._save("bin", bin_["code"], bin_, warehouse,
                          check=lambda conn: self.require_warehouse(conn, warehouse))

    def upsert_document(self, kind: str, warehouse: str, doc: dict) -> dict:
        """A purchase order or sales order for one warehouse (create or replace)."""
        def check(conn):
            self.require_warehouse(conn, warehouse)
            self._require_items(conn, [ln["sku"] for ln in doc["lines"]], "lines[{}].sku")
        return self._save(kind, doc["id"], doc, warehouse, check=check)

    def delete(self, kind: str, key: str, warehouse: str = ALL) -> dict:
        """Deactivate master data (items, bins) or withdraw a barcode: an op 'delete' change."""
        with self.tx() as conn:
            self._lock_serial(conn, "change")
            prev = self._current(conn, kind, key, warehouse)
            if prev is None or prev["op"] == "delete":
                raise UnknownKey(f"no {kind} {key!r}" + (f" in {warehouse}" if warehouse else ""))
            data = dict(prev["data"])
            if "active" in data:
                data["active"] = False
            pos = self._append_change(conn, kind, key, warehouse, "delete", data)
        return {"kind": kind, "key": key, "cursor": pos, "created": False, "data": data}

    def _require_items(self, conn, skus: list[str], field: str) -> None:
        for i, sku in enumerate(skus):
            cur = self._current(conn, "item", sku)
            if cur is None or cur["op"] == "delete":
                raise UnknownItem(f"central has no active item {sku!r}; create it first (POST /api/v1/items)",
                                  field=field.format(i))

    # -- documents from edges ---------------------------------------------------------

    def record_documents(self, warehouse: str, documents: list[dict]) -> dict:
        """Documents an edge created ({kind, key, data}), all in one transaction."""
        accepted, duplicates = [], []
        with self.tx() as conn:
            # The warehouse row first, as a batch of movements takes it: one lock order, no deadlock
            # between a batch advancing a transfer and a document about the same transfer.
            self.one(conn, "SELECT code FROM warehouse WHERE code = ?" + self.for_update, (warehouse,))
            self._lock_serial(conn, "change")
            now = utcnow()
            for i, doc in enumerate(documents):
                if doc["kind"] == "transfer":
                    fresh = self._record_shipped_transfer(conn, warehouse, doc["data"], now, f"documents[{i}].key")
                else:  # purchase_order: the first version wins, central's later edits stand
                    fresh = self._current(conn, "purchase_order", doc["key"], warehouse) is None
                    if fresh:
                        self._append_change(conn, "purchase_order", doc["key"], warehouse, "upsert", doc["data"])
                (accepted if fresh else duplicates).append(doc["key"])
            self.run(conn, "UPDATE warehouse SET last_contact = ? WHERE code = ?", (now, warehouse))
        return {"accepted": accepted, "duplicates": duplicates}

    def _record_shipped_transfer(self, conn, warehouse: str, data: dict, now: str, field: str) -> bool:
        tid, text, dst = data["id"], dumps(data), data["to_site"]
        row = self.one(conn, "SELECT shipped, from_warehouse, to_warehouse FROM transfer WHERE id = ?", (tid,))
        owner = row["from_warehouse"] if row is not None and row["from_warehouse"] else site_of(tid)
        if owner not in (None, warehouse):
            # Only the source dispatches a transfer: another warehouse's token must not
            # rewrite what was shipped, or where to, or send it to a destination.
            raise WrongWarehouse(f"transfer {tid!r} is {owner}'s, not {warehouse}'s", field=field)
        if row is not None and row["shipped"] == text:
            return False
        elsewhere = row is not None and row["to_warehouse"] not in (None, dst)
        if elsewhere:
            # Receipts booked at a warehouse the source did not send it to made this row:
            # they are not this transfer's (_record_receipt reads the destination's only).
            self.run(conn, "UPDATE transfer SET status = 'in_transit', received_at = NULL WHERE id = ?", (tid,))
        if row is None:
            self.run(conn, "INSERT INTO transfer (id, from_warehouse, to_warehouse, status, shipped, created_at, "
                           "in_transit_at, updated_at) VALUES (?, ?, ?, 'in_transit', ?, ?, ?, ?)",
                     (tid, warehouse, data["to_site"], text, now, now, now))
        else:
            self.run(conn, "UPDATE transfer SET shipped = ?, to_warehouse = ?, updated_at = ? WHERE id = ?",
                     (text, data["to_site"], now, tid))
            self._advance_transfer(conn, tid, "in_transit", now, from_warehouse=warehouse)
        if elsewhere and self.one(
                conn, "SELECT 1 FROM movement WHERE ref_type = 'transfer' AND ref_id = ? AND kind = 'transfer_in' "
                      "AND warehouse = ? LIMIT 1", (tid, dst)):
            self._advance_transfer(conn, tid, "received", now, to_warehouse=dst)
        self._record_receipt(conn, tid, None, None)  # receipts that came before the document
        self._append_change(conn, "transfer", tid, dst, "upsert", data)
        return True

    # -- transfers ordered at central ------------------------------------------------

    def create_transfer(self, body: dict) -> dict:
        """A transfer between two warehouses; it goes down to the source as a transfer_order."""
        src, dst = body["from_warehouse"], body["to_warehouse"]
        with self.tx() as conn:
            self._lock_serial(conn, "change")  # two orders at once must not pick the same next id
            self.require_warehouse(conn, src, "from_warehouse")
            self.require_warehouse(conn, dst, "to_warehouse")
            self._require_items(conn, [ln["sku"] for ln in body["lines"]], "lines[{}].sku")
            tid = body.get("id") or self._next_transfer_id(conn, src)
            if self.one(conn, "SELECT id FROM transfer WHERE id = ?", (tid,)):
                raise AlreadyExists(f"transfer {tid!r} exists already", field="id")
            order = {"id": tid, "to_site": dst, "note": body.get("note"), "lines": body["lines"]}
            now = utcnow()
            self.run(conn, "INSERT INTO transfer (id, from_warehouse, to_warehouse, status, ordered, created_at, "
                           "updated_at) VALUES (?, ?, ?, 'open', ?, ?, ?)", (tid, src, dst, dumps(order), now, now))
            self._append_change(conn, "transfer_order", tid, src, "upsert", order)
        return self.transfer(tid)

    def _next_transfer_id(self, conn, src: str) -> str:
        # -CT- (central transfer) so ids never meet the edge's own <site>-TR-<n>.
        n = self.one(conn, "SELECT count(*) AS n FROM transfer WHERE from_warehouse = ?", (src,))["n"] + 1
        while self.one(conn, "SELECT id FROM transfer WHERE id = ?", (f"{src}-CT-{n:06d}",)):
            n += 1
        return f"{src}-CT-{n:06d}"

    def _advance_transfer(self, conn, tid: str, status: str, now: str, *, from_warehouse: str | None = None,
                          to_warehouse: str | None = None) -> None:
        """Move a transfer forward (open -> in_transit -> received), never back; movements may
        arrive before the document, so an unknown id becomes a stub the document completes."""
        row = self.one(conn, "SELECT status, from_warehouse, to_warehouse FROM transfer WHERE id = ?", (tid,))
        received = now if status == "received" else None
        if row is not None and self._foreign(row, from_warehouse, to_warehouse):
            return
        if (from_warehouse is not None and (row is None or row["from_warehouse"] is None)
                and site_of(tid) not in (None, from_warehouse)):
            return  # another site's transfer id: shipping it does not make this warehouse its source
        if row is None:
            self.run(conn, "INSERT INTO transfer (id, from_warehouse, to_warehouse, status, created_at, "
                           "in_transit_at, received_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (tid, from_warehouse, to_warehouse, status, now, now, received, now))
            return
        self.run(conn, "UPDATE transfer SET from_warehouse = COALESCE(from_warehouse, ?), "
                       "to_warehouse = COALESCE(to_warehouse, ?) WHERE id = ?", (from_warehouse, to_warehouse, tid))
        if row["from_warehouse"] is None and from_warehouse is not None:
            self._record_receipt(conn, tid, None, None)  # receipts that came before the source was known
        if TRANSFER_RANK[status] > TRANSFER_RANK[row["status"]]:
            self.run(conn, "UPDATE transfer SET status = ?, in_transit_at = COALESCE(in_transit_at, ?), "
                           "received_at = COALESCE(received_at, ?), updated_at = ? WHERE id = ?",
                     (status, now, received, now, tid))

    @staticmethod
    def _foreign(row, from_warehouse: str | None, to_warehouse: str | None) -> bool:
        """Movements of a warehouse that is neither this transfer's source (shipping) nor
        its destination or source (receiving): they stay that warehouse's stock facts,
        but they do not move the transfer on."""
        if from_warehouse is not None and row["from_warehouse"] not in (None, from_warehouse):
            return True
        return (to_warehouse is not None and row["to_warehouse"] not in (None, to_warehouse)
                and row["from_warehouse"] != to_warehouse)

    # -- receipts back to the source ------------------------------------------------------

    def _record_receipt(self, conn, tid: str, warehouse: str | None, deltas: dict[tuple, float] | None) -> None:
        """Append the source's ``transfer_receipt`` change: what the destination has received
        of this transfer so far, per (sku, lot, serial), so the source can empty its in-transit
        bin (sync/apply.py). ``deltas`` are the quantities of transfer_in movements just
        inserted (each counted once, as the stock projection); None reads them all from the
        movements, for when the source becomes known after receipts arrived. Cumulative, so
        the log's newest-version-per-key compaction loses nothing. Caller holds the change lock."""
        t = self.one(conn, "SELECT from_warehouse, to_warehouse, shipped, ordered FROM transfer WHERE id = ?", (tid,))
        src = t["from_warehouse"] if t else None
        if src is None or warehouse == src:
            return  # a source receiving its own transfer takes the goods out of its transit bin itself
        if t["shipped"] is None and t["ordered"] is None:
            return  # where it goes is a receipt's word only, until the source's document or central's order
        dst = t["to_warehouse"]
        if warehouse is not None and warehouse != dst:
            return  # not the destination: its transfer_in movements empty nobody's transit bin
        prev = self._current(conn, "transfer_receipt", tid, src)
        if deltas is None:
            got = {(r["sku"], r["lot"] or "", r["serial"] or ""): r["qty"] for r in self.all(
                conn, "SELECT sku, lot, serial, sum(qty) AS qty FROM movement WHERE ref_type = 'transfer' "
                      "AND ref_id = ? AND kind = 'transfer_in' AND warehouse = ? GROUP BY sku, lot, serial",
                (tid, dst))}
        else:
            got = {(r["sku"], r["lot"] or "", r["serial"] or ""): r["qty"]
                   for r in (prev["data"]["received"] if prev else [])}
            for key, qty in deltas.items():
                got[key] = got.get(key, 0.0) + qty
        if not got:
            return
        shipped = (json.loads(t["shipped"]).get("items") or []) if t["shipped"] else []
        data = {"id": tid, "to_site": t["to_warehouse"] or warehouse,
                "received": [{"sku": sku, "lot": lot or None, "serial": serial or None, "qty": round(qty, 6)}
                             for (sku, lot, serial), qty in sorted(got.items())],
                # Everything the source's dispatched document says it shipped has arrived.
                "complete": bool(shipped) and all(
                    got.get((it["sku"], it.get("lot") or "", it.get("serial") or ""), 0.0)
                    >= float(it.get("shipped") or 0) - 1e-6 for it in shipped)}
        if prev is None or prev["data"] != data:
            self._append_change(conn, "transfer_receipt", tid, src, "upsert", data)
