"""Transfers between warehouses: the document and its reads (issue 3). No Flask.

A transfer goes from this site (``meta.site_id``) to another. The sending
edge plans lines, ships stock into its in-transit bin line by line
(``transfer.ship``, kind ``transfer_out``) and dispatches the lorry
(``transfer.dispatch``). The receiving edge needs only the document and what
was shipped (``items``: sku, lot, serial, expiry, qty) to receive against it
(``transfer.receive``, kind ``transfer_in``) and close it (``transfer.close``:
short lines become exceptions). The floor commands are in transfers_floor.py.

Until sync carries documents between edges, a receiving edge takes a
dispatched document with POST /api/v1/transfers/inbound, and one edge may
play both ends: then the receipt takes the goods out of its own in-transit
bin, where the shipment put them.

When the other site receives, central sends the sender a ``transfer_receipt``
change (what has arrived so far, cumulative) and :func:`apply_receipt` takes
that much out of the sender's in-transit bin (kind ``transfer_delivered``, to
no bin): the goods now count only where they arrived.
"""
from __future__ import annotations

import json
import re
import sqlite3
import uuid
from typing import Optional

from pydantic import Field

from edge.ledger import LedgerError, Movement, PostResult, UnknownItem, post_movements, utcnow
from edge.masterdata import AlreadyExists, InUse, NotFound, expected_barcodes
from edge.models import Strict
from edge.workflows.moves import bin_of_kind

SITE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
DEFAULT_SITE = "WH1"


class NotThisSite(LedgerError):
    """The transfer does not start or end at this site."""

    status, title, type_slug = 409, "Not this site's transfer", "not-this-site"


def site_id(conn) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = 'site_id'").fetchone()
    return row["value"] if row else DEFAULT_SITE


def set_site_id(conn, value: str) -> str:
    if not re.match(SITE_PATTERN, value):
        raise LedgerError(f"a site id is 1-32 letters, digits, '-' or '_'; not {value!r}", field="site_id")
    if value != site_id(conn) and conn.execute("SELECT 1 FROM transfer LIMIT 1").fetchone():
        raise InUse("transfers already name this site; its id cannot change", field="site_id")
    conn.execute("INSERT INTO meta (key, value) VALUES ('site_id', ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (value,))
    return value


# -- creating documents --------------------------------------------------------------

Site = Field(min_length=1, max_length=32, pattern=SITE_PATTERN)
Lot = Field(None, max_length=64)


class TransferLineIn(Strict):
    sku: str = Field(min_length=1, max_length=64)
    qty: float = Field(gt=0, le=1_000_000_000)
    lot: Optional[str] = Field(Lot.default, max_length=64, description="Only this lot may be shipped for the line")


class TransferIn(Strict):
    id: Optional[str] = Field(None, min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$",
                              description="Default <site>-TR-<number>")
    to_site: str = Site
    transit_bin: Optional[str] = Field(None, min_length=1, max_length=64,
                                       description="Where the goods are while on the way; default this site's "
                                                   "in-transit bin")
    note: Optional[str] = Field(None, max_length=500)
    lines: list[TransferLineIn] = Field(min_length=1, max_length=500)


class SenderView(Strict):
    # A document as the sending site shows it carries more than the receiver needs.
    model_config = Strict.model_config | {"extra": "ignore"}


class InboundLine(SenderView):
    sku: str = Field(min_length=1, max_length=64)
    qty: float = Field(gt=0, le=1_000_000_000)
    lot: Optional[str] = Lot


class ShippedItem(SenderView):
    sku: str = Field(min_length=1, max_length=64)
    lot: Optional[str] = Lot
    serial: Optional[str] = Field(None, max_length=64)
    expiry: Optional[str] = Field(None, max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$")
    shipped: float = Field(gt=0, le=1_000_000_000)


class InboundTransferIn(SenderView):
    """A dispatched transfer from another site, as GET /transfers/{id} shows it there."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f]+$")
    from_site: str = Site
    to_site: str = Site
    note: Optional[str] = Field(None, max_length=500)
    lines: list[InboundLine] = Field(min_length=1, max_length=500)
    items: list[ShippedItem] = Field(min_length=1, max_length=5000, description="What was shipped")


def _check_lines(conn, lines: list) -> None:
    for i, line in enumerate(lines):
        item = conn.execute("SELECT tracking FROM item WHERE sku = ?", (line.sku,)).fetchone()
        if item is None:
            raise UnknownItem(f"no item with sku {line.sku!r}", field=f"lines[{i}].sku")
        if line.lot and item["tracking"] == "none":
            raise LedgerError(f"{line.sku} is not lot-tracked; do not give a lot", field=f"lines[{i}].lot")


def _next_id(conn, site: str) -> str:
    n = conn.execute("SELECT count(*) FROM transfer WHERE from_site = ?", (site,)).fetchone()[0] + 1
    while conn.execute("SELECT 1 FROM transfer WHERE id = ?", (f"{site}-TR-{n:06d}",)).fetchone():
        n += 1
    return f"{site}-TR-{n:06d}"


def _insert(conn, tid: str, from_site: str, to_site: str, status: str, transit_bin, note, user_id, lines) -> None:
    try:
        conn.execute("INSERT INTO transfer (id, from_site, to_site, status, transit_bin, note, created_by, created_at) "
                     "VALUES (?,?,?,?,?,?,?,?)", (tid, from_site, to_site, status, transit_bin, note, user_id, utcnow()))
    except sqlite3.IntegrityError:
        raise AlreadyExists(f"transfer {tid!r} already exists", field="id") from None
    conn.executemany("INSERT INTO transfer_line (transfer_id, line_no, sku, lot, qty) VALUES (?,?,?,?,?)",
                     [(tid, n, line.sku, line.lot or "", line.qty) for n, line in enumerate(lines, 1)])


def create(conn, body: TransferIn, user_id: int | None, *, from_central: bool = False) -> dict:
    """An outbound transfer; ``from_central``: central ordered it, under the id it chose."""
    here = site_id(conn)
    if body.to_site == here:
        raise LedgerError(f"this site is {here}; a transfer goes to another site", field="to_site")
    _check_lines(conn, body.lines)
    if body.transit_bin:
        transit = bin_of_kind(conn, body.transit_bin, ("in-transit",), "transit_bin", "goods on the way")["code"]
    else:
        row = conn.execute("SELECT code FROM bin WHERE kind = 'in-transit' AND active = 1 ORDER BY code LIMIT 1"
                           ).fetchone()
        if row is None:
            raise NotFound("this site has no in-transit bin; add a bin of kind in-transit first", field="transit_bin")
        transit = row["code"]
    m = re.match(r"^(.+)-TR-[0-9]+$", body.id or "")
    if m and m[1] != here and not from_central:
        # <site>-TR-<n> is that site's numbering: central takes only that site as its source.
        raise LedgerError(f"{body.id} is {m[1]}'s transfer numbering; give this site's ({here}-TR-...) "
                          "or leave the id out", field="id")
    tid = body.id or _next_id(conn, here)
    _insert(conn, tid, here, body.to_site, "open", transit, body.note, user_id, body.lines)
    return get(conn, tid)


def accept_inbound(conn, body: InboundTransferIn, user_id: int | None) -> dict:
    """Take in a transfer another site dispatched to this one; it can then be received."""
    here = site_id(conn)
    if body.to_site != here:
        raise NotThisSite(f"transfer {body.id} goes to {body.to_site}; this site is {here}", field="to_site")
    if body.from_site == here:
        raise NotThisSite(f"transfer {body.id} comes from this site ({here}); it is here already", field="from_site")
    _check_lines(conn, body.lines)
    for i, it in enumerate(body.items):
        if conn.execute("SELECT 1 FROM item WHERE sku = ?", (it.sku,)).fetchone() is None:
            raise UnknownItem(f"no item with sku {it.sku!r}", field=f"items[{i}].sku")
    _insert(conn, body.id, body.from_site, here, "shipped", None, body.note, user_id, body.lines)
    for it in body.items:
        conn.execute("INSERT INTO transfer_item (transfer_id, sku, lot, serial, expiry, shipped) VALUES (?,?,?,?,?,?) "
                     "ON CONFLICT DO UPDATE SET shipped = shipped + excluded.shipped",
                     (body.id, it.sku, it.lot or "", it.serial or "", it.expiry, it.shipped))
    conn.execute("UPDATE transfer SET shipped_at = created_at WHERE id = ?", (body.id,))
    return get(conn, body.id)


# -- reading -------------------------------------------------------------------

def head(conn, tid: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM transfer WHERE id = ?", (tid,)).fetchone()
    if row is None:
        raise NotFound(f"no transfer {tid}", field="transfer_id")
    return row


def direction(conn, row) -> str:
    here = site_id(conn)
    return "outbound" if row["from_site"] == here else "inbound" if row["to_site"] == here else "elsewhere"


def _line_progress(lines: list[dict], items: list[dict]) -> None:
    """Share what was shipped and received among the planned lines: a line
    naming a lot takes that lot first, then lines without a lot take the rest."""
    for measure in ("shipped", "received"):
        pool: dict[tuple, float] = {}
        for it in items:
            pool[(it["sku"], it["lot"] or "")] = pool.get((it["sku"], it["lot"] or ""), 0.0) + it[measure]
        for line in sorted(lines, key=lambda ln: (not ln["lot"], ln["line_no"])):
            keys = [(line["sku"], line["lot"])] if line["lot"] else [k for k in pool if k[0] == line["sku"]]
            got = 0.0
            for k in keys:
                take = min(pool.get(k, 0.0), line["qty"] - got)
                pool[k] = pool.get(k, 0.0) - take
                got += take
            line[measure] = round(got, 6)


def get(conn, tid: str) -> dict:
    row = head(conn, tid)
    out = dict(row)
    out["direction"] = direction(conn, row)
    lines = [dict(r) for r in conn.execute(
        "SELECT line_no, sku, lot, qty FROM transfer_line WHERE transfer_id = ? ORDER BY line_no", (tid,))]
    items = [dict(r) for r in conn.execute(
        "SELECT sku, lot, serial, expiry, shipped, received FROM transfer_item WHERE transfer_id = ? "
        "ORDER BY sku, lot, serial", (tid,))]
    _line_progress(lines, items)
    for line in lines:
        line["lot"] = line["lot"] or None
        line["barcodes"] = expected_barcodes(conn, line["sku"])
    for it in items:
        it["lot"] = it["lot"] or None
        it["serial"] = it["serial"] or None
    out["lines"] = lines
    out["items"] = items
    return out


def list_transfers(conn, status: str | None, which: str | None, limit: int) -> list[dict]:
    here = site_id(conn)
    where, params = [], []
    if status:
        where.append("status = ?")
        params.append(status)
    if which == "outbound":
        where.append("from_site = ?")
        params.append(here)
    elif which == "inbound":
        where.append("to_site = ?")
        params.append(here)
    sql = "SELECT * FROM transfer" + (" WHERE " + " AND ".join(where) if where else "")
    rows = conn.execute(sql + " ORDER BY created_at, id LIMIT ?", params + [limit]).fetchall()
    out = []
    for r in rows:
        d = dict(r)
        d["direction"] = "outbound" if r["from_site"] == here else "inbound" if r["to_site"] == here else "elsewhere"
        out.append(d)
    return out



# -- the other site received: empty the in-transit bin (sync down, sync/apply.py) ---------

EPS = 1e-6
# uuid5 namespace of transfer_delivered movement ids: the same receipt always names the same movement.
DELIVERED = uuid.UUID("6f3c1b52-8a57-4d0e-9d0b-3f1f5b7c2a10")


class ReceivedItem(SenderView):
    sku: str = Field(min_length=1, max_length=64)
    lot: Optional[str] = Lot
    serial: Optional[str] = Field(None, max_length=64)
    qty: float = Field(ge=0, le=1_000_000_000, description="Received so far at the destination (cumulative)")


class TransferReceiptIn(SenderView):
    """Central's ``transfer_receipt`` change: what the destination has received of our transfer."""

    id: str = Field(min_length=1, max_length=64)
    to_site: Optional[str] = Field(None, max_length=32)
    received: list[ReceivedItem] = Field(max_length=5000)
    complete: bool = False


def delivered_id(tid: str, sku: str, lot: str, serial: str, upto: float) -> str:
    return str(uuid.uuid5(DELIVERED, json.dumps([tid, sku, lot, serial, round(upto, 6)])))


def apply_receipt(conn, body: TransferReceiptIn, now: str | None = None) -> PostResult:
    """Take what the destination received out of this site's in-transit bin, once.

    For each (sku, lot, serial): what arrived (at most what was shipped) minus
    what earlier ``transfer_delivered`` movements of this transfer took out.
    The movement id is derived from the transfer, the key and the cumulative
    quantity, so applying the same receipt again posts nothing. If the bin no
    longer holds the goods (written off meanwhile) the movement is recorded as
    a replay, with the ledger's exception for a supervisor: the goods did
    arrive. The transfer is marked received once everything shipped has been
    delivered, or central says the destination has it all.
    """
    t = head(conn, body.id)
    here = site_id(conn)
    if t["from_site"] != here or t["transit_bin"] is None:
        raise NotThisSite(f"transfer {t['id']} was not shipped from this site ({here}); its receipt is not ours "
                          "to book", field="id")
    tid, transit, now = t["id"], t["transit_bin"], now or utcnow()
    shipped = {(r["sku"], r["lot"], r["serial"]): r["shipped"] for r in conn.execute(
        "SELECT sku, lot, serial, shipped FROM transfer_item WHERE transfer_id = ?", (tid,))}
    delivered = {(r["sku"], r["lot"], r["serial"]): r["qty"] for r in conn.execute(
        "SELECT sku, lot, coalesce(serial, '') AS serial, sum(qty) AS qty FROM movement WHERE kind = "
        "'transfer_delivered' AND ref_type = 'transfer' AND ref_id = ? GROUP BY sku, lot, serial", (tid,))}
    received: dict[tuple, float] = {}
    for it in body.received:
        key = (it.sku, (it.lot or "").strip(), (it.serial or "").strip())
        received[key] = max(received.get(key, 0.0), it.qty)
    result = PostResult()
    for key, qty in sorted(received.items()):
        upto = min(qty, shipped.get(key, 0.0))  # more than was shipped never left this site's bin
        take = round(upto - delivered.get(key, 0.0), 6)
        if take > EPS:
            sku, lot, serial = key
            mv = Movement(id=delivered_id(tid, sku, lot, serial, upto), kind="transfer_delivered", sku=sku,
                          qty=take, from_bin=transit, lot=lot, serial=serial or None, ref_type="transfer",
                          ref_id=tid, reason=f"received at {t['to_site']}")
            try:
                posted = post_movements(conn, [mv], now=now)
            except LedgerError:
                # The goods arrived whatever this bin says: record it as the floor's fact, with an exception.
                posted = post_movements(conn, [mv], replay=True, now=now)
            result.movements += posted.movements
            result.exceptions += posted.exceptions
            result.changes += posted.changes
            result.duplicates += posted.duplicates
            delivered[key] = delivered.get(key, 0.0) + take
        conn.execute("INSERT INTO transfer_item (transfer_id, sku, lot, serial, received) VALUES (?,?,?,?,?) "
                     "ON CONFLICT DO UPDATE SET received = max(received, excluded.received)", (tid, *key, qty))
    everything = all(delivered.get(k, 0.0) >= q - EPS for k, q in shipped.items())
    if t["status"] != "received" and (body.complete or (shipped and everything)):
        conn.execute("UPDATE transfer SET status = 'received', received_at = ? WHERE id = ?", (now, tid))
    return result
