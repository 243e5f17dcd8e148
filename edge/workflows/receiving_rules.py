"""What receiving steps share: the exceptions they raise, tolerance checks with
a supervisor's approval, expiry on arrival, and goods arriving after close. No Flask."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from pydantic import Field, StringConstraints

from edge.ledger import PostResult
from edge.workflows import exceptions, putaway
from edge.workflows.receiving_approval import approver, record
from edge.workflows.receiving_errors import OverTolerance, SupervisorRequired, TooManyOverrideAttempts
from edge.workflows.receiving_view import document_label, over_tolerance

RECEIVE_ROLES = {"receiver", "supervisor", "admin"}
Id = Field(min_length=1, max_length=64)
RawScan = Annotated[str, StringConstraints(strip_whitespace=False)]  # a leading GS (FNC1) is data

for _kind, _title in (
        ("over_receipt", "More received than the document allows (replayed from a device)"),
        ("under_receipt", "A receipt was closed short beyond tolerance (replayed from a device)"),
        ("expired_on_receipt", "An expired lot was received into the dock"),
        ("receipt_after_close", "Goods were received on a receipt that was already closed"),
        ("closed_document", "A receipt was opened against a closed purchase order or ASN"),
        ("pallet_received_twice", "A pallet was scanned again after it had been received"),
        ("pallet_other_document", "A pallet of another delivery was received on this receipt")):
    exceptions.kind(_kind, _title)


def _approve(conn, exc, user, params, now):
    data = exc["data"] or {}
    record(conn, receipt_id=exc["ref_id"], command_id=exc["command_id"] or "", sku=exc["sku"],
           kind="over" if exc["kind"] == "over_receipt" else "short", expected=data.get("expected", 0.0),
           received=data.get("received", 0.0), tolerance_pct=data.get("tolerance_pct", 0.0),
           requested_by=exc["user_id"], approved_by=user["id"])


for _kind in ("over_receipt", "under_receipt"):
    exceptions.action(_kind, "approve", "Accept the quantities as received; recorded as the supervisor's "
                                        "approval on the receipt")(_approve)


def flag(conn, ctx, result: PostResult, kind: str, detail: str, receipt_id: str, **kw) -> None:
    exceptions.raise_(conn, kind, detail, ref_type="receipt", ref_id=receipt_id, user_id=ctx.user_id,
                      device_id=ctx.device_id, command_id=ctx.command_id, post=result, **kw)


def scan_date(ctx) -> str:
    return ctx.at[:10] if ctx.at else datetime.now(timezone.utc).date().isoformat()  # UTC, like ctx.at


def past_expiry(conn, sku: str, lot: str | None, expiry: str | None, today: str) -> str | None:
    if lot and not expiry:
        row = conn.execute("SELECT expiry FROM lot WHERE sku = ? AND lot = ?", (sku, lot)).fetchone()
        expiry = row["expiry"] if row else None
    return expiry if expiry and expiry < today else None


def late(receipt) -> str:
    return f"receipt {receipt['id']} was closed at {receipt['closed_at']}"


def approver_or_none(conn, ctx, override, what: str) -> dict | None:
    """The approving supervisor; None for a replay whose approval does not check
    out (the device could not verify the PIN offline, and the goods are here)."""
    if override is None:
        return None
    try:
        return approver(conn, ctx, override, what)
    except (SupervisorRequired, TooManyOverrideAttempts):
        if ctx.replay:
            return None
        raise


def check_overs(conn, ctx, receipt, wants: dict[str, float], override) -> list:
    """Overs that stand unapproved (replay only); approve or refuse the rest."""
    label = document_label(receipt)
    overs = [o for o in (over_tolerance(conn, receipt, sku, qty) for sku, qty in wants.items()) if o]
    if not overs:
        return []
    who = approver_or_none(conn, ctx, override, overs[0].describe(label))
    if who is not None:
        for o in overs:
            record(conn, receipt_id=receipt["id"], command_id=ctx.command_id, kind="over", sku=o.sku,
                   expected=o.expected, received=o.received + o.adding, tolerance_pct=o.tolerance_pct,
                   requested_by=ctx.user_id, approved_by=who["id"])
        return []
    if not ctx.replay:
        raise OverTolerance(overs[0].describe(label) + "; a supervisor must approve (override)", field="qty",
                            **overs[0].figures())
    return overs


def flag_overs(conn, ctx, receipt, result, overs, bin_code) -> None:
    for o in overs:
        flag(conn, ctx, result, "over_receipt", o.describe(document_label(receipt)) + " (replayed from a device)",
             receipt["id"], bin=bin_code, sku=o.sku, data={**o.figures(), "received": o.received + o.adding},
             movement_id=result.movements[0]["id"] if result.movements else None)


def after_close(conn, ctx, receipt, result, movement_ids, sku) -> None:
    if receipt["status"] != "closed":
        return
    putaway.announce(result, receipt["id"], putaway.create_tasks(conn, receipt, movement_ids=movement_ids))
    flag(conn, ctx, result, "receipt_after_close", f"{late(receipt)}; a device recorded more goods on it while "
         "offline (putaway tasks were created for them)", receipt["id"], bin=receipt["dock_bin"], sku=sku,
         movement_id=movement_ids[0])
