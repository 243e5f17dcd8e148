import assert from "node:assert/strict";
import { test } from "node:test";

import { discrepancies, judgeGoods, receiptCatalog, shortBeyondTolerance, withPending } from "../js/receiving.js";
import { DictCatalog, asSent, interpret } from "../js/scan.js";

const GS = "\x1d";

function receipt() {
  return {
    id: "r-1", status: "open", dock_bin: "D-DOCK-01", tolerance_pct: 5,
    document: { type: "asn", id: "ASN-1", label: "ASN ASN-1" },
    lines: [
      { sku: "BOLT", description: "Bolt", tracking: "none", perishable: false, expected: 100, received: 0,
        remaining: 100, accept_up_to: 105, received_here: 0, damaged_here: 0, status: "open",
        expected_lots: [], received_lots: [],
        expected_barcodes: [{ code: "9506000000015", pack_qty: 1 }, { code: "19506000000012", pack_qty: 12 }] },
      { sku: "MILK", description: "Milk", tracking: "lot", perishable: true, expected: 40, received: 0,
        remaining: 40, accept_up_to: 42, received_here: 0, damaged_here: 0, status: "open",
        expected_lots: [{ lot: "L1", expiry: "2027-01-31", qty: 40, sscc: null }], received_lots: [],
        expected_barcodes: [{ code: "9506000000022", pack_qty: 1 }] },
    ],
    pallets: [{ sscc: "395060000000000016", status: "expected", lines: [{ sku: "BOLT", qty: 60, lot: null }] }],
  };
}

const read = (r, code) => interpret(code, null, { catalog: receiptCatalog(r, new DictCatalog()) });

test("a case barcode counts its pack times the cartons held", () => {
  const r = receipt();
  const v = judgeGoods(r, read(r, "19506000000012"), { cartons: 3 });
  assert.equal(v.type, "receipt.line");
  assert.deepEqual(v.payload, { receipt_id: "r-1", barcode: "19506000000012", qty: 3 });
  assert.deepEqual(v.local, { sku: "BOLT", qty: 36, lot: null, damaged: false });
});

test("a GS1 label fills lot and expiry and its count is the quantity", () => {
  const r = receipt();
  const v = judgeGoods(r, read(r, `]C1010950600000002217270131` + `10L1${GS}3012`), {});
  assert.equal(v.local.sku, "MILK");
  assert.equal(v.local.qty, 12);
  assert.equal(v.local.lot, "L1");
  assert.equal(v.payload.qty, 1);
  assert.equal(v.payload.lot, undefined, "the label's lot travels in the barcode");
});

test("a lot-tracked item without a lot asks for it; a typed lot different from the label is refused", () => {
  const r = receipt();
  assert.equal(judgeGoods(r, read(r, "9506000000022"), {}).need, "lot");
  const ok = judgeGoods(r, read(r, "9506000000022"), { lot: "L1" });
  assert.equal(ok.payload.lot, "L1");
  const clash = judgeGoods(r, read(r, `]C1010950600000002210L1`), { lot: "L2" });
  assert.equal(clash.error, "the label says lot L1, the entry says L2");
});

test("an unannounced perishable lot needs its expiry", () => {
  const r = receipt();
  const v = judgeGoods(r, read(r, "9506000000022"), { lot: "L9" });
  assert.equal(v.need, "expiry");
  assert.equal(judgeGoods(r, read(r, "9506000000022"), { lot: "L9", expiry: "2027-02-01" }).payload.expiry, "2027-02-01");
});

test("beyond the tolerance is refused on the device with the figures", () => {
  const r = receipt();
  const v = judgeGoods(r, read(r, "19506000000012"), { cartons: 9 });
  assert.match(v.error, /expects 100 of BOLT; 0 received so far, \+108 makes 108, beyond the 5% tolerance \(up to 105/);
});

test("damaged goods need a reason and skip the tolerance", () => {
  const r = receipt();
  assert.equal(judgeGoods(r, read(r, "9506000000015"), { damaged: true }).error, "say why the goods are damaged");
  const v = judgeGoods(r, read(r, "9506000000015"), { damaged: true, reason: " crushed " });
  assert.deepEqual(v.payload, { receipt_id: "r-1", barcode: "9506000000015", qty: 1, damaged: true, damage_reason: "crushed" });
});

test("an SSCC receives the pallet once; an unknown one is refused", () => {
  const r = receipt();
  const v = judgeGoods(r, read(r, "]C100395060000000000016"), {});
  assert.equal(v.type, "receipt.pallet");
  assert.equal(v.local.qty, 60);
  const after = withPending(r, [{ type: v.type, payload: v.payload, local: v.local }]);
  assert.match(judgeGoods(after, read(after, "]C100395060000000000016"), {}).error, /was received already/);
  assert.match(judgeGoods(r, read(r, "]C100395060000000000023"), {}).error, /receive its cartons one by one/);
});

test("not an item, a bin and unknown barcodes say what to do", () => {
  const r = receipt();
  assert.match(judgeGoods(r, read(r, "4006381333931"), {}).error, /is not an item barcode here; add the barcode or type the sku/);
  assert.match(judgeGoods(null, read(r, "9506000000015"), {}).error, /open a receipt first/);
});

test("unsent lines show on the receipt and make the discrepancy list", () => {
  const r = receipt();
  const commands = [
    { type: "receipt.line", payload: { receipt_id: "r-1" }, local: { sku: "BOLT", qty: 90, damaged: false } },
    { type: "receipt.line", payload: { receipt_id: "r-1" }, local: { sku: "NUT", qty: 5, damaged: false } },
    { type: "receipt.line", payload: { receipt_id: "r-1" }, local: { sku: "MILK", qty: 2, damaged: true } },
    { type: "receipt.line", payload: { receipt_id: "other" }, local: { sku: "BOLT", qty: 500, damaged: false } },
  ];
  const view = withPending(r, commands);
  assert.equal(view.pending, 3);
  assert.equal(view.lines.find((l) => l.sku === "BOLT").received, 90);
  assert.deepEqual(discrepancies(view).map((d) => [d.kind, d.sku]),
    [["short", "BOLT"], ["short", "MILK"], ["damaged", "MILK"], ["unexpected", "NUT"]]);
  assert.equal(r.lines[0].received, 0, "the edge's copy is left alone");
});

test("a supervisor's approval lets a line past the tolerance and goes with it", () => {
  const r = receipt();
  const over = judgeGoods(r, read(r, "19506000000012"), { cartons: 9 });
  assert.equal(over.overTolerance, true);
  const ok = judgeGoods(r, read(r, "19506000000012"), { cartons: 9, override: { pin: "4444" } });
  assert.deepEqual(ok.payload.override, { pin: "4444" });
  assert.equal(ok.local.qty, 108);
});

test("closing for good with lines short beyond the tolerance needs a supervisor", () => {
  const r = receipt();
  const view = withPending(r, [{ type: "receipt.line", payload: { receipt_id: "r-1" }, local: { sku: "BOLT", qty: 96 } },
    { type: "receipt.line", payload: { receipt_id: "r-1" }, local: { sku: "MILK", qty: 10 } }]);
  assert.deepEqual(shortBeyondTolerance(view).map((l) => l.sku), ["MILK"]);
  assert.deepEqual(shortBeyondTolerance({ ...view, document: null }), []);
  assert.deepEqual(discrepancies({ ...view, document: { type: "blind", id: null } }), []);
});

test("a GS substitute goes back to GS before the scan is sent (the edge does not know it)", () => {
  const r = receipt();
  const raw = "]C101095060000000221727013110L1~3012";
  const answer = interpret(raw, null, { catalog: receiptCatalog(r, new DictCatalog()), gsSubstitute: "~" });
  const v = judgeGoods(r, answer, { gsSubstitute: "~" });
  assert.equal(v.payload.barcode, `]C101095060000000221727013110L1${GS}3012`);
  assert.equal(v.local.qty, 12);
  assert.equal(asSent({ kind: "gs1", raw: "https://id.example/01/09506000000022?x=a~b" }, "~"),
    "https://id.example/01/09506000000022?x=a~b");
});
