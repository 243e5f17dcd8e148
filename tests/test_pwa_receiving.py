"""Receive and put away in the handheld PWA: real Chromium against a real edge
on the demo warehouse (see tests/_pwa_support.py). Screenshots at 360x640 go
to test-artifacts/."""
from __future__ import annotations

import uuid

import pytest

from _pwa_support import (  # noqa: F401  (fixtures are found by name)
    api_session, assert_controls_ok, browser, context, edge, go, page, playwright, require_chromium, scan,
    screenshot, server, sign_in, stock_qty, wait_sent,
)

pytestmark = pytest.mark.browser
require_chromium()

GS = "\x1d"


def command(session, ctype, payload, replay=False):
    cmd = {"id": str(uuid.uuid4()), "type": ctype, "at": "2026-11-27T08:00:00Z", "replay": replay, "payload": payload}
    [result] = session.post(session.base + "/commands", json={"commands": [cmd]}).json()["results"]
    assert result["status"] == "applied", result
    return cmd["id"]


def receipt(edge, rid):
    return edge.get(f"{edge.base}/receipts/{rid}").json()


def line_row(page, sku):
    return page.locator(f"#receive-lines tr[data-sku='{sku}'] td").nth(2)


def open_receive(page, pin="2222"):
    sign_in(page, pin)
    page.wait_for_function("window.floorscan.catalog.size > 0")
    go(page, "receive")
    page.wait_for_selector("#receive-docs li")


def test_receive_an_asn_pallet_cases_gs1_damaged_and_close(page, edge):
    open_receive(page)
    assert_controls_ok(page, "receive-start")
    screenshot(page, "receive-start")
    scan(page, "PO-999999")
    page.wait_for_selector("#receive-note[data-kind=error]")
    assert "no purchase order or ASN 'PO-999999'" in page.locator("#receive-note").inner_text()
    scan(page, "ASN-500001")
    page.wait_for_selector("#receive-prompt[data-stage=goods]")
    page.wait_for_selector("#receive-lines tr[data-sku='SKU-100175']")  # the edge's receipt has arrived
    rid = _open_receipt_id(page)

    scan(page, "]C100395060000000000016")  # the SSCC of an ASN pallet: 96 of SKU-100175 lot R721097
    page.wait_for_function("document.querySelector(\"#receive-lines tr[data-sku='SKU-100175'] td:nth-child(3)\")"
                           ".textContent.startsWith('96')")
    page.fill("#receive-qty", "2")
    scan(page, "19506000002252")  # a case of 24, two of them
    page.wait_for_function("document.querySelector(\"#receive-lines tr[data-sku='SKU-100225'] td:nth-child(3)\")"
                           ".textContent.startsWith('48')")
    # GS1-128: GTIN, expiry, lot, count 12 (FNC1 as GS after the variable-length lot). The demo
    # dates its lots from the day it is built: the label carries the ASN's expiry for the lot.
    [expiry] = [ln["expiry"] for p in edge.get(edge.base + "/asns/ASN-500001").json()["pallets"]
                for ln in p["lines"] if (ln["sku"], ln["lot"]) == ("SKU-100400", "R512679")]
    yymmdd = expiry[2:4] + expiry[5:7] + expiry[8:10]
    scan(page, f"]C1010950600000400617{yymmdd}10R512679{GS}3012")
    page.wait_for_function("document.querySelector(\"#receive-lines tr[data-sku='SKU-100400'] td:nth-child(3)\")"
                           ".textContent.startsWith('12')")
    # Beyond the tolerance: refused on the device with the figures
    page.fill("#receive-qty", "13")
    scan(page, "9506000003900")
    page.wait_for_selector("#receive-note[data-kind=error]")
    assert "beyond the 5% tolerance" in page.locator("#receive-note").inner_text()
    # The supervisor comes over and types their PIN on this handheld; the edge checks it.
    page.fill("#receive-approve-pin", "2222")  # the receiver's own PIN will not do
    # The receipt is read again while the PIN is typed (an earlier scan's answer
    # arriving does that; on a busy box it came just then): what was typed stays.
    page.evaluate("(rid) => window.floorscan.screen.onOutbox({type: 'result', result: {status: 'applied'},"
                  " command: {id: rid, type: 'receipt.open', payload: {}}})", rid)
    page.wait_for_timeout(1000)
    assert page.input_value("#receive-approve-pin") == "2222"
    page.click("#receive-approve")
    page.wait_for_selector("#attention-link:not([hidden])")
    assert "not an active supervisor" in page.locator("#receive-note").inner_text()
    page.evaluate("window.floorscan.outbox.attention()"
                  ".then(l => Promise.all(l.map(c => window.floorscan.outbox.dismiss(c.id))))")
    page.wait_for_function("document.querySelector(\"#receive-lines tr[data-sku='SKU-100390'] td:nth-child(3)\")"
                           ".textContent.startsWith('0')")  # the refused line is no longer counted
    page.fill("#receive-qty", "13")
    scan(page, "9506000003900")
    page.wait_for_selector("#receive-approve-pin")
    assert_controls_ok(page, "receive-approval")
    screenshot(page, "receive-approval")
    page.fill("#receive-approve-pin", "4444")
    page.click("#receive-approve")
    page.wait_for_function("document.querySelector(\"#receive-lines tr[data-sku='SKU-100390'] td:nth-child(3)\")"
                           ".textContent.startsWith('13')")
    # Damaged: to quarantine with a reason
    page.fill("#receive-qty", "1")
    page.click("#receive-damaged")
    scan(page, "9506000002859")
    page.wait_for_selector("#receive-note[data-kind=error]")
    assert "say why" in page.locator("#receive-note").inner_text()
    page.fill("#receive-damage-reason", "crushed carton")
    scan(page, "9506000002859")
    page.wait_for_selector("#receive-lines tr[data-sku='SKU-100285'] .warn")
    assert_controls_ok(page, "receive-goods")
    screenshot(page, "receive-goods")
    wait_sent(page)

    page.click("#receive-close")
    page.click("#receive-close-more")  # more is coming: no supervisor needed for the shorts
    page.wait_for_selector("#receive-discrepancies[data-source=edge]")
    kinds = page.eval_on_selector_all("#receive-discrepancies li",
                                      "els => els.map(e => [e.dataset.kind, e.dataset.sku])")
    assert ["damaged", "SKU-100285"] in kinds and ["over", "SKU-100390"] in kinds and ["short", "SKU-100285"] in kinds
    assert_controls_ok(page, "receive-closed")
    screenshot(page, "receive-closed")

    view = receipt(edge, rid)
    assert view["status"] == "closed"
    got = {l["sku"]: l["received_here"] for l in view["lines"]}
    assert got["SKU-100175"] == 96 and got["SKU-100225"] == 48 and got["SKU-100400"] == 12 and got["SKU-100285"] == 1
    assert stock_qty(edge, "D-QUAR-01", "SKU-100285") == 1
    assert stock_qty(edge, view["dock_bin"], "SKU-100400", "R512679") == 12
    assert {t["sku"] for t in view["putaway_tasks"]} >= {"SKU-100175", "SKU-100225", "SKU-100400"}
    assert [(a["sku"], a["approved_by_name"]) for a in view["approvals"]] == [("SKU-100390", "Sam Supervisor")]


def _open_receipt_id(page):
    return page.locator("#receive-doc").get_attribute("data-receipt")


def test_receive_offline_survives_a_reload_and_reaches_the_edge_once(page, context, edge):
    open_receive(page)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.click("#doc-ASN-500002")
    page.wait_for_selector("#receive-lines tbody tr")
    wait_sent(page)
    rid = _open_receipt_id(page)
    lines = receipt(edge, rid)["lines"]
    line = next(l for l in lines if l["tracking"] == "none" and len(l["expected_barcodes"]) > 0)
    each = next(b["code"] for b in line["expected_barcodes"] if b["pack_qty"] == 1)

    context.set_offline(True)
    page.wait_for_selector("#conn[data-state=offline]")
    scan(page, each)
    scan(page, each)
    page.wait_for_selector("#pending[data-count='2']")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#pending[data-count='2']")
    # Back in the same receipt, from the device's copy, scans still checked against it.
    page.wait_for_selector(f"#receive-doc[data-receipt='{rid}']")
    page.wait_for_selector("#receive-prompt[data-stage=goods]")
    scan(page, each)
    page.wait_for_selector("#pending[data-count='3']")
    assert line_row(page, line["sku"]).inner_text().startswith("3")
    screenshot(page, "receive-offline")
    queued = page.evaluate("window.floorscan.outbox.pending()")
    assert [c["replay"] for c in queued] == [True] * 3

    context.set_offline(False)
    wait_sent(page)
    got = next(l for l in receipt(edge, rid)["lines"] if l["sku"] == line["sku"])
    assert got["received_here"] == 3
    again = edge.post(edge.base + "/commands", json={"commands": [
        {k: c[k] for k in ("id", "type", "at", "replay", "payload")} for c in queued]}).json()
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 3


def _putaway_tasks(server, asn, sku_count=2):
    """Receive part of an ASN through the API and close it: putaway tasks on a dock."""
    rae = api_session(server, "2222")
    rid = command(rae, "receipt.open", {"dock_bin": "D-DOCK-03", "document": asn})
    view = rae.get(f"{rae.base}/receipts/{rid}").json()
    plain = [l for l in view["lines"] if l["tracking"] == "none"][:sku_count]
    for l in plain:
        command(rae, "receipt.line", {"receipt_id": rid, "sku": l["sku"], "qty": min(l["expected"], 5)})
    command(rae, "receipt.close", {"receipt_id": rid, "final": False})
    return rid, [l["sku"] for l in plain]


def test_putaway_suggested_bin_confirms_and_another_bin_needs_a_reason(page, server, edge):
    rid, skus = _putaway_tasks(server, "ASN-500003")
    sign_in(page, "1111")  # pickers put away too
    page.wait_for_function("window.floorscan.catalog.size > 0")
    go(page, "putaway")
    page.wait_for_selector("#putaway-prompt[data-stage=bin]")
    assert_controls_ok(page, "putaway")
    screenshot(page, "putaway")

    def current():
        tid = int(page.locator("#putaway-bin").get_attribute("data-task"))
        return edge.get(f"{edge.base}/putaway/tasks/{tid}").json()

    task = current()
    assert page.locator("#putaway-bin").inner_text() == task["suggested_bin"]
    assert page.locator("#putaway-reason").inner_text() == task["reason"]
    scan(page, "D-STAGE-01")
    page.wait_for_selector("#putaway-note[data-kind=error]")
    assert "is a staging bin; put away into a storage or pick-face bin" in page.locator("#putaway-note").inner_text()
    scan(page, task["suggested_bin"])
    page.wait_for_function(f"document.getElementById('putaway-bin').dataset.task !== '{task['id']}'")

    second = current()
    other = next(b["code"] for b in edge.get(edge.base + "/bins", params={"limit": 1000}).json()["items"]
                 if b["kind"] == "storage" and b["code"] != second["suggested_bin"])
    scan(page, other)
    page.wait_for_selector("#putaway-prompt[data-stage=reason]")
    assert_controls_ok(page, "putaway-reason")
    screenshot(page, "putaway-reason")
    page.click("#putaway-reason-0")
    page.wait_for_function(f"document.getElementById('putaway-bin').dataset.task !== '{second['id']}'")
    wait_sent(page)
    done1 = edge.get(f"{edge.base}/putaway/tasks/{task['id']}").json()
    done2 = edge.get(f"{edge.base}/putaway/tasks/{second['id']}").json()
    assert done1["status"] == "done" and done1["to_bin"] == task["suggested_bin"]
    assert done2["status"] == "done" and done2["to_bin"] == other
    assert done2["override_reason"] == "Suggested bin is full"


def test_putaway_list_follows_live_events_and_works_offline(page, context, server, edge):
    sign_in(page, "2222")
    page.wait_for_function("window.floorscan.catalog.size > 0 && window.floorscan.liveUp === true")
    go(page, "putaway")
    page.wait_for_selector("#putaway-prompt[data-stage]")
    page.wait_for_load_state("networkidle")
    before = int(page.locator("#putaway-left").get_attribute("data-count") or 0)
    _putaway_tasks(server, "ASN-500004", sku_count=1)  # closing the receipt sends putaway.tasks
    page.wait_for_function(f"Number(document.getElementById('putaway-left').dataset.count) > {before}")

    tid = int(page.locator("#putaway-bin").get_attribute("data-task"))
    task = edge.get(f"{edge.base}/putaway/tasks/{tid}").json()
    context.set_offline(True)
    page.wait_for_selector("#conn[data-state=offline]")
    scan(page, task["suggested_bin"])
    page.wait_for_selector("#pending[data-count='1']")
    page.wait_for_function(f"document.getElementById('putaway-bin').dataset.task !== '{tid}'")
    context.set_offline(False)
    wait_sent(page)
    assert edge.get(f"{edge.base}/putaway/tasks/{tid}").json()["status"] == "done"


def test_a_blind_receipt_opened_in_a_dead_zone(page, context, edge):
    """No paperwork and no network: the receipt's id is minted on the device, the
    goods are checked against the device's catalog, and it all lands once online."""
    open_receive(page)
    context.set_offline(True)
    page.wait_for_selector("#conn[data-state=offline]")
    page.click("#receive-blind")
    page.wait_for_selector("#receive-prompt[data-stage=goods]")
    rid = _open_receipt_id(page)
    scan(page, "9506000000329")  # an each of SKU-100032, known from the catalog
    page.wait_for_selector("#receive-lines tr[data-sku='SKU-100032']")
    scan(page, "NOT-A-CODE")
    page.wait_for_selector("#receive-note[data-kind=error]")
    assert "is not an item barcode here" in page.locator("#receive-note").inner_text()
    page.click("#receive-close")
    page.click("#receive-close-final")  # nothing to compare with: no approval, no discrepancies
    page.wait_for_selector("#receive-discrepancies li.muted")
    page.wait_for_selector("#pending[data-count='3']")
    context.set_offline(False)
    wait_sent(page)
    view = receipt(edge, rid)
    assert view["status"] == "closed" and view["document"]["type"] == "blind" and view["discrepancies"] == []
    assert [(l["sku"], l["received_here"]) for l in view["lines"]] == [("SKU-100032", 1)]
