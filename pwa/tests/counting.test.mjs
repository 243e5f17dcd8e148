import assert from "node:assert/strict";
import { test } from "node:test";

import { BinCount, binCatalog } from "../js/counting.js";
import { DictCatalog, interpret } from "../js/scan.js";

const bin = {
  bin: "A-01", only_sku: null, status: "open",
  look_for: [
    { sku: "BOLT", lot: null, description: "Bolt", uom: "ea", tracking: "none",
      barcodes: [{ code: "9506000000015", pack_qty: 1 }, { code: "19506000000012", pack_qty: 12 }] },
    { sku: "MILK", lot: "L1", description: "Milk", uom: "ea", tracking: "lot", barcodes: [{ code: "9506000000022", pack_qty: 1 }] },
  ],
};
const read = (code) => interpret(code, null, { catalog: binCatalog(bin, new DictCatalog({ bins: { "A-02": { kind: "storage" } } })) });

test("scans add up: an each 1, a case its pack; listed items not found go as 0", () => {
  const c = new BinCount(bin, { startedAt: "2026-11-27T08:00:00Z" });
  c.add(read("9506000000015"));
  c.add(read("19506000000012"));
  assert.deepEqual(c.payload(7), { task_id: 7, bin: "A-01", started_at: "2026-11-27T08:00:00Z",
    items: [{ sku: "BOLT", qty: 13 }, { sku: "MILK", lot: "L1", qty: 0 }] });
});

test("a typed figure replaces the scanned one", () => {
  const c = new BinCount(bin);
  c.add(read("9506000000015"));
  c.set("BOLT|", "40");
  c.set("BOLT|", "-3");
  assert.equal(c.lines.get("BOLT|").qty, 0);
});

test("a lot-tracked scan without a lot asks for it, with one it counts that lot", () => {
  const c = new BinCount(bin);
  assert.equal(c.add(read("9506000000022")).need, "lot");
  c.add(read("9506000000022"), { lot: "L2" });
  assert.deepEqual(c.payload(1).items.filter((i) => i.sku === "MILK"),
    [{ sku: "MILK", lot: "L1", qty: 0 }, { sku: "MILK", lot: "L2", qty: 1 }]);
});

test("another bin, an unknown code and an item outside only_sku are refused", () => {
  const c = new BinCount(bin);
  assert.match(c.add(read("A-02")).error, /A-02 is a bin: scan the items in A-01/);
  assert.match(c.add(read("NOPE-1")).error, /is not an item barcode here/);
  const only = new BinCount({ ...bin, only_sku: "MILK" });
  assert.equal(only.add(read("9506000000015")).error, "this count is for MILK only; do not report BOLT here");
});

test("serials: each counted once, sent as a list", () => {
  const drill = { bin: "A-03", look_for: [{ sku: "DRILL", lot: null, tracking: "serial", barcodes: [] }] };
  const c = new BinCount(drill);
  const scanOf = (serial) => ({ kind: "gs1", raw: "x", sku: "DRILL", item: { tracking: "serial" }, gs1: { serial } });
  c.add(scanOf("S1"));
  c.add(scanOf("S1"));
  c.add(scanOf("S2"));
  assert.deepEqual(c.payload(3).items, [{ sku: "DRILL", serials: ["S1", "S2"] }]);
  assert.match(c.add({ kind: "item", raw: "y", sku: "DRILL", item: { tracking: "serial" } }).error, /scan the serial/);
});

test("the count carries no expected figure anywhere", () => {
  const c = new BinCount(bin);
  assert.ok(!JSON.stringify(c.payload(1)).includes("expected"));
});
