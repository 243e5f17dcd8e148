"""Demo documents of the receiving workflow: 20 open purchase orders, 8 of
them with an ASN, 4 of those with SSCC-labelled pallets whose perishable
lines carry their lots and expiry dates, so a trainer can receive by PO, by
ASN and by pallet scan at once. Order numbers run PO-100001 ... PO-100020,
ASNs ASN-500001 ..., SSCCs use the demo's GS1 company prefix 950 6000."""
from __future__ import annotations

from datetime import timedelta

from edge.demo.items import COMPANY_PREFIX, check_digit
from edge.workflows.receiving_docs import AsnIn, PurchaseOrderIn, save_asn, save_purchase_order

PURCHASE_ORDERS = 20
WITH_ASN = 8
WITH_PALLETS = 4
SUPPLIERS = ("Northwind Traders", "Contoso Wholesale", "Fabrikam Foods", "Tailspin Hardware", "Litware Supplies",
             "Adventure Works", "Wide World Importers", "Proseware Cold Chain")


def sscc(serial: int) -> str:
    body = f"3{COMPANY_PREFIX}{serial:0{16 - len(COMPANY_PREFIX)}d}"
    return body + check_digit(body)


def _items(conn) -> tuple[list, list]:
    """Items a delivery can bring, with their biggest pack: (perishable, the rest)."""
    rows = conn.execute(
        "SELECT i.sku, i.tracking, i.perishable, max(b.pack_qty) AS pack FROM item i JOIN barcode b ON b.sku = i.sku "
        "WHERE i.active AND i.tracking <> 'serial' GROUP BY i.sku ORDER BY i.sku").fetchall()
    return [r for r in rows if r["perishable"]], [r for r in rows if not r["perishable"]]


def _line(rng, item) -> dict:
    return {"sku": item["sku"], "qty": item["pack"] * rng.randint(2, 12)}


def _lot(rng, today) -> tuple[str, str]:
    return f"R{rng.randrange(10 ** 6):06d}", (today + timedelta(days=rng.randint(30, 200))).isoformat()


def add(conn, rng, today, users: dict[str, int]) -> None:
    """Add open receiving documents to the demo warehouse (issue 3)."""
    perishable, other = _items(conn)
    if not perishable or not other:
        return
    supervisor = users.get("supervisor")
    next_sscc = 1
    for n in range(1, PURCHASE_ORDERS + 1):
        pallets = n <= WITH_PALLETS
        picks = rng.sample(other, min(len(other), rng.randint(2, 5)))
        if pallets or rng.random() < 0.4:
            picks = rng.sample(perishable, min(len(perishable), 2 if pallets else 1)) + picks
        lines = [_line(rng, it) for it in picks]
        po = PurchaseOrderIn(id=f"PO-{100000 + n}", supplier=rng.choice(SUPPLIERS),
                             expected_at=today + timedelta(days=rng.randint(0, 5)), lines=lines)
        save_purchase_order(conn, po, user_id=supervisor)
        if n > WITH_ASN:
            continue
        loose, on_pallets = [], []
        for item, line in zip(picks, lines):
            if item["tracking"] == "lot":
                line["lot"], expiry = _lot(rng, today)
                if item["perishable"]:
                    line["expiry"] = expiry
            if pallets and (item["perishable"] or not on_pallets):
                on_pallets.append({"sscc": sscc(next_sscc), "lines": [line]})
                next_sscc += 1
            else:
                loose.append(line)
        save_asn(conn, AsnIn(id=f"ASN-{500000 + n}", po_id=po.id, carrier=rng.choice(SUPPLIERS),
                             expected_at=po.expected_at, lines=loose, pallets=on_pallets), user_id=supervisor)
