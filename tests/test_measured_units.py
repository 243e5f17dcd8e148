"""Measured units (kg, l, m, ...) may hold fractions; whole units may not. A unit
cannot turn whole while stock is fractional, whichever way the item is changed,
and a unit is measured whatever its case."""
from __future__ import annotations

import pytest

from conftest import make_item
from test_import import counts, failure, load, warehouse  # noqa: F401  (warehouse is a fixture)
from test_wf_receiving_helpers import applied, gtin, send, site  # noqa: F401  (site is a fixture)


def test_an_import_cannot_turn_a_unit_whole_over_fractional_stock(warehouse, tmp_path):
    # Before: the CSV path wrote uom straight to the table, stranding 12.5 kg.
    load(warehouse, tmp_path, "stock", "bin,sku,qty\nA1,FLOUR,12.5\n")
    before = counts(warehouse)
    assert failure(warehouse, tmp_path, "items", "sku,uom\nBOLT,ea\nFLOUR,ea\n") == [
        "line 3: uom: FLOUR holds 12.5 kg in A1, not a whole number of ea: "
        "adjust or count its stock to whole kg before changing the unit"]
    assert counts(warehouse) == before
    # Another measured unit is fine, in any case.
    assert load(warehouse, tmp_path, "items", "sku,uom\nFLOUR,KG\n").updated == 1


@pytest.mark.parametrize("uom", ["kg", "KG", "Kg"])
def test_a_weight_label_books_its_weight_for_a_kg_item_in_any_case(app, client, auth_for, site, uom):
    # Before: an item in "KG" booked 1 per scan of a 0.5 kg label, one in "kg" 0.5.
    ean = gtin("950600000077")
    make_item(app, "CHEESE", barcodes=[(ean, 1)], uom=uom)
    rec = auth_for("receiver")
    rid = applied(send(client, rec, "receipt.open", {"dock_bin": "DOCK-1"}))["id"]
    label = f"]C101{'0' + ean}3103000500"
    result = applied(send(client, rec, "receipt.line", {"receipt_id": rid, "barcode": label}))
    assert [(m["sku"], m["qty"]) for m in result["movements"]] == [("CHEESE", 0.5)]
