"""The scan module's view of master data, read from SQLite."""
from __future__ import annotations

import sqlite3

from edge.auth import hash_badge, site_salt


# (document type a scan answers with, its table), in the order they are asked.
DOCUMENT_TABLES = (("purchase_order", "purchase_order"), ("asn", "asn"), ("sales_order", "sales_order"),
                   ("transfer", "transfer"), ("return", "return_order"))


# Who may learn which codes are other people's badges (they manage the users anyway).
BADGE_READERS = ("supervisor", "admin")


class SqliteCatalog:
    def __init__(self, conn: sqlite3.Connection, viewer: dict | None = None):
        """``viewer``: the signed-in user asking (id, role). A badge signs in, so a
        scan must not be a way to try codes until one names an admin: to a viewer in
        BADGE_READERS every badge is a badge, to another only their own, and without
        a viewer (a workflow reading an item or pallet scan inside a command) none."""
        self.conn = conn
        self.viewer = viewer

    def bin(self, code: str) -> dict | None:
        row = self.conn.execute("SELECT code, zone, aisle, walk_seq, kind, capacity, active FROM bin WHERE code = ?",
                                (code,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["active"] = bool(out["active"])
        return out

    def barcode(self, code: str) -> dict | None:
        row = self.conn.execute(
            "SELECT b.sku, b.pack_qty, i.description, i.uom, i.tracking, i.perishable "
            "FROM barcode b JOIN item i ON i.sku = b.sku WHERE b.code = ?", (code,)).fetchone()
        if row is None:
            return None
        return {"sku": row["sku"], "pack_qty": row["pack_qty"],
                "item": {"sku": row["sku"], "description": row["description"], "uom": row["uom"],
                         "tracking": row["tracking"], "perishable": bool(row["perishable"])}}

    def badge(self, code: str) -> dict | None:
        row = self.conn.execute("SELECT id, name, role FROM user WHERE badge_hash = ? AND active",
                                (hash_badge(code, site_salt(self.conn)),)).fetchone()
        if row is None:
            return None
        viewer = self.viewer
        if viewer is None or (viewer.get("role") not in BADGE_READERS and viewer.get("id") != row["id"]):
            return None
        return dict(row)

    def document(self, code: str) -> dict | None:
        """A document by its number as printed on the paperwork. Receiving documents
        come first: their numbers are kept unique against bins, barcodes and each other."""
        for kind, table in DOCUMENT_TABLES:
            row = self.conn.execute(f"SELECT id, status FROM {table} WHERE id = ?", (code,)).fetchone()
            if row is not None:
                return {"type": kind, "id": row["id"], "status": row["status"]}
        return None

